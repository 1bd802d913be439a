"""A crowd on a Dask cluster: one task per character, run by Dask's workers, gathered here.

Two sides, one module:

* On each Dask worker (a process that can import ``core``: start it with
  ``dask worker tcp://HOST:8786 --nthreads 1 --preload LIKENESS/core/cluster_preload.py``),
  ``make_character`` makes one character with the same calls the single-machine worker makes,
  from the photo's bytes sent with the task, and returns the AvatarResult folder packed as
  bytes (``result_pack``): no shared disk is needed. The Likeness models live in the Dask
  worker process itself, warmed once by ``cluster_tasks.WarmUp`` (a ``distributed.WorkerPlugin``): a Dask
  worker that dies takes its models with it, its nanny starts a fresh one (warmed again by
  the plugin) and the scheduler reruns its tasks elsewhere; there is no second process to
  orphan or to keep in step.
* In the Likeness worker (the runtime's process that serves Blender), ``run_crowd`` is the
  "cluster_crowd" job: it connects to the scheduler (or starts a local cluster), submits the
  tasks keyed by (seed, index), and as each finishes unpacks it into the crowd's folder and
  tells Blender (a progress message carrying ``character``), so Blender builds the crowd as it
  arrives and nothing holds the whole crowd in memory. A character is delivered once: a key is
  made once per job and every index is taken once.

A character is a function of (seed, index, photo), so the crowd is the one a single machine
makes with the same seed.
"""
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
import uuid

import cloudpickle
from distributed import Client, LocalCluster, wait

from . import cluster, cluster_tasks, crowd, errors, result_pack

log = logging.getLogger(__name__)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRELOAD = os.path.join(ROOT, "core", "cluster_preload.py")
CONNECT_TIMEOUT_S = 15
POLL_S = 0.5                   # how often the gathering loop looks up (and notices a cancel)

_warm_lock = threading.Lock()
_one_at_a_time = threading.Lock()   # a worker started with --nthreads 2+ still makes one character at
                                    # a time (the models and mediapipe's graphs are not shared safely)


# -- the Dask worker's side ----------------------------------------------------------------
def ensure_warm():
    """The models loaded, and one thread for this Dask worker process's work (a character at a
    time: run one Dask worker per core)."""
    from . import beside, worker_jobs
    with _warm_lock:
        if not worker_jobs.is_warm():
            beside.use_threads(True)
            worker_jobs.warm_up()


def _failure(index, kind, message):
    return {"index": index, "ok": False, "kind": kind, "message": message}


def _relabel(text, local, original):
    """``text`` with the task's copy of the photo named as the client's photo (reports and
    messages name the photo the person gave, as on one machine)."""
    for a, b in ((local, original), (json.dumps(local)[1:-1], json.dumps(original)[1:-1])):
        text = text.replace(a, b)
    return text


def make_base(photo_name, photo_bytes, photo, texture_size):
    """The avatar that variants ``--around`` a photo are made from, packed (runs on a Dask worker)."""
    return make_character({"index": -1, "name": "_base", "photo": photo, "variant": False,
                           "photo_name": photo_name, "texture_size": texture_size, "seed": 0,
                           "full_body": False}, photo_bytes)


def make_character(spec, photo_bytes=None, base=None):
    """One character (runs on a Dask worker): {"index", "ok", "report", "packed"} or a failure
    {"index", "ok": False, "kind", "message"}. A photo that cannot make a character is a
    failure returned, not raised: Dask would retry it, and the crowd lists it."""
    with _one_at_a_time:
        return _make_character(spec, photo_bytes, base)


def _scratch():
    """The Dask worker's own folder, which Dask clears when a worker killed mid-task is replaced
    (the task's folder would otherwise stay in the temp folder); None outside a Dask worker."""
    from distributed import get_worker
    try:
        return get_worker().local_directory
    except ValueError:
        return None


def _make_character(spec, photo_bytes, base):
    from . import worker_jobs
    index, tmp, started = spec["index"], tempfile.mkdtemp(prefix="likeness-task-", dir=_scratch()), time.perf_counter()
    local_photo = ""
    try:
        ensure_warm()
        out_dir = os.path.join(tmp, f"{index:05d}_{spec['name']}")
        args = {"out_dir": out_dir, "texture_size": spec["texture_size"]}
        noop = lambda *a: None                                          # noqa: E731
        if spec["variant"]:
            base_dir = None
            if spec["photo"]:
                if not base or not base["ok"]:
                    why = base["message"] if base else "it was not made"
                    return _failure(index, base.get("kind", "LikenessError") if base else "LikenessError",
                                    f"The base photo failed: {why}")
                base_dir = result_pack.unpack(base["packed"], os.path.join(tmp, "_base"))
            data = worker_jobs.JOBS["variant"][1](
                {**args, "seed": spec["seed"], "index": index, "name": spec["name"], "base_dir": base_dir}, noop)
        else:
            local_photo = os.path.join(tmp, "photo", spec["photo_name"])
            os.makedirs(os.path.dirname(local_photo))
            with open(local_photo, "wb") as fh:
                fh.write(photo_bytes)
            data = worker_jobs.JOBS["avatar"][1]({**args, "photos": [local_photo]}, noop)
        if spec["full_body"]:
            data = worker_jobs.full_body(out_dir, out_dir + crowd.BODY_SUFFIX, crowd.body_seed(spec["seed"], index))
        folder = data["out_dir"]
        report_path = os.path.join(folder, "report.json")
        with open(report_path, encoding="utf-8") as fh:
            text = fh.read()
        if local_photo:
            text = _relabel(text, local_photo, spec["photo"])
            with open(report_path, "w", encoding="utf-8") as fh:
                fh.write(text)
        report = json.loads(text)
        packed = result_pack.pack(folder)
        return {"index": index, "ok": True, "report": report, "packed": packed,
                "worker": f"{socket.gethostname()}:{os.getpid()}", "seconds": time.perf_counter() - started}
    except errors.LikenessError as exc:
        return _failure(index, exc.kind, _relabel(str(exc), local_photo, spec["photo"]) if local_photo else str(exc))
    except Exception as exc:  # noqa: BLE001 - listed in the crowd, the worker lives on
        traceback.print_exc(file=sys.stderr)
        return _failure(index, errors.Unexpected.kind,
                        f"Unexpected error on the cluster worker {socket.gethostname()} "
                        f"({type(exc).__name__}: {exc}); its log holds the details.")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- the client's side (in the Likeness worker) -----------------------------------------------
_local_clusters = {}             # N -> the LocalCluster of "local:N", kept warm for the next crowd


def local_cluster(n):
    """This process's local cluster of ``n`` worker processes (one thread each), started once and
    kept, so a second crowd finds its workers warm. Its worker processes end with this process."""
    local = _local_clusters.get(n)
    if local is not None and local.status.name == "running":
        return local
    for other in list(_local_clusters.values()):      # one local cluster at a time: the cores are shared
        other.close()
    _local_clusters.clear()
    local = _local_clusters[n] = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                              dashboard_address=None, silence_logs=logging.ERROR,
                                              preload=[PRELOAD])
    return local


def connect(address):
    """A client of the cluster at ``address`` ("local:N" or "tcp://HOST:PORT")."""
    kind, value = cluster.parse(address)
    if kind == "local":
        value = local_cluster(value).scheduler_address
    else:
        cluster.check_reachable(value)
    try:
        return Client(value, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise errors.ClusterUnreachable(f"No Dask scheduler answers at {value} ({exc}).") from None


def _read_photo(path):
    with open(path, "rb") as fh:
        return fh.read()


def run_crowd(args, progress):
    """The "cluster_crowd" job. args: address, chars (Character dicts), seed, texture_size,
    full_body, work_dir. Each character ends in a progress message with ``character``:
    {"index", "ok", "out_dir"} or {"index", "ok": False, "kind", "message"}. Returns counts."""
    chars = args["chars"]
    seed, size, full_body = int(args["seed"]), int(args["texture_size"]), bool(args["full_body"])
    work_dir, n = args["work_dir"], len(chars)
    progress(0.0, "cluster", f"Connecting to the cluster {args['address']}")
    client = connect(args["address"])
    token = uuid.uuid4().hex[:10]                 # this job's keys (other jobs may share the scheduler)
    futures, delivered, started, made = {}, set(), time.monotonic(), 0
    try:
        cloudpickle.register_pickle_by_value(cluster_tasks)     # (the scheduler needs no Likeness)
        client.register_plugin(cluster_tasks.WarmUp(), name=cluster_tasks.WarmUp.name)
        base = None
        around = next((c["photo"] for c in chars if c["variant"] and c["photo"]), None)
        if around:
            try:
                photo_bytes = _read_photo(around)
                base = client.submit(cluster_tasks.make_base, os.path.basename(around), photo_bytes, around, size,
                                     key=f"likeness-{seed}-base-{token}", pure=False)
            except OSError as exc:
                base = {"ok": False, "kind": "BadImage", "message": f"{around} cannot be read ({exc.strerror})"}
        early = []
        for c in chars:
            spec = {**c, "seed": seed, "texture_size": size, "full_body": full_body,
                    "photo_name": os.path.basename(c["photo"]) if c["photo"] else ""}
            photo_bytes = None
            if c["photo"] and not c["variant"]:
                try:
                    photo_bytes = _read_photo(c["photo"])
                except OSError as exc:
                    early.append(_failure(c["index"], "BadImage", f"{c['photo']} cannot be read ({exc.strerror})"))
                    continue
            fut = client.submit(cluster_tasks.make_character, spec, photo_bytes, base if c["variant"] else None,
                                key=f"likeness-{seed}-{c['index']:05d}-{token}", pure=False)
            futures[fut] = c
        names = {c["index"]: c["name"] for c in chars}
        pending = set(futures)

        def deliver(out):
            nonlocal made
            index = out["index"]
            if index in delivered:                   # (never expected: one key per character)
                return
            delivered.add(index)
            k = len(delivered)
            workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
            elapsed = time.monotonic() - started
            left = f", about {elapsed / k * (n - k):.0f} s left" if k < n else ""
            message = f"Crowd on {workers} cluster workers: {k}/{n} characters{left}"
            if out["ok"]:
                out_dir = os.path.join(work_dir, f"{index:05d}_{names[index]}")
                result_pack.unpack(out["packed"], out_dir)
                character = {"index": index, "ok": True, "out_dir": out_dir, "worker": out.get("worker", ""),
                             "task_s": round(out.get("seconds", 0.0), 3), "bytes": len(out["packed"])}
                made += 1
            else:
                character = {k2: out[k2] for k2 in ("index", "ok", "kind", "message")}
            progress(k / max(n, 1), "cluster", message, character=character)

        for out in early:
            deliver(out)
        while pending:
            progress(len(delivered) / max(n, 1), "cluster", None)      # (raises Cancelled when asked)
            try:
                done, pending = wait(pending, timeout=POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                continue
            for fut in sorted(done, key=lambda f: futures[f]["index"]):
                char = futures[fut]
                try:
                    out = fut.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker and the like: this character only
                    out = _failure(char["index"], errors.WorkerDied.kind,
                                   f"The cluster could not make this character ({type(exc).__name__}: {exc}).")
                fut.release()
                deliver(out)
        return {"made": made, "failed": n - made, "seconds": round(time.monotonic() - started, 2)}
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()
        client.close()
