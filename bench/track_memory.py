"""Tracking memory against the video's length: a synthetic 1080p video (a photo swaying on a
grey background, mp4v at 25 fps) of each length is tracked by worker_jobs.track_video in its own
process, which prints its peak resident memory and its speed.

    .venv/bin/python bench/track_memory.py [--seconds 30 600]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.common import DATA  # noqa: E402


def write_video(path, frames):
    photo = cv2.imread(os.path.join(DATA, "faces", "lfpw", "image_0001.png"))
    photo = cv2.resize(photo, None, fx=900 / photo.shape[0], fy=900 / photo.shape[0])
    out = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), 25, (1920, 1080))
    for i in range(frames):
        frame = np.full((1080, 1920, 3), 90, np.uint8)
        x = 500 + int(20 * np.sin(i / 10))
        frame[90:90 + photo.shape[0], x:x + photo.shape[1]] = photo
        out.write(frame)
    out.release()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, nargs="+", default=[30.0])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="likeness-bench-track-") as tmp:
        for seconds in args.seconds:
            video = os.path.join(tmp, "clip.mp4")
            write_video(video, int(seconds * 25))
            script = textwrap.dedent(f"""
                import sys, time
                sys.path.insert(0, {ROOT!r})
                from core import worker_jobs
                t = time.perf_counter()
                r = worker_jobs.track_video({video!r}, [0.5] * 6, {{}}, {os.path.join(tmp, "t.npz")!r})
                hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
                print(r["frames"], time.perf_counter() - t, int(hwm.split()[1]) / 1024)
            """)
            # the peak as /proc's VmHWM: getrusage's ru_maxrss keeps the spawning process's peak
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
            frames, secs, peak = out.stdout.split()[-3:]
            print(f"{seconds:.0f} s of 1080p ({frames} frames): worker peak {float(peak):.0f} MB, "
                  f"{int(frames) / float(secs):.1f} frames per second (whole run {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
