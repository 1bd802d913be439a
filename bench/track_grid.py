"""Performance capture on the GRID clips: the speaker's identity is fitted once (first
frame), then every frame is tracked. Prints frames per second (landmarks + solve) and the
landmark reprojection error of the animated avatar against mediapipe's landmarks.

    .venv/bin/python bench/track_grid.py [--clips N]
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import grid_clips  # noqa: E402
from core import detect, fit, track  # noqa: E402


def clips_and_speaker():
    """The GRID clips, and the speaker's identity fitted once on the first frame."""
    clips = grid_clips()
    first = next(track.frames(clips[0])[0])
    return clips, fit.fit(detect.detect(first).landmarks, (first.shape[1], first.shape[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=5)
    args = ap.parse_args()
    clips, ident = clips_and_speaker()
    rates, errors = [], []
    for clip in clips[:args.clips]:
        images, fps = track.frames(clip)
        images = list(images)
        tr = track.track(images, fps, ident.phenotype, ident.local_changes)
        rates.append(len(images) / tr.seconds)
        errors.append(np.nanmean(tr.residual_px))
        print(f"{os.path.basename(clip)}: {len(images)} frames at {rates[-1]:.1f} fps, reprojection "
              f"{errors[-1]:.2f} px, jawOpen max {tr.weights[:, 24].max():.2f}")
    print(f"== {len(rates)} clips (360x288): {np.mean(rates):.1f} frames per second, reprojection "
          f"error {np.mean(errors):.2f} px mean")


if __name__ == "__main__":
    main()
