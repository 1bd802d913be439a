"""Does the identity stay put while the person talks?

Fits every 5th frame of GRID clips in ../shared/data (one speaker, frontal),
each frame on its own, builds the neutral head (expression removed) of each
fit, aligns them by a similarity transform, and prints the per-vertex
standard deviation in mm, averaged over the face region (skin within 12 mm of
mediapipe's face-mesh points). Target: at most 1.0 mm.

    .venv/bin/python bench/neutral_identity.py [--clips N] [--step K]
"""
import argparse
import glob
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import correspondence, detect, fit, head_model  # noqa: E402
from core.errors import LikenessError  # noqa: E402


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


def face_region(hm, template):
    from scipy.spatial import cKDTree
    pts = correspondence.surface_points(template)[:468]
    d, _ = cKDTree(pts).query(template)
    return (d < 0.012) & (hm.vertex_part == 0)


def similarity_align(src, dst):
    """src aligned onto dst (both (N, 3)) by rotation, uniform scale and translation."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, s, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1, 1, d])
    rot = u @ fix @ vt
    scale = (s * np.diag(fix)).sum() / (a ** 2).sum()
    return scale * a @ rot + md


def spread_mm(heads):
    """Mean over vertices of the per-vertex std (mm) after aligning every head to the mean (iterated)."""
    heads = np.asarray(heads)
    mean = heads.mean(0)
    for _ in range(3):
        heads = np.array([similarity_align(h, mean) for h in heads])
        mean = heads.mean(0)
    return float(np.sqrt(((heads - mean) ** 2).sum(-1).mean(0)).mean() * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--clips", type=int, default=6)
    ap.add_argument("--step", type=int, default=5)
    args = ap.parse_args()
    hm = head_model.load()
    template = hm.forward(*hm.neutral_parameters())["vertices"]
    region = face_region(hm, template)
    clips = sorted(glob.glob(os.path.join(args.data, "speech", "grid_s1_dev", "*.mpg")))[:args.clips]
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
            heads.append(v[region])
        all_heads += heads
        print(f"{os.path.basename(clip)}: {len(heads)} frames, neutral-head spread {spread_mm(heads):.3f} mm")
    print(f"all {len(clips)} clips ({len(all_heads)} frames): spread {spread_mm(all_heads):.3f} mm over "
          f"{region.sum()} face vertices; fit median {np.median(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
