"""Do several photos show one person? A refusal before one identity is fitted to two people.

Each photo gets a descriptor from its detection (no model files, no bpy):

- shape: mediapipe's 3D points of the iBUG eyes, brows, nose and jaw line (the mouth left
  out: it moves with speech and smiles), made mirror-symmetric (the shape averaged with its
  own mirror image, so a mirrored photo gives the same shape); two shapes are compared by
  Procrustes (rotation, scale, translation removed), RMS over the face's RMS size;
- texture: uniform LBP histograms (8 neighbours, radius 1, 7x7 cells) of the grey, CLAHE
  face aligned to a 112 px five-point template (eye centres, nose tip, mouth corners), also
  mirror-symmetric; chi-square distance.

The face distance is the mean of the two, each over its typical value between different
people, so about 1.0 for two strangers (see bench/same_person.py for the distributions).
"""
import itertools
import os

import numpy as np

from . import errors

# Typical distances between different people (medians over Helen pairs, rounded): the units
SHAPE_SCALE = 0.067
TEXTURE_SCALE = 11.3
# Face distance above REFUSE: the photos are refused; above WARN: a warning only.
# (bench/same_person.py: same-person pairs reached 0.68, different people are at 0.48-1.93,
# median 0.99; 68% of them are above 0.90.) A refusal blocks the user, so REFUSE sits a third
# above every same-person pair seen.
WARN = 0.70
REFUSE = 0.90
# A face turned further than this (nose offset from the eyes' midpoint over the eye
# distance, about 30 degrees) is not compared with confidence: its pairs only warn.
MAX_YAW = 0.35

TEMPLATE_112 = np.array([[38.29, 51.69], [73.53, 51.50], [56.03, 71.74], [41.55, 92.37], [70.73, 92.20]],
                        np.float32)
FIVE_POINTS = (468, 473, 1, 61, 291)      # mediapipe: iris centres, nose tip, mouth corners (image left first)
_FLIP68 = np.r_[16:-1:-1, 26:21:-1, 21:16:-1, 27:31, 35:30:-1, 45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
SHAPE68 = np.arange(48)                   # iBUG jaw, brows, nose, eyes (no mouth)
LBP_GRID = 7
LBP_BINS = 59                             # "nri_uniform" codes of 8 neighbours
_N_SHAPE = 3 * len(SHAPE68)


def descriptor(rgb, landmarks, depth):
    """A photo's face descriptor, (1 + 144 + 2891,) float64: [yaw, shape, texture].
    ``landmarks`` (478, 2) and ``depth`` (478,) as in core.detect.Detection."""
    from .correspondence import ibug68_index
    landmarks = np.asarray(landmarks, np.float64)
    pts = np.c_[landmarks, np.asarray(depth, np.float64)][ibug68_index()]
    return np.concatenate([[_yaw(landmarks)], _shape(pts).ravel(), _texture(rgb, landmarks)])


def distance(a, b):
    """The face distance of two descriptors: about 1 between strangers, lower for one person."""
    sa, sb = a[1:1 + _N_SHAPE].reshape(-1, 3), b[1:1 + _N_SHAPE].reshape(-1, 3)
    return 0.5 * (shape_distance(sa, sb) / SHAPE_SCALE
                  + chi_square(a[1 + _N_SHAPE:], b[1 + _N_SHAPE:]) / TEXTURE_SCALE)


def check(descriptors, names):
    """Raise errors.DifferentPeople when two of the photos (``names``, for the message) are clearly
    not one person; return warnings (a list of str) for pairs in the uncertain band."""
    warnings, worst = [], None
    for i, j in itertools.combinations(range(len(descriptors)), 2):
        d = distance(descriptors[i], descriptors[j])
        turned = max(abs(descriptors[i][0]), abs(descriptors[j][0])) > MAX_YAW
        if d > REFUSE and not turned and (worst is None or d > worst[0]):
            worst = (d, i, j)
        elif d > WARN:
            warnings.append(f"{_name(names[j])} may not show the same person as {_name(names[i])} "
                            f"(face distance {d:.2f}; the same person scores under {WARN:.2f}).")
    if worst is not None:
        d, i, j = worst
        raise errors.DifferentPeople(
            f"{_name(names[j])} does not look like the same person as {_name(names[i])} (face distance "
            f"{d:.2f}; the same person scores under {WARN:.2f}): give photos of one person, or build "
            f"one avatar per photo.")
    return warnings


def shape_distance(a, b):
    """Procrustes RMS between two (N, 3) shapes over ``a``'s RMS size."""
    from .measure import similarity_transform
    a0 = a - a.mean(0)
    return float(np.sqrt(((similarity_transform(b, a)(b) - a) ** 2).sum(1).mean() / (a0 ** 2).sum(1).mean()))


def chi_square(a, b):
    return 0.5 * float(((a - b) ** 2 / (a + b + 1e-12)).sum())


def _name(path):
    return os.path.basename(str(path))


def _yaw(landmarks):
    """Nose tip offset from the eyes' midpoint over the eye-corner distance: 0 facing the camera."""
    left, right, nose = landmarks[33], landmarks[263], landmarks[1]
    return float((nose[0] - (left[0] + right[0]) / 2) / (np.linalg.norm(right - left) + 1e-9))


def _shape(pts):
    """The iBUG shape points (68, 3), averaged with their mirror image, centred, unit RMS size."""
    from .measure import similarity_transform
    x = pts[SHAPE68]
    mirrored = (pts * [-1.0, 1.0, 1.0])[_FLIP68][SHAPE68]
    sym = 0.5 * (x + similarity_transform(mirrored, x)(mirrored))
    sym -= sym.mean(0)
    return sym / np.sqrt((sym ** 2).sum(1).mean())


def aligned_face(rgb, landmarks, size=112):
    """The face warped (similarity) onto the five-point template, grey, CLAHE-equalised."""
    import cv2
    src = np.asarray(landmarks, np.float32)[list(FIVE_POINTS)]
    m, _ = cv2.estimateAffinePartial2D(src, TEMPLATE_112 * (size / 112.0), method=cv2.LMEDS)
    if m is None:
        raise errors.FitFailed("The face could not be aligned for comparison with the other photos.")
    face = cv2.warpAffine(np.ascontiguousarray(rgb), m, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)
    return cv2.createCLAHE(2.0, (4, 4)).apply(grey)


def _texture(rgb, landmarks, size=112):
    """LBP histograms of the aligned face plus its mirror image, per cell, each summing to 1."""
    from skimage.feature import local_binary_pattern
    grey = aligned_face(rgb, landmarks, size)
    cell = size // LBP_GRID
    hist = np.zeros((LBP_GRID * LBP_GRID, LBP_BINS))
    for image in (grey, grey[:, ::-1]):
        code = local_binary_pattern(image, 8, 1, "nri_uniform").astype(np.int64)
        for k, (r, c) in enumerate(itertools.product(range(LBP_GRID), range(LBP_GRID))):
            hist[k] += np.bincount(code[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell].ravel(),
                                   minlength=LBP_BINS)
    return (hist / hist.sum(1, keepdims=True)).ravel()
