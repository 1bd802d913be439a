"""Crowds on a Dask cluster: characters per minute for 1, 2 and 4 local Dask workers, and what a
task costs beyond making its character.

    .venv/bin/python bench/crowd_cluster.py [--variants 16] [--photos 0] [--workers 1 2 4]
        [--texture-size 1024] [--blender]

For each worker count a local cluster (one process per worker, one thread each, as
`likeness crowd --cluster local:N` starts) is started and warmed (models loaded in every
worker), then the "cluster_crowd" job (core/cluster_crowd.run_crowd, as the Likeness worker runs
it for Blender) makes the crowd: tasks out, packed results back and unpacked on disk. Printed:
characters per minute gathered (without Blender's scene build), the median time inside a task,
the overhead per task (worker-seconds the cluster spent per character beyond the task's own
work: scheduling, moving the packed bytes, unpacking), and the packed result's size. A no-op
task carrying a result of that size gives Dask's own cost per task. ``--blender`` also builds
the crowd in Blender (the bpy module) on one machine and on ``local:2``, end to end.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import face_photos  # noqa: E402


def _noop(size):
    return b"x" * size


def chars_for(variants, photos):
    chars = [{"index": i, "name": f"p{i:03d}", "photo": p, "variant": False} for i, p in enumerate(photos)]
    chars += [{"index": len(photos) + k, "name": f"variant_{k + 1:03d}", "photo": None, "variant": True}
              for k in range(variants)]
    return chars


def cluster_run(n_workers, chars, texture_size):
    from distributed import Client, LocalCluster
    import cloudpickle
    import logging
    from core import cluster_crowd, cluster_tasks
    cloudpickle.register_pickle_by_value(cluster_tasks)
    t = time.perf_counter()
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR, preload=[cluster_crowd.PRELOAD]) as local, \
            Client(local.scheduler_address) as client:
        client.run(cluster_tasks.warm_up)
        warm_s = time.perf_counter() - t
        work = tempfile.mkdtemp(prefix="likeness-bench-cluster-")
        tasks, sizes = [], []

        def progress(fraction, stage, message, character=None):
            if character and character["ok"]:
                tasks.append(character["task_s"])
                sizes.append(character["bytes"])
                shutil.rmtree(character["out_dir"], ignore_errors=True)

        t = time.perf_counter()
        cluster_crowd.run_crowd({"address": local.scheduler_address, "chars": chars, "seed": 1,
                                 "texture_size": texture_size, "full_body": False, "work_dir": work}, progress)
        wall = time.perf_counter() - t
        shutil.rmtree(work, ignore_errors=True)
        size = int(statistics.median(sizes)) if sizes else 0
        # Dask's own cost: no-op tasks returning that many bytes, all at once
        t = time.perf_counter()
        futures = [client.submit(_noop, size, pure=False) for _ in range(40)]
        for f in futures:
            f.result()
        noop = (time.perf_counter() - t) / len(futures)
    return {"workers": n_workers, "made": len(tasks), "wall": wall, "warm_s": warm_s, "tasks": tasks,
            "size": size, "noop": noop}


def blender_runs(args, photos_dir):
    import cli
    bpy, api = cli.enable_addon()
    for cluster in ("", "local:2"):
        bpy.ops.wm.read_homefile(use_empty=True)
        if not cluster:                         # every worker of the one-machine crowd
            for client in api.worker_client.worker_pool(sys.executable, api.crowd.local_workers()):
                client.run("warmup")
        else:                                   # warm: a first crowd starts and warms the workers
            api.build_crowd(bpy.context, variants=2, seed=99, texture_size=args.texture_size, hair="NONE",
                            cluster=cluster)
            bpy.ops.wm.read_homefile(use_empty=True)
        t = time.perf_counter()
        summary = api.build_crowd(bpy.context, photos_dir=photos_dir, variants=args.variants, seed=1,
                                  texture_size=args.texture_size, hair=args.hair.upper(), cluster=cluster)
        seconds = time.perf_counter() - t
        n = len(summary["characters"])
        print(f"Blender end to end, {cluster or 'one machine'}: {n} characters in {seconds:.1f} s: "
              f"{n / seconds * 60:.1f} per minute (hair {args.hair}; a local cluster is started per crowd, "
              f"its warm-up counted)" if cluster else
              f"Blender end to end, one machine ({api.crowd.local_workers()} warm workers): {n} characters in {seconds:.1f} s: "
              f"{n / seconds * 60:.1f} per minute (hair {args.hair})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", type=int, default=16)
    parser.add_argument("--photos", type=int, default=0, help="also this many Helen photos")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--texture-size", type=int, default=1024, choices=(1024, 2048, 4096))
    parser.add_argument("--hair", default="curves", choices=("curves", "cards", "none"))
    parser.add_argument("--blender", action="store_true", help="also the end-to-end crowd in Blender")
    args = parser.parse_args()
    photos = face_photos(limit=args.photos, folders=("helen_train",)) if args.photos else []
    chars = chars_for(args.variants, photos)
    print(f"{len(chars)} characters ({len(photos)} photos, {args.variants} variants), "
          f"{args.texture_size} px; this machine has {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    for n in args.workers:
        r = cluster_run(n, chars, args.texture_size)
        per_min = r["made"] / r["wall"] * 60.0
        task = statistics.median(r["tasks"]) if r["tasks"] else float("nan")
        overhead = (r["wall"] * n - sum(r["tasks"])) / max(r["made"], 1)
        print(f"{n} workers: {r['made']} characters in {r['wall']:.1f} s: {per_min:.1f} per minute gathered "
              f"(cluster start and warm-up {r['warm_s']:.1f} s, not counted); median task {task:.2f} s; "
              f"overhead per task {overhead:.2f} worker-s; packed result {r['size'] / 1e6:.2f} MB; "
              f"Dask no-op task of that size {r['noop'] * 1000:.1f} ms; load {os.getloadavg()[0]:.1f}")
    if args.blender:
        folder = None
        if photos:
            folder = tempfile.mkdtemp(prefix="likeness-bench-photos-")
            for p in photos:
                shutil.copy(p, folder)
        blender_runs(args, folder or "")


if __name__ == "__main__":
    main()
