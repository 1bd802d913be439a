"""The avatar's hair against the photo's: each photo is built into an avatar with Blender hair
curves (as ``likeness avatar --hair curves`` does), the hair alone is rendered through the
fitted camera (Cycles on the CPU, the head as a holdout, a transparent film, even white
light: the light the measured, de-lit colour is meant for), and compared with the photo:

* IoU of the rendered hair silhouette (alpha > 0.5) against the photo's hair mask: the
  hand-drawn mask of tests/data/hair_masks where there is one ("hand"), else the automatic
  segmentation ("auto"); the IoU against the automatic mask (what the hair was shaped to)
  is printed too;
* CIEDE2000 between the median colour (per channel, linear RGB) of the rendered hair pixels
  and of the photo's hair pixels (the mask, eroded: its edges mix with the background).

Targets (issue 5): IoU >= 0.7, ΔE00 <= 10.

    .venv/bin/python bench/hair_check.py [--height 320] [--samples 8] [--keep DIR] [PHOTO_STEM ...]

The render and comparison functions (tools/renders.py) are shared with tests/test_hair_silhouette.py.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tools.measures import MASKS, photo_for, read_mask  # noqa: E402
from tools.renders import build, compare, render_hair  # noqa: E402

# photos with visible hair but no hand-drawn mask (checked against the automatic segmentation)
MORE = ("106348540_1", "1092587063_1", "111168419_1")


def auto_mask(photo_rgb):
    """The pipeline's own hair segmentation of the photo (what the hair was shaped to)."""
    from core import detect, hair
    return hair.segment(photo_rgb, detect.detect(photo_rgb).landmarks).mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stems", nargs="*", help="photo stems (default: every hand-masked photo and a few more)")
    ap.add_argument("--height", type=int, default=320)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--keep", help="folder for the renders")
    args = ap.parse_args()
    stems = args.stems or sorted(n[:-4] for n in os.listdir(MASKS) if n.endswith(".png")) + list(MORE)
    import cli
    from core import image_io
    bpy, _ = cli.enable_addon()
    folder = args.keep or tempfile.mkdtemp(prefix="likeness-hair-check-")
    os.makedirs(folder, exist_ok=True)
    rows = []
    print(f"{'photo':14} {'mask':5} {'IoU':>6} {'IoU auto':>8} {'ΔE00':>6}  {'hair':>5} {'length':17} "
          f"{'build s':>7} {'render s':>8}")
    for stem in stems:
        photo = photo_for(stem)
        rgb = image_io.read_photo(photo)
        hand = os.path.join(MASKS, stem + ".png")
        auto = auto_mask(rgb)
        truth, kind = (read_mask(hand), "hand") if os.path.exists(hand) else (auto, "auto")
        t = time.perf_counter()
        try:
            rig = build(bpy, photo, keep_dir=os.path.join(folder, stem))
        except RuntimeError as exc:
            print(f"{stem:14} build failed: {exc}")
            continue
        t_build = time.perf_counter() - t
        t = time.perf_counter()
        render = render_hair(bpy, rig, os.path.join(folder, stem + ".png"), args.height, args.samples)
        t_render = time.perf_counter() - t
        v, de, share = compare(render, truth, rgb)
        v_auto = compare(render, auto, rgb)[0]
        with open(os.path.join(folder, stem, "report.json"), encoding="utf-8") as fh:
            length = json.load(fh).get("hair", {}).get("length", "?")
        rows.append((stem, kind, v, v_auto, de, truth.any()))
        print(f"{stem:14} {kind:5} {v:6.3f} {v_auto:8.3f} {de:6.2f}  {share:5.3f} {length:17} "
              f"{t_build:7.1f} {t_render:8.1f}", flush=True)
    seen = [r for r in rows if r[5]]
    print(f"== {len(seen)} photos with visible hair: mean IoU {np.mean([r[2] for r in seen]):.3f} "
          f"(hand-masked {np.mean([r[2] for r in seen if r[1] == 'hand']):.3f}), "
          f"mean IoU vs the automatic mask {np.mean([r[3] for r in seen]):.3f}, "
          f"IoU >= 0.7 on {sum(r[2] >= 0.7 for r in seen)}; mean ΔE00 {np.nanmean([r[4] for r in seen]):.2f}, "
          f"ΔE00 <= 10 on {sum(r[4] <= 10 for r in seen)}")
    print(f"renders in {folder}")


if __name__ == "__main__":
    main()
