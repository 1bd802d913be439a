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

The render and comparison functions are shared with tests/test_hair_silhouette.py.
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
from bench.common import white_world  # noqa: E402
from bench.hair_masks import MASKS, iou, photo_for, read_mask  # noqa: E402

# photos with visible hair but no hand-drawn mask (checked against the automatic segmentation)
MORE = ("106348540_1", "1092587063_1", "111168419_1")


def build(bpy, photo, hair="CURVES", keep_dir=""):
    """Build the avatar of ``photo`` in an empty scene; the rig object."""
    import cli
    bpy.ops.wm.read_homefile(use_empty=True)
    api = sys.modules[cli.EXTENSION_MODULE].api
    return api.build_avatar(bpy.context, [os.path.abspath(photo)], texture_size=1024, hair=hair,
                            keep_result=keep_dir)[0]


def render_hair(bpy, rig, path, height=320, samples=8):
    """Render the avatar's scalp hair alone through its camera to ``path`` (PNG, RGBA): the head is
    a holdout (it hides the hair behind it and shows as transparent). Returns (H, W, 4) float
    in 0..1 (sRGB colour, straight alpha)."""
    from PIL import Image
    import cli
    head = sys.modules[cli.EXTENSION_MODULE].builders.lookups.avatar_head(rig)
    cam = next(c for c in rig.children if c.type == "CAMERA")
    scene = bpy.context.scene
    w, h = cam["likeness_resolution"]
    scene.camera = cam
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x, scene.render.resolution_y = round(w * height / h), height
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = True
    scene.render.image_settings.color_mode = "RGBA"
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    white_world(bpy, scene, "hair check")
    head.is_holdout = True
    # brows and lashes are hair too, but the photo's hair mask is the scalp's
    brows = [o for o in rig.children_recursive if o.get("likeness_part") == "brows_lashes"]
    for ob in brows:
        ob.hide_render = True
    try:
        scene.render.filepath = path
        bpy.ops.render.render(write_still=True)
    finally:
        head.is_holdout = False
        for ob in brows:
            ob.hide_render = False
    return np.asarray(Image.open(path).convert("RGBA"), np.float32) / 255.0


def median_lab(srgb):
    """CIELAB of the per-channel median (in linear RGB) of sRGB pixels (N, 3) in 0..1."""
    from core import colour, texture
    return colour.linear_to_lab(np.median(texture.srgb_to_linear(srgb), axis=0))


def compare(render, mask, photo_rgb):
    """(IoU, ΔE00, rendered hair share) of a hair render (H, W, 4) against the photo's hair
    ``mask`` (photo size) and the photo (uint8 RGB); ΔE00 is NaN when either has no hair."""
    import cv2
    from core import colour
    h, w = render.shape[:2]
    small = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0.5
    drawn = render[..., 3] > 0.5
    k = max(3, int(0.01 * max(mask.shape)) | 1)
    inner = cv2.erode(mask.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    inner = inner if inner.sum() >= 50 else mask
    solid = render[..., 3] > 0.9
    if not solid.any() or not inner.any():
        return iou(drawn, small), float("nan"), float(drawn.mean())
    de = float(colour.ciede2000(median_lab(render[solid][:, :3]), median_lab(photo_rgb[inner] / 255.0)))
    return iou(drawn, small), de, float(drawn.mean())


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
    bpy = cli.enable_addon()
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
