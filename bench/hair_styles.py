"""Per library hairstyle: guide count, growth time (worker side) and the hair stage's warm
time with cards and with curves (growth plus building the hair in Blender and evaluating it:
the curves' children included), on one crowd variant's head (no photo needed).

    .venv/bin/python bench/hair_styles.py [--repeat N]

Figures are medians over N runs after one untimed warm-up per style."""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import hair_strands, hair_styles, head_model, result, variant  # noqa: E402


def grow(res, name):
    hm = head_model.load()
    return hair_strands.guides(res.vertices[:hm.n_vertices].astype(np.float64), hm.faces, hm.vertex_part == 0,
                               res.scalp_weight[:hm.n_vertices], hair_styles.style(name))


def build_ms(addon, rig, head, guides, form, curl):
    """ms to build the hair objects in ``form`` and evaluate them; the objects are removed after."""
    import bpy
    hb = addon.builders.hair_build
    made = addon.builders.hair_restyle._Made()
    t = time.perf_counter()
    make = hb.build_curves if form == "CURVES" else hb.build_cards
    ob = make("bench", head, rig, guides, (0.1, 0.05, 0.02), rig.users_collection[0], made, curl=curl)
    ob.evaluated_get(bpy.context.evaluated_depsgraph_get())
    bpy.context.view_layer.update()
    ms = _ms(t)
    made.rollback()
    return ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import bpy
    import cli
    _, api = cli.enable_addon()
    addon = sys.modules[api.__package__]
    out = tempfile.mkdtemp()
    variant.build_variant(0, 0, out, texture_size=1024)
    res = result.load(out)
    bpy.ops.wm.read_homefile(use_empty=True)
    rig = addon.builders.scene_build.build(bpy.context, res, "bench", "", hair="NONE")
    head = addon.builders.lookups.avatar_head(rig)
    print(f"{'style':14s} {'guides':>6s} {'grow ms':>8s} {'cards ms':>9s} {'curves ms':>10s}")
    for name in hair_styles.NAMES:
        curl = hair_styles.LIBRARY[name].get("curl", "straight")
        guides = grow(res, name)
        if len(guides):
            build_ms(addon, rig, head, guides, "CARDS", curl)
            build_ms(addon, rig, head, guides, "CURVES", curl)
        g, c, v = [], [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            guides = grow(res, name)
            g.append(_ms(t))
            c.append(g[-1] + (build_ms(addon, rig, head, guides, "CARDS", curl) if len(guides) else 0.0))
            v.append(g[-1] + (build_ms(addon, rig, head, guides, "CURVES", curl) if len(guides) else 0.0))
        print(f"{name:14s} {len(guides):6d} {np.median(g):8.1f} {np.median(c):9.1f} {np.median(v):10.1f}")
    addon.core.worker_client.stop_all()


def _ms(t0):
    return (time.perf_counter() - t0) * 1000.0


if __name__ == "__main__":
    main()
