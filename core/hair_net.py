"""The hair segmenter: a small convolutional network of our own (models/hair_segmenter.onnx,
trained by models/train_hair_segmenter.py) run with OpenCV's dnn module on the CPU.

It sees the head in a crop aligned with the face (upright, the face oval ``PX_PER_FACE``
pixels wide, the same place in every crop), as ``CHANNELS`` channels: the colour, mediapipe's
person probability, the face oval from the landmarks, the crop's own coordinates (where hair
can be relative to the face), where the crop lies inside the photo, colour distances, and the
colour model's mask (core/hair_colour.py). It returns the hair probability at half the crop's
size with the affine that lays it back onto the photo (``to_photo``).
"""
import functools
import os

import numpy as np

MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models",
                     "hair_segmenter.onnx")
INPUT_W, INPUT_H = 256, 320      # the crop the network sees
PX_PER_FACE = 75.0               # the face oval's width in the crop
LEFT, TOP = 1.7, 1.55            # face widths from the oval's centre to the crop's left and top edges
OUTPUT_STRIDE = 2                # the network answers at half the crop's size
PAD = 64                         # mediapipe's person mask is taken on the crop with this margin
CHANNELS = ("red", "green", "blue", "person", "face oval", "across", "up", "inside photo", "unlike the skin",
            "unlike above the forehead", "unlike the background", "fine texture", "colour model")
SKIN_POINTS = [205, 425, 50, 280, 118, 347]   # mediapipe points on the cheeks


def crop_matrix(landmarks, width=INPUT_W, height=INPUT_H, left=LEFT, top=TOP, px_per_face=PX_PER_FACE):
    """2 x 3 affine from crop pixels (x right, y down) to photo pixels, for mediapipe
    ``landmarks`` (478, 2): the crop is upright in the face's own axes."""
    from .hair import FaceFrame
    fr = FaceFrame.from_landmarks(np.asarray(landmarks, np.float64))
    step = fr.width / px_per_face                     # photo pixels per crop pixel
    a, b = step * fr.right, -step * fr.up
    c = fr.centre + fr.width * (top * fr.up - left * fr.right) + 0.5 * (a + b)
    return np.array([[a[0], b[0], c[0]], [a[1], b[1], c[1]]])


def wide_matrix(landmarks):
    """crop_matrix for the crop with a margin of PAD pixels all round."""
    return crop_matrix(landmarks, INPUT_W + 2 * PAD, INPUT_H + 2 * PAD, LEFT + PAD / PX_PER_FACE,
                       TOP + PAD / PX_PER_FACE)


def warp_photo(rgb, matrix, size, extra=()):
    """The photo (and ``extra`` photo-sized float maps) seen through ``matrix`` (crop -> photo)
    at ``size`` (w, h), with a map of where the crop lies inside the photo. The photo is first
    shrunk by area averaging when the crop is coarser than it (no aliasing on big photos)."""
    import cv2
    # only the part of the photo the crop sees
    corners = np.array([[0, 0], [size[0], 0], [0, size[1]], [size[0], size[1]]], np.float64) - 0.5
    box = corners @ matrix[:, :2].T + matrix[:, 2]
    x0, y0 = np.clip(np.floor(box.min(0)).astype(int) - 2, 0, rgb.shape[1::-1])
    x1, y1 = np.clip(np.ceil(box.max(0)).astype(int) + 3, 0, rgb.shape[1::-1])
    if x1 <= x0 or y1 <= y0:
        x0, y0, x1, y1 = 0, 0, 1, 1
    rgb = rgb[y0:y1, x0:x1]
    extra = [e[y0:y1, x0:x1] for e in extra]
    matrix = matrix.copy()
    matrix[:, 2] -= (x0, y0)
    h, w = rgb.shape[:2]
    shrink = min(1.0, 1.0 / max(np.hypot(*matrix[:, 0]), 1e-9))
    m = matrix.copy()
    if shrink < 0.9:
        sw, sh = max(1, round(w * shrink)), max(1, round(h * shrink))
        rgb = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
        extra = [cv2.resize(e, (sw, sh), interpolation=cv2.INTER_AREA) for e in extra]
        m = np.diag([sw / w, sh / h]) @ matrix
        m[:, 2] += 0.5 * np.array([sw / w, sh / h]) - 0.5
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    crop = cv2.warpAffine(rgb, m, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))
    inside = cv2.warpAffine(np.ones(rgb.shape[:2], np.float32), m, size, flags=flags,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    extra = [cv2.warpAffine(e, m, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
             for e in extra]
    return crop, inside, extra


def face_oval(landmarks_crop, size):
    """(h, w) float32: 1 inside the face oval (crop coordinates)."""
    import cv2
    from .hair import FACE_OVAL
    m = np.zeros(size[::-1], np.uint8)
    cv2.fillPoly(m, [np.round(np.asarray(landmarks_crop)[FACE_OVAL] * 16).astype(np.int32)], 1,
                 lineType=cv2.LINE_AA, shift=4)
    return m.astype(np.float32)


def coordinates(size=(INPUT_W, INPUT_H)):
    """(2, h, w): the crop's coordinates in face widths from the oval's centre, scaled to
    about -1..1: across (to the subject's left) and up."""
    w, h = size
    x = ((np.arange(w) + 0.5) / PX_PER_FACE - LEFT) / LEFT
    y = (TOP - (np.arange(h) + 0.5) / PX_PER_FACE) / 2.0
    return np.stack(np.broadcast_arrays(x[None, :], y[:, None])).astype(np.float32)


def channels(crop_rgb, person, landmarks_crop, inside, colour_model):
    """(CHANNELS, h, w) float32 network input from the crop's parts (``landmarks_crop``: the
    face's landmarks in crop pixels). Besides the colour, each pixel's colour distance to the
    face's skin, to what lies just above the forehead (hair, or a bald scalp) and to the
    background, and ``colour_model`` (core.hair_colour's mask from the colours) tell the network
    this photo's own colours, which few training photos could."""
    import cv2
    h, w = crop_rgb.shape[:2]
    lm = np.asarray(landmarks_crop, np.float64)
    lab = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 0.5                                 # lightness varies most with the light
    skin = np.zeros((h, w), np.uint8)
    for x, y in lm[SKIN_POINTS]:
        cv2.circle(skin, (int(round(x)), int(round(y))), int(0.06 * PX_PER_FACE), 1, -1)
    skin = skin.astype(bool)
    (x0, y0), d = lm[10], PX_PER_FACE
    above = np.zeros((h, w), bool)
    above[max(0, int(y0 - 0.4 * d)):max(0, int(y0 - 0.08 * d)), max(0, int(x0 - 0.35 * d)):max(0, int(x0 + 0.35 * d))] = True
    above &= person > 0.5
    background = (person < 0.15) & (inside > 0.5)
    refs = []
    for region, fallback in ((skin, None), (above, skin), (background, inside < 0.5)):
        if region.sum() < 20 and fallback is not None:
            region = fallback
        refs.append(np.median(lab[region], 0) if region.sum() >= 20 else np.full(3, np.inf, np.float32))
    dist = [np.minimum(np.linalg.norm(lab - ref, axis=-1) / 60.0, 3.0) for ref in refs]
    L = lab[..., 0]
    mean = cv2.blur(L, (3, 3))
    texture = np.sqrt(np.maximum(cv2.blur(L * L, (3, 3)) - mean * mean, 0.0)) / 10.0
    rgb = np.moveaxis(crop_rgb.astype(np.float32) / 255.0 - 0.5, -1, 0)
    oval = face_oval(lm, (w, h))
    return np.concatenate([rgb, person[None], oval[None], coordinates((w, h)), inside[None],
                           np.stack(dist), texture[None], colour_model[None]]).astype(np.float32)


def to_crop(points, matrix):
    """Photo points (N, 2) -> crop pixels through the inverse of ``matrix``."""
    import cv2
    inv = cv2.invertAffineTransform(matrix)
    return np.asarray(points, np.float64) @ inv[:, :2].T + inv[:, 2]


@functools.lru_cache(maxsize=1)
def _net():
    import cv2
    if not os.path.exists(MODEL):
        from .errors import LikenessError
        raise LikenessError(f"The hair segmenter's model is missing ({MODEL}); reinstall Likeness.")
    return cv2.dnn.readNetFromONNX(MODEL)


def run(inputs):
    """Hair logits (h / OUTPUT_STRIDE, w / OUTPUT_STRIDE) for one input (CHANNELS, h, w)."""
    net = _net()
    net.setInput(np.ascontiguousarray(inputs[None]))
    return net.forward()[0, 0]


def predict(rgb, landmarks, person_probability):
    """The network's hair probability (INPUT_H / OUTPUT_STRIDE, INPUT_W / OUTPUT_STRIDE) float32
    for the face with mediapipe ``landmarks`` in the photo ``rgb``, the 2 x 3 affine from its
    pixels to the photo's, and the colour model's mask over the whole photo;
    ``person_probability(rgb_crop) -> (h, w)`` is mediapipe's person mask."""
    from . import hair_colour
    by_colour = hair_colour.segment(rgb, landmarks).astype(np.float32)
    wide, inside, (colour_model,) = warp_photo(rgb, wide_matrix(landmarks), (INPUT_W + 2 * PAD, INPUT_H + 2 * PAD),
                                               extra=[by_colour])
    person = person_probability(wide)
    centre = np.s_[PAD:PAD + INPUT_H, PAD:PAD + INPUT_W]
    m = crop_matrix(landmarks)
    logits = run(channels(wide[centre], person[centre], to_crop(landmarks, m), inside[centre], colour_model[centre]))
    prob = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
    s = OUTPUT_STRIDE                      # output pixel q covers crop pixels s*q .. s*q + s - 1
    return (prob.astype(np.float32), m @ np.array([[s, 0, 0.5 * (s - 1)], [0, s, 0.5 * (s - 1)], [0, 0, 1]]),
            by_colour > 0.5)


def output_coordinates():
    """(2, h, w) face coordinates (face widths: across, up from the oval's centre) of the
    network's output pixels."""
    s = OUTPUT_STRIDE
    x = (s * np.arange(INPUT_W // s) + 0.5 * s) / PX_PER_FACE - LEFT
    y = TOP - (s * np.arange(INPUT_H // s) + 0.5 * s) / PX_PER_FACE
    return np.stack(np.broadcast_arrays(x[None, :], y[:, None]))


def to_photo(values, matrix, shape):
    """A map over the network's output (float32) laid onto the photo (``shape`` (H, W)) through
    ``matrix`` (output pixels -> photo pixels); 0 outside it."""
    import cv2
    h, w = shape
    oh, ow = values.shape
    corners = np.array([[0, 0], [ow, 0], [0, oh], [ow, oh]]) - 0.5
    box = corners @ matrix[:, :2].T + matrix[:, 2]
    x0, y0 = np.clip(np.floor(box.min(0)).astype(int), 0, [w, h])
    x1, y1 = np.clip(np.ceil(box.max(0)).astype(int) + 1, 0, [w, h])
    out = np.zeros((h, w), np.float32)
    if x1 > x0 and y1 > y0:
        shifted = matrix.copy()
        shifted[:, 2] -= (x0, y0)
        out[y0:y1, x0:x1] = cv2.warpAffine(values.astype(np.float32), shifted, (int(x1 - x0), int(y1 - y0)),
                                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return out
