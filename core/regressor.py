"""The face regression network: mediapipe's 478 landmarks to a starting point
for the fit (head rotation, phenotype, head local changes, expression).

A small MLP trained on synthetic anny samples by
``models/train_face_regressor.py``; its weights are ``models/face_regressor.npz``
(plain arrays, no pickles) and it runs here in numpy (well under a millisecond).
"""
import functools
import os

import numpy as np

from .correspondence import MODELS_DIR

WEIGHTS = os.path.join(MODELS_DIR, "face_regressor.npz")


def normalise(landmarks):
    """(..., 478, 2) pixels -> (..., 956): centred on the mean, scaled to unit RMS radius."""
    x = np.asarray(landmarks, np.float64)
    x = x - x.mean(-2, keepdims=True)
    x = x / np.sqrt((x ** 2).sum(-1).mean(-1))[..., None, None]
    return x.reshape(*x.shape[:-2], -1)


@functools.lru_cache(maxsize=1)
def _weights():
    with np.load(WEIGHTS, allow_pickle=False) as z:
        return {k: z[k].astype(np.float64) for k in z.files}


def available():
    return os.path.isfile(WEIGHTS)


def predict(landmarks):
    """Starting parameters for one face: dict with rotation_vector (3, relative to
    facing the camera), phenotype (6), local (signed head local changes) and expression (52)."""
    w = _weights()
    h = (normalise(landmarks) - w["in_mean"]) / w["in_std"]
    n_layers = sum(1 for k in w if k.startswith("W"))
    for i in range(n_layers):
        h = h @ w[f"W{i}"] + w[f"b{i}"]
        if i < n_layers - 1:
            h = np.maximum(h, 0.0)
    out = h * w["out_std"] + w["out_mean"]
    sizes = [int(v) for v in w["sizes"]]
    rot, pheno, local, expr = np.split(out, np.cumsum(sizes)[:-1])
    return {"rotation_vector": rot, "phenotype": pheno, "local": np.clip(local, -1, 1),
            "expression": np.clip(expr, 0, 1)}
