"""Warm time of the hair stage for the hair-cards version, per avatar, by sub-stage:
segmentation, attributes, guide strands, brows and lashes (worker side), and building the
hair cards and the brow/lash cards in Blender.

    .venv/bin/python bench/hair_cards.py [--data DIR] [--limit N]

The first photo is run once untimed (warm-up). Prints the median and 90th percentile of each
sub-stage and of their sum over the photos that have a face. The Blender cards are built on
one avatar's head (the build does not depend on whose head it is), from each photo's strands.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import analysis, assembly, brows_lashes, hair, head_model, measure, result  # noqa: E402
from bench.common import DATA, face_photos  # noqa: E402
from core.errors import LikenessError  # noqa: E402

STAGES = ("segmentation", "attributes", "guides", "brows_lashes", "blender_cards")


def worker_side(photo):
    """(timings in ms, arrays) of the hair stage's worker part for one photo."""
    hm = head_model.load()
    an = analysis.analyse([photo])
    times = {}
    t = time.perf_counter()
    pf = an.main
    hair.segment(pf.rgb, pf.detection.landmarks)
    times["segmentation"] = _ms(t)
    # analyse's hair stage ran segmentation and attributes: attributes are the rest of its time
    times["attributes"] = max(an.timings["hair"] - times["segmentation"], 0.0)
    scalp = measure.scalp_weights(an.neutral["vertices"], hm.vertex_part, hm.region_vertices("ear"))
    t = time.perf_counter()
    arrays = assembly.hair_arrays(hm, an.neutral, scalp, an)
    times["guides"] = _ms(t)
    t = time.perf_counter()
    arrays.update(brows_lashes.strands(an.neutral["vertices"], hm.faces, hm.vertex_part == 0))
    times["brows_lashes"] = _ms(t)
    return times, arrays


def blender_side(addon, base, arrays):
    """ms to build the hair cards and the brow/lash cards of ``arrays`` on ``base``'s avatar."""
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True)
    rig = addon.builders.scene_build.build(bpy.context, base, "bench", "", hair="NONE")
    head = addon.builders.lookups.avatar_head(rig)
    res = result.AvatarResult({**base.arrays, **arrays}, base.image_paths, base.report)
    tracker = addon.builders.scene_build._Tracker()
    t = time.perf_counter()
    addon.builders.hair_build.build("bench", head, rig, res, "CARDS", rig.users_collection[0], tracker)
    bpy.context.view_layer.update()
    return _ms(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--limit", type=int, default=8)
    args = ap.parse_args()
    photos = face_photos(args.data, args.limit)
    import cli
    _, api = cli.enable_addon()
    addon = sys.modules[api.__package__]
    base_dir = tempfile.mkdtemp()
    assembly.build_avatar(photos[:1], base_dir, texture_size=1024)
    base = result.load(base_dir)
    _, arrays = worker_side(photos[0])                    # warm-up, untimed
    blender_side(addon, base, arrays)
    rows = []
    for photo in photos:
        try:
            times, arrays = worker_side(photo)
        except LikenessError as exc:
            print(f"{os.path.basename(photo)}: skipped ({exc})")
            continue
        times["blender_cards"] = blender_side(addon, base, arrays)
        times["total"] = sum(times[s] for s in STAGES)
        rows.append(times)
        print(f"{os.path.basename(photo):16s} " + "  ".join(f"{s} {times[s]:7.1f}" for s in STAGES + ("total",))
              + f"  ({len(arrays['hair_guides'])} guides)")
    print(f"hair stage, cards version, warm, {len(rows)} photos (ms):")
    for stage in STAGES + ("total",):
        v = np.array([r[stage] for r in rows])
        print(f"  {stage:14s} median {np.median(v):8.1f}   p90 {np.percentile(v, 90):8.1f}")
    addon.core.worker_client.stop_all()


def _ms(t0):
    return (time.perf_counter() - t0) * 1000.0


if __name__ == "__main__":
    main()
