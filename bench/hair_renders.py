"""Remake the hair renders under docs/: three avatars with different hair (short, long,
shaved), each built from a photo in ../shared/data and rendered by the preview renderer
(front and three-quarter, Cycles on the CPU). Only the avatar is rendered, not the photo.

    .venv/bin/python bench/hair_renders.py [--data DIR] [--hair curves|cards] [--out DIR]

Writes DOCS/hair_<kind>.png (with --hair cards: hair_<kind>_cards.png) and prints each
avatar's measured hair and build time.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.common import DATA  # noqa: E402
AVATARS = (("short", ("faces", "helen_train", "1439641049_1.jpg")),
           ("long", ("faces", "lfpw", "image_0001.png")),
           ("shaved", ("faces", "helen_train", "111247636_1.jpg")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--hair", default="curves", choices=("curves", "cards"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs"))
    args = ap.parse_args()
    likeness = os.path.join(os.path.dirname(sys.executable), "likeness")
    suffix = "" if args.hair == "curves" else "_cards"
    for kind, parts in AVATARS:
        work = tempfile.mkdtemp(prefix="likeness-hair-render-")
        t = time.perf_counter()
        subprocess.run([likeness, "avatar", os.path.join(args.data, *parts), "--out", work, "--preview",
                        "--hair", args.hair, "--texture-size", "1024"], check=True, capture_output=True)
        target = os.path.join(args.out, f"hair_{kind}{suffix}.png")
        shutil.copyfile(os.path.join(work, "preview.png"), target)
        with open(os.path.join(work, "report.json"), encoding="utf-8") as fh:
            measured = json.load(fh).get("hair", {})
        print(f"{target}: {measured.get('length')}, {measured.get('colour_srgb')}, bald {measured.get('bald')}, "
              f"shaved {measured.get('shaved')} ({time.perf_counter() - t:.0f} s)")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
