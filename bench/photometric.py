"""Photometric check: the avatar re-rendered through the fitted camera under the estimated
lighting (the photo-lit texture) against the photo, inside the face (the convex hull of
the fitted 68 points, shrunk by 4 % of the face width). Target: PSNR at least 24 dB.
Also prints the warm texture-stage time at 1K, 2K and 4K.

    .venv/bin/python bench/photometric.py [--limit N]
"""
import argparse
import glob
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import head_model, image_io, photometric, pipeline  # noqa: E402
from core.errors import LikenessError  # noqa: E402
from bench.common import DATA  # noqa: E402


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
    args = ap.parse_args()
    photos = (sorted(glob.glob(os.path.join(args.data, "faces", "lfpw", "*.png")))
              + sorted(glob.glob(os.path.join(args.data, "faces", "menpo", "*.[jp][pn]g")))
              + sorted(glob.glob(os.path.join(args.data, "faces", "helen_train", "*.jpg"))))[:args.limit]
    hm = head_model.load()
    out = tempfile.mkdtemp()
    rows = []
    for photo in photos:
        try:
            an = pipeline.analyse([photo])
            report = pipeline.build_avatar([photo], out, texture_size=args.size)
        except LikenessError:
            continue
        main_photo = an.main
        lit = image_io.read_photo(os.path.join(out, "texture_lit.png"))
        verts_cam = main_photo.posed["vertices"] @ main_photo.view.rotation.T + main_photo.translation
        rendered, mask = photometric.render_view(main_photo.rgb.shape, verts_cam, hm.faces, hm.uv,
                                                 hm.face_uv_index, lit, main_photo.view.focal_px,
                                                 main_photo.view.principal_point)
        lm = np.array(report["landmarks68"])
        region = face_mask(main_photo.rgb.shape, lm, 0.04 * np.ptp(lm[:, 0])) & mask
        psnr, ssim = photometric.compare(main_photo.rgb, rendered, region)
        rows.append((os.path.basename(photo), psnr, ssim, report["timings_ms"]["texture"]))
        print(f"{rows[-1][0]:22s} PSNR {psnr:5.2f} dB  SSIM {ssim:.3f}")
    psnr = np.array([r[1] for r in rows])
    ssim = np.array([r[2] for r in rows])
    print(f"== {len(rows)} photos at {args.size}: PSNR mean {psnr.mean():.2f} dB (min {psnr.min():.2f}, "
          f"{(psnr >= 24).mean() * 100:.0f} % at or above 24 dB), SSIM mean {ssim.mean():.3f}")
    for size in pipeline.TEXTURE_SIZES:
        times = []
        for photo in photos[:6]:
            times.append(pipeline.build_avatar([photo], out, texture_size=size)["timings_ms"]["texture"])
        print(f"texture stage at {size}: median {np.median(times[1:]):.0f} ms (warm)")


if __name__ == "__main__":
    main()
