"""Eyebrows and eyelashes: short strands on the brow band and along the lid rims of the
neutral head (the head's frame: metres, Z up, the face towards -Y).

Every strand is anchored to a point on a skin triangle (three head vertices and their
barycentric weights), so Blender can carry it with whatever moves those vertices: the shape
keys (a blink takes the upper lashes down), the bones and the artist's identity sliders. The
brow band and the lid rims come from mediapipe's contours on the head (correspondence), which
sit on anny's brows and lid margins for every identity.
"""
import numpy as np

from . import correspondence, texture

POINTS = 5                       # points per strand
KIND_BROW, KIND_LASH = 0, 1
BROW_STRANDS = 150               # per brow
UPPER_LASHES, LOWER_LASHES = 40, 20   # per eye
BROW_LENGTH_M = 0.008
UPPER_LASH_M, LOWER_LASH_M = 0.009, 0.005
LIFT_M = 0.0004                  # strands start this far off the skin
LASH_RGB = (0.012, 0.009, 0.008)  # linear RGB: lashes are near black whatever the hair's colour

# mediapipe contours on the subject's sides (+X is the subject's left), outer end first
BROWS = {"L": ((276, 283, 282, 295, 285), (300, 293, 334, 296, 336)),     # (lower edge, upper edge)
         "R": ((46, 53, 52, 65, 55), (70, 63, 105, 66, 107))}
LIDS = {"L": ((263, 466, 388, 387, 386, 385, 384, 398, 362), (263, 249, 390, 373, 374, 380, 381, 382, 362)),
        "R": ((33, 246, 161, 160, 159, 158, 157, 173, 133), (33, 7, 163, 144, 145, 153, 154, 155, 133))}


def strands(verts, quads, skin, seed=0):
    """Brow and lash strands for the neutral head ``verts`` (V, 3) with ``quads`` (F, 4);
    ``skin``: (V,) bool of the skin vertices. Returns the result arrays: strands (G, POINTS, 3),
    kind (G,) (KIND_BROW or KIND_LASH), anchor (G, 3) vertex ids and weight (G, 3)."""
    rng = np.random.default_rng(seed)
    surface = _Surface(verts, quads, skin)
    lm = correspondence.surface_points(verts)
    parts = []
    for side in ("L", "R"):
        lower, upper = lm[list(BROWS[side][0])], lm[list(BROWS[side][1])]
        parts.append((KIND_BROW, *_brow(surface, lower, upper, rng)))
        upper_lid, lower_lid = lm[list(LIDS[side][0])], lm[list(LIDS[side][1])]
        centre = np.concatenate([upper_lid, lower_lid]).mean(0)
        parts.append((KIND_LASH, *_lashes(surface, upper_lid, centre, UPPER_LASHES, UPPER_LASH_M, +1.0, rng)))
        parts.append((KIND_LASH, *_lashes(surface, lower_lid, centre, LOWER_LASHES, LOWER_LASH_M, -1.0, rng)))
    return {
        "brow_lash_strands": np.concatenate([p[1] for p in parts]).astype(np.float32),
        "brow_lash_kind": np.concatenate([np.full(len(p[1]), p[0]) for p in parts]).astype(np.int32),
        "brow_lash_anchor": np.concatenate([p[2] for p in parts]).astype(np.int32),
        "brow_lash_weight": np.concatenate([p[3] for p in parts]).astype(np.float32),
    }


def anchored(anchor, weight, vectors):
    """(G, 3) per-strand values of per-vertex ``vectors`` (V, 3): positions or displacements
    at the strands' anchor points."""
    return (weight[..., None] * vectors[anchor]).sum(1)


class _Surface:
    """Skin triangles, for snapping points onto the skin with barycentric anchors."""

    def __init__(self, verts, quads, skin):
        from scipy.spatial import cKDTree
        q = quads[skin[quads].all(1)]
        self.verts = verts
        self.tris = texture.triangulate(q)
        corner = verts[self.tris]
        n = np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0])
        self.normals = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        self.tree = cKDTree(corner.mean(1))

    def snap(self, points):
        """(anchor (n, 3), weight (n, 3), position (n, 3), normal (n, 3)) of the closest skin
        points among the triangles near ``points``."""
        _, cand = self.tree.query(points, k=8)
        c = self.verts[self.tris[cand]]                                   # (n, k, 3 corners, 3)
        w = texture.barycentric(points[:, None], c[..., 0, :], c[..., 1, :], c[..., 2, :])
        w = np.clip(w, 0.0, None)
        w /= w.sum(-1, keepdims=True)
        pos = np.einsum("nkc,nkcd->nkd", w, c)
        best = np.linalg.norm(pos - points[:, None], axis=2).argmin(1)
        rows = np.arange(len(points))
        tri = cand[rows, best]
        return self.tris[tri], w[rows, best], pos[rows, best], self.normals[tri]


def _along(polyline, s):
    """Points at arc-length fractions ``s`` of a polyline, and the unit tangents there."""
    seg = np.linalg.norm(np.diff(polyline, axis=0), axis=1)
    cum = np.r_[0.0, np.cumsum(seg)] / seg.sum()
    pts = np.stack([np.interp(s, cum, polyline[:, k]) for k in range(3)], 1)
    i = np.clip(np.searchsorted(cum, s) - 1, 0, len(seg) - 1)
    tangent = (polyline[i + 1] - polyline[i]) / np.maximum(seg[i, None], 1e-12)
    return pts, tangent


def _grow(root, normal, directions):
    """(n, POINTS, 3) strands from ``root`` along per-step unit ``directions`` (n, POINTS-1, 3)
    of the given step length (their norm), lifted off the skin."""
    steps = np.concatenate([np.zeros_like(root)[:, None], np.cumsum(directions, axis=1)], 1)
    return root[:, None] + LIFT_M * normal[:, None] + steps


def _tangential(d, normal):
    d = d - normal * (d * normal).sum(1, keepdims=True)
    return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)


def _brow(surface, lower, upper, rng):
    """Brow hairs between the brow's lower and upper edges (outer end first): lying on the
    skin, pointing outwards along the brow, the inner ones rising."""
    n = BROW_STRANDS
    s = rng.beta(1.3, 1.1, n)                        # along the brow, 0 at the outer end
    lo, tangent = _along(lower, s)
    hi, _ = _along(upper, s)
    thin = 0.5 + 0.5 * np.clip(s / 0.4, 0.0, 1.0)    # the tail is thinner than the head
    t = 0.5 + (rng.uniform(0.0, 1.0, n) - 0.5) * thin
    anchor, weight, root, normal = surface.snap(lo + (hi - lo) * t[:, None])
    outward = -tangent                               # towards the outer end
    rise = np.clip((s - 0.6) / 0.4, 0.0, 1.0)[:, None]  # the inner head of the brow grows upwards
    want = outward * (1.0 - 0.7 * rise) + np.array([0.0, 0.0, 1.0]) * (0.35 + 0.6 * rise)
    want += rng.normal(0.0, 0.12, (n, 3))
    d = _tangential(want, normal)
    length = BROW_LENGTH_M * rng.uniform(0.7, 1.15, n) * (0.75 + 0.25 * thin)
    u = np.linspace(0.0, 1.0, POINTS - 1)[None, :, None]
    # rise off the skin at the root, then lie down again towards the tip
    dirs = d[:, None] + normal[:, None] * (0.35 - 0.7 * u)
    dirs /= np.linalg.norm(dirs, axis=2, keepdims=True)
    return _grow(root, normal, dirs * (length / (POINTS - 1))[:, None, None]), anchor, weight


def _lashes(surface, rim, centre, count, length_m, up, rng):
    """Lashes along a lid rim (outer corner first): forward, curling up (``up`` = 1, upper
    lid) or down (-1, lower lid), longest in the middle of the lid."""
    s = np.sort(rng.uniform(0.03, 0.88, count))    # none at the inner corner (the tear duct)
    pts, _ = _along(rim, s)
    anchor, weight, root, normal = surface.snap(pts)
    radial = root - centre
    radial[:, 1] = 0.0
    radial /= np.maximum(np.linalg.norm(radial, axis=1, keepdims=True), 1e-12)
    forward = np.array([0.0, -1.0, 0.0])
    base = forward + np.array([0.0, 0.0, 0.45 * up]) + 0.3 * radial
    u = np.linspace(0.0, 1.0, POINTS - 1)[None, :, None]
    dirs = base[:, None] + np.array([0.0, 0.0, 0.9 * up]) * u      # the curl
    dirs /= np.linalg.norm(dirs, axis=2, keepdims=True)
    length = length_m * (0.55 + 0.45 * np.sin(np.pi * s)) * rng.uniform(0.85, 1.1, count)
    return _grow(root, normal, dirs * (length / (POINTS - 1))[:, None, None]), anchor, weight
