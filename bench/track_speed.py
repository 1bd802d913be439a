"""Tracking speed on 640x480 video: GRID clips (360x288) upscaled with cv2 to 640x480, the
speaker's identity fitted once. Prints frames per second and where the time goes
(mediapipe's face mesh vs the per-frame fit).

    .venv/bin/python bench/track_speed.py [--clips N]
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import fit, track  # noqa: E402
from track_grid import clips_and_speaker  # noqa: E402 (beside this script)


def main():
    import cv2
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=3)
    args = ap.parse_args()
    clips, ident = clips_and_speaker()
    halves = fit.identity_halves(ident.local_changes)
    for clip in clips[:args.clips]:
        images, fps = track.frames(clip)
        images = [cv2.resize(im, (640, 480), interpolation=cv2.INTER_LINEAR) for im in images]
        tr = track.track(images, fps, ident.phenotype, ident.local_changes)
        # the same frames again, timing the two stages apart
        mesh = track._video_mesh()
        t_mp = t_fit = 0.0
        state = None
        for im in images:
            t = time.perf_counter()
            res = mesh.process(im)
            t_mp += time.perf_counter() - t
            if res.multi_face_landmarks:
                lm = np.array([(p.x * 640, p.y * 480) for p in res.multi_face_landmarks[0].landmark])
                t = time.perf_counter()
                _, state = fit.fit_expression(lm, (640, 480), ident.phenotype, halves, previous=state)
                t_fit += time.perf_counter() - t
        mesh.close()
        n = len(images)
        print(f"{os.path.basename(clip)} 640x480: {n / tr.seconds:.1f} fps tracked; per frame "
              f"mediapipe {1000 * t_mp / n:.1f} ms, fit {1000 * t_fit / n:.1f} ms")


if __name__ == "__main__":
    main()
