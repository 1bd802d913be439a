"""Crowd throughput and memory: characters per minute with a warm worker, and the peak memory
of Blender (this process) and of the worker.

    .venv/bin/python bench/crowd_throughput.py [--variants 100] [--photos 20] [--hair curves|cards|none]
        [--texture-size 1024] [--full-body] [--render docs/crowd_25.png] [--cluster local:2] [--workers N]

Variants are random characters (painted textures); photos are Helen photos from ../shared/data
(detect + fit + photo texture each). The worker is warmed up (models loaded) before the clock
starts, as in a session where the artist has already built something (every one of the crowd's
``--workers``, default one per core: core.crowd.local_workers); with ``--cluster`` (a
scheduler's address or local:N) the characters are made by that cluster, warmed by a crowd of two
first (a local cluster stays up in the worker between crowds).
"""
import argparse
import os
import resource
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import cli  # noqa: E402
from bench.common import DATA  # noqa: E402


def rss_mb(pid="self", field="VmRSS"):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def run_crowd(bpy, api, args, what, photos_dir, variants, render=None):
    full_body, texture_size = args.full_body, args.texture_size
    workers = args.workers or api.crowd.local_workers()
    label = f"{what}, hair {args.hair}, {texture_size} px" + (", full body" if full_body else "") + \
        (f", cluster {args.cluster}" if args.cluster else f", {workers} workers")
    bpy.ops.wm.read_homefile(use_empty=True)
    pool = api.worker_client.worker_pool(sys.executable, 1 if args.cluster else workers)
    for client in pool:
        client.run("warmup")
    client = pool[0]
    if args.cluster:
        api.build_crowd(bpy.context, variants=2, seed=999, texture_size=texture_size, hair="NONE",
                        cluster=args.cluster)
        bpy.ops.wm.read_homefile(use_empty=True)
    blender_before = rss_mb()
    t = time.perf_counter()
    summary = api.build_crowd(bpy.context, photos_dir=photos_dir, variants=variants, seed=1, layout="SCATTER",
                              spacing=1.0 if full_body else 0.6, full_body=full_body, texture_size=texture_size,
                              hair=args.hair.upper(), cluster=args.cluster or "", workers=0 if args.cluster else workers)
    seconds = time.perf_counter() - t
    n = len(summary["characters"])
    blender_after = rss_mb()
    print(f"{label}: {n} characters ({len(summary['failed'])} skipped) in {seconds:.1f} s: "
          f"{n / seconds * 60:.1f} characters per minute")
    print(f"  Blender RSS {blender_before:.0f} -> {blender_after:.0f} MB "
          f"({(blender_after - blender_before) / max(n, 1):.1f} MB per character); "
          f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for c in pool:
        if c.pid():
            print(f"  worker {c.pid()} RSS {rss_mb(c.pid()):.0f} MB, peak {rss_mb(c.pid(), 'VmHWM'):.0f} MB")
    made = summary["characters"]
    if made:
        import statistics
        work = [c["report"]["timings_ms"]["total"] for c in made if "timings_ms" in c["report"]]
        if work:
            print(f"  worker time per character: median {statistics.median(work):.0f} ms")
    print(f"  materials {len(bpy.data.materials)}, node groups {len(bpy.data.node_groups)}, "
          f"images {len(bpy.data.images)}, meshes {len(bpy.data.meshes)}")
    if render:
        render_crowd(bpy, render, full_body)


def render_crowd(bpy, path, full_body=False):
    """A still of the crowd from the front and above, Cycles on the CPU."""
    from mathutils import Vector
    scene = bpy.context.scene
    rigs = [o for o in scene.objects if o.type == "ARMATURE"]
    xs = [r.location.x for r in rigs]
    ys = [r.location.y for r in rigs]
    centre = Vector(((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, 0.9 if full_body else 0.1))
    span = max(max(xs) - min(xs), max(ys) - min(ys)) + (1.5 if full_body else 0.6)
    cam_data = bpy.data.cameras.new("crowd_camera")
    cam_data.lens = 50
    cam = bpy.data.objects.new("crowd_camera", cam_data)
    scene.collection.objects.link(cam)
    cam.location = centre + Vector((0.0, -1.55 * span, (0.45 if full_body else 0.75) * span))
    cam.rotation_euler = (centre - cam.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = cam
    sun = bpy.data.objects.new("crowd_sun", bpy.data.lights.new("crowd_sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (0.7, 0.2, -0.4)
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("crowd_world")
    world.color = (0.35, 0.37, 0.4)
    scene.world = world
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 24
    scene.render.resolution_x, scene.render.resolution_y = 1600, 1000
    scene.render.filepath = os.path.abspath(path)
    t = time.perf_counter()
    bpy.ops.render.render(write_still=True)
    print(f"  render written to {path} in {time.perf_counter() - t:.0f} s")


def helen_folder(count):
    folder = tempfile.mkdtemp(prefix="likeness-bench-photos-")
    src = os.path.join(DATA, "faces", "helen_train")
    for name in sorted(n for n in os.listdir(src) if n.endswith(".jpg"))[:count]:
        os.symlink(os.path.join(src, name), os.path.join(folder, name))
    return folder


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", type=int, default=100)
    ap.add_argument("--photos", type=int, default=20)
    ap.add_argument("--hair", default="curves", choices=("curves", "cards", "none"))
    ap.add_argument("--texture-size", type=int, default=1024)
    ap.add_argument("--full-body", action="store_true")
    ap.add_argument("--render", help="render the variants' crowd to this PNG")
    ap.add_argument("--cluster", help="make the characters on this cluster (tcp://HOST:PORT or local:N)")
    ap.add_argument("--workers", type=int, default=0, help="worker processes on this machine (0: one per core)")
    args = ap.parse_args()
    bpy, api = cli.enable_addon()
    if args.variants:
        run_crowd(bpy, api, args, f"{args.variants} variants", "", args.variants, args.render)
    if args.photos:
        folder = helen_folder(args.photos)
        try:
            run_crowd(bpy, api, args, f"{args.photos} Helen photos", folder, 0)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    api.worker_client.stop_all()


if __name__ == "__main__":
    main()
