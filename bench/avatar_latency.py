"""One avatar from a photo to built in the scene, with a warm worker: the wait an artist has
after pressing Build Avatar (the models already loaded by an earlier build).

    .venv/bin/python bench/avatar_latency.py [--photos 8] [--texture-size 2048] [--hair curves]

Each Helen photo is built through the front door (``api.build_avatar``) into an empty scene;
printed per photo and as medians: the whole call, the worker's part (its report's total) and the
rest (sending the job, reading the result, building the Blender data). The first photo warms the
worker and is not counted.
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import cli  # noqa: E402
from bench.common import face_photos  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--texture-size", type=int, default=2048)
    ap.add_argument("--hair", default="curves", choices=("curves", "cards", "none"))
    args = ap.parse_args()
    bpy, api = cli.enable_addon()
    photos = face_photos(limit=args.photos + 1, folders=("helen_train",))
    rows = []
    for i, photo in enumerate(photos):
        bpy.ops.wm.read_homefile(use_empty=True)
        t = time.perf_counter()
        _, report = api.build_avatar(bpy.context, [photo], texture_size=args.texture_size, hair=args.hair.upper())
        total = (time.perf_counter() - t) * 1000
        worker = report["timings_ms"]["total"]
        if i == 0:
            continue
        rows.append((total, worker))
        print(f"{os.path.basename(photo)}: {total:6.0f} ms in all, worker {worker:6.0f} ms, "
              f"the rest {total - worker:5.0f} ms")
    med = [statistics.median(c) for c in zip(*rows)]
    print(f"{len(rows)} photos, {args.texture_size} px, hair {args.hair}: median {med[0]:.0f} ms in all "
          f"(worker {med[1]:.0f} ms, the rest {med[0] - med[1]:.0f} ms)")
    api.worker_client.stop_all()


if __name__ == "__main__":
    main()
