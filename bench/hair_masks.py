"""Hair segmentation against the hand-drawn masks in tests/data/hair_masks: IoU per photo and
mean, the segmentation's warm time, and the attributes measured (without the head fit: scale
from the iris distance, skull top estimated from the face).

    .venv/bin/python bench/hair_masks.py
"""
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from core import detect, hair, image_io  # noqa: E402
from tools.measures import MASKS, iou, photo_for, read_mask  # noqa: E402


def main():
    rows, times = [], []
    for name in sorted(os.listdir(MASKS)):
        if not name.endswith(".png"):
            continue
        stem = name[:-4]
        rgb = image_io.read_photo(photo_for(stem))
        truth = read_mask(os.path.join(MASKS, name))
        det = detect.detect(rgb)
        hair.segment(rgb, det.landmarks)                       # warm
        t = time.perf_counter()
        seg = hair.segment(rgb, det.landmarks)
        times.append((time.perf_counter() - t) * 1000)
        at = hair.attributes(seg, rgb, det.landmarks)
        rows.append((stem, iou(seg.mask, truth), truth.mean(), seg.mask.mean(), at, rgb.shape))
    print(f"{'photo':16} {'size':>10} {'IoU':>6} {'truth':>6} {'found':>6}  length / volume / parting / fringe / bald / colour")
    for (stem, v, t_share, f_share, at, shape), ms in zip(rows, times):
        print(f"{stem:16} {shape[1]:>4}x{shape[0]:<5} {v:6.3f} {t_share:6.3f} {f_share:6.3f}  {at.length}, "
              f"{at.length_below_chin_cm:+.1f} cm / {at.volume_cm:.1f} cm / {at.parting} / {at.fringe:.2f} / "
              f"{'bald' if at.bald else 'shaved' if at.shaved else '-'} / {at.colour_srgb}  ({ms:.0f} ms)")
    with_hair = [v for stem, v, t_share, *_ in rows if t_share > 0]
    print(f"mean IoU over {len(with_hair)} photos with visible hair: {np.mean(with_hair):.3f} "
          f"(median {np.median(with_hair):.3f}); over all {len(rows)}: {np.mean([r[1] for r in rows]):.3f}")
    print(f"segmentation, warm: mean {np.mean(times):.0f} ms, median {np.median(times):.0f} ms, "
          f"max {np.max(times):.0f} ms")


if __name__ == "__main__":
    main()
