"""Hair segmentation against the hand-drawn masks in tests/data/hair_masks, photo by photo:
IoU, the length class and the median colour measured on our mask against the same measures on
the hand mask (CIEDE2000), the curl class, the warnings, and the segmentation's warm time.
Photos the segmenter was trained on are marked and summed up apart from the held-out ones
(models/train_hair_segmenter.py VALIDATION): only the held-out figures say how it does on
photos it has not seen. Scale from the iris distance, skull top estimated from the face (no
head fit), as the figures are about the segmentation.

    .venv/bin/python bench/hair_masks.py [STEM ...]
"""
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "models"))
from core import detect, hair, image_io  # noqa: E402
from tools.measures import MASKS, ciede2000, iou, median_lab, photo_for, read_mask  # noqa: E402
from train_hair_segmenter import VALIDATION  # noqa: E402


def _median_colour(rgb, mask):
    return median_lab(rgb[mask][::max(1, int(mask.sum()) // 50_000)] / 255.0) if mask.sum() >= 50 else None


def main():
    stems = sys.argv[1:] or sorted(n[:-4] for n in os.listdir(MASKS) if n.endswith(".png"))
    rows = []
    print(f"{'photo':16} {'set':8} {'IoU':>6} {'truth':>6} {'found':>6} {'ΔE00':>5}  length (hand -> ours) / curl "
          f"/ warnings  (ms)")
    for stem in stems:
        rgb = image_io.read_photo(photo_for(stem))
        truth = read_mask(os.path.join(MASKS, stem + ".png"))
        det = detect.detect(rgb)
        hair.segment(rgb, det.landmarks)                       # warm
        t = time.perf_counter()
        seg = hair.segment(rgb, det.landmarks)
        ms = (time.perf_counter() - t) * 1000
        at = hair.attributes(seg, rgb, det.landmarks)
        hand = hair.attributes(hair.Segmentation(truth, seg.frame), rgb, det.landmarks)
        a, b = _median_colour(rgb, truth), _median_colour(rgb, seg.mask)
        de = float(ciede2000(a, b)) if a is not None and b is not None else float("nan")
        held = stem in VALIDATION
        v = iou(seg.mask, truth)
        rows.append((held, truth.any(), v, hand.length == at.length, de, ms))
        print(f"{stem:16} {'held-out' if held else 'trained':8} {v:6.3f} {truth.mean():6.3f} {seg.mask.mean():6.3f} "
              f"{de:5.1f}  {hand.length} -> {at.length} / {at.curl} ({at.curl_coherence:.2f})"
              f"{' / WEAK' if at.weak_evidence else ''}{' / GREY' if at.greyscale else ''}  ({ms:.0f})", flush=True)
    for name, pick in (("held out", lambda r: r[0]), ("trained on", lambda r: not r[0]), ("all", lambda r: True)):
        sel = [r for r in rows if pick(r)]
        hairy = [r for r in sel if r[1]]
        if not sel:
            continue
        des = [r[4] for r in hairy if np.isfinite(r[4])] or [float("nan")]
        if not hairy:
            continue
        print(f"{name}: {len(sel)} photos; IoU mean {np.mean([r[2] for r in hairy]):.3f} over the {len(hairy)} with "
              f"hair (median {np.median([r[2] for r in hairy]):.3f}), {np.mean([r[2] for r in sel]):.3f} over all; "
              f"length class as the hand mask's on {sum(r[3] for r in sel)}/{len(sel)}; "
              f"ΔE00 median colour: mean {np.mean(des):.1f}, max {np.max(des):.1f}, "
              f"over 10 on {sum(d > 10 for d in des)}")
    ms = [r[5] for r in rows]
    print(f"segmentation, warm: mean {np.mean(ms):.0f} ms, median {np.median(ms):.0f} ms, max {np.max(ms):.0f} ms")


if __name__ == "__main__":
    main()
