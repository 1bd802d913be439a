"""A smooth corrective shape on the face: per-vertex offsets that take the fitted head beyond
what anny's phenotype and local changes can reach.

The offsets are an identity property (added to the neutral head, so the 52 expression keys,
which are relative, and the rig carry them along). They are solved as a sparse linear least
squares over the face's skin vertices (fading to zero towards scalp, neck and ears):

* data: mediapipe's 478 points on the fitted, posed head, through each photo's fitted camera
  (linearised: the offsets are a few mm), against the detected points, as image-plane
  millimetres at the point's depth; the face-oval points count only across the outline
  (they slide along it) and the irises not at all (the eyeballs follow the lids);
* smoothness: the uniform Laplacian of the offsets (a membrane/bending energy), strong;
* depth: one photo does not see depth, so movement along the main camera's axis is damped
  strongly (with several photos less so); a small magnitude term keeps the rest near zero.

A robust (Huber) weight keeps one bad detection from denting the face. The eyeballs, the eye
bones and so the corneas move rigidly with the mean offset of their lids (``apply``).
"""
import functools

import numpy as np

from . import correspondence, head_model, measure

FADE_M = 0.015          # the offsets fade to zero over this distance outside the face region
SMOOTH = 30.0           # weight of the Laplacian term (per vertex, mm^2 units)
MAGNITUDE = 0.02        # weight of the offsets' size (mm^2)
DEPTH = 2.0             # weight of the offsets along the main camera's axis, one photo
BROW_WEIGHT = 0.0       # mediapipe's brow points sit off the brow's edge (the human annotations'): left to the fit
HUBER_MM = 2.0          # image-plane residuals beyond this count linearly
MAX_MM = 6.0            # no vertex moves further (a safety bound, not a target)
ITERATIONS = 2
LID_RADIUS_M = 0.006    # skin within this distance of an eyeball's surface: its lids


@functools.lru_cache(maxsize=1)
def _oval():
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_FACE_OVAL
    edges = list(FACEMESH_FACE_OVAL)
    nxt = dict(edges)
    start = edges[0][0]
    ring = [start]
    while nxt[ring[-1]] != start:
        ring.append(nxt[ring[-1]])
    return np.array(ring)


@functools.lru_cache(maxsize=1)
def _point_weights():
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_LEFT_EYEBROW, FACEMESH_RIGHT_EYEBROW
    w = np.ones(478)
    w[sorted({i for e in FACEMESH_LEFT_EYEBROW | FACEMESH_RIGHT_EYEBROW for i in e})] = BROW_WEIGHT
    w[468:] = 0.0                          # irises: the eyeballs follow the lids
    return w


@functools.lru_cache(maxsize=1)
def support():
    """(weight (V,) 1 on the face fading to 0, free vertex ids, uniform Laplacian (V, V) sparse)."""
    from scipy import sparse
    from scipy.spatial import cKDTree
    hm = head_model.load()
    face = measure.face_region(hm.template, hm.vertex_part)
    d, _ = cKDTree(hm.template[face]).query(hm.template)
    w = np.clip(1.0 - d / FADE_M, 0.0, 1.0)
    w = w * w * (3 - 2 * w)                                       # smoothstep fade
    w *= 1.0 - measure.scalp_weights(hm.template, hm.vertex_part, hm.region_vertices("ear"))   # hair grows there
    w[(hm.vertex_part != 0) | hm.region_vertices("ear")] = 0.0
    f = hm.faces
    i = np.concatenate([f[:, k] for k in range(4)])
    j = np.concatenate([f[:, (k + 1) % 4] for k in range(4)])
    n = hm.n_vertices
    adj = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    adj = ((adj + adj.T) > 0).astype(np.float64)
    deg = np.asarray(adj.sum(1)).ravel()
    lap = sparse.identity(n, format="csr") - sparse.diags(1.0 / np.maximum(deg, 1)) @ adj
    free = np.nonzero(w > 1e-3)[0]
    return w, free, lap.tocsr()


def _lids(hm, neutral_vertices):
    """Per eye part: (part index, skin vertex ids of its lids)."""
    out = []
    skin = np.nonzero(hm.vertex_part == 0)[0]
    for name in ("eye.L", "eye.R"):
        part = head_model.PART_NAMES.index(name)
        eye = neutral_vertices[hm.vertex_part == part]
        centre = eye.mean(0)
        radius = np.linalg.norm(eye - centre, axis=1).max()
        near = np.linalg.norm(neutral_vertices[skin] - centre, axis=1) < radius + LID_RADIUS_M
        out.append((part, skin[near]))
    return out


def solve(neutral_vertices, views, smooth=SMOOTH, depth=DEPTH, iterations=ITERATIONS):
    """Offsets (V, 3) in metres for the neutral head ``neutral_vertices`` (V, 3, the result's
    frame) seen in ``views``: a list of dicts with "posed" (V, 3) the head with that photo's
    expression, "rotation" (3, 3), "translation" (3,) (camera from the result's frame),
    "focal_px", "principal_point", "landmarks" (478, 2) detected. The first view is the main one."""
    from scipy import sparse
    from scipy.sparse.linalg import cg
    hm = head_model.load()
    w, free, lap = support()
    n, m = hm.n_vertices, len(free)
    tri, bary = correspondence.mediapipe_embedding()
    # point -> free-unknown weights (478, V) restricted to free columns, fade included
    P = sparse.csr_matrix((bary.ravel() * w[tri.ravel()], (np.repeat(np.arange(478), 3), tri.ravel())),
                          shape=(478, n))[:, free]
    oval = _oval()
    pw = _point_weights()
    use = pw > 0
    is_oval = np.zeros(478, bool)
    is_oval[oval] = True
    R0 = views[0]["rotation"]
    axis = R0[2]                                          # the main camera's axis in the head frame
    depth_w = depth / len(views)
    reg = (_smooth_and_small(smooth)
           + depth_w * sparse.kron(sparse.identity(m), sparse.csr_matrix(np.outer(axis, axis))))
    inner = np.nonzero(use & ~is_oval)[0]
    point_w = np.concatenate([pw[inner], pw[inner], pw[oval]])          # the rows of _data_rows
    x = np.zeros(3 * m)
    for _ in range(iterations):
        H, g = reg, reg @ x
        offsets = _offsets_from(x, free, w, n)
        for view in views:
            A, r = _data_rows(view, offsets, P, tri, bary, inner, oval)
            robust = np.where(np.abs(r) > HUBER_MM, HUBER_MM / np.maximum(np.abs(r), 1e-9), 1.0)
            sw = np.sqrt(robust * point_w / len(views))
            A = sparse.diags(sw) @ A
            r = sw * r
            H = H + A.T @ A
            g = g + A.T @ r
        H = H.tocsr()
        # conjugate gradients (the system is positive definite), Jacobi-preconditioned:
        # several times faster than a direct sparse solve here
        precond = sparse.diags(1.0 / H.diagonal())
        step, _ = cg(H, g, rtol=1e-3, maxiter=400, M=precond)
        x = x - step
    offsets = _offsets_from(x, free, w, n)
    norm = np.linalg.norm(offsets, axis=1).max() * 1000
    if norm > MAX_MM:
        offsets *= MAX_MM / norm
    return offsets


@functools.lru_cache(maxsize=2)
def _smooth_and_small(smooth):
    """The regularisers that do not depend on the photo, on x (mm, free vertices, interleaved
    xyz): smoothness (the Laplacian) and size."""
    from scipy import sparse
    w, free, lap = support()
    Ls = lap[:, free] @ sparse.diags(w[free])
    Ls = Ls[np.unique(Ls.nonzero()[0])]
    return (smooth * sparse.kron(Ls.T @ Ls, sparse.identity(3)) + MAGNITUDE * sparse.identity(3 * len(free))).tocsr()


def _offsets_from(x, free, w, n):
    out = np.zeros((n, 3))
    out[free] = x.reshape(-1, 3) * w[free, None] / 1000.0
    return out


def _data_rows(view, offsets, P, tri, bary, inner, oval):
    """Linearised image-plane residuals (mm at the point's depth) and their Jacobian in the
    free unknowns (mm)."""
    from scipy import sparse
    R, t, f, c = view["rotation"], view["translation"], view["focal_px"], np.asarray(view["principal_point"])
    X = np.einsum("pkc,pk->pc", (view["posed"] + offsets)[tri], bary)
    Xc = X @ R.T + t
    z = Xc[:, 2]
    uv = f * Xc[:, :2] / z[:, None] + c
    target = np.asarray(view["landmarks"], np.float64)
    r = (uv - target) * (z / f * 1000.0)[:, None]            # mm in the image plane
    D = np.zeros((478, 2, 3))
    D[:, 0, 0] = D[:, 1, 1] = 1.0
    D[:, :, 2] = -Xc[:, :2] / z[:, None]
    G = D @ R                                                   # mm of residual per mm of offset
    # the oval: only across the detected outline (normal of the polyline at each point)
    ring = target[oval]
    tangent = np.roll(ring, -1, 0) - np.roll(ring, 1, 0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], 1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    nrm = np.zeros((478, 2))
    nrm[oval] = normal
    res = []
    # build the Jacobian: for point p, rows (2 or 1) x (3 per free vertex)
    Pin = P[inner]
    blocks = []
    for k in range(2):
        blocks.append(sparse.hstack([sparse.diags(G[inner, k, c]) @ Pin for c in range(3)]))
        res.append(r[inner, k])
    Po = P[oval]
    Gn = np.einsum("pk,pkc->pc", nrm[oval], G[oval])
    blocks.append(sparse.hstack([sparse.diags(Gn[:, c]) @ Po for c in range(3)]))
    res.append((nrm[oval] * r[oval]).sum(1))
    A = sparse.vstack(blocks).tocsr()
    # columns are [x of all free, y of all free, z of all free]; reorder to interleaved xyz
    m = P.shape[1]
    order = np.arange(3 * m).reshape(3, m).T.ravel()
    return A[:, order], np.concatenate(res)


def with_eyes(hm, neutral_vertices, offsets):
    """The skin's ``offsets`` (V, 3) with each eyeball moved rigidly by its lids' mean offset."""
    offsets = np.array(offsets, np.float64)
    for part, lids in _lids(hm, neutral_vertices):
        offsets[hm.vertex_part == part] = offsets[lids].mean(0) if len(lids) else 0.0
    return offsets


def apply(hm, head, offsets):
    """``head`` (a head_model.forward dict, neutral or posed) with the corrective ``offsets``
    (V, 3, from with_eyes): the vertices move by them, each eye bone with its eyeball."""
    offsets = np.asarray(offsets, np.float64)
    out = dict(head)
    bone_shift = np.zeros((len(hm.bone_labels), 3))
    for name in ("eye.L", "eye.R"):
        part = hm.vertex_part == head_model.PART_NAMES.index(name)
        bone_shift[hm.bone_labels.index(name)] = offsets[part].mean(0)
    out["vertices"] = head["vertices"] + offsets
    if "bone_heads" in head:
        out["bone_heads"] = head["bone_heads"] + bone_shift
        out["bone_tails"] = head["bone_tails"] + bone_shift
        mats = head["bone_matrices"].copy()
        mats[:, :3, 3] += bone_shift
        out["bone_matrices"] = mats
    return out


def summary_mm(offsets):
    """{"max", "mean"} of the offsets' length over the vertices they move, in mm."""
    d = np.linalg.norm(np.asarray(offsets), axis=1) * 1000.0
    moved = d[d > 1e-6]
    return {"max": round(float(d.max()), 3) if len(d) else 0.0,
            "mean": round(float(moved.mean()), 3) if len(moved) else 0.0}
