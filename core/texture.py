"""The face texture: the photo projected into the head's UV layout, completed and de-lit.

Per texel (its 3D point on the fitted, expressive head, projected with the
fitted camera):

* **visibility**: a depth test against a z-buffer of the head in the photo,
  and a weight that fades to zero at grazing view angles;
* **lighting**: second-order spherical harmonics fitted to the visible skin
  against the head's normals (colour = albedo x irradiance); dividing by the
  grey irradiance gives an albedo without the photo's shading (the photo-lit
  texture is kept too);
* **completion**: where the photo cannot see a texel, its mirror image across
  the face's symmetry plane is used when that one is visible; the rest is
  filled by push-pull (a weighted image pyramid), which blends smoothly into
  the photo and, away from it, into the typical colour of the skin seen squarely,
  so there are no holes, no hard seams and no cast from the face's shadowed edges.
  Lid texels that land in the photo's eye openings count as unseen (no sclera
  on the lids). The photo's texels are
  full size; the completion (mirror and fill) is made at half size;
* **eyes**: painted from the eyeball's geometry (sclera and iris in the colours
  measured from the photo's eye pixels, pupil).

Everything that depends only on the model and the texture size (which texel
lies in which triangle, its mirror texel) is computed once per process.
"""
import dataclasses

import numpy as np

GEOMETRY_SIZE = 512        # texel grid for the geometry (visibility, lighting, mirror); colours use the full size
ZBUFFER_MAX_SIDE = 2048    # the visibility test needs no more; colours are still sampled at full size
GRAZING_COS = 0.25         # below this cosine between normal and view ray, the photo is not used
DEPTH_TOLERANCE_M = 0.006
SHADING_FLOOR = 0.45       # deep shadows are brightened at most about 2 x ...
DELIGHT_STRENGTH = 0.8     # ... and the shading is divided out partly: errors in the estimate
                           # (hair, glasses, a model normal off) then cannot burn in
IRIS_RADIUS_M = 0.0059
PUPIL_RADIUS_M = 0.0022
SCLERA_RGB = (0.82, 0.79, 0.76)  # at the exposure of mid skin (0.45); scaled to the photo's skin
SCLERA_LEAST = 0.35        # the sclera takes the photo's lightness, at least this share of the
                           # default's luminance (about 0.6 x in sRGB); the default's colour
SCLERA_SHADOW = 1.5        # the photo's sclera lies in the lids' shadow, which the render adds again
EYE_OPENING_MARGIN = 0.08  # the photo's eye openings grown by this share of the eye's width
FILL_SKIN_TEXELS = 12.0    # away from the seen texels (1 - 1/e of the way at this many coarse
                           # texels) the completion turns to the seen skin's typical colour ...
FRONTAL_WEIGHT = 0.75      # ... that of the skin seen squarely (cheeks, forehead, nose, chin)
PUPIL_RGB = (0.02, 0.02, 0.02)
LUMA = np.array([0.2126, 0.7152, 0.0722])   # Rec. 709 luminance of linear RGB
IRISES = ((468, (469, 470, 471, 472)), (473, (474, 475, 476, 477)))   # mediapipe: centre, rim; right, left
EYE_SURROUND_M = 0.025     # the skin this close to an eyeball's centre is lit as the eye


def triangulate(quads):
    return np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])


def _rasterize_ids(polys_px, order, shape):
    """Index of the last-drawn polygon at each pixel (-1 for none); ``order`` is draw order."""
    import cv2
    ids = np.full(shape, -1, np.int32)
    shift = 4
    pts = np.round(polys_px * (1 << shift)).astype(np.int32)
    for i in order:
        cv2.fillConvexPoly(ids, pts[i], int(i), lineType=cv2.LINE_8, shift=shift)
    return ids


def _vertex_normals(verts, tris):
    fn = np.cross(verts[tris[:, 1]] - verts[tris[:, 0]], verts[tris[:, 2]] - verts[tris[:, 0]])
    vn = np.zeros_like(verts)
    for k in range(3):
        np.add.at(vn, tris[:, k], fn)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def vertex_normals(verts, quads):
    """Unit vertex normals (V, 3) of a quad mesh."""
    return _vertex_normals(verts, triangulate(quads))


def barycentric(p, a, b, c):
    """Barycentric coordinates of points p in triangles (a, b, c): (..., D), broadcast together."""
    v0, v1, v2 = b - a, c - a, p - a
    d00, d01, d11 = (v0 * v0).sum(-1), (v0 * v1).sum(-1), (v1 * v1).sum(-1)
    d20, d21 = (v2 * v0).sum(-1), (v2 * v1).sum(-1)
    den = d00 * d11 - d01 * d01
    den = np.where(np.abs(den) < 1e-20, 1e-20, den)
    w1 = (d11 * d20 - d01 * d21) / den
    w2 = (d00 * d21 - d01 * d20) / den
    return np.stack([1 - w1 - w2, w1, w2], -1)


def grey_irradiance(sh, normals):
    """The luminance of the SH lighting ``sh`` (9, 3) on unit ``normals`` (N, 3)."""
    return (sh_basis(normals) @ sh) @ LUMA


def bilinear(img, x, y):
    """Sample img (H, W[, C]) at float pixel positions (N,), clamped at the border -> (N, C) float32.
    OpenCV's remap on the points laid out as rows of 1024 (its maps must stay under 32767 wide)."""
    import cv2
    n = len(x)
    cols = 1024
    rows = -(-n // cols)
    pad = rows * cols - n
    mx = np.pad(np.asarray(x, np.float32), (0, pad)).reshape(rows, cols)
    my = np.pad(np.asarray(y, np.float32), (0, pad)).reshape(rows, cols)
    src = img if img.dtype in (np.uint8, np.float32) else img.astype(np.float32)
    out = cv2.remap(src, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(rows * cols, -1)[:n].astype(np.float32)


def push_pull_fill(color, weight):
    """Fill where ``weight`` is 0 from a weighted pyramid of ``color`` (H, W, C) float."""
    import cv2
    if color.shape[2] > 4:               # OpenCV resizes at most 4 channels at odd sizes
        return np.concatenate([push_pull_fill(np.ascontiguousarray(color[..., k:k + 4]), weight)
                               for k in range(0, color.shape[2], 4)], axis=2)
    def resize(a, w2, h2, interp):      # OpenCV drops a single channel axis: keep the shape
        return cv2.resize(a, (w2, h2), interpolation=interp).reshape(h2, w2, *a.shape[2:])

    levels = [(color * weight[..., None], weight)]
    while min(levels[-1][1].shape) > 1:
        c, w = levels[-1]
        h2, w2 = (c.shape[0] + 1) // 2, (c.shape[1] + 1) // 2
        levels.append((resize(c, w2, h2, cv2.INTER_AREA), resize(w, w2, h2, cv2.INTER_AREA)))
    c, w = levels[-1]
    filled = c / np.maximum(w, 1e-8)[..., None]
    for c, w in reversed(levels[:-1]):
        up = resize(filled, c.shape[1], c.shape[0], cv2.INTER_LINEAR)
        own = c / np.maximum(w, 1e-8)[..., None]
        alpha = np.clip(w, 0.0, 1.0)[..., None]
        filled = alpha * own + (1 - alpha) * up
    return filled


def sh_basis(n):
    """Real spherical harmonics up to order 2 at unit normals (N, 3) -> (N, 9)."""
    x, y, z = n[:, 0], n[:, 1], n[:, 2]
    return np.stack([np.full_like(x, 0.282095), 0.488603 * y, 0.488603 * z, 0.488603 * x,
                     1.092548 * x * y, 1.092548 * y * z, 0.315392 * (3 * z * z - 1),
                     1.092548 * x * z, 0.546274 * (x * x - y * y)], 1)


def srgb_to_linear(c):
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c):
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


SRGB8_STEPS = 4095
_SRGB8 = np.round(linear_to_srgb(np.arange(SRGB8_STEPS + 1) / SRGB8_STEPS) * 255.0).astype(np.uint8)


def linear_to_srgb8(c):
    """linear_to_srgb(c) * 255 as uint8 by a table of 4096 steps (within one level of the exact
    value)."""
    return np.take(_SRGB8, (np.clip(c, 0.0, 1.0) * SRGB8_STEPS + 0.5).astype(np.uint16))


@dataclasses.dataclass
class TexelMap:
    """Which texels lie in which triangle, and where their mirror images are (per texture size)."""
    size: int
    ys: np.ndarray
    xs: np.ndarray
    tri: np.ndarray            # triangle index per texel (into triangulate(quads))
    bary: np.ndarray           # (N, 3)
    part: np.ndarray           # vertex part of each texel's triangle (0 skin, 1-2 eyes, 3 tongue)
    mirror_uv: np.ndarray      # (N, 2) texel position of the mirror image, NaN where there is none
    inside: np.ndarray         # (size, size) bool: texels inside the UV islands


def texel_map(size, quads, uv, face_uv_index, template, vertex_part):
    """Build the TexelMap for a model (slow: call through a per-process cache)."""
    from scipy.spatial import cKDTree
    tris = triangulate(quads)
    uv_tris = uv[triangulate(face_uv_index)]
    px = np.stack([uv_tris[..., 0] * size - 0.5, (1.0 - uv_tris[..., 1]) * size - 0.5], -1)
    ids = _rasterize_ids(px, range(len(px)), (size, size))
    ys, xs = np.nonzero(ids >= 0)
    t = ids[ys, xs]
    p = np.stack([xs, ys], -1).astype(np.float64)
    bary = np.clip(barycentric(p, px[t, 0], px[t, 1], px[t, 2]), 0.0, 1.0)
    bary /= bary.sum(1, keepdims=True)
    part = vertex_part[tris[t, 0]]

    # mirror images: the template is left-right symmetric (x -> -x)
    mirrored = template * np.array([-1.0, 1.0, 1.0])
    dist, mirror_v = cKDTree(template).query(mirrored)
    n_quads = len(quads)
    key = {frozenset(q): i for i, q in enumerate(quads.tolist())}
    mirror_quad = np.array([key.get(frozenset(mirror_v[q].tolist()), -1) if dist[q].max() < 1e-4 else -1
                            for q in quads])
    quad = t % n_quads
    mq = mirror_quad[quad]
    mirror_uv = np.full((len(t), 2), np.nan)
    ok = mq >= 0
    point = np.einsum("nk,nkc->nc", bary[ok], template[tris[t[ok]]]) * np.array([-1.0, 1.0, 1.0])
    best = np.full(ok.sum(), np.inf)
    for half in (0, 1):                              # the mirror point lies in one of the quad's triangles
        tri = mq[ok] + half * n_quads
        a, b, c = (template[tris[tri, k]] for k in range(3))
        w = barycentric(point, a, b, c)
        err = -np.minimum(w.min(1), 0)
        better = err < best
        best[better] = err[better]
        w = np.clip(w, 0, 1)
        w /= w.sum(1, keepdims=True)
        uv_pt = np.einsum("nk,nkc->nc", w, px[tri])
        sel = np.nonzero(ok)[0][better]
        mirror_uv[sel] = uv_pt[better]
    inside = np.zeros((size, size), bool)
    inside[ys, xs] = True
    return TexelMap(size, ys, xs, t, bary, part, mirror_uv, inside)


@dataclasses.dataclass
class TextureSet:
    albedo: np.ndarray         # (size, size, 3) uint8 sRGB, lighting removed
    lit: np.ndarray            # (size, size, 3) uint8 sRGB, the photo's own lighting
    photo_coverage: float      # share of texels seen in the photo
    mirror_coverage: float     # share of texels filled from their mirror image
    lighting_sh: np.ndarray    # (9, 3) irradiance SH coefficients (linear RGB)
    iris_rgb: tuple            # measured iris colour, sRGB 0..1


def fit_lighting(colors_lin, normals, weights):
    """SH irradiance (9, 3) with colours = albedo x irradiance, from visible skin texels.

    Two rounds: the second down-weights texels far from the fit (brows, lips,
    stubble, specular highlights), so the lighting follows the bare skin."""
    Y = sh_basis(normals)
    w = weights.copy()
    for _ in range(2):
        sw = np.sqrt(w)[:, None]
        coeffs, *_ = np.linalg.lstsq(Y * sw, colors_lin * sw, rcond=None)
        resid = np.abs(colors_lin - Y @ coeffs).mean(1)
        scale = np.median(resid[w > 0]) + 1e-6
        w = weights / (1.0 + (resid / (2.0 * scale)) ** 2)
    return coeffs


def measure_iris(photo, landmarks):
    """Median sRGB colour (0..1) of the iris pixels: inside mediapipe's iris circles,
    outside the pupil, without the brightest (specular) pixels."""
    samples = []
    for centre_id, rim in IRISES:
        c = landmarks[centre_id]
        r = np.linalg.norm(landmarks[list(rim)] - c, axis=1).mean()
        if r < 1.5:
            continue
        x0, y0 = np.floor(c - r).astype(int)
        x1, y1 = np.ceil(c + r).astype(int) + 1
        h, w = photo.shape[:2]
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:                   # the eye lies outside the photo
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(xx - c[0], yy - c[1]) / r
        ring = (d > 0.45) & (d < 0.9)
        px = photo[y0:y1, x0:x1][ring].astype(np.float64) / 255.0
        if len(px):
            lum = px.mean(1)
            samples.append(px[lum <= np.percentile(lum, 85)])
    if not samples:
        return (0.35, 0.25, 0.18)
    return tuple(float(v) for v in np.median(np.concatenate(samples), axis=0))


def eye_openings(shape, landmarks, margin=EYE_OPENING_MARGIN):
    """(H, W) bool: the photo's eye openings (mediapipe's eye contours), grown by ``margin``
    of each eye's width, where the photo shows the eyeball and not the lids."""
    import cv2
    from .hair import EYE_L, EYE_R
    mask = np.zeros(shape[:2], np.uint8)
    for ids in (EYE_L, EYE_R):
        pts = landmarks[list(ids)]
        grow = int(round(margin * np.ptp(pts[:, 0])))
        one = np.zeros_like(mask)
        cv2.fillPoly(one, [np.round(pts).astype(np.int32)], 1)
        if grow > 0:
            one = cv2.dilate(one, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
        mask |= one
    return mask.astype(bool)


def measure_sclera(photo, landmarks):
    """sRGB colour (0..1) of the photo's sclera: the brighter half of the eye openings' pixels
    outside the irises (the darker half is lashes and the lids' shadow); None when too few."""
    import cv2
    from .hair import EYE_L, EYE_R
    px = []
    for ids, (centre_id, rim) in zip((EYE_R, EYE_L), IRISES):
        pts = landmarks[list(ids)]
        x0, y0 = np.maximum(np.floor(pts.min(0)).astype(int), 0)
        x1, y1 = np.ceil(pts.max(0)).astype(int) + 1
        x1, y1 = min(x1, photo.shape[1]), min(y1, photo.shape[0])
        if x1 <= x0 or y1 <= y0:
            continue
        inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(inside, [np.round(pts - [x0, y0]).astype(np.int32)], 1)
        c = landmarks[centre_id]
        r = np.linalg.norm(landmarks[list(rim)] - c, axis=1).mean()
        yy, xx = np.mgrid[y0:y1, x0:x1]
        inside &= (np.hypot(xx - c[0], yy - c[1]) > 1.15 * r).astype(np.uint8)
        px.append(photo[y0:y1, x0:x1][inside.astype(bool)].astype(np.float64) / 255.0)
    px = np.concatenate(px) if px else np.zeros((0, 3))
    if len(px) < 12:
        return None
    lum = px.mean(1)
    return tuple(float(v) for v in np.median(px[lum >= np.median(lum)], axis=0))


def _paint_eyes(texture, eye_mask, positions, eye_axes, iris_rgb, sclera_rgb):
    """Sclera, iris and pupil from each eyeball texel's distance to its eye's axis.

    ``eye_mask``: (H, W) vertex part per texel (0 where not an eye); ``positions``: (H, W, 3)
    the texel's point on the neutral head; ``eye_axes``: {part: (centre, unit axis towards
    the pupil, eyeball radius)}."""
    for part, (centre, axis, radius) in eye_axes.items():
        ys, xs = np.nonzero(eye_mask == part)
        if not len(ys):
            continue
        v = positions[ys, xs] - centre
        along = v @ axis
        off = np.linalg.norm(v - along[:, None] * axis, axis=1)
        off = np.where(along > 0, off, radius * 2)             # the back of the eyeball is sclera
        iris = np.asarray(iris_rgb)
        color = np.where((off < PUPIL_RADIUS_M)[:, None], PUPIL_RGB,
                         np.where((off < IRIS_RADIUS_M)[:, None], iris, sclera_rgb))
        limbal = (off > IRIS_RADIUS_M * 0.85) & (off < IRIS_RADIUS_M)   # darker ring at the iris edge
        texture[ys, xs] = np.where(limbal[:, None], iris * 0.55, color)


def _extend(maps, inside):
    """Values of (H, W, C) maps carried past the islands' edges (so upsampling does not
    pull edge texels towards zero); inside the islands they are unchanged."""
    filled = push_pull_fill(maps, inside.astype(np.float32))
    return np.where(inside[..., None], maps, filled)


def _towards_skin(fill, weight, skin):
    """The push-pull ``fill`` (H, W, 3) turned, with the distance from the seen texels (``weight``
    over 0), towards the typical colour of the seen ``skin`` texels (N, 3).

    Far from the photo, a pyramid fill is an average of the face's edges: grazing, shadowed,
    often hair; their colour (a shadow is more saturated than lit skin) would spread over the
    sides and back of the head as an orange cast."""
    import cv2
    if not len(skin):
        return fill
    typical = np.median(skin, axis=0).astype(np.float32)
    dist = cv2.distanceTransform((weight <= 0.05).astype(np.uint8), cv2.DIST_L2, 3)
    far = (1.0 - np.exp(-dist / FILL_SKIN_TEXELS))[..., None]
    return fill + far * (typical - fill)


def _mirror_blend(values, weight, mx, my):
    """Texels the photo cannot see take their mirror image's value where that one is seen.
    Returns the blended values, their confidence and the share of texels the mirror filled."""
    import cv2
    mirrored = cv2.remap(cv2.merge([values, weight]), mx, my, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mv, mw = mirrored[..., :3], mirrored[..., 3]
    take = (1.0 - weight) * mw
    total = weight + take
    share = take / np.maximum(total, 1e-8)
    return values + share[..., None] * (mv - values), np.minimum(total, 1.0), float(((weight == 0) & (mw > 0)).mean())


def bake(photo, verts_cam, size, tm, quads, template, eye_axes, landmarks, focal_px, principal_point):
    """The TextureSet at ``size`` for one photo.

    Geometry (visibility, lighting, where each texel looks in the photo, its mirror
    image) is computed on the coarse TexelMap ``tm`` and upsampled; colours are
    then sampled from the photo at full texture resolution. ``verts_cam``: the fitted
    head's vertices in the camera frame (OpenCV axes, metres); ``template``: the
    neutral head, for the eyes' geometry."""
    import cv2
    h, w = photo.shape[:2]
    tris = triangulate(quads)
    z = verts_cam[:, 2]
    img_pts = np.stack([focal_px * verts_cam[:, 0] / z + principal_point[0],
                        focal_px * verts_cam[:, 1] / z + principal_point[1]], -1)

    # z-buffer by painter's algorithm (far to near), then depth of the nearest triangle
    zs = min(1.0, ZBUFFER_MAX_SIDE / max(h, w))
    zh, zw = max(1, round(h * zs)), max(1, round(w * zs))
    tri_depth = z[tris].mean(1)
    ids = _rasterize_ids(img_pts[tris] * zs, np.argsort(-tri_depth), (zh, zw))
    depth = np.where(ids >= 0, tri_depth[np.maximum(ids, 0)], np.inf)

    # --- per coarse texel
    tv = tris[tm.tri]
    p3 = np.einsum("nk,nkc->nc", tm.bary, verts_cam[tv])
    n3 = np.einsum("nk,nkc->nc", tm.bary, _vertex_normals(verts_cam, tris)[tv])
    n3 /= np.maximum(np.linalg.norm(n3, axis=1, keepdims=True), 1e-12)
    cos = -(n3 * p3).sum(1) / np.linalg.norm(p3, axis=1)
    px = focal_px * p3[:, 0] / p3[:, 2] + principal_point[0]
    py = focal_px * p3[:, 1] / p3[:, 2] + principal_point[1]
    inside = (px >= 0) & (px <= w - 1) & (py >= 0) & (py <= h - 1)
    xi = np.clip(np.round(px * zs).astype(int), 0, zw - 1)
    yi = np.clip(np.round(py * zs).astype(int), 0, zh - 1)
    visible = inside & (p3[:, 2] <= depth[yi, xi] + DEPTH_TOLERANCE_M)
    # lid texels that the photo shows as eyeball (a fit a little off at the lids) are not
    # seen: they would carry the sclera's white onto the lids
    opening = eye_openings((zh, zw), landmarks * zs)
    visible &= ~((tm.part == 0) & opening[yi, xi])
    weight = np.sqrt(np.where(visible, np.clip((cos - GRAZING_COS) / (1 - GRAZING_COS), 0, 1), 0.0))
    srgb_coarse = bilinear(photo, px, py) / 255.0
    lin_coarse = srgb_to_linear(srgb_coarse)

    # lighting from the visible skin; grey irradiance normalised to 1 on average over it
    skin = (tm.part == 0) & (weight > 0.3)
    sh = fit_lighting(lin_coarse[skin], n3[skin], weight[skin])
    grey = grey_irradiance(sh, n3)
    grey /= np.average(grey[skin], weights=weight[skin])
    grey = np.maximum(grey, SHADING_FLOOR)
    # Colours are divided in the photo's own (sRGB, about gamma 2.2) space by the shading
    # raised to 1/2.2: the same as dividing in linear space, without a power per texel.
    grey_g = grey ** (DELIGHT_STRENGTH / 2.2)
    neutral_pts = np.einsum("nk,nkc->nc", tm.bary, template[tv])

    # --- coarse maps, carried past the island edges, then upsampled to full size
    g = tm.size
    coarse = np.zeros((g, g, 9), np.float32)
    coarse[tm.ys, tm.xs] = np.column_stack([px, py, weight, grey_g, tm.mirror_uv, neutral_pts])
    has_mirror = ~np.isnan(coarse[..., 4])
    coarse[..., 4:6] = np.where(has_mirror[..., None], coarse[..., 4:6], -1e4)
    coarse = _extend(coarse, tm.inside)
    up = lambda a: cv2.resize(np.ascontiguousarray(a), (size, size), interpolation=cv2.INTER_LINEAR)
    geo = up(coarse[..., 0:4])
    map_x, map_y, w_full, grey_full = (np.ascontiguousarray(geo[..., k]) for k in range(4))
    w_full = np.clip(w_full, 0.0, 1.0)

    # --- albedo at full resolution where the photo sees the texel; elsewhere a completion
    # layer at half size: the mirror image where that one is seen, else a coarse fill
    lit8 = cv2.remap(photo, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    grey3 = cv2.merge([grey_full, grey_full, grey_full])
    albedo = cv2.divide(lit8.astype(np.float32), grey3, scale=1.0 / 255.0)
    coarse_albedo = np.zeros((g, g, 3), np.float32)
    coarse_albedo[tm.ys, tm.xs] = srgb_coarse / grey_g[:, None]
    w_coarse = np.zeros((g, g), np.float32)
    w_coarse[tm.ys, tm.xs] = weight
    cb, cw, _ = _mirror_blend(coarse_albedo, w_coarse, np.where(has_mirror, coarse[..., 4], -1).astype(np.float32),
                              np.where(has_mirror, coarse[..., 5], -1).astype(np.float32))
    half = max(size // 2, g)
    to_half = lambda a, interp=cv2.INTER_AREA: cv2.resize(a, (half, half), interpolation=interp)
    frontal = skin & (weight > FRONTAL_WEIGHT)
    fill = to_half(_towards_skin(push_pull_fill(cb, cw), cw, coarse_albedo[tm.ys[frontal], tm.xs[frontal]]),
                   cv2.INTER_LINEAR)
    mirror_half = (to_half(np.ascontiguousarray(coarse[..., 4:6]), cv2.INTER_LINEAR) + 0.5) * (half / g) - 0.5
    mirrored = cv2.remap(cv2.merge([to_half(albedo), to_half(w_full)]), np.ascontiguousarray(mirror_half[..., 0]),
                         np.ascontiguousarray(mirror_half[..., 1]), cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mw = np.ascontiguousarray(mirrored[..., 3])
    completion = np.ascontiguousarray(mirrored[..., :3])
    completion -= fill                                  # in place: fill + mw * (mirror - fill)
    completion *= mw[..., None]
    completion += fill
    mirror_share = float(((to_half(w_full) == 0) & (mw > 0)).mean())
    completion = up(completion)
    albedo -= completion                                # in place: completion + w * (albedo - completion)
    albedo *= w_full[..., None]
    albedo += completion

    iris = measure_iris(photo, landmarks)
    eye_shade = _eye_shading(grey_g, skin, neutral_pts, eye_axes)
    albedo_iris = tuple(float(v) for v in np.clip(np.array(iris) / eye_shade, 0, 1))
    skin_level = float(np.median(srgb_coarse[skin] / grey_g[skin, None]))
    albedo8 = cv2.convertScaleAbs(albedo, alpha=255.0)
    lit8 = cv2.convertScaleAbs(cv2.multiply(albedo, grey3), alpha=255.0)   # completed, under the photo's light
    sclera = np.clip(np.array(SCLERA_RGB) * skin_level / 0.45, 0.3, 0.92)
    seen_sclera = measure_sclera(photo, landmarks)
    if seen_sclera is not None:     # as light as the person's, de-lit as the iris, no lighter than the default
        seen = SCLERA_SHADOW * srgb_to_linear(np.array(seen_sclera) / eye_shade) @ LUMA
        sclera = sclera * float(np.clip(seen / (srgb_to_linear(sclera) @ LUMA), SCLERA_LEAST, 1.0)) ** (1 / 2.2)
    sclera = tuple(float(v) for v in sclera)
    _paint_eye_windows((albedo8, lit8), (albedo_iris, iris), sclera, tm, coarse[..., 6:9], size, eye_axes)
    return TextureSet(albedo=albedo8, lit=lit8, photo_coverage=float((weight > 0).mean()),
                      mirror_coverage=mirror_share, lighting_sh=sh, iris_rgb=albedo_iris)


def _eye_shading(grey_g, skin, points, eye_axes):
    """The photo's shading (as divided out of the skin) around the eyes: the median over the seen
    skin within EYE_SURROUND_M of the eyeballs' centres, else over all the seen skin. The iris
    and sclera are de-lit by it: the skin's average would brighten the eyes of a face lit
    from below or the side, where the eye sockets are darker than the skin on average."""
    d = np.min([np.linalg.norm(points - centre, axis=1) for centre, _, _ in eye_axes.values()], axis=0)
    near = skin & (d < EYE_SURROUND_M)
    return float(np.median(grey_g[near] if near.sum() >= 20 else grey_g[skin]))


def _paint_eye_windows(textures, irises, sclera, tm, coarse_positions, size, eye_axes):
    """Paint the eyes at full resolution, only in the windows around the eye islands."""
    import cv2
    part = _part_map(tm)
    scale = size / tm.size
    for p in eye_axes:
        rows, cols = np.nonzero(part == p)
        if not len(rows):
            continue
        r0, r1 = max(rows.min() - 2, 0), min(rows.max() + 3, tm.size)
        c0, c1 = max(cols.min() - 2, 0), min(cols.max() + 3, tm.size)
        R0, R1, C0, C1 = (int(round(v * scale)) for v in (r0, r1, c0, c1))
        shape = (C1 - C0, R1 - R0)
        pos = cv2.resize(np.ascontiguousarray(coarse_positions[r0:r1, c0:c1]), shape, interpolation=cv2.INTER_LINEAR)
        mask = cv2.resize(np.ascontiguousarray(part[r0:r1, c0:c1]), shape, interpolation=cv2.INTER_NEAREST)
        mask = np.where(mask == p, p, 0)
        for tex, iris in zip(textures, irises):
            window = np.zeros(pos.shape, np.float32)
            _paint_eyes(window, mask, pos, {p: eye_axes[p]}, iris, sclera)
            sel = mask == p
            tex[R0:R1, C0:C1][sel] = np.clip(window[sel] * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _part_map(tm):
    part = np.zeros((tm.size, tm.size), np.uint8)
    part[tm.ys, tm.xs] = tm.part
    return part
