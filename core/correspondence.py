"""Where mediapipe's 478 points and the iBUG 68 points sit on the anny head.

Both tables are files under ``models/``, each made by the script beside it:
``mediapipe_anny.npz`` (build_mediapipe_correspondence.py) embeds every
mediapipe point in a triangle of the head with barycentric weights;
``ibug68_mediapipe.npz`` (build_ibug68_map.py) names, for each iBUG point,
the mediapipe point that stands for it.
"""
import functools
import os

import numpy as np

MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


@functools.lru_cache(maxsize=1)
def mediapipe_embedding():
    """(triangle vertex ids (478, 3) int, barycentric weights (478, 3) float)."""
    with np.load(os.path.join(MODELS_DIR, "mediapipe_anny.npz"), allow_pickle=False) as z:
        return z["triangle_vertices"].astype(np.int64), z["barycentric"].astype(np.float64)


@functools.lru_cache(maxsize=1)
def ibug68_index():
    """(68,) indices into mediapipe's 478 points for the iBUG 68-point scheme."""
    with np.load(os.path.join(MODELS_DIR, "ibug68_mediapipe.npz"), allow_pickle=False) as z:
        return z["mediapipe_index"].astype(np.int64)


def surface_points(vertices):
    """Mediapipe's 478 points on a head mesh: (..., V, 3) -> (..., 478, 3)."""
    tri, bary = mediapipe_embedding()
    return np.einsum("...pkc,pk->...pc", vertices[..., tri, :], bary)
