"""This photo's own colours: a hair mask from Gaussian mixtures of the colour and fine texture
of hair (seeded around the upper face where it is unlike the skin), skin (the upper cheeks),
clothes (the chest) and background (outside the person), refined by cv2.grabCut and kept where
it touches the head. The hair segmenter (core.hair_net) takes it as one of its inputs: the
network, trained on few photos, learns where hair lies around a face and when these colours
mislead; this model knows the colours of the photo in front of it. (It was the whole
segmentation before the network.)
"""
import numpy as np

from .hair import (BROW_L, BROW_R, EYE_L, EYE_R, FACE_OVAL, LIPS, FaceFrame, attached_to_head, poly_mask,
                   person_probability)

WORK_FACE_PX = 80           # face-oval width in the working crop
VIVID_CHROMA = 65.0         # CIELab chroma above which a colour is no hair's
BACKGROUND_FLOOR = 0.05     # the least prior of the background inside the person mask
TEXTURE_SCALE = 3           # hair's texture is measured at up to this many times the crop's size
# upper cheeks and nose (below the eyes, above the mouth): skin that beards and fringes rarely cover
CHEEKS = [116, 117, 118, 119, 120, 121, 128, 245, 193, 168, 417, 465, 357, 350, 349, 348, 347, 346,
          345, 352, 411, 425, 266, 371, 355, 429, 279, 331, 294, 327, 2, 98, 64, 102, 49, 209, 126, 142,
          36, 205, 187, 123]


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
        _, labels, _ = cv2.kmeans(x, k, None, (cv2.TERM_CRITERIA_MAX_ITER, 10, 0), 1,
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


def segment(rgb, landmarks, iterations=2):
    """Hair mask (H, W) bool of the photo ``rgb`` (H, W, 3 uint8) for the face with mediapipe
    ``landmarks`` (478, 2), from this photo's colours alone."""
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
    oval = poly_mask(shape, pts[FACE_OVAL])
    parts = np.zeros(shape, bool)
    for loop in (EYE_L, EYE_R, BROW_L, BROW_R, LIPS):
        parts |= poly_mask(shape, pts[loop])
    k = max(3, round(WORK_FACE_PX * 0.04)) | 1
    parts = cv2.dilate(parts.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    skin = oval & ~parts
    sure_skin = poly_mask(shape, pts[CHEEKS]) & ~parts

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
    if len(skin_px) < 20:                  # the cheeks lie outside the photo: no skin to tell hair from
        return np.zeros((h, w), bool)
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
        hair_mask_crop = attached_to_head(hair_mask_crop, grown & (fc[..., 1] > brow) | skull, k)

    # back to the photo's size
    mask = np.zeros((h, w), bool)
    soft = cv2.resize(hair_mask_crop.astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    mask[y0:y1, x0:x1] = soft > 0.5
    return mask


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


