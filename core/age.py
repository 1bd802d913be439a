"""A child's age from the photo, with the iris as the ruler.

The iris is about 11.7 mm across from early childhood on, while the face grows
until the late teens: the face's height in iris diameters goes from about 10
for a toddler to about 13 for an adult. anny's own head gives that ratio at
every age (its eyes and face grow by its growth calibration), so the photo's
ratio, corrected for the head's pose with the fitted model, is read against
anny's curve: no figure here comes from photos.

The cue only tells young children from everyone else: from about 11 years on
the ratio overlaps adults', it fails when the irises are hidden (eyes shut or
squinting), and with the head turned far the detected irises do not narrow as
the model's do. So a photo is taken for a child's only when its ratio lies
clearly below anny's at ``CHILD_BELOW_YEARS``, both irises are open and agree
and the head is turned at most ``MAX_YAW_DEG``; everyone else is fitted as an
adult (the age can always be given).
"""
import functools

import numpy as np

from . import fit, head_model, texture

FOREHEAD, CHIN = 10, 152          # mediapipe's top of the forehead and bottom of the chin
LIDS = ((159, 145), (386, 374))   # upper and lower lid midpoints, right and left eye
CHILD_BELOW_YEARS = 9.0           # ratios clearly under anny's at this age are a child's
IRIS_MIN_OPEN = 0.6               # lid gap / iris diameter: below this the iris is partly guessed
IRIS_MAX_DISAGREE = 0.2           # relative difference of the two irises' sizes
MAX_YAW_DEG = 20.0                # turned further, the detected irises shrink less than the model's


def _ratio(points):
    """Face height over the mean iris diameter, for (478, 2) points."""
    diam = [np.mean([np.linalg.norm(points[a] - points[c]), np.linalg.norm(points[b] - points[d])])
            for _, (a, b, c, d) in texture.IRISES]
    return float(np.linalg.norm(points[FOREHEAD] - points[CHIN]) / np.mean(diam)), diam


def _frontal(points3d):
    return points3d[:, [0, 2]]        # the head's rest frame seen from the front (x, z)


@functools.lru_cache(maxsize=16)
def _growth_curve(phenotype):
    """anny's frontal ratio at each age value, for this phenotype with its age varied."""
    b = fit.basis()
    k = b.hm.phenotype_labels.index("age")
    ages = np.linspace(0.0, 1.0, 41)
    ratios = []
    for a in ages:
        p = np.array(phenotype, np.float64)
        p[k] = a
        ratios.append(_ratio(_frontal(b.points(p, np.zeros(b.local.shape[1]), np.zeros(b.expr.shape[1]))))[0])
    return ages, np.array(ratios)


def _irises_trusted(landmarks, diam):
    """Both irises open and of about one size (else mediapipe guessed them)."""
    gaps = [np.linalg.norm(landmarks[u] - landmarks[d]) for u, d in LIDS]
    return min(g / s for g, s in zip(gaps, diam)) >= IRIS_MIN_OPEN and \
        abs(diam[0] - diam[1]) / max(diam) <= IRIS_MAX_DISAGREE


def estimate(fit_result, landmarks_per_photo):
    """The age in years of a young child, from one or several photos, or None (an adult's
    head, or no trustworthy irises). ``fit_result``: the adult fit (fit.FitResult);
    ``landmarks_per_photo``: the detected (478, 2) points of each photo."""
    b = fit.basis()
    p = np.asarray(fit_result.phenotype, np.float64)
    halves = np.asarray(fit.identity_halves(fit_result.local_changes))
    ratios = []
    for landmarks, view in zip(landmarks_per_photo, fit_result.views):
        landmarks = np.asarray(landmarks, np.float64)
        ratio, diam = _ratio(landmarks)
        if _irises_trusted(landmarks, diam) and abs(fit.head_pose_degrees(view.rotation)[0]) <= MAX_YAW_DEG:
            # the photo's ratio as seen from the front: corrected by the fitted model's ratio
            # from the front over its ratio in this photo's pose (both with the photo's
            # expression: an open mouth lengthens the face, which errs towards an adult)
            frontal = _ratio(_frontal(b.points(p, halves, view.facial_actions)))[0]
            ratios.append(ratio * frontal / _ratio(np.asarray(view.landmarks_px, np.float64))[0])
    if not ratios:
        return None
    ratio = float(np.median(ratios))
    # the curve at the fitted gender (it moves the ratio by about 1 from male to female); the
    # other phenotype values barely move it: they stay at anny's middle, so curves are reused
    g = b.hm.phenotype_labels.index("gender")
    key = np.full(len(p), 0.5)
    key[g] = round(float(p[g]), 1)
    ages, curve = _growth_curve(tuple(key))
    if ratio >= np.interp(head_model.anny_age(CHILD_BELOW_YEARS), ages, curve):
        return None
    # the curve rises with age up to adulthood: invert it there
    young = ages <= head_model.anny_age(16.0)
    value = float(np.interp(ratio, curve[young], ages[young]))
    return round(max(head_model.age_years(value), 0.5), 1)
