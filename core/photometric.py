"""The photometric check: render the avatar's texture through the fitted camera and compare
it with the photo inside the face (PSNR and SSIM).

The texture rendered is the photo-lit one, which is the albedo under the estimated
lighting (texture.bake), so the check covers the fit, the UV mapping, the sampling and
the completion where the photo sees the face.
"""
import numpy as np

from . import texture


def render_view(shape, verts_cam, quads, uv, face_uv_index, tex, focal_px, principal_point):
    """(H, W, 3) float image of the textured head as the camera saw it, and its mask."""
    h, w = shape[:2]
    tris = texture.triangulate(quads)
    uv_tris = uv[texture.triangulate(face_uv_index)]
    z = verts_cam[:, 2]
    pts = np.stack([focal_px * verts_cam[:, 0] / z + principal_point[0],
                    focal_px * verts_cam[:, 1] / z + principal_point[1]], -1)
    ids = texture._rasterize_ids(pts[tris], np.argsort(-z[tris].mean(1)), (h, w))
    ys, xs = np.nonzero(ids >= 0)
    t = ids[ys, xs]
    bary = np.clip(texture.barycentric(np.stack([xs, ys], -1).astype(np.float64),
                                        pts[tris[t, 0]], pts[tris[t, 1]], pts[tris[t, 2]]), 0, 1)
    bary /= bary.sum(1, keepdims=True)
    tuv = np.einsum("nk,nkc->nc", bary, uv_tris[t])
    size = tex.shape[0]
    colors = texture.bilinear(tex, tuv[:, 0] * size - 0.5, (1 - tuv[:, 1]) * size - 0.5)
    out = np.zeros((h, w, 3), np.float32)
    out[ys, xs] = colors
    mask = np.zeros((h, w), bool)
    mask[ys, xs] = True
    return out, mask


def compare(photo, rendered, region):
    """PSNR (dB) and mean SSIM of two uint8-range images inside ``region`` (bool mask)."""
    from skimage.metrics import structural_similarity
    a, b = photo.astype(np.float64), rendered.astype(np.float64)
    mse = ((a - b) ** 2)[region].mean()
    psnr = 10 * np.log10(255.0 ** 2 / max(mse, 1e-12))
    ys, xs = np.nonzero(region)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    _, ssim_map = structural_similarity(a[y0:y1, x0:x1], b[y0:y1, x0:x1], channel_axis=2,
                                        data_range=255.0, full=True)
    ssim = ssim_map.mean(2)[region[y0:y1, x0:x1]].mean()
    return float(psnr), float(ssim)
