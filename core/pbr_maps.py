"""Roughness by face region and a detail normal map, for the skin material.

Roughness: skin at 0.5, oilier where the T-zone is (forehead, nose) and
smoother on the lips, blended softly around mediapipe's points on the head;
eyes glossy, tongue wet. Detail normals: the albedo's fine luminance detail
(pores, wrinkles) read as a height field, turned into a tangent-space normal
map (X along U, Y along V, as Blender's Normal Map node expects).
"""
import numpy as np

from . import correspondence

SKIN, EYES, TONGUE = 0.5, 0.05, 0.35
# (mediapipe points, roughness): forehead and nose (T-zone), lips
REGIONS = (((151, 9, 6, 197, 195, 5, 4, 1), 0.36), ((13, 14, 0, 17, 61, 291, 37, 267, 84, 314), 0.3))
SIGMA_M = 0.012
DETAIL_STRENGTH = 0.6
DETAIL_BLUR = 3.0          # texels at 1K: detail finer than this becomes normal variation


def roughness_map(tm, template, triangles, size):
    """(size, size) uint8 roughness from the coarse TexelMap ``tm``."""
    import cv2
    points = np.einsum("nk,nkc->nc", tm.bary, template[triangles[tm.tri]])
    lm = correspondence.surface_points(template)
    rough = np.full(len(points), SKIN)
    for ids, value in REGIONS:
        d = np.min(np.linalg.norm(points[:, None, :] - lm[list(ids)][None], axis=2), axis=1)
        w = np.exp(-0.5 * (d / SIGMA_M) ** 2)
        rough = rough + w * (value - rough)
    rough = np.where(tm.part == 3, TONGUE, np.where(tm.part > 0, EYES, rough))
    grid = np.full((tm.size, tm.size), SKIN, np.float32)
    grid[tm.ys, tm.xs] = rough
    grid = cv2.GaussianBlur(grid, (0, 0), 1.0)
    return cv2.convertScaleAbs(cv2.resize(grid, (size, size), interpolation=cv2.INTER_LINEAR), alpha=255.0)


def detail_normal_map(albedo8):
    """(H, W, 3) uint8 tangent-space normal map from the albedo's fine detail."""
    import cv2
    h, w = albedo8.shape[:2]
    lum = cv2.cvtColor(albedo8, cv2.COLOR_RGB2GRAY).astype(np.float32) * (1.0 / 255.0)
    # band-pass: above the blur's scale is shape (the mesh has it), below a texel is JPEG noise;
    # the wide blur runs at a quarter of the size
    blur = DETAIL_BLUR * h / 1024.0
    small = cv2.resize(lum, (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA)
    low = cv2.resize(cv2.GaussianBlur(small, (0, 0), blur / 4.0), (w, h), interpolation=cv2.INTER_LINEAR)
    height = cv2.subtract(cv2.GaussianBlur(lum, (0, 0), 0.8), low)
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3, scale=DETAIL_STRENGTH)
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3, scale=DETAIL_STRENGTH)
    # n = (-gx, gy, 1) / |.|; image rows run against V, hence +gy
    inv = cv2.divide(1.0, cv2.sqrt(cv2.add(cv2.add(cv2.multiply(gx, gx), cv2.multiply(gy, gy)), 1.0)))
    n = cv2.merge([cv2.multiply(gx, inv, scale=-1.0), cv2.multiply(gy, inv), inv])
    return cv2.convertScaleAbs(n, alpha=127.5, beta=127.5)
