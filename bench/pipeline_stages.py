"""Warm per-stage timings of the avatar pipeline (worker side) on real photos.

    .venv/bin/python bench/pipeline_stages.py [--data DIR] [--limit N]

Prints, per texture size, the median and 90th percentile of each stage in ms,
and the fit residual in pixels. The first photo is run once untimed to warm up.
"""
import argparse
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import assembly  # noqa: E402
from bench.common import DATA, face_photos  # noqa: E402
from core.errors import LikenessError  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--limit", type=int, default=12)
    args = ap.parse_args()
    photos = face_photos(args.data, args.limit)
    tmp = tempfile.mkdtemp()
    assembly.build_avatar(photos[:1], tmp, texture_size=1024)
    for size in assembly.TEXTURE_SIZES:
        rows, residuals, failed = [], [], 0
        for photo in photos:
            try:
                rep = assembly.build_avatar([photo], tmp, texture_size=size)
            except LikenessError:
                failed += 1
                continue
            rows.append(rep["timings_ms"])
            residuals.append(rep["fit_residual_px"])
        print(f"texture {size}: {len(rows)} photos, {failed} failed")
        for stage in ("read", "detect", "fit", "corrective", "hair", "shading", "texture", "total"):
            if stage not in rows[0]:
                continue
            v = np.array([r[stage] for r in rows])
            print(f"  {stage:8s} median {np.median(v):8.1f} ms   p90 {np.percentile(v, 90):8.1f} ms")
        print(f"  fit residual median {np.median(residuals):.2f} px, max {np.max(residuals):.2f} px")


if __name__ == "__main__":
    main()
