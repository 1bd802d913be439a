"""How the hair curls, read from the photo's strands: straight, wavy, curly or coily.

As strand-map methods do, a bank of oriented Gabor filters gives each hair pixel the direction
its strands run in and how clearly (the best orientation's energy above the median's). Straight
hair keeps one direction over a wide window; a wave turns it slowly, curls quickly; coils are
so small that the directions scatter within a few millimetres. ``coherence`` says how well
the directions agree within windows of ``WINDOW_FACE`` face widths (the length of the
doubled-angle vectors' mean over the mean of their lengths; median over the hair): below
WAVY_BELOW the hair is wavy, below CURLY_BELOW curly, below COILY_BELOW coily. Very short
hair scatters too (a crew cut's strands are shorter than the window), so short hair is only
called coily, never wavy or curly (hair.attributes).

The hair is looked at in core.hair_net's face-aligned crop at ``PX_PER_FACE`` pixels per face
width (never finer than the photo: a small face says little, ``reliable`` says so).
"""
import functools

import numpy as np

from . import hair_net

CLASSES = ("straight", "wavy", "curly", "coily")
PX_PER_FACE = 160.0
ORIENTATIONS = 8
WAVELENGTH_PX = 5.0            # the strand clumps' spacing the filters look for
WINDOW_FACE = 0.12
WAVY_BELOW, CURLY_BELOW, COILY_BELOW = 0.68, 0.6, 0.47
MIN_FACE_PX = 90               # smaller faces in the photo: the class is not reliable


@functools.lru_cache(maxsize=1)
def _bank():
    import cv2
    k = int(2 * round(1.2 * WAVELENGTH_PX) + 1)
    out = []
    for i in range(ORIENTATIONS):
        theta = np.pi * i / ORIENTATIONS
        even = cv2.getGaborKernel((k, k), 0.5 * WAVELENGTH_PX, theta, WAVELENGTH_PX, 0.5, 0)
        odd = cv2.getGaborKernel((k, k), 0.5 * WAVELENGTH_PX, theta, WAVELENGTH_PX, 0.5, np.pi / 2)
        out.append(((even - even.mean()).astype(np.float32), odd.astype(np.float32), theta))
    return out


def measure(rgb, seg):
    """(class, coherence, reliable) for the hair of Segmentation ``seg`` in ``rgb``."""
    import cv2
    if seg.hair is None or seg.mask.sum() < 100:
        return "straight", 1.0, False
    face_px = seg.frame.width
    ppf = min(PX_PER_FACE, face_px)
    k = ppf / hair_net.PX_PER_FACE
    # the hair's box in the network's output, in the curl crop's pixels: only that is filtered
    ys, xs = np.nonzero(seg.hair)
    if not len(ys):
        return "straight", 1.0, False
    s = hair_net.OUTPUT_STRIDE * k
    x0, x1 = int(xs.min() * s), int((xs.max() + 1) * s)
    y0, y1 = int(ys.min() * s), int((ys.max() + 1) * s)
    m = seg.to_photo @ np.array([[1 / s, 0, 0.5 / s - 0.5], [0, 1 / s, 0.5 / s - 0.5], [0, 0, 1]])
    m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)
    crop, inside, _ = hair_net.warp_photo(rgb, m, (x1 - x0, y1 - y0))
    sure = seg.hair.astype(np.float32)
    hair = cv2.resize(sure, (int(sure.shape[1] * s), int(sure.shape[0] * s)),
                      interpolation=cv2.INTER_LINEAR)[y0:y1, x0:x1] > 0.7
    hair &= inside[:hair.shape[0], :hair.shape[1]] > 0.99
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)[:hair.shape[0], :hair.shape[1]]
    energy = np.stack([np.hypot(cv2.filter2D(grey, -1, e), cv2.filter2D(grey, -1, o)) for e, o, _ in _bank()])
    best = energy.argmax(0)
    top, med = energy.max(0), np.median(energy, 0)
    theta = np.array([t for *_, t in _bank()])[best]
    conf = np.maximum(top - med, 0) * hair
    win = max(3, int(WINDOW_FACE * ppf)) | 1
    c = cv2.blur((conf * np.cos(2 * theta)).astype(np.float32), (win, win))
    sn = cv2.blur((conf * np.sin(2 * theta)).astype(np.float32), (win, win))
    norm = cv2.blur(conf.astype(np.float32), (win, win))
    sure = hair & (norm > 1e-3)
    if sure.sum() < 50:
        return "straight", 1.0, False
    coherence = float(np.median((np.hypot(c, sn) / np.maximum(norm, 1e-6))[sure]))
    if coherence < COILY_BELOW:
        cls = "coily"
    elif coherence < CURLY_BELOW:
        cls = "curly"
    elif coherence < WAVY_BELOW:
        cls = "wavy"
    else:
        cls = "straight"
    return cls, coherence, face_px >= MIN_FACE_PX
