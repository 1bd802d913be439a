"""A painted albedo for characters without a photo (crowd variants).

The skin tone is laid on the texture atlas with low-frequency mottling and fine
grain; lips, cheeks and brows are placed from mediapipe's points on the
character's own head (``correspondence.surface_points``), seen from the front;
the eyes are painted as for a photo avatar (``texture._paint_eye_windows``).
"""
import numpy as np

from . import correspondence, texture
from .hair import BROW_L, BROW_R, LIPS

LIP_TINT = np.array([0.80, 0.50, 0.52])      # lips relative to the skin (linear)
CHEEK_TINT = np.array([1.03, 0.93, 0.93])
BROW_OPACITY = 0.75
CHEEK_POINTS = (205, 425)                    # mediapipe's cheek centres
CHEEK_RADIUS_M = 0.022
FRONT_MM = 0.5                               # raster step of the frontal region masks
MOTTLE = 0.05                                # low-frequency tone variation
GRAIN = 0.025                                # fine variation


def _frontal_masks(points, positions, front):
    """Soft masks of lips and brows at the texels' ``positions`` (N, 3), from the frontal
    outlines of mediapipe ``points`` (478, 3); only texels on the ``front`` of the face."""
    import cv2
    lo = points[:, [0, 2]].min(0) - 0.02
    hi = points[:, [0, 2]].max(0) + 0.02
    step = FRONT_MM / 1000.0
    shape = tuple(int(v) for v in np.ceil((hi - lo) / step)[::-1] + 1)
    to_px = lambda xz: np.round(np.stack([(xz[:, 0] - lo[0]) / step, (hi[1] - xz[:, 1]) / step], -1))
    masks = []
    for rings, blur_mm in (((LIPS,), 1.0), ((BROW_L, BROW_R), 2.0)):
        raster = np.zeros(shape, np.float32)
        for ring in rings:
            cv2.fillPoly(raster, [to_px(points[ring][:, [0, 2]]).astype(np.int32)], 1.0)
        k = int(blur_mm * 2 / FRONT_MM) * 2 + 1
        raster = cv2.GaussianBlur(raster, (k, k), 0)
        px = to_px(positions[:, [0, 2]]).astype(int)
        ok = front & (px[:, 0] >= 0) & (px[:, 0] < shape[1]) & (px[:, 1] >= 0) & (px[:, 1] < shape[0])
        m = np.zeros(len(positions), np.float32)
        m[ok] = raster[px[ok, 1], px[ok, 0]]
        masks.append(m)
    return masks


def paint(tm, vertices, quads, eye_axes, size, skin_srgb, iris_srgb, brow_srgb, seed):
    """The albedo (size, size, 3) uint8 sRGB of a character with head ``vertices`` (V, 3)
    and ``quads``, on the coarse TexelMap ``tm`` (upsampled to ``size``)."""
    import cv2
    rng = np.random.default_rng(seed)
    tris = texture.triangulate(quads)
    pos = np.einsum("nk,nkc->nc", tm.bary, vertices[tris[tm.tri]])
    points = correspondence.surface_points(vertices)
    front = pos[:, 1] < points[:, 1].max()
    lips, brows = _frontal_masks(points, pos, front)
    cheeks = np.zeros(len(pos))
    for p in CHEEK_POINTS:
        cheeks = np.maximum(cheeks, np.exp(-0.5 * (np.linalg.norm(pos - points[p], axis=1) / CHEEK_RADIUS_M) ** 2))
    skin = texture.srgb_to_linear(np.asarray(skin_srgb, np.float64))
    brow = texture.srgb_to_linear(np.asarray(brow_srgb, np.float64))
    colour = np.tile(skin, (len(pos), 1))
    colour *= 1.0 + 0.6 * (cheeks[:, None] * (CHEEK_TINT - 1.0))
    colour *= 1.0 + lips[:, None] * (LIP_TINT - 1.0)
    colour += (BROW_OPACITY * brows)[:, None] * (brow - colour)

    g = tm.size
    coarse = np.zeros((g, g, 3), np.float32)
    coarse[tm.ys, tm.xs] = colour
    coarse = texture._extend(coarse, tm.inside)
    mottle = cv2.resize(rng.normal(0.0, MOTTLE, (24, 24)).astype(np.float32), (g, g),
                        interpolation=cv2.INTER_CUBIC)
    coarse *= (1.0 + mottle)[..., None]
    full = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_LINEAR)
    grain = rng.standard_normal((size, size), dtype=np.float32)
    grain *= GRAIN
    grain += 1.0
    full *= grain[..., None]
    albedo8 = texture.linear_to_srgb8(full)
    positions = np.zeros((g, g, 3), np.float32)
    positions[tm.ys, tm.xs] = pos
    positions = texture._extend(positions, tm.inside)
    sclera = tuple(np.clip(np.array(texture.SCLERA_RGB) * max(float(np.mean(skin_srgb)), 0.45) / 0.6, 0.3, 0.92))
    texture._paint_eye_windows((albedo8,), (tuple(iris_srgb),), sclera, tm, positions, size, eye_axes)
    return albedo8
