"""Skin and eyes: does the de-lit texture keep the person's colours?

For each annotated photo of the shared data, the avatar's texture is baked (the core
path, as ``assembly.build_avatar`` does, at 1K) and compared with the photo:

* **cheeks**: the median colour of the cheek texels (within 15 mm of mediapipe's cheek
  centres on the head) in the de-lit albedo against the photo's pixels at the same surface
  points (seen, facing the camera), the photo under its own light. Chromaticity hardly
  depends on the light's intensity, so the albedo's colour is first scaled to the photo's
  luminance: then CIEDE2000, the hue-angle difference (degrees, CIELAB) and the chroma
  ratio (albedo / photo; 1 keeps the saturation, over 1 is the orange cast);
* **back of the head**: the same for the skin texels behind the ears (all completion);
* **lid ring**: the share of whitish texels (``pale_share``: sclera-like against the skin
  8-14 mm below and beside the eye) among the skin within 3 mm of the eye openings
  (mediapipe's eye contours on the head), in the albedo and in the photo (the photo's lid
  pixels at the same surface points);
* **iris**: the painted iris (the albedo's eyeball texels between the pupil and the limbal
  ring) against the photo's iris pixels (``texture.measure_iris``), both relative to the
  median skin (albedo skin vs photo skin, so the de-lighting's exposure drops out):
  CIEDE2000 and the chroma ratio; and the iris/skin lightness ratio;
* **sclera**: the painted sclera's lightness against the skin over the photo's
  (``texture.measure_sclera``) against its skin.

With ``--renders DIR`` (the renders ``bench/likeness.py --keep DIR`` leaves), what the artist
sees instead: the front view under the preview's even studio light against the photo, the
cheeks and irises found by mediapipe in both (the cheeks: discs of 7 % of the face's width
around mediapipe's cheek centres).

    .venv/bin/python bench/skin_hue.py [--limit N] [--renders DIR]
"""
import argparse
import glob
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import face_photos  # noqa: E402
from core import assembly, head_model  # noqa: E402
from core.errors import LikenessError  # noqa: E402
from tools.skin_colour import SIZE, measure, regions  # noqa: E402


def compare_renders(folder):
    """The front views of bench/likeness.py's kept renders against their photos."""
    from core.image_io import read_photo
    from tools.measures import photo_for
    from tools.skin_colour import render_vs_photo
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.png"))):
        render = read_photo(path)
        front = np.ascontiguousarray(render[:, :render.shape[0]])     # the first, square view
        try:
            cheek, iris_de, iris_light = render_vs_photo(front, read_photo(photo_for(os.path.basename(path)[:-4])))
        except LikenessError:
            print(f"{os.path.basename(path):22s} no face found")
            continue
        rows.append((*(cheek or (np.nan,) * 3), iris_de, iris_light))
        text = ("render's cheeks dE00 {:5.2f} dhue {:+6.1f} chroma x{:4.2f}".format(*cheek) if cheek
                else "render's cheeks (grey photo)" + " " * 24)
        print(f"{os.path.basename(path):22s} {text} | iris dE00 {iris_de:5.1f} light x{iris_light:4.2f}")
    r = np.array(rows)
    c = r[~np.isnan(r[:, 0])]
    print(f"== {len(r)} renders (front, even studio light) against their photos: cheeks ({len(c)} in colour) "
          f"dE00 mean {c[:, 0].mean():.2f}, |dhue| mean {np.abs(c[:, 1]).mean():.1f} deg, chroma ratio mean "
          f"{c[:, 2].mean():.2f} (range {c[:, 2].min():.2f}-{c[:, 2].max():.2f}); iris against the cheeks: "
          f"dE00 mean {r[:, 3].mean():.1f}, lightness ratio median {np.median(r[:, 4]):.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=24)
    ap.add_argument("--size", type=int, default=SIZE)
    ap.add_argument("--renders", help="a folder of bench/likeness.py renders (--keep): compare those instead")
    args = ap.parse_args()
    if args.renders:
        return compare_renders(args.renders)
    hm = head_model.load()
    tm = assembly.texel_map(args.size)
    masks = regions(hm, tm)
    rows = []
    for photo in face_photos(limit=args.limit):
        try:
            r = measure(photo, hm, tm, masks, args.size)
        except LikenessError:
            r = None
        if r is None:
            print(f"{os.path.basename(photo):22s} skipped (no face or cheeks unseen)")
            continue
        rows.append(r)
        cheek = ("cheek dE00 {:5.2f} dhue {:+6.1f} chroma x{:4.2f}".format(*r["cheek"]) if r["cheek"]
                 else "cheek (grey photo)" + " " * 27)
        back = "back x{:4.2f}".format(r["back"][2]) if r["back"] else " " * 9
        print(f"{r['name']:22s} {cheek} {back} | pale lids "
              f"{r['ring_tex']:5.3f} (photo {r['ring_photo']:5.3f}) | iris dE00 {r['iris_de']:5.1f} "
              f"chroma x{r['iris_chroma']:4.2f} light x{r['iris_light']:4.2f} | sclera light x{r['sclera_light']:4.2f}")
    cheek = np.array([r["cheek"] for r in rows if r["cheek"] is not None])
    back = np.array([r["back"] for r in rows if r["back"] is not None])
    ring_t = np.array([r["ring_tex"] for r in rows])
    ring_p = np.array([r["ring_photo"] for r in rows])
    iris = np.array([(r["iris_de"], r["iris_chroma"], r["iris_light"]) for r in rows if r["cheek"] is not None])
    sclera = np.array([r["sclera_light"] for r in rows])
    print(f"== {len(rows)} photos ({len(cheek)} in colour): cheeks dE00 mean {cheek[:, 0].mean():.2f} (max {cheek[:, 0].max():.2f}), "
          f"|dhue| mean {np.abs(cheek[:, 1]).mean():.1f} deg (signed {cheek[:, 1].mean():+.1f}), "
          f"chroma ratio mean {cheek[:, 2].mean():.2f} (range {cheek[:, 2].min():.2f}-{cheek[:, 2].max():.2f})")
    print(f"   back of the head vs the photo's cheeks: dE00 mean {back[:, 0].mean():.2f}, |dhue| mean "
          f"{np.abs(back[:, 1]).mean():.1f} deg, chroma ratio mean {back[:, 2].mean():.2f} "
          f"(range {back[:, 2].min():.2f}-{back[:, 2].max():.2f})")
    print(f"   lid ring's whitish share: albedo mean {ring_t.mean():.3f} (max {ring_t.max():.3f}), "
          f"photo mean {np.nanmean(ring_p):.3f}; over 5 % in {int(np.sum(ring_t > 0.05))} albedos")
    print(f"   iris vs photo (relative to skin): dE00 mean {iris[:, 0].mean():.1f} (max {iris[:, 0].max():.1f}), "
          f"chroma ratio mean {iris[:, 1].mean():.2f}, lightness ratio mean {iris[:, 2].mean():.2f}")
    print(f"   sclera vs the photo's (relative to skin): lightness ratio median {np.nanmedian(sclera):.2f} "
          f"(range {np.nanmin(sclera):.2f}-{np.nanmax(sclera):.2f})")


if __name__ == "__main__":
    main()
