"""Does the identity stay put while the person talks?

Fits every 5th frame of GRID clips in ../shared/data (one speaker, frontal),
each frame on its own, builds the neutral head (expression removed) of each
fit, aligns them by a similarity transform, and prints the per-vertex
standard deviation in mm, averaged over the face region (skin within 12 mm of
mediapipe's face-mesh points). Target: at most 1.0 mm. With ``--corrective`` each neutral
head carries its frame's corrective face shape (core.corrective), as an avatar's does.

    .venv/bin/python bench/neutral_identity.py [--clips N] [--step K] [--corrective]
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import corrective, detect, fit, head_model  # noqa: E402
from core.measure import face_region  # noqa: E402
from tools.measures import identity_spread_mm  # noqa: E402
from core.errors import LikenessError  # noqa: E402
from bench.common import DATA, grid_clips  # noqa: E402


def frames(path, step):
    import cv2
    cap = cv2.VideoCapture(path)
    i = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        if i % step == 0:
            yield i, np.ascontiguousarray(bgr[:, :, ::-1])
        i += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--clips", type=int, default=6)
    ap.add_argument("--step", type=int, default=5)
    ap.add_argument("--corrective", action="store_true")
    args = ap.parse_args()
    hm = head_model.load()
    template = hm.forward(*hm.neutral_parameters())["vertices"]
    region = face_region(template, hm.vertex_part)
    clips = grid_clips(args.data)[:args.clips]
    all_heads, times = [], []
    for clip in clips:
        heads = []
        for i, rgb in frames(clip, args.step):
            try:
                det = detect.detect(rgb)
            except LikenessError:
                continue
            t = time.perf_counter()
            fr = fit.fit(det.landmarks, (rgb.shape[1], rgb.shape[0]))
            times.append(time.perf_counter() - t)
            v = hm.forward(fr.phenotype, fr.local_changes, np.zeros(52))["vertices"]
            if args.corrective:
                posed = hm.forward(fr.phenotype, fr.local_changes, fr.facial_actions)
                view = {"posed": posed["vertices"], "rotation": fr.rotation,
                        "translation": fr.translation + fr.rotation @ posed["origin"], "focal_px": fr.focal_px,
                        "principal_point": fr.principal_point, "landmarks": det.landmarks}
                v = v + corrective.with_eyes(hm, v, corrective.solve(v, [view]))
            heads.append(v[region])
        all_heads += heads
        print(f"{os.path.basename(clip)}: {len(heads)} frames, neutral-head spread {identity_spread_mm(heads):.3f} mm")
    print(f"all {len(clips)} clips ({len(all_heads)} frames): spread {identity_spread_mm(all_heads):.3f} mm over "
          f"{region.sum()} face vertices; fit median {np.median(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
