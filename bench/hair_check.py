"""The avatar's hair against the photo's: each photo is built into an avatar with Blender hair
curves (as ``likeness avatar --hair curves`` does), the hair alone is rendered through the
fitted camera (Cycles on the CPU, the head as a holdout, a transparent film, even white
light: the light the measured, de-lit colour is meant for), and compared with the photo:

* IoU of the rendered hair silhouette (alpha > 0.5) against the photo's hand-drawn hair mask
  (tests/data/hair_masks: every photo has one); the IoU against the automatic mask (what the
  hair was shaped to) is printed too, and whether the segmenter was trained on the photo;
* CIEDE2000 between the median colour (per channel, linear RGB) of the rendered hair pixels
  and of the photo's hair pixels (the mask, eroded: its edges mix with the background).

Targets (issues 5 and 18): IoU >= 0.7, ΔE00 <= 10 on every photo.

    .venv/bin/python bench/hair_check.py [--height 320] [--samples 8] [--keep DIR] [--sheet PNG] [PHOTO_STEM ...]

``--sheet docs/hair_sheet.png`` draws each photo's head beside its avatar's hair seen through
the same camera (over grey), with the style chosen, for the photos given (12 at most).

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

sys.path.insert(0, os.path.join(ROOT, "models"))
from train_hair_segmenter import VALIDATION  # noqa: E402


def auto_mask(photo_rgb):
    """The pipeline's own hair segmentation of the photo (what the hair was shaped to)."""
    from core import detect, hair
    return hair.segment(photo_rgb, detect.detect(photo_rgb).landmarks).mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stems", nargs="*", help="photo stems (default: every hand-masked photo)")
    ap.add_argument("--height", type=int, default=320)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--keep", help="folder for the renders")
    ap.add_argument("--sheet", help="write a sheet of the photos beside their avatars' hair here (PNG)")
    args = ap.parse_args()
    stems = args.stems or sorted(n[:-4] for n in os.listdir(MASKS) if n.endswith(".png"))
    import cli
    from core import image_io
    bpy, _ = cli.enable_addon()
    folder = args.keep or tempfile.mkdtemp(prefix="likeness-hair-check-")
    os.makedirs(folder, exist_ok=True)
    rows, tiles = [], []
    print(f"{'photo':14} {'set':5} {'IoU':>6} {'IoU auto':>8} {'ΔE00':>6}  {'hair':>5} {'length':17} "
          f"{'build s':>7} {'render s':>8}")
    for stem in stems:
        photo = photo_for(stem)
        rgb = image_io.read_photo(photo)
        auto = auto_mask(rgb)
        truth, kind = read_mask(os.path.join(MASKS, stem + ".png")), "held" if stem in VALIDATION else "train"
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
            hair = json.load(fh).get("hair", {})
        length = hair.get("length", "?")
        rows.append((stem, kind, v, v_auto, de, truth.any()))
        tiles.append((stem, rgb, render, hair))
        print(f"{stem:14} {kind:5} {v:6.3f} {v_auto:8.3f} {de:6.2f}  {share:5.3f} {length:17} "
              f"{t_build:7.1f} {t_render:8.1f}", flush=True)
    for name, pick in (("held out", ("held",)), ("trained on", ("train",)), ("all", ("held", "train"))):
        seen = [r for r in rows if r[5] and r[1] in pick]
        if not seen:
            continue
        des = [r[4] for r in seen]
        print(f"== {name}: {len(seen)} photos with visible hair: mean IoU {np.mean([r[2] for r in seen]):.3f}, "
              f"IoU >= 0.7 on {sum(r[2] >= 0.7 for r in seen)}; mean IoU vs the automatic mask "
              f"{np.mean([r[3] for r in seen]):.3f}; ΔE00 mean {np.nanmean(des):.2f}, max {np.nanmax(des):.2f}, "
              f"<= 10 on {sum(d <= 10 for d in des)}")
    if args.sheet:
        sheet(tiles[:12], args.sheet)
    print(f"renders in {folder}")


def sheet(tiles, path, size=220):
    """Photo heads beside their avatars' hair renders (over grey), three pairs to a row."""
    import cv2
    from PIL import Image, ImageDraw
    cells = []
    for stem, rgb, render, hair in tiles:
        h, w = render.shape[:2]
        photo = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        hair_on_grey = render[..., :3] * render[..., 3:] + 0.5 * (1 - render[..., 3:])
        ys, xs = np.nonzero(render[..., 3] > 0.1)
        cy, cx = (int(np.median(ys)), int(np.median(xs))) if len(ys) else (h // 2, w // 2)
        half = max(h, w) // 3
        box = lambda img: cv2.resize(np.pad(img, ((half, half), (half, half), (0, 0)), constant_values=0.5)[
            cy:cy + 2 * half, cx:cx + 2 * half], (size, size), interpolation=cv2.INTER_AREA)
        pair = (np.hstack([box(photo), box(hair_on_grey)]) * 255).astype(np.uint8)
        img = Image.fromarray(pair)
        style = hair.get("style", {})
        ImageDraw.Draw(img).text((4, 4), f"{stem}: {style.get('name', '?')}, {hair.get('colour_srgb', '')}",
                                 fill=(255, 255, 0))
        cells.append(np.asarray(img))
    while len(cells) % 3:
        cells.append(np.full_like(cells[0], 128))
    rows = [np.hstack(cells[i:i + 3]) for i in range(0, len(cells), 3)]
    Image.fromarray(np.vstack(rows)).save(path)
    print(f"sheet: {path}")


if __name__ == "__main__":
    main()
