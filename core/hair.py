"""Hair in the photo: a segmentation mask and the attributes measured from it.

**Segmentation** (``segment``): our own small network (core/hair_net.py, trained on
hand-drawn masks by models/train_hair_segmenter.py) gives each pixel of a face-aligned crop a
hair probability; the hair is what is more likely than not and touches the head.

**Attributes** (``attributes``) in the photo's own scale (cm from the fitted
camera, or from the iris distance): colour (median, linear and sRGB, de-lit with
the photo's lighting estimate when one is given), length class and length below
the chin, volume above the skull, parting side, fringe, bald / shaved, curl (core/hair_curl.py),
whether the photo is colourless (then the colour is a neutral guess), and whether the photo
says too little about the hair (weak evidence: a plausible style is grown, with a warning).
"Left" and "right" are the subject's, as in the iBUG scheme.
"""
import dataclasses
import functools

import numpy as np

from . import hair_curl, hair_net, texture

IRIS_DISTANCE_CM = 6.3      # adult mean, for the scale when no fitted camera is given

# mediapipe face-mesh loops (indices into the 478 points)
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
EYE_R = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
EYE_L = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
BROW_R = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46]
BROW_L = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]
LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
# the forehead: the oval above the brows, closed along the brows' upper edges
FOREHEAD = [10, 338, 297, 332, 284, 251, 389, 300, 293, 334, 296, 336, 9, 107, 66, 105, 63, 70,
            162, 21, 54, 103, 67, 109]


@functools.lru_cache(maxsize=1)
def _selfie():
    import mediapipe as mp
    return mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)


def person_probability(rgb):
    """Probability (H, W) float32 that a pixel belongs to a person (mediapipe selfie segmentation)."""
    res = _selfie().process(np.ascontiguousarray(rgb))
    return np.asarray(res.segmentation_mask, np.float32)


@dataclasses.dataclass
class FaceFrame:
    """The face's own axes in the photo: ``up`` from chin to forehead, ``right`` towards the
    subject's left (image right for a frontal face); ``width`` the face oval's width in pixels."""
    centre: np.ndarray
    up: np.ndarray
    right: np.ndarray
    width: float

    @classmethod
    def from_landmarks(cls, lm):
        up = lm[10] - lm[152]
        up = up / np.linalg.norm(up)
        right = np.array([-up[1], up[0]])
        if right @ (lm[263] - lm[33]) < 0:
            right = -right
        oval = lm[FACE_OVAL]
        width = float(np.ptp((oval - lm[FACE_OVAL].mean(0)) @ right))
        return cls(lm[FACE_OVAL].mean(0), up, right, width)

    def coords(self, pts):
        """(N, 2) pixels -> (N, 2) face coordinates (right, up) in face widths."""
        d = np.asarray(pts, np.float64) - self.centre
        return np.stack([d @ self.right, d @ self.up], -1) / self.width


def poly_mask(shape, pts):
    import cv2
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return m.astype(bool)


HEAD_CENTRE, HEAD_RADII = (0.0, 0.3), (0.8, 1.05)   # the skull around the face, in face widths


@dataclasses.dataclass
class Segmentation:
    mask: np.ndarray            # (H, W) bool, hair, full photo size
    frame: FaceFrame
    probability: np.ndarray = None   # the network's hair probability in its face-aligned output
    hair: np.ndarray = None          # the hair kept there (bool), as the mask is on the photo
    to_photo: np.ndarray = None      # 2 x 3 affine from that output's pixels to the photo's


def segment(rgb, landmarks):
    """Hair mask of the photo ``rgb`` (H, W, 3 uint8) for the face with mediapipe ``landmarks``
    (478, 2): the network's (core.hair_net) hair where it is more likely than not, in regions
    that touch the head (not a second person's hair, not the background)."""
    import cv2
    prob, matrix, by_colour = hair_net.predict(rgb, landmarks, person_probability)
    fc = hair_net.output_coordinates()
    head = ((fc[0] - HEAD_CENTRE[0]) / HEAD_RADII[0]) ** 2 + ((fc[1] - HEAD_CENTRE[1]) / HEAD_RADII[1]) ** 2 < 1.0
    keep = attached_to_head(prob > 0.5, head, 1)
    near = cv2.dilate(keep.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    kept = np.where(keep, np.maximum(prob, 0.51), np.where(near, prob, 0.0)).astype(np.float32)  # holes filled
    mask = hair_net.to_photo(kept, matrix, rgb.shape[:2]) > 0.5
    # outside the network's crop (hair longer than it reaches) the colours alone decide
    seen = hair_net.to_photo(np.ones_like(prob), matrix, rgb.shape[:2]) > 0.5
    mask |= by_colour & ~seen
    return Segmentation(mask, FaceFrame.from_landmarks(np.asarray(landmarks, np.float64)), prob, keep, matrix)


def attached_to_head(mask, head, k):
    """Keep the hair regions that touch ``head`` (the upper face's rim and the skull); fill small holes."""
    import cv2
    touch = cv2.dilate(head.astype(np.uint8), np.ones((3 * k, 3 * k), np.uint8)).astype(bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[touch & mask])] = True
    keep[0] = False
    keep &= stats[:, cv2.CC_STAT_AREA] >= 0.002 * mask.size
    out = keep[labels]
    holes = ~out
    n, labels, stats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    small = stats[:, cv2.CC_STAT_AREA] < 0.001 * mask.size
    small[0] = False
    return out | small[labels] & holes


# ---------------------------------------------------------------------------------------------
# attributes

LENGTH_CLASSES = ("none", "above the ears", "to the chin", "to the shoulders", "longer")
CHIN_MARGIN_CM = 2.0        # hair ending this far below the chin still counts as "to the chin"
SHOULDER_CM = 15.0          # ... and this far below as "to the shoulders"
BALD_COVERAGE = 0.15        # share of the scalp band (seen from the camera) that hair covers, below: bald
SHAVED_VOLUME_CM = 1.0


@dataclasses.dataclass
class HairAttributes:
    colour_linear: tuple        # median linear RGB 0..1 (de-lit when ``delit``)
    colour_srgb: str            # the same as an sRGB hex string
    delit: bool
    length: str                 # one of LENGTH_CLASSES
    length_below_chin_cm: float  # how far the hair reaches below the chin (negative: above it)
    length_cut_off: bool        # the hair reaches the photo's edge: it may be longer
    volume_cm: float            # hair above the skull's top, from the silhouette
    volume_cut_off: bool        # the hair reaches the photo's top edge
    parting: str                # "left", "centre", "right" (the subject's) or "none"
    fringe: float               # share of the forehead covered by hair
    scalp_coverage: float       # share of the scalp (as seen) covered by hair
    bald: bool
    shaved: bool
    area_px: int
    curl: str = "straight"      # one of core.hair_curl.CLASSES
    curl_coherence: float = 1.0  # how well the strands' directions agree (1: straight)
    greyscale: bool = False     # the photo has no colour: the colour is a neutral guess
    weak_evidence: bool = False  # the photo says little about the hair: a plausible style instead
    warnings: tuple = ()

    def to_report(self):
        r = lambda v: round(float(v), 3)
        return {"colour_linear": [r(c) for c in self.colour_linear], "colour_srgb": self.colour_srgb,
                "colour_delit": bool(self.delit), "length": self.length,
                "length_below_chin_cm": r(self.length_below_chin_cm), "length_cut_off": bool(self.length_cut_off),
                "volume_cm": r(self.volume_cm), "volume_cut_off": bool(self.volume_cut_off),
                "parting": self.parting, "fringe": r(self.fringe), "scalp_coverage": r(self.scalp_coverage),
                "bald": bool(self.bald), "shaved": bool(self.shaved), "area_px": int(self.area_px),
                "curl": self.curl, "curl_coherence": r(self.curl_coherence), "greyscale_photo": bool(self.greyscale),
                "weak_evidence": bool(self.weak_evidence), "warnings": list(self.warnings)}


def _hex(linear):
    return "#" + "".join(f"{int(round(v * 255)):02x}" for v in texture.linear_to_srgb(np.asarray(linear)))


def attributes(seg, rgb, landmarks, cm_per_px=None, skull_top_px=None):
    """HairAttributes from a Segmentation. ``cm_per_px``: the scale at the face (from the fitted
    camera; else from the iris distance); ``skull_top_px``: the fitted skull's top in the photo
    (else estimated from the face's height)."""
    import cv2
    lm = np.asarray(landmarks, np.float64)
    fr = seg.frame
    h, w = seg.mask.shape
    if cm_per_px is None:
        cm_per_px = IRIS_DISTANCE_CM / max(np.linalg.norm(lm[468] - lm[473]), 1.0)
    fw_cm = fr.width * cm_per_px
    key = fr.coords(lm[[152, 10, 2]])[:, 1]
    chin, top, nose_base = key
    brow = fr.coords(lm[BROW_L + BROW_R])[:, 1].max()
    skull = fr.coords(np.asarray(skull_top_px, np.float64)[None])[0, 1] if skull_top_px is not None \
        else chin + 1.3 * (top - chin)

    ys, xs = np.nonzero(seg.mask)
    step = max(1, len(ys) // 200_000)
    ys, xs = ys[::step], xs[::step]
    c = fr.coords(np.stack([xs, ys], -1)) if len(ys) else np.zeros((0, 2))
    forehead = poly_mask((h, w), lm[FOREHEAD])
    fringe = float(seg.mask[forehead].mean()) if forehead.any() else 0.0

    # the scalp band as the camera sees it: from the forehead's top to the skull's top
    yy, xx = np.mgrid[0:h:2, 0:w:2]
    g = fr.coords(np.stack([xx.ravel(), yy.ravel()], -1))
    band = (np.abs(g[:, 0]) < 0.35) & (g[:, 1] > top) & (g[:, 1] < skull)
    sub = seg.mask[::2, ::2].ravel()
    coverage = float(sub[band].mean()) if band.any() else 0.0

    crown = c[np.abs(c[:, 0]) < 0.25]
    volume = max(0.0, (crown[:, 1].max() - skull) * fw_cm) if len(crown) else 0.0
    lateral = c[np.abs(c[:, 0]) < 1.2]
    lowest = lateral[:, 1].min() if len(lateral) else top
    below_chin = (chin - lowest) * fw_cm
    if not len(c):
        length = "none"
    elif lowest > nose_base:
        length = "above the ears"
    elif below_chin <= CHIN_MARGIN_CM:
        length = "to the chin"
    elif below_chin <= SHOULDER_CM:
        length = "to the shoulders"
    else:
        length = "longer"
    edge = np.zeros((h, w), bool)
    edge[-2:], edge[:2], edge[:, :2], edge[:, -2:] = True, True, True, True
    touches = seg.mask & edge
    ty, tx = np.nonzero(touches)
    tc = fr.coords(np.stack([tx, ty], -1)) if len(ty) else np.zeros((0, 2))
    length_cut = bool(len(tc) and (tc[:, 1] < chin).any() and length in ("to the shoulders", "longer"))
    volume_cut = bool(len(tc) and (tc[:, 1] > brow).any() and (np.abs(tc[:, 0]) < 0.5).any())

    # colour: median of the hair's inner pixels (edges mix with the background)
    k = max(3, int(fr.width * 0.03)) | 1
    inner = cv2.erode(seg.mask.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    if inner.sum() < 50:
        inner = seg.mask
    px = rgb[inner][::max(1, int(inner.sum()) // 100_000)]
    colour = tuple(float(v) for v in np.median(texture.srgb_to_linear(px / 255.0), axis=0)) if len(px) \
        else UNSEEN_COLOUR
    warnings = []
    grey = _colourless(rgb)
    if grey:
        colour = _neutral(colour)
        warnings.append("The photo has no colour: the hair's colour is a neutral guess from its lightness; "
                        "change it on the avatar's hair material.")
    # little hair seen on the scalp is not enough: the head's top may be cropped off or the
    # segmentation thin there; hair standing above the skull or falling to the chin is hair
    bald = coverage < BALD_COVERAGE and fringe < 0.3 and volume < SHAVED_VOLUME_CM and length in LENGTH_CLASSES[:2]
    weak = _weak_evidence(seg, rgb, lm, fr, (top, skull), bald, warnings)
    if weak:
        bald = False
    shaved = not bald and volume < SHAVED_VOLUME_CM and length == "above the ears"
    parting = "none" if bald else _parting(g, sub, brow, skull)
    curl, coherence, reliable = hair_curl.measure(rgb, seg)
    if not reliable or length == "above the ears" and curl != "coily":
        curl = "straight"
    return HairAttributes(colour, _hex(colour), False, length, float(below_chin), length_cut, float(volume),
                          volume_cut, parting, fringe, coverage, bald, shaved, int(seg.mask.sum()),
                          curl, coherence, grey, weak, tuple(warnings))


UNSEEN_COLOUR = (0.06, 0.035, 0.02)  # linear RGB of a mid-dark brown, for hair the photo does not show
GREY_CHROMA = 4.0              # CIELab chroma (0..255 scales) under which a photo is colourless
NEUTRAL_HAIR = (1.0, 0.72, 0.5)  # linear RGB proportions of a neutral, mid-brown hair


def _colourless(rgb):
    """A black-and-white (or toned) photo: its colours barely vary around one hue."""
    import cv2
    small = rgb[::max(1, rgb.shape[0] // 200), ::max(1, rgb.shape[1] // 200)]
    ab = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2LAB)[..., 1:].reshape(-1, 2).astype(np.float32)
    return bool(np.percentile(np.linalg.norm(ab - np.median(ab, 0), axis=1), 95) < GREY_CHROMA)


def _neutral(colour):
    """NEUTRAL_HAIR at the luminance of ``colour`` (linear RGB)."""
    lum = float(np.asarray(colour) @ texture.LUMA)
    base = np.asarray(NEUTRAL_HAIR)
    return tuple(float(v) for v in np.clip(base * lum / (base @ texture.LUMA), 0.0, 1.0))


UNSURE_BELOW = 0.72            # the network's mean probability over the hair it found, below: unclear
SPRAWL_FACES = 1.3             # hair this many face widths to the side, above the chin: background
SPRAWL_SHARE = 0.15            # ... on more than this share of the hair
COVERED_SKIN = 0.4             # share of the scalp band like the face's skin, below: something covers it


def _weak_evidence(seg, rgb, lm, fr, top_skull, bald, warnings):
    """Whether the photo says too little about the hair to grow it as measured (a plausible
    style is grown instead), with the reasons added to ``warnings``."""
    if seg.probability is None:
        return False
    hair_px = int(seg.hair.sum())
    reasons = []
    if hair_px and float(seg.probability[seg.hair].mean()) < UNSURE_BELOW:
        reasons.append("the hair's outline is unclear")
    ys, xs = np.nonzero(seg.mask)
    step = max(1, len(ys) // 50_000)
    c = fr.coords(np.stack([xs[::step], ys[::step]], -1)) if len(ys) else np.zeros((0, 2))
    if len(c) and ((np.abs(c[:, 0]) > SPRAWL_FACES) & (c[:, 1] > -0.6)).mean() > SPRAWL_SHARE:
        reasons.append("hair-like background beside the head")
    top, skull = top_skull
    h, w = seg.mask.shape
    above = fr.centre + fr.up * fr.width * (0.5 * (top + skull))
    cut = not (0 <= above[0] < w and 0 <= above[1] < h)
    if bald and cut:
        reasons.append("the photo cuts off the top of the head")
    elif bald and not _skin_on_scalp(rgb, lm, fr, top, skull):
        reasons.append("something covers the head (a hat or a hood?)")
    if reasons:
        warnings.append("Little evidence of the hair in the photo (" + "; ".join(reasons) + "): a plausible "
                        "style was grown; choose another under Hair Style.")
    return bool(reasons)


def _skin_on_scalp(rgb, lm, fr, top, skull):
    """The scalp above the forehead looks like the face's skin (a bald head, not a hat)."""
    import cv2
    cheeks = lm[hair_net.SKIN_POINTS]
    skin = np.median([rgb[int(np.clip(y, 0, rgb.shape[0] - 1)), int(np.clip(x, 0, rgb.shape[1] - 1))]
                      for x, y in cheeks], 0).astype(np.uint8)
    pts = [fr.centre + fr.width * (a * fr.right + b * fr.up)
           for a in np.linspace(-0.25, 0.25, 7) for b in np.linspace(top + 0.05, 0.5 * (top + skull), 5)]
    pts = [(int(round(y)), int(round(x))) for x, y in pts if 0 <= x < rgb.shape[1] and 0 <= y < rgb.shape[0]]
    if not pts:
        return True
    lab = cv2.cvtColor(np.array([[rgb[y, x] for y, x in pts] + [skin]], np.uint8), cv2.COLOR_RGB2LAB)[0].astype(float)
    d = np.linalg.norm(lab[:-1] - lab[-1], axis=1)
    return bool((d < 25).mean() > COVERED_SKIN)


def _parting(g, hair, brow, skull):
    """Parting side from the hair's cover of the forehead and scalp, column by column: a centre
    parting shows as a gap in the middle, a side parting as less hair on its side (the hair is
    swept over to the other). ``g``: face coordinates of every other pixel, ``hair``: the mask there."""
    band = (g[:, 1] > brow) & (g[:, 1] < skull) & (np.abs(g[:, 0]) < 0.4)
    if band.sum() < 50:
        return "none"
    col = np.clip(((g[band, 0] + 0.4) / 0.8 * 20).astype(int), 0, 19)
    prof = np.bincount(col, hair[band], 20) / np.maximum(np.bincount(col, None, 20), 1)
    right, centre, left = prof[:8].mean(), prof[8:12].mean(), prof[12:].mean()
    if prof.mean() < 0.2:
        return "none"
    if centre < min(left, right) - 0.1:
        return "centre"
    if right < left - 0.12:
        return "right"
    if left < right - 0.12:
        return "left"
    return "none"


def relative_shading(lighting_sh, hair_normals, skin_normals):
    """The photo's grey irradiance (texture's SH estimate) on the hair's normals relative to
    its mean over the skin: what the hair's colour is divided by to take the lighting out."""
    grey = texture.grey_irradiance
    return float(np.mean(grey(lighting_sh, hair_normals)) / max(np.mean(grey(lighting_sh, skin_normals)), 1e-6))


def delight(attrs, shading):
    """``attrs`` with the colour divided by the relative shading (as the skin's albedo is)."""
    s = max(shading, texture.SHADING_FLOOR) ** texture.DELIGHT_STRENGTH
    colour = tuple(float(v) for v in np.clip(np.asarray(attrs.colour_linear) / s, 0.0, 1.0))
    return dataclasses.replace(attrs, colour_linear=colour, colour_srgb=_hex(colour), delit=True)


