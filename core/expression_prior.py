"""The prior on the 52 facial actions, learned from real faces.

``models/expression_prior.npz`` (made by ``models/build_expression_prior.py`` from
a talking speaker whose identity is fixed) holds each key's scale for an
exponential prior on its non-negative weight (sparse: most keys rest at zero),
the keys that mirror each other on a symmetric face with the spread of their
difference, and the frames' weights themselves (for training the regression
network). Without the file the fit falls back to a plain uniform penalty.
"""
import dataclasses
import functools
import os

import numpy as np

from .correspondence import MODELS_DIR

PRIOR_FILE = os.path.join(MODELS_DIR, "expression_prior.npz")


@dataclasses.dataclass(frozen=True)
class ExpressionPrior:
    names: tuple
    scale: np.ndarray        # (52,) mean weight of each key (floored)
    pairs: np.ndarray        # (P, 2) indices of mirrored keys
    pair_scale: np.ndarray   # (P,) RMS of their difference (floored)
    samples: np.ndarray      # (N, 52) the real frames' weights


@functools.lru_cache(maxsize=1)
def load():
    """The prior, or None when its file is not there."""
    if not os.path.isfile(PRIOR_FILE):
        return None
    with np.load(PRIOR_FILE, allow_pickle=False) as z:
        return ExpressionPrior(names=tuple(str(n) for n in z["names"]), scale=z["scale"].astype(np.float64),
                               pairs=z["pairs"].astype(np.int64), pair_scale=z["pair_scale"].astype(np.float64),
                               samples=z["samples"].astype(np.float64))


def uninformed(n_keys=52):
    """Every key the same unit scale and no pairs: the sparse prior before anything is learned."""
    return ExpressionPrior(names=(), scale=np.ones(n_keys), pairs=np.zeros((0, 2), np.int64),
                           pair_scale=np.zeros(0), samples=np.zeros((0, n_keys)))
