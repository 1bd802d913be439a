"""A first texture: the photo projected into the head's UV layout.

Each texel inside a UV triangle gets its 3D point on the fitted (expressive)
head, which is projected into the photo with the fitted camera. A texel takes
the photo's colour where its point is visible (depth test against a z-buffer
of the head in the photo) and faces the camera; its weight fades towards
grazing angles. Everything the photo cannot see is filled by push-pull
(a weighted image pyramid), so the texture has no holes. Completion by
symmetry and de-lighting come later (issue 4).
"""
import numpy as np

ZBUFFER_MAX_SIDE = 2048    # the visibility test needs no more; colours are still sampled at full size
GRAZING_COS = 0.25        # below this cosine between normal and view ray, the photo is not used
DEPTH_TOLERANCE_M = 0.006


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


def uv_rasterize(uv_tris, size):
    """Per texel: triangle id (-1 outside) and barycentric weights, for a size x size map."""
    px = np.stack([uv_tris[..., 0] * size - 0.5, (1.0 - uv_tris[..., 1]) * size - 0.5], -1)
    ids = _rasterize_ids(px, range(len(px)), (size, size))
    ys, xs = np.nonzero(ids >= 0)
    t = ids[ys, xs]
    a, b, c = px[t, 0], px[t, 1], px[t, 2]
    p = np.stack([xs, ys], -1).astype(np.float64)
    v0, v1, v2 = b - a, c - a, p - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    den = np.where(np.abs(den) < 1e-12, 1e-12, den)
    w1 = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
    w2 = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
    bary = np.clip(np.stack([1 - w1 - w2, w1, w2], -1), 0.0, 1.0)
    bary /= bary.sum(1, keepdims=True)
    return ids, (ys, xs, t, bary)


def push_pull_fill(color, weight):
    """Fill where ``weight`` is 0 from a weighted pyramid of ``color`` (H, W, C) float."""
    import cv2
    levels = [(color * weight[..., None], weight)]
    while min(levels[-1][1].shape) > 1:
        c, w = levels[-1]
        h2, w2 = (c.shape[0] + 1) // 2, (c.shape[1] + 1) // 2
        levels.append((cv2.resize(c, (w2, h2), interpolation=cv2.INTER_AREA),
                       cv2.resize(w, (w2, h2), interpolation=cv2.INTER_AREA)))
    c, w = levels[-1]
    filled = c / np.maximum(w, 1e-8)[..., None]
    for c, w in reversed(levels[:-1]):
        up = cv2.resize(filled, (c.shape[1], c.shape[0]), interpolation=cv2.INTER_LINEAR)
        own = c / np.maximum(w, 1e-8)[..., None]
        alpha = np.clip(w, 0.0, 1.0)[..., None]
        filled = alpha * own + (1 - alpha) * up
    return filled


def bilinear(img, x, y):
    """Sample img (H, W, C) at float pixel positions, clamped at the border."""
    h, w = img.shape[:2]
    x = np.clip(x, 0, w - 1)
    y = np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(int), w - 2)
    y0 = np.minimum(np.floor(y).astype(int), h - 2)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    at = lambda yy, xx: img[yy, xx].astype(np.float32)      # gather first: photos can be huge
    top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx
    bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx
    return top * (1 - fy) + bottom * fy


def project_photo(photo, verts_cam, quads, uv, face_uv_index, focal_px, principal_point, size):
    """Texture (size, size, 3) uint8, and the share of the head's texels the photo covers.

    ``verts_cam``: (V, 3) head vertices in the camera frame (OpenCV axes, metres).
    """
    import cv2
    h, w = photo.shape[:2]
    tris = triangulate(quads)
    uv_tris = uv[triangulate(face_uv_index)]
    z = verts_cam[:, 2]
    img_pts = np.stack([focal_px * verts_cam[:, 0] / z + principal_point[0],
                        focal_px * verts_cam[:, 1] / z + principal_point[1]], -1)

    # z-buffer by painter's algorithm (far to near), then depth of the nearest triangle
    zs = min(1.0, ZBUFFER_MAX_SIDE / max(h, w))
    zh, zw = max(1, round(h * zs)), max(1, round(w * zs))
    tri_depth = z[tris].mean(1)
    ids = _rasterize_ids(img_pts[tris] * zs, np.argsort(-tri_depth), (zh, zw))
    depth = np.where(ids >= 0, tri_depth[np.maximum(ids, 0)], np.inf)

    texel_ids, (ys, xs, t, bary) = uv_rasterize(uv_tris, size)
    tv = tris[t]
    p3 = np.einsum("nk,nkc->nc", bary, verts_cam[tv])
    normals = _vertex_normals(verts_cam, tris)
    n3 = np.einsum("nk,nkc->nc", bary, normals[tv])
    view = -p3 / np.linalg.norm(p3, axis=1, keepdims=True)
    cos = (n3 * view).sum(1) / np.maximum(np.linalg.norm(n3, axis=1), 1e-12)
    px = focal_px * p3[:, 0] / p3[:, 2] + principal_point[0]
    py = focal_px * p3[:, 1] / p3[:, 2] + principal_point[1]
    inside = (px >= 0) & (px <= w - 1) & (py >= 0) & (py <= h - 1)
    xi = np.clip(np.round(px * zs).astype(int), 0, zw - 1)
    yi = np.clip(np.round(py * zs).astype(int), 0, zh - 1)
    visible = inside & (p3[:, 2] <= depth[yi, xi] + DEPTH_TOLERANCE_M)
    weight = np.where(visible, np.clip((cos - GRAZING_COS) / (1 - GRAZING_COS), 0, 1), 0.0)
    weight = np.sqrt(weight)

    samples = bilinear(photo, px, py)
    color = np.zeros((size, size, 3), np.float32)
    wmap = np.zeros((size, size), np.float32)
    color[ys, xs] = samples.astype(np.float32) / 255.0
    wmap[ys, xs] = weight
    filled = push_pull_fill(color, wmap)
    texture = np.clip(filled * 255.0 + 0.5, 0, 255).astype(np.uint8)
    coverage = float((weight > 0).mean())
    return texture, coverage, texel_ids >= 0
