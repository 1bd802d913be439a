"""Synthetic round trip of performance capture: an avatar built from a real photo is posed
with known ARKit key values and head rotations, rendered through its fitted camera (Cycles,
CPU), and the image sequence is tracked with the avatar's identity. Prints the mean absolute
error per driven key, over the driven keys and over all 52, and the head angle errors.

    .venv/bin/python bench/track_roundtrip.py [--photo PATH] [--height 480] [--keep DIR]

The posing and rendering functions (tools/renders.py) are shared with tests/test_track_roundtrip.py.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tools.measures import DATA  # noqa: E402
from tools.renders import avatar_parts, build, camera_from_rig, driven_names, render_sequence, score, sequence  # noqa: E402,E501


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photo", default=os.path.join(DATA, "faces", "lfpw", "image_0001.png"))
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--keep", help="folder for the renders (reused when it holds them)")
    args = ap.parse_args()
    import cli
    bpy, _ = cli.enable_addon()
    rig = build(bpy, args.photo, hair="NONE")          # the face, not the hair: no strands across it
    names = driven_names()
    weights, rotations = sequence(names)
    folder = args.keep or tempfile.mkdtemp(prefix="likeness-roundtrip-")
    have = os.path.isdir(folder) and len([f for f in os.listdir(folder) if f.endswith(".png")]) == len(weights)
    if not have:
        t = time.perf_counter()
        render_sequence(bpy, rig, names, weights, rotations, folder, args.height, args.samples)
        print(f"rendered {len(weights)} frames at height {args.height} in {time.perf_counter() - t:.0f} s: {folder}")
    from core import fit, track
    ident = rig.likeness_identity
    hm_labels = fit.basis().hm.local_change_labels
    local = np.zeros(len(hm_labels))
    for it in ident.local:
        local[hm_labels.index(it.label)] = it.value
    images, fps = track.frames(folder)
    images = list(images)
    tr = track.track(images, fps, np.array([p.value for p in ident.phenotype]), local)
    labels = fit.basis().hm.facial_action_labels
    if args.keep:
        np.savez(os.path.join(folder, "track.npz"), weights=tr.weights, rotations=tr.rotations,
                 phenotype=[p.value for p in ident.phenotype], local=local)
    true_rot = np.einsum("ij,njk->nik", camera_from_rig(rig, avatar_parts(rig)[1]), rotations)
    s = score(tr.weights, labels, weights, names, tr.rotations, true_rot)
    print(f"{len(images)} frames {images[0].shape[1]}x{images[0].shape[0]}, face found in {tr.found.sum()}, "
          f"reprojection {np.nanmean(tr.residual_px):.2f} px, {len(images) / tr.seconds:.0f} fps")
    for n, e in sorted(s["per_key"].items(), key=lambda kv: kv[1]):
        j = names.index(n)
        print(f"  {n:18s} MAE {e:.3f}   (true max {weights[:, j].max():.2f}, tracked max "
              f"{tr.weights[:, labels.index(n)].max():.2f})")
    undriven = [k for k in labels if k not in names]
    worst = max(undriven, key=lambda k: tr.weights[:, labels.index(k)].mean())
    print(f"== weight MAE: driven keys {s['driven_mae']:.3f}, all 52 {s['all_mae']:.3f} "
          f"(largest undriven: {worst} mean {tr.weights[:, labels.index(worst)].mean():.3f})")
    # diagnostic: the texture is painted from the photo, expression included, so the neutral
    # render already tracks as the photo's expression; relative to the first (neutral) frame:
    rel = score(np.clip(tr.weights - tr.weights[0], 0, 1), labels, weights, names, tr.rotations, true_rot)
    print(f"   relative to the tracked neutral first frame: driven keys {rel['driven_mae']:.3f}, "
          f"all 52 {rel['all_mae']:.3f}")
    ypr = s["ypr_err_deg"]
    print(f"== head angle error: mean {s['angle_deg'].mean():.2f} deg, max {s['angle_deg'].max():.2f} deg; "
          f"yaw/pitch/roll mean {ypr[:, 0].mean():.2f}/{ypr[:, 1].mean():.2f}/{ypr[:, 2].mean():.2f} deg")


if __name__ == "__main__":
    main()
