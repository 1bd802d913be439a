"""Hair in the photo: a segmentation mask and the attributes measured from it.

**Segmentation** (``segment``), in a crop around the head scaled so the face is
about ``WORK_FACE_PX`` wide:

* the person from mediapipe's bundled selfie segmentation (its model ships in
  the wheel; nothing downloads);
* face skin from the landmarks: the face oval without brows, eyes and mouth;
* hair seeds: person pixels around and above the face oval whose colour is
  unlike the face's skin;
* a colour and texture model (Gaussian mixtures in Lab plus fine local contrast) for
  hair against skin and background gives each pixel a hair probability, and
  cv2.grabCut, initialised with the labels from it, refines the boundary; the
  hair is what stays connected to the head inside the person.

**Attributes** (``attributes``) in the photo's own scale (cm from the fitted
camera, or from the iris distance): colour (median, linear and sRGB, de-lit with
the photo's lighting estimate when one is given), length class and length below
the chin, volume above the skull, parting side, fringe, bald / shaved.
"Left" and "right" are the subject's, as in the iBUG scheme.
"""
import dataclasses
import functools

import numpy as np

from . import texture

WORK_FACE_PX = 80           # face-oval width in the working crop
VIVID_CHROMA = 65.0         # CIELab chroma above which a colour is no hair's (see segment)
BACKGROUND_FLOOR = 0.05     # the least prior of the background inside the person mask
TEXTURE_SCALE = 3           # hair's texture is measured at up to this many times the crop's size
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
# upper cheeks and nose (below the eyes, above the mouth): skin that beards and fringes rarely cover
CHEEKS = [116, 117, 118, 119, 120, 121, 128, 245, 193, 168, 417, 465, 357, 350, 349, 348, 347, 346,
          345, 352, 411, 425, 266, 371, 355, 429, 279, 331, 294, 327, 2, 98, 64, 102, 49, 209, 126, 142,
          36, 205, 187, 123]


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


def _poly_mask(shape, pts):
    import cv2
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return m.astype(bool)


def _crop_box(lm, shape):
    """The working crop (x0, y0, x1, y1) around the head: long hair and shoulders included."""
    h, w = shape
    oval = lm[FACE_OVAL]
    fw = np.ptp(oval[:, 0])
    fh = np.ptp(oval[:, 1])
    size = max(fw, fh * 0.8)
    cx = oval[:, 0].mean()
    x0, x1 = cx - 1.8 * size, cx + 1.8 * size
    y0, y1 = oval[:, 1].min() - 1.2 * size, oval[:, 1].max() + 2.2 * size
    return (int(max(x0, 0)), int(max(y0, 0)), int(min(np.ceil(x1), w)), int(min(np.ceil(y1), h)))


class _GMM:
    """A small diagonal Gaussian mixture (k-means start, a few EM rounds)."""

    def __init__(self, x, k=3, rounds=4):
        import cv2
        x = np.asarray(x, np.float32)
        k = max(1, min(k, len(x) // 20))
        _, labels, centres = cv2.kmeans(x, k, None, (cv2.TERM_CRITERIA_MAX_ITER, 10, 0), 1,
                                        cv2.KMEANS_PP_CENTERS)
        resp = np.eye(k, dtype=np.float64)[labels[:, 0]]
        for r in range(rounds + 1):
            nk = resp.sum(0) + 1e-6
            self.weights = nk / nk.sum()
            self.means = (resp.T @ x) / nk[:, None]
            var = (resp.T @ (x.astype(np.float64) ** 2)) / nk[:, None] - self.means ** 2
            self.vars = np.maximum(var, 4.0)
            if r < rounds:
                lp = self._component_logp(x)
                resp = np.exp(lp - lp.max(1, keepdims=True))
                resp /= resp.sum(1, keepdims=True)

    def _component_logp(self, x):
        d = (x[:, None, :] - self.means[None]) ** 2 / self.vars[None]
        return (np.log(self.weights)[None] - 0.5 * d.sum(-1)
                - 0.5 * np.log(2 * np.pi * self.vars).sum(-1)[None])

    def logp(self, x):
        lp = self._component_logp(np.asarray(x, np.float32))
        m = lp.max(1, keepdims=True)
        return (m + np.log(np.exp(lp - m).sum(1, keepdims=True)))[:, 0]


def _features(rgb, fine):
    """Per pixel of the working crop ``rgb``: Lab (OpenCV's 0..255 scales; lightness at half
    weight, as shading changes it most) and the local contrast of lightness (std in 3 x 3) in
    ``fine``, the same crop at TEXTURE_SCALE times the size, averaged back down: strands are
    textured at that scale, skin and most clothes are smooth."""
    import cv2
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    L = cv2.cvtColor(fine, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32)
    mean = cv2.blur(L, (3, 3))
    std = np.sqrt(np.maximum(cv2.blur(L * L, (3, 3)) - mean * mean, 0.0))
    std = cv2.resize(std, rgb.shape[1::-1], interpolation=cv2.INTER_AREA)
    return np.dstack([0.5 * lab[..., 0], lab[..., 1:], std])


@dataclasses.dataclass
class Segmentation:
    mask: np.ndarray            # (H, W) bool, hair, full photo size
    frame: FaceFrame


def segment(rgb, landmarks, iterations=2):
    """Hair mask of the photo ``rgb`` (H, W, 3 uint8) for the face with mediapipe ``landmarks`` (478, 2)."""
    import cv2
    cv2.setRNGSeed(0)          # k-means here and inside grabCut draw from OpenCV's RNG: same photo, same mask
    h, w = rgb.shape[:2]
    lm = np.asarray(landmarks, np.float64)
    x0, y0, x1, y1 = _crop_box(lm, (h, w))
    scale = min(1.0, WORK_FACE_PX / np.ptp(lm[FACE_OVAL, 0]))
    cw, ch = max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale))
    crop = cv2.resize(rgb[y0:y1, x0:x1], (cw, ch), interpolation=cv2.INTER_AREA)
    fs = min(1.0, TEXTURE_SCALE * scale)          # no finer than the photo itself
    fine = cv2.resize(rgb[y0:y1, x0:x1], (max(8, round((x1 - x0) * fs)), max(8, round((y1 - y0) * fs))),
                      interpolation=cv2.INTER_AREA)
    sx, sy = cw / (x1 - x0), ch / (y1 - y0)
    pts = (lm - [x0, y0]) * [sx, sy]
    shape = (ch, cw)

    person = person_probability(crop)
    oval = _poly_mask(shape, pts[FACE_OVAL])
    parts = np.zeros(shape, bool)
    for loop in (EYE_L, EYE_R, BROW_L, BROW_R, LIPS):
        parts |= _poly_mask(shape, pts[loop])
    k = max(3, round(WORK_FACE_PX * 0.04)) | 1
    parts = cv2.dilate(parts.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    skin = oval & ~parts
    sure_skin = _poly_mask(shape, pts[CHEEKS]) & ~parts

    frame = FaceFrame.from_landmarks(pts)
    yy, xx = np.mgrid[0:ch, 0:cw]
    fc = frame.coords(np.stack([xx.ravel(), yy.ravel()], -1)).reshape(ch, cw, 2)
    brow = frame.coords(pts[BROW_L + BROW_R])[:, 1].max()
    chin, top = frame.coords(pts[[152, 10]])[:, 1]
    feats = _features(crop, fine)

    # colour + texture models: skin (upper cheeks), background (outside the person), hair seeds
    # (person pixels around the upper face, outside the oval, unlike the skin)
    grown = cv2.dilate(oval.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    near = (np.abs(fc[..., 0]) < 0.85) & (fc[..., 1] > brow - 0.25) & (fc[..., 1] < brow + 0.75)
    skin_px = feats[sure_skin]
    skin_gmm = _GMM(skin_px, k=2)
    bg_sel = (person < 0.1) & (np.abs(fc[..., 0]) < 1.6)
    bg_gmm = _GMM(feats[bg_sel], k=4) if bg_sel.sum() > 50 else None
    # below the neck, in the middle: clothes or skin, rarely hair (long hair falls at the sides)
    chest = (np.abs(fc[..., 0]) < 0.3) & (fc[..., 1] < chin - 0.5) & (fc[..., 1] > chin - 1.4) & (person > 0.7)
    chest_px = feats[chest]
    # hair is never vivid: copper red reaches a chroma of about 55 at a lightness near 50, dark
    # auburn a chroma of about 1.4 times its lightness; a red hat, lit or in shade, is no hair
    chroma = np.hypot(feats[..., 1] - 128, feats[..., 2] - 128)      # features: 0.5 L, a, b (0..255)
    vivid = (chroma > VIVID_CHROMA) | (chroma > 30) & (chroma > 1.9 * 2 * feats[..., 0] / 2.55)
    seed = near & (person > 0.7) & ~grown & ~vivid
    seed_px = feats[seed]
    skin_lp_seed = skin_gmm.logp(seed_px) if len(seed_px) else np.zeros(0)
    skin_floor = np.percentile(skin_gmm.logp(skin_px), 5)
    unlike_skin = skin_lp_seed < skin_floor - 2.0
    hair_mask_crop = np.zeros(shape, bool)
    if unlike_skin.sum() >= max(30, 0.01 * oval.sum()):
        hair_gmm = _GMM(seed_px[unlike_skin], k=3)
        # the clothes' model learns only from chest pixels unlike the hair: long hair falling
        # over the chest would otherwise teach it the hair's colours
        hair_floor = np.percentile(hair_gmm.logp(seed_px[unlike_skin]), 10)
        chest_px = chest_px[hair_gmm.logp(chest_px) < hair_floor] if len(chest_px) else chest_px
        chest_gmm = _GMM(chest_px, k=3) if len(chest_px) > 50 else None
        zone = (np.abs(fc[..., 0]) < 1.5) & (fc[..., 1] > chin - 1.6) & (person > 0.3)
        zf = feats[zone]
        lh = hair_gmm.logp(zf)
        other = [skin_gmm.logp(zf)]
        if chest_gmm is not None:
            other.append(chest_gmm.logp(zf))
        if bg_gmm is not None:          # the person mask says where the background can be: dark hair
            # against a dark background (or any hair in a greyscale photo) is told apart by it
            other.append(bg_gmm.logp(zf) + np.log(np.clip(1.0 - person[zone], BACKGROUND_FLOOR, 1.0)))
        # prior: hair is likely around the head, less so further below the chin
        below = np.clip((chin + 0.1 - fc[..., 1][zone]) / 1.2, 0.0, 0.9)
        lo = np.max(other, axis=0) - np.log1p(-below)
        p_hair = np.zeros(shape, np.float32)
        p_hair[zone] = 1.0 / (1.0 + np.exp(np.clip(lo - lh, -30, 30)))

        gc = np.full(shape, cv2.GC_PR_BGD, np.uint8)
        strict = np.zeros(shape, np.float32)          # below the chin, hair must be more certain
        strict[zone] = below
        gc[zone & (p_hair > 0.5 + 0.2 * strict)] = cv2.GC_PR_FGD
        sure_hair = seed & (p_hair > 0.9)
        sure_hair[seed] &= unlike_skin
        gc[sure_hair] = cv2.GC_FGD
        sure_bg = (cv2.erode((person > 0.15).astype(np.uint8), np.ones((k, k), np.uint8)) == 0)
        sure_bg |= ~((np.abs(fc[..., 0]) < 1.5) & (fc[..., 1] > chin - 1.6))
        inner = cv2.erode(skin.astype(np.uint8), np.ones((2 * k + 1, 2 * k + 1), np.uint8)).astype(bool)
        sure_bg |= inner & (fc[..., 1] < brow) | sure_skin
        gc[sure_bg] = cv2.GC_BGD
        _grabcut(crop, gc, iterations)
        hair_mask_crop = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)) & (person > 0.3) & ~vivid
        # the head: the face's upper rim and the skull above it (a fringe taken for skin would
        # otherwise cut the hair above it off)
        rise = 0.3 * (top - chin)
        skull = (fc[..., 1] > top) & ((fc[..., 0] / 0.5) ** 2 + ((fc[..., 1] - top) / rise) ** 2 < 1.0)
        hair_mask_crop = _attached_to_head(hair_mask_crop, grown & (fc[..., 1] > brow) | skull, k)

    # back to the photo's size
    mask = np.zeros((h, w), bool)
    soft = cv2.resize(hair_mask_crop.astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    mask[y0:y1, x0:x1] = soft > 0.5
    return Segmentation(mask, FaceFrame.from_landmarks(lm))


def _grabcut(crop, gc, iterations):
    """cv2.grabCut on the box around the undecided pixels (labels ``gc`` updated in place)."""
    import cv2
    ys, xs = np.nonzero(gc != cv2.GC_BGD)
    if not len(ys) or not (gc == cv2.GC_FGD).any() or not (gc == cv2.GC_BGD).any():
        return
    pad = 4
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, gc.shape[0])
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, gc.shape[1])
    sub = np.ascontiguousarray(gc[y0:y1, x0:x1])
    if (sub == cv2.GC_BGD).any():
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.grabCut(np.ascontiguousarray(crop[y0:y1, x0:x1, ::-1]), sub, None, bgd, fgd, iterations,
                    cv2.GC_INIT_WITH_MASK)
        gc[y0:y1, x0:x1] = sub


def _attached_to_head(mask, head, k):
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

    def to_report(self):
        r = lambda v: round(float(v), 3)
        return {"colour_linear": [r(c) for c in self.colour_linear], "colour_srgb": self.colour_srgb,
                "colour_delit": bool(self.delit), "length": self.length,
                "length_below_chin_cm": r(self.length_below_chin_cm), "length_cut_off": bool(self.length_cut_off),
                "volume_cm": r(self.volume_cm), "volume_cut_off": bool(self.volume_cut_off),
                "parting": self.parting, "fringe": r(self.fringe), "scalp_coverage": r(self.scalp_coverage),
                "bald": bool(self.bald), "shaved": bool(self.shaved), "area_px": int(self.area_px)}


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
    forehead = _poly_mask((h, w), lm[FOREHEAD])
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
        else (0.0, 0.0, 0.0)
    # little hair seen on the scalp is not enough: the head's top may be cropped off or the
    # segmentation thin there; hair standing above the skull or falling to the chin is hair
    bald = coverage < BALD_COVERAGE and fringe < 0.3 and volume < SHAVED_VOLUME_CM and length in LENGTH_CLASSES[:2]
    shaved = not bald and volume < SHAVED_VOLUME_CM and length == "above the ears"
    parting = "none" if bald else _parting(g, sub, brow, skull)
    return HairAttributes(colour, _hex(colour), False, length, float(below_chin), length_cut, float(volume),
                          volume_cut, parting, fringe, coverage, bald, shaved, int(seg.mask.sum()))


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


def analyse(rgb, landmarks, cm_per_px=None, skull_top_px=None):
    """Segment the hair and measure it: (Segmentation, HairAttributes)."""
    seg = segment(rgb, landmarks)
    return seg, attributes(seg, rgb, landmarks, cm_per_px, skull_top_px)
