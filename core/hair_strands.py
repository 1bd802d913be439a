"""Hair geometry for an avatar: guide strands grown on the scalp from the measured hair
attributes, and game-ready hair cards built along them.

The strands live in the head's frame (metres, Z up, the face towards -Y). Each starts on the
scalp, leaves it along the surface away from the parting (fringe strands fall forward over
the forehead), keeps at least the measured volume off the skull while it is above the ears,
and falls under gravity until it reaches its length: a few cm for short hair, the chin line,
the shoulders or below. Blender then interpolates, clumps and frizzes children between them
(the Essentials hair node groups), so a few hundred guides are enough.
"""
import dataclasses

import numpy as np

from . import correspondence, fit, hair, texture

POINTS = 16                    # points per guide strand
STEP_M = 0.006                 # growth step
SHORT_M = 0.045                # length of short hair (above the ears)
BUZZ_M, BUZZ_VOLUME_M = 0.012, 0.003   # a shaved head's hair: length, and how far it stands off
HEM_BELOW_CHIN_M = {"to the chin": 0.0, "to the shoulders": 0.12, "longer": 0.28}
MIN_OFFSET_M = 0.004           # hair keeps at least this far off the skin
PARTING_OFFSET_M = 0.035       # a side parting sits this far off the middle
CARD_WIDTH_M = 0.022
RECEDE_M = 0.07                # a fully receded hairline: this far back at the temples
TIE_HEIGHT = {"ponytail": 0.3, "bun": 0.75}    # between the ears (0) and the crown (1)
TIE_OFF_SKULL_M = 0.012
# mediapipe points: chin, forehead top, brows (upper edge), ear level (tragus-ish)
CHIN, FOREHEAD_TOP, BROW_MID, EAR_L, EAR_R = 152, 10, 9, 454, 234


@dataclasses.dataclass
class Style:
    """What the strands need from the hair attributes (core.hair.HairAttributes)."""
    length: str                 # one of core.hair.LENGTH_CLASSES
    volume_m: float = 0.01      # hair above the skull
    parting: str = "none"       # "left", "right", "centre", "none" (the subject's sides)
    fringe: float = 0.0         # share of the forehead covered
    seed: int = 0

    short_m: float = SHORT_M    # strand length of hair above the ears (less for a buzz cut)
    name: str = ""              # the library's name (core.hair_styles), "" for measured hair
    curl: str = "straight"      # one of CURLS: the guides' own wave or coil
    tie: str = "none"           # "none", "ponytail" or "bun": gathered to a tie point
    receding: float = 0.0       # 0..1: how far the hairline recedes (temples most)
    hem_m: float = None         # how far below the chin long hair ends (None: by the length class)
    outward: float = 0.0        # 0: short hair lies along the scalp, 1: it stands out (an afro)


def _resample(points, count):
    """Polylines (n, m, 3) resampled to ``count`` points each along their length, closer
    together near the root where strands bend most. A polyline that ends early repeats its
    last point (segments of length 0 change nothing)."""
    if not len(points):
        return np.zeros((0, count, 3))
    seg = np.linalg.norm(np.diff(points, axis=1), axis=2)
    s = np.concatenate([np.zeros((len(points), 1)), np.cumsum(seg, axis=1)], 1)      # (n, m)
    t = s[:, -1:] * np.linspace(0.0, 1.0, count) ** 1.6                               # (n, count)
    # the segment each sample falls in: rows searched at once, each offset above the last
    offset = (np.arange(len(points)) * (s[:, -1].max() + 1.0))[:, None]
    j = np.searchsorted((s + offset).ravel(), (t + offset).ravel(), side="right").reshape(t.shape)
    j = np.clip(j - np.arange(len(points))[:, None] * s.shape[1], 1, s.shape[1] - 1)
    s0, s1 = np.take_along_axis(s, j - 1, 1), np.take_along_axis(s, j, 1)
    f = np.where(s1 > s0, (t - s0) / np.where(s1 > s0, s1 - s0, 1.0), 1.0)[..., None]
    p0 = np.take_along_axis(points, (j - 1)[..., None], 1)
    p1 = np.take_along_axis(points, j[..., None], 1)
    return p0 + f * (p1 - p0)


def guides(verts, quads, skin, scalp_weight, style, count=320):
    """(n, POINTS, 3) guide strands for the neutral head ``verts`` (V, 3) with ``quads``;
    ``skin``: (V,) bool of the skin vertices (the surface hair rests on)."""
    from scipy.spatial import cKDTree
    if style.length not in HEM_BELOW_CHIN_M and style.length != "above the ears":
        return np.zeros((0, POINTS, 3))
    rng = np.random.default_rng(style.seed)
    normals = texture.vertex_normals(verts, quads)
    lm = correspondence.surface_points(verts)
    chin_z, top_y = lm[CHIN, 2], lm[FOREHEAD_TOP, 1]
    brow_z, ear_z = lm[BROW_MID, 2], 0.5 * (lm[EAR_L, 2] + lm[EAR_R, 2])
    crown_z = verts[skin, 2].max()
    centre_x = 0.5 * (lm[EAR_L, 0] + lm[EAR_R, 0])
    ear_y = 0.5 * (lm[EAR_L, 1] + lm[EAR_R, 1])
    face_half = 0.5 * abs(lm[EAR_L, 0] - lm[EAR_R, 0])           # hair frames the face, not crosses it
    # the subject's left is +X in the head frame (the face looks down -Y)
    part_x = centre_x + {"left": PARTING_OFFSET_M, "right": -PARTING_OFFSET_M}.get(style.parting, 0.0)

    roots = np.flatnonzero(scalp_weight > 0.6)
    if style.receding > 0:
        roots = roots[~_receded(verts[roots], style.receding, centre_x, face_half)]
    roots = rng.choice(roots, size=min(count, len(roots)), replace=False)
    tree = cKDTree(verts[skin])
    skin_verts, skin_normals = verts[skin], normals[skin]
    hem = chin_z - (HEM_BELOW_CHIN_M.get(style.length, 0.0) if style.hem_m is None else style.hem_m)
    n = len(roots)
    p, normal = verts[roots] + normals[roots] * MIN_OFFSET_M, normals[roots]
    # a fringe: the front roots, across more of the forehead the more of it is covered
    front = ((p[:, 1] < top_y + 0.03) & (style.fringe > 0.3)
             & (np.abs(p[:, 0] - centre_x) < face_half * min(1.0, 1.25 * style.fringe)))
    side = np.sign(p[:, 0] - part_x)[:, None]
    head_centre = np.array([centre_x, ear_y, ear_z])
    gravity = 0.25 * (1.0 - 0.8 * style.outward)
    if style.length == "above the ears":
        want = np.column_stack([0.6 * side, np.full((n, 1), 0.5), np.full((n, 1), -0.6)])
        out = p - head_centre + (0.0, 0.03, 0.04)      # from low behind the ears: the front rises
        radial = out / np.linalg.norm(out, axis=1, keepdims=True)
        want = (1.0 - style.outward) * want + style.outward * 1.5 * radial
        stop_z, max_len = np.full(n, -np.inf), style.short_m * rng.uniform(0.8, 1.2, n)
    else:                                               # away from the face: to the side and back
        want = np.column_stack([side, np.full((n, 1), 0.6), np.full((n, 1), -0.3)])
        stop_z, max_len = hem + rng.uniform(-0.015, 0.015, n), np.full(n, np.inf)
    want[front] = (0.0, -0.6, -1.0)                     # a fringe falls forward over the brow
    stop_z[front], max_len[front] = brow_z, np.inf
    d = want - normal * (want * normal).sum(1, keepdims=True)       # along the scalp first
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    path, length, active = [p.copy()], np.zeros(n), np.ones(n, bool)
    for _ in range(200):
        d = d + (0.0, 0.0, -gravity)                    # gravity bends the strands down
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        q = p + STEP_M * d
        # stay off the skull: the measured volume on top, less towards the ears
        height = np.clip((q[:, 2] - ear_z) / max(crown_z - ear_z, 1e-3), 0.0, 1.0)
        offset = MIN_OFFSET_M + style.volume_m * height * np.minimum(1.0, length / 0.03)
        _, i = tree.query(q)
        gap = ((q - skin_verts[i]) * skin_normals[i]).sum(1)
        push = (gap < offset) & (q[:, 2] > chin_z - 0.05)
        q[push] += skin_normals[i[push]] * (offset - gap)[push, None]
        framing = ~front & (q[:, 2] < brow_z) & (q[:, 1] < ear_y) & (np.abs(q[:, 0] - centre_x) < face_half)
        q[framing, 0] = centre_x + np.sign(q[framing, 0] - centre_x) * face_half
        p = np.where(active[:, None], q, p)
        length += STEP_M * active
        path.append(p.copy())
        active &= (p[:, 2] >= stop_z) & (length < max_len)
        if not active.any():
            break
    # the root on the skin (where Blender attaches the curve), leaving along the normal
    path = np.stack([verts[roots]] + path, 1)           # (n, steps, 3); finished strands repeat their tip
    strands = _resample(path, POINTS).reshape(-1, POINTS, 3)
    if style.tie != "none":                             # all but a fringe gathered to the tie
        from . import hair_ties
        centre = np.array([centre_x, skin_verts[:, 1].mean(), ear_z])
        strands[~front] = hair_ties.tied(verts[roots[~front]], tie_point(verts, skin, style.tie), centre,
                                         style, hem, (tree, skin_verts, skin_normals), rng)
    if style.curl != "straight":
        strands = curled(strands, style.curl, head_centre, rng)
    grown = np.linalg.norm(np.diff(strands, axis=1), axis=2).sum(1) >= STEP_M     # no stubs
    return strands[grown]


def _receded(points, receding, centre_x, face_half):
    """(n,) bool: the scalp ``points`` a hairline receded by ``receding`` (0..1) leaves bare:
    those up to RECEDE_M behind the front-most ones, the temples most (an M-shaped hairline)."""
    lateral = np.clip(np.abs(points[:, 0] - centre_x) / face_half, 0.0, 1.0)
    depth = receding * RECEDE_M * (0.3 + 0.7 * lateral ** 2)
    return points[:, 1] < points[:, 1].min() + depth


def tie_point(verts, skin, tie):
    """Where a ``tie`` ("ponytail": the back of the head a little above the ears; "bun": high
    at the back) gathers the hair, just off the skull, in the head's frame."""
    lm = correspondence.surface_points(verts)
    sk = verts[skin]
    centre_x, ear_z = 0.5 * (lm[EAR_L, 0] + lm[EAR_R, 0]), 0.5 * (lm[EAR_L, 2] + lm[EAR_R, 2])
    z = ear_z + TIE_HEIGHT[tie] * (sk[:, 2].max() - ear_z)
    near = np.abs(sk[:, 2] - z) + np.abs(sk[:, 0] - centre_x)
    band = sk[(np.abs(sk[:, 2] - z) < 0.01) & (np.abs(sk[:, 0] - centre_x) < 0.02)]
    if not len(band):                                   # a reshaped head: the nearest skin instead
        band = sk[np.argsort(near)[:20]]
    return np.array([centre_x, band[:, 1].max() + TIE_OFF_SKULL_M, z])


# per curl class: amplitude (m), period along the strand (m), helical (or planar)
CURLS = {"straight": (0.0, 1.0, False), "wavy": (0.006, 0.06, False), "curly": (0.007, 0.03, True),
         "coily": (0.012, 0.012, True)}
CURL_FROM_ROOT_M = 0.02        # the curl grows in over this much strand from the root


def curled(strands, curl, head_centre, rng):
    """``strands`` with the wave or coil of ``curl`` along them: offsets across each strand
    (side to side over the head for a wave, round it for a helix), fading in from the root.
    The period is at least 3 point spacings (16 points show no tighter coil; the children's
    Curl Hair Curves node carries it in Blender)."""
    amplitude, period, helical = CURLS[curl]
    s = np.concatenate([np.zeros((len(strands), 1)),
                        np.cumsum(np.linalg.norm(np.diff(strands, axis=1), axis=2), 1)], 1)
    period = np.maximum(period, 3.0 * s[:, -1:] / (strands.shape[1] - 1))
    along = np.gradient(strands, axis=1)
    along /= np.maximum(np.linalg.norm(along, axis=2, keepdims=True), 1e-9)
    across = np.cross(along, strands - head_centre)
    across /= np.maximum(np.linalg.norm(across, axis=2, keepdims=True), 1e-9)
    third = np.cross(along, across)
    phase = 2 * np.pi * s / period + rng.uniform(0, 2 * np.pi, (len(strands), 1))
    fade = amplitude * np.clip(s / CURL_FROM_ROOT_M, 0.0, 1.0)
    offset = np.sin(phase)[..., None] * across + (np.cos(phase)[..., None] - 1.0) * third * helical
    return strands + fade[..., None] * offset


HAIRLINE_GAP = 0.04           # share of the head's height in the photo: hair this close counts


def bare_skin(head_vertices, quads, mask, rotation, translation, focal_px, principal_point):
    """(V,) bool: the vertices of the posed head ``head_vertices`` that the photo shows bare:
    they face the camera and project onto pixels with no hair near them, below hair in the
    same column (under a hairline, not beside a cropped or missed head of hair) or inside the
    face's oval (a photo cropped at the forehead shows no hairline, but the face is bare where
    the mask has no fringe). Hair neither roots there (receding hairlines, high foreheads and
    temples stay bare) nor hangs over it."""
    bare = np.zeros(len(head_vertices), bool)
    if mask is None or not mask.any():
        return bare
    import cv2
    rotation, translation = np.asarray(rotation, np.float64), np.asarray(translation, np.float64)
    cam = head_vertices @ rotation.T + translation
    px = fit.project(head_vertices, rotation, translation, focal_px, principal_point)
    normals = texture.vertex_normals(head_vertices, quads) @ rotation.T
    facing = (normals * -cam / np.linalg.norm(cam, axis=1, keepdims=True)).sum(1) > 0.3
    h, w = mask.shape
    k = max(3, int(HAIRLINE_GAP * np.ptp(px[:, 1]))) | 1
    near_hair = cv2.dilate(mask.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    hair_above = np.maximum.accumulate(mask, axis=0)          # hair somewhere above, column by column
    oval = np.zeros((h, w), np.uint8)
    outline = fit.project(correspondence.surface_points(head_vertices)[hair.FACE_OVAL], rotation, translation,
                          focal_px, principal_point)
    cv2.fillPoly(oval, [np.round(outline).astype(np.int32)], 1)
    x, y = np.round(px[:, 0]).astype(int), np.round(px[:, 1]).astype(int)
    cand = np.flatnonzero((x >= 0) & (y >= 0) & (x < w) & (y < h) & facing)
    y, x = y[cand], x[cand]
    bare[cand] = ~near_hair[y, x] & (hair_above[y, x] | oval[y, x].astype(bool))
    return bare


SIL_BINS = 72                  # angular bins around the head in the photo
SIL_BAND = 0.25                # strand points this far inside the head's outline (share of its
                               # radius) move with the silhouette, deeper ones stay
SIL_MAX_SHIFT_M = 0.08         # no point moves further than this
SIL_ROOT_M = 0.03              # the move fades in over this much strand from the root
SIL_WORK_PX = 200              # the head's height in the working image


def fit_silhouette(strands, head_vertices, mask, rotation, translation, focal_px, principal_point):
    """Guide ``strands`` (n, k, 3) reshaped so that, seen through the fitted camera (OpenCV
    ``rotation``, ``translation``, ``focal_px``, ``principal_point``; the head posed as in the
    photo, ``head_vertices``), the hair reaches as far out from the head as the photo's hair
    ``mask`` (H, W bool) does, direction by direction.

    Around the head's centre (between the ears), in angular bins, the outermost strand point
    and the outermost mask pixel are compared; strand points near or beyond the head's outline
    move along their direction in the image plane (at their own depth) by the difference,
    fading in from the root, smoothed over neighbouring bins and at most SIL_MAX_SHIFT_M.
    Robust to a wrong mask: points deep inside the outline (the hair over the scalp and the
    back of the head) stay as grown, nothing moves inside the head's outline, directions where
    the mask runs off the photo do not shrink, and hair is not invented where no strand is."""
    strands = np.asarray(strands, np.float64)
    if not len(strands) or mask is None or not mask.any():
        return strands
    rotation, translation = np.asarray(rotation, np.float64), np.asarray(translation, np.float64)
    pp = np.asarray(principal_point, np.float64)
    to_px = lambda cam: cam[..., :2] / cam[..., 2:] * focal_px + pp
    head_cam = head_vertices @ rotation.T + translation
    head_px = to_px(head_cam)
    lm = correspondence.surface_points(head_vertices)
    centre = to_px(0.5 * (lm[EAR_L] + lm[EAR_R]) @ rotation.T + translation)
    scale = SIL_WORK_PX / max(np.ptp(head_px[:, 1]), 1.0)

    def polar(px):
        d = (px - centre) * scale
        return np.arctan2(d[..., 1], d[..., 0]), np.hypot(d[..., 0], d[..., 1])

    def reach(angle, radius):
        b = ((angle + np.pi) / (2 * np.pi) * SIL_BINS).astype(int) % SIL_BINS
        out = np.zeros(SIL_BINS)
        np.maximum.at(out, b, radius)
        return out

    head_r = reach(*polar(head_px))
    ys, xs = np.nonzero(mask)
    step = max(1, len(ys) // 200_000)
    ys, xs = ys[::step], xs[::step]
    mask_a, mask_rad = polar(np.stack([xs, ys], -1).astype(np.float64))
    mask_r = np.max([np.roll(reach(mask_a, mask_rad), s) for s in (-1, 0, 1)], axis=0)   # close 1-bin gaps
    h, w = mask.shape
    edge = (xs <= 1) | (ys <= 1) | (xs >= w - 2) | (ys >= h - 2)
    cut = reach(mask_a[edge], np.ones(edge.sum())) > 0          # the mask runs off the photo here

    cam = strands @ rotation.T + translation
    dense = np.concatenate([cam, 0.5 * (cam[:, 1:] + cam[:, :-1])], 1)   # strand points and midpoints
    hair_r = reach(*polar(to_px(dense)))
    band = SIL_BAND * np.median(head_r)
    near = hair_r > head_r - band                               # strands reach the outline here
    delta = np.where(near, np.maximum(mask_r, head_r) - hair_r, 0.0)
    delta[cut & (delta < 0)] = 0.0
    max_px = SIL_MAX_SHIFT_M * focal_px * scale / float(np.median(head_cam[:, 2]))
    delta = np.clip(delta, -max_px, max_px)
    kernel = np.array([1.0, 2.0, 3.0, 2.0, 1.0])
    num = sum(np.roll(delta * near, s) * kernel[s + 2] for s in range(-2, 3))
    den = sum(np.roll(near.astype(float), s) * kernel[s + 2] for s in range(-2, 3))
    delta = np.where(near, num / np.maximum(den, 1e-9), 0.0)

    angle, radius = polar(to_px(cam))
    u = ((angle + np.pi) / (2 * np.pi) * SIL_BINS - 0.5) % SIL_BINS        # linear between bin centres
    i0 = np.floor(u).astype(int)
    frac = u - i0
    at = lambda arr: arr[i0 % SIL_BINS] * (1 - frac) + arr[(i0 + 1) % SIL_BINS] * frac
    base = at(head_r)
    along = np.concatenate([np.zeros((len(cam), 1)),
                            np.cumsum(np.linalg.norm(np.diff(strands, axis=1), axis=2), 1)], 1)
    weight = np.clip((radius - (base - band)) / band, 0, 1) * np.clip(along / SIL_ROOT_M, 0, 1)
    new_r = radius + at(delta) * weight
    new_r = np.where(new_r < radius, np.maximum(new_r, np.minimum(radius, base)), new_r)
    shift_px = (new_r - radius) / scale
    direction = np.stack([np.cos(angle), np.sin(angle)], -1)
    shift_m = shift_px[..., None] * direction * cam[..., 2:] / focal_px
    norm = np.linalg.norm(shift_m, axis=-1, keepdims=True)
    cam[..., :2] += shift_m * np.minimum(1.0, SIL_MAX_SHIFT_M / np.maximum(norm, 1e-12))
    return (cam - translation) @ rotation


def cards(strands, head_centre, width=CARD_WIDTH_M):
    """Hair cards along the strands: a ribbon per strand facing away from the head.

    Returns (vertices (n*POINTS*2, 3), quads (n*(POINTS-1), 4), uv (per quad corner, 4n, 2)):
    U across the card, V from root (0) to tip (1), for a strand texture with alpha."""
    n, k, _ = strands.shape
    if n == 0:
        return np.zeros((0, 3)), np.zeros((0, 4), np.int64), np.zeros((0, 4, 2))
    along = np.gradient(strands, axis=1)
    along /= np.maximum(np.linalg.norm(along, axis=2, keepdims=True), 1e-9)
    out = strands - head_centre
    across = np.cross(along, out)
    across /= np.maximum(np.linalg.norm(across, axis=2, keepdims=True), 1e-9)
    taper = np.linspace(1.0, 0.6, k)[None, :, None]
    half = 0.5 * width * taper * across
    verts = np.stack([strands - half, strands + half], 2).reshape(-1, 3)         # (n, k, 2) order
    idx = np.arange(n * k * 2).reshape(n, k, 2)
    quads = np.stack([idx[:, :-1, 0], idx[:, :-1, 1], idx[:, 1:, 1], idx[:, 1:, 0]], -1).reshape(-1, 4)
    v = np.linspace(0.0, 1.0, k)
    uv = np.stack([np.stack([np.zeros(k - 1), v[:-1]], -1), np.stack([np.ones(k - 1), v[:-1]], -1),
                   np.stack([np.ones(k - 1), v[1:]], -1), np.stack([np.zeros(k - 1), v[1:]], -1)], 1)
    return verts, quads, np.tile(uv, (n, 1, 1))


# The Principled Hair BSDF (Chiang, colour parametrization, IOR 1.2) renders hair lighter than
# the colour it is given: light scatters through several strands. Median of the rendered hair
# (linear) under an even white world for grey inputs, mean over three avatars (bench/hair_bsdf.py).
BSDF_INPUT = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0)
BSDF_RENDERED = (0.0039, 0.0085, 0.0123, 0.0219, 0.0396, 0.0956, 0.1695, 0.3090, 0.5141, 0.6021, 0.6525)


def bsdf_colour(albedo_linear):
    """The hair BSDF's colour input that renders as ``albedo_linear`` (per channel: the BSDF's
    channels do not mix); beyond the table's ends, the nearest end."""
    return tuple(float(np.interp(a, BSDF_RENDERED, BSDF_INPUT)) for a in np.asarray(albedo_linear, float))


def card_texture(rgb_linear, size=256, seed=0):
    """(size, size, 4) uint8 sRGB + alpha of many thin strands, root at the bottom row
    (V = 0), for the hair cards; the colour varies a little strand by strand."""
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size, 4), np.float32)
    x = np.arange(size)
    for _ in range(size // 3):
        cx, w = rng.uniform(0, size), rng.uniform(0.6, 1.6)
        end = int(size * rng.uniform(0.75, 1.0))           # strands end at different lengths
        shade = np.clip(np.asarray(rgb_linear) * rng.uniform(0.75, 1.25), 0, 1)
        a = np.exp(-0.5 * ((x - cx) / w) ** 2)[None, :] * np.ones((end, 1))
        img[:end, :, :3] = img[:end, :, :3] * (1 - a[..., None]) + shade * a[..., None]
        img[:end, :, 3] = np.maximum(img[:end, :, 3], a)
    out = np.concatenate([texture.linear_to_srgb(img[..., :3]), img[..., 3:]], -1)
    return np.clip(out[::-1] * 255 + 0.5, 0, 255).astype(np.uint8)       # row 0 = top of the image = tip
