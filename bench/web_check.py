"""Cost of the web checks (tools/webcheck.py) per glb: the Khronos validator (one node process
per file, and one process for a batch, as a crowd export would call it) and the three.js
browser check in headless Chromium (load, frame, two screenshots: rest and jawOpen=1).

    .venv/bin/python bench/web_check.py [--repeat 3] [GLB ...]

Without GLB files it first builds the sample avatar with hair cards (`likeness avatar --sample
--hair cards --glb --texture-size 1024`) in a temporary folder.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tools import webcheck  # noqa: E402


def sample_glb(folder):
    subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "avatar", "--sample", "--out", folder,
                    "--hair", "cards", "--glb", "--texture-size", "1024"], check=True, capture_output=True)
    return os.path.join(folder, "avatar.glb")


def timed(fn, *args):
    t = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - t, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("glbs", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    problem = webcheck.missing()
    if problem:
        sys.exit(f"web_check: {problem}")
    with tempfile.TemporaryDirectory() as tmp:
        glbs = args.glbs or [sample_glb(tmp)]
        for glb in glbs:
            size_mb = os.path.getsize(glb) / 1e6
            runs = [timed(webcheck.validate_glb, glb) for _ in range(args.repeat)]
            report = runs[-1][1]
            print(f"{os.path.basename(glb)} ({size_mb:.1f} MB): validator {min(t for t, _ in runs):.2f} s "
                  f"(one node process), {report['errors']} errors, {report['warnings']} warnings "
                  f"{sorted(c for c, n in report['codes'].items())}")
            shots = [(os.path.join(tmp, "rest.png"), None), (os.path.join(tmp, "open.png"), {"jawOpen": 1.0})]
            runs = [timed(webcheck.render_shots, glb, shots) for _ in range(args.repeat)]
            print(f"  browser check (launch, load, 2 screenshots): {min(t for t, _ in runs):.2f} s, "
                  f"{runs[-1][1]['webgl']}")
        batch = glbs * max(1, 10 // len(glbs))
        seconds, _ = timed(webcheck.validate_glbs, batch)
        print(f"validator, {len(batch)} glbs in one node process: {seconds / len(batch):.2f} s per glb")


if __name__ == "__main__":
    main()
