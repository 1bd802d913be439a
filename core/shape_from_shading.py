"""Shape from shading where the photo allows: a few Gauss-Newton steps that move the face's
skin along its normals so that its shading under the photo's fitted lighting explains the
photo's luminance (nose, cheekbones, brow ridge), with a strong smoothness prior.

Model: at each visible, frontal-ish face vertex, luminance = albedo x irradiance(normal), with
the irradiance the lighting's second-order spherical harmonics (as the texture's de-lighting,
core.texture) and the albedo smooth over a few centimetres (the photo's luminance over the
shading, blurred on the mesh), so the shading, not the skin's colour, drives the shape. A
height h along the normals tilts them by minus its surface gradient; the residual is taken in
log luminance (the albedo's level does not matter) with a robust (Cauchy) weight so hair,
shadows, stubble and highlights do not pull. The eyes, brows, lips and nostrils are left out
(their colour is not skin's); the heights fade to zero at the face's edge (core.corrective's
support), and are bounded (MAX_MM). The result is corrective offsets (V, 3): h along the
neutral head's normals.
"""
import functools

import numpy as np

from . import correspondence, corrective, head_model, measure, texture

ITERATIONS = 2
SMOOTH = 0.1            # weight of the Laplacian of the heights (mm), relative to the mean data term
MAGNITUDE = 0.002       # weight of the heights' size (mm^2)
ALBEDO_SMOOTHING = 25   # neighbour-averaging rounds for the albedo (about 3 cm on the face)
MAX_MM = 2.5            # no vertex moves further along its normal
MIN_COS = 0.45          # vertices seen more obliquely than this are not used
MAX_YAW_DEG = 35.0      # beyond this head turn the photo shows too little of the face
FEATURE_MM = 7.0        # vertices this close to the eyes', brows', lips' or nostrils' points are left out
NOSTRILS = (79, 166, 75, 60, 20, 238, 239, 241, 242, 250, 309, 392, 305, 290, 250, 458, 459, 461, 462, 289)


@functools.lru_cache(maxsize=1)
def _usable_vertices():
    """Face skin vertices whose colour is skin's: not near the eyes, brows, lips or nostrils."""
    from scipy.spatial import cKDTree
    from mediapipe.python.solutions import face_mesh_connections as c
    hm = head_model.load()
    pts = correspondence.surface_points(hm.template)
    feats = set()
    for group in (c.FACEMESH_LIPS, c.FACEMESH_LEFT_EYE, c.FACEMESH_RIGHT_EYE, c.FACEMESH_LEFT_EYEBROW,
                  c.FACEMESH_RIGHT_EYEBROW):
        feats |= {i for e in group for i in e}
    feats |= set(NOSTRILS) | set(range(468, 478))
    d, _ = cKDTree(pts[sorted(feats)]).query(hm.template)
    return measure.face_region(hm.template, hm.vertex_part) & (d > FEATURE_MM / 1000.0)


def _gradient_operator(verts, tris, n):
    """Sparse (3n, n): per-vertex surface gradient (area-weighted over its triangles) of a
    piecewise-linear function on the mesh, rows interleaved x, y, z."""
    from scipy import sparse
    a, b, c = (verts[tris[:, k]] for k in range(3))
    fn = np.cross(b - a, c - a)
    area2 = np.linalg.norm(fn, axis=1)
    unit = fn / np.maximum(area2, 1e-12)[:, None]
    rows, cols, vals = [], [], []
    # gradient of the hat function of a corner: (normal x opposite edge) / (2 area)
    for k, (p, q) in enumerate(((b, c), (c, a), (a, b))):
        g = np.cross(unit, q - p) / np.maximum(area2, 1e-12)[:, None]      # (T, 3)
        for axis in range(3):
            rows.append(tris * 3 + axis)
            cols.append(np.repeat(tris[:, k:k + 1], 3, 1))
            vals.append((g[:, axis] * area2)[:, None] * np.ones((1, 3)))
    G = sparse.csr_matrix((np.concatenate([v.ravel() for v in vals]),
                           (np.concatenate([r.ravel() for r in rows]), np.concatenate([c.ravel() for c in cols]))),
                          shape=(3 * n, n))
    weight = np.zeros(n)
    for k in range(3):
        np.add.at(weight, tris[:, k], area2)
    return sparse.diags(np.repeat(1.0 / np.maximum(weight, 1e-12), 3)) @ G


def _irradiance(sh_grey, normals):
    return texture.sh_basis(normals) @ sh_grey


def _irradiance_gradient(sh_grey, normals, eps=1e-4):
    """d irradiance / d normal (N, 3), by central differences (the SH are polynomials)."""
    out = np.empty_like(normals)
    for k in range(3):
        e = np.zeros(3)
        e[k] = eps
        out[:, k] = (_irradiance(sh_grey, normals + e) - _irradiance(sh_grey, normals - e)) / (2 * eps)
    return out


class Observation:
    """What one photo says about the face's shading: per head vertex, its linear luminance,
    a usability weight, and the photo's fitted SH lighting (grey, camera frame)."""

    def __init__(self, photo, posed, rotation, translation, focal_px, principal_point, hair_mask=None):
        import cv2
        hm = head_model.load()
        n = hm.n_vertices
        self.rotation, self.translation = np.asarray(rotation), np.asarray(translation)
        self.tris = texture.triangulate(hm.faces)
        cam = posed[:n] @ self.rotation.T + self.translation
        normals = texture.vertex_normals(cam, hm.faces)
        px = np.stack([focal_px * cam[:, 0] / cam[:, 2] + principal_point[0],
                       focal_px * cam[:, 1] / cam[:, 2] + principal_point[1]], -1)
        h, w = photo.shape[:2]
        face = _usable_vertices()
        # the photo, scaled so the face is about 300 px wide and blurred to the vertices' spacing
        width = max(np.ptp(px[face, 0]), 1.0)
        scale = min(1.0, 300.0 / width)
        small = cv2.resize(photo, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small.astype(np.float32) / 255.0, (0, 0), 1.5)
        srgb = texture.bilinear(small, px[:, 0] * scale, px[:, 1] * scale)
        self.lin = texture.srgb_to_linear(srgb)
        cos = -(normals * cam).sum(1) / np.linalg.norm(cam, axis=1)
        inside = (px[:, 0] >= 0) & (px[:, 0] < w) & (px[:, 1] >= 0) & (px[:, 1] < h)
        lum = self.lin @ texture.LUMA
        ok = face & inside & (cos > MIN_COS) & (lum > 0.01) & (srgb.max(1) < 0.97)
        if hair_mask is not None:
            xi = np.clip(np.round(px[:, 0]).astype(int), 0, w - 1)
            yi = np.clip(np.round(px[:, 1]).astype(int), 0, h - 1)
            ok &= ~hair_mask[yi, xi]
        self.weight = np.where(ok, np.clip((cos - MIN_COS) / (1 - MIN_COS), 0, 1), 0.0)
        self.lum = np.maximum(lum, 1e-4)
        skin = (hm.vertex_part == 0) & inside & (cos > 0.3)
        self.sh = texture.fit_lighting(self.lin[skin], normals[skin], np.clip(cos[skin], 0, 1))
        self.sh_grey = self.sh @ texture.LUMA

    def residual(self, posed, gradient_at=None):
        """Per-vertex log-luminance residual of the shading model on the head ``posed`` (V, 3),
        the albedo re-estimated smooth: (residual (n,), irradiance, its normal gradient at the
        vertices ``gradient_at`` (all: None; empty: not wanted), camera-frame vertices)."""
        hm = head_model.load()
        cam = posed[:hm.n_vertices] @ self.rotation.T + self.translation
        normals = texture.vertex_normals(cam, hm.faces)
        s = np.maximum(_irradiance(self.sh_grey, normals), 1e-3)
        ratio = np.log(self.lum / s)
        log_albedo = _smooth_on_mesh(ratio, self.weight)
        grad = np.zeros_like(normals)
        at = np.arange(len(normals)) if gradient_at is None else gradient_at
        grad[at] = _irradiance_gradient(self.sh_grey, normals[at])
        return ratio - log_albedo, s, grad, cam


def _smooth_on_mesh(values, weight):
    """Weighted neighbour averaging of ``values`` (V,) where ``weight`` > 0, ALBEDO_SMOOTHING rounds."""
    _, _, lap = corrective.support()
    from scipy import sparse
    avg = sparse.identity(lap.shape[0], format="csr") - lap           # row-normalised neighbour mean
    step = 0.5 * (sparse.identity(lap.shape[0], format="csr") + avg)
    both = np.stack([values * weight, weight], 1)
    for _ in range(ALBEDO_SMOOTHING):
        both = step @ both
    return both[:, 0] / np.maximum(both[:, 1], 1e-9)


def solve(neutral_vertices, obs, posed, smooth=SMOOTH, iterations=ITERATIONS, mask=None):
    """Corrective offsets (V, 3) in metres: heights along the neutral head's normals that make
    ``posed`` (V, 3, the head seen in the Observation ``obs``) explain its shading. ``mask``
    (V,) bool: the vertices whose shading is used (default all usable ones; a test holds some out)."""
    from scipy import sparse
    from scipy.sparse.linalg import cg
    hm = head_model.load()
    n = hm.n_vertices
    w_fade, free, lap = corrective.support()
    m = len(free)
    weight = obs.weight * (1.0 if mask is None else mask)
    used = np.nonzero(weight > 0)[0]
    if len(used) < 50:
        return np.zeros((n, 3))
    normals0 = texture.vertex_normals(neutral_vertices[:n], hm.faces)
    Wf = sparse.diags(w_fade[free])
    Ls = lap[:, free] @ Wf
    Ls = Ls[np.unique(Ls.nonzero()[0])]
    reg = smooth * (Ls.T @ Ls) + MAGNITUDE * sparse.identity(m)
    x = np.zeros(m)                                              # heights in mm on the free vertices
    expand = sparse.csr_matrix((w_fade[free], (free, np.arange(m))), shape=(n, m))
    norm = 1.0
    # the surface gradient at the start (the heights are a millimetre or two: it hardly changes)
    G = _gradient_operator(posed[:n] @ obs.rotation.T + obs.translation, obs.tris, n) / 1000.0   # per mm
    rows = G[np.repeat(used * 3, 3) + np.tile(np.arange(3), len(used))]
    pick = sparse.csr_matrix((np.ones(3 * len(used)), (np.repeat(np.arange(len(used)), 3), np.arange(3 * len(used)))),
                             shape=(len(used), 3 * len(used)))
    for _ in range(iterations):
        height = expand @ x / 1000.0
        current = posed[:n] + height[:, None] * normals0
        r, s, grad, cam = obs.residual(current, used)
        # d log s / d h = -(grad . G h) / s (normals tilt by minus the height's gradient)
        coef = -grad[used] / s[used, None]                          # (u, 3)
        J = pick @ sparse.diags(coef.ravel()) @ rows @ expand
        # residual of the model: log lum - log albedo - log s(h): r here, and d r / d h = -J
        scale = np.median(np.abs(r[used])) + 1e-6
        robust = 1.0 / (1.0 + (r[used] / (2.0 * scale)) ** 2)
        dw = sparse.diags(norm * weight[used] * robust)
        H = (J.T @ dw @ J + reg).tocsr()
        g = -J.T @ (dw @ r[used]) + reg @ x
        step, _ = cg(H, g, rtol=1e-3, maxiter=500, M=sparse.diags(1.0 / H.diagonal()))
        x = x - step
        x = np.clip(x, -MAX_MM, MAX_MM)
    height = expand @ x / 1000.0
    return height[:, None] * normals0


def shading_error(obs, posed, mask=None):
    """Weighted RMS of the log-luminance residual (smooth albedo re-estimated): how far the
    head's shading under the photo's lighting is from the photo's, at ``mask``'s usable vertices."""
    r, _, _, _ = obs.residual(posed, np.zeros(0, np.int64))
    w = obs.weight * (1.0 if mask is None else mask)
    return float(np.sqrt((w * r * r).sum() / max(w.sum(), 1e-9)))


def for_analysis(an):
    """The shape-from-shading offsets (V, 3) for an analysis' main photo, and what the report
    says about them; zero where the photo does not allow it (a turned head)."""
    from . import fit
    pf = an.main
    yaw = abs(fit.head_pose_degrees(pf.view.rotation)[0])
    n = head_model.load().n_vertices
    if yaw > MAX_YAW_DEG:
        return np.zeros((n, 3)), {"used": False, "reason": f"head turned {yaw:.0f} degrees"}
    obs = Observation(pf.rgb, pf.posed["vertices"], pf.view.rotation, pf.translation, pf.view.focal_px,
                      pf.view.principal_point, an.hair[0].mask if an.hair is not None else None)
    before = shading_error(obs, pf.posed["vertices"])
    offsets = solve(an.neutral["vertices"], obs, pf.posed["vertices"])
    after = shading_error(obs, pf.posed["vertices"][:n] + offsets)
    return offsets, {"used": True, "vertices": int((obs.weight > 0).sum()),
                     "max_mm": round(float(np.linalg.norm(offsets, axis=1).max() * 1000), 3),
                     "log_luminance_rms": [round(before, 4), round(after, 4)]}
