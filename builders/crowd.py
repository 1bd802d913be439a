"""Crowds in the scene: one character per photo or variant, each in its own collection
under "Likeness Crowd", laid out on a grid or scattered.

The workers (one per core, core.crowd.local_workers) stay warm for the whole crowd and make
the next characters side by side while Blender builds the ones made, in the crowd's order
whichever worker finishes first. A character that fails is skipped and listed in the
summary; the rest go on. Cancel (ESC) keeps the characters already built.

On a cluster (``cluster``: a Dask scheduler's address or "local:N") the worker runs one
"cluster_crowd" job that hands the characters to the cluster and passes each result on as it
arrives (core/cluster_crowd.py); they are built here in the crowd's order, so the scene is the
one a single machine makes.
"""
import json
import math
import os
import shutil
import tempfile
import time

import bpy

from .. import jobs, preferences
from ..core import crowd, errors, result, worker_client
from . import materials, scene_build
from . import hair_build
from .hair_build import ESSENTIALS, STRAND_IMAGE

CROWD_COLLECTION = "Likeness Crowd"
IN_FLIGHT = 2                  # jobs queued at the worker: one being made, one waiting
STOP_WAIT_S = 15.0             # how long a cancelled crowd waits for its workers' jobs to stop
SCATTER_JITTER = 0.3           # share of the spacing a scattered character moves off its grid cell
SCATTER_TURN_DEG = 30.0


def position(index, total, spacing, scatter=False, seed=0):
    """(x, y, turn in radians) of character ``index`` of ``total``: rows of a square-ish grid
    in front of the cursor; scattered ones jittered and turned by their own seeded draw.
    Depends only on the index, so shards merge into the same layout."""
    cols = max(1, math.ceil(math.sqrt(total)))
    row, col = divmod(index, cols)
    x, y, turn = (col - (cols - 1) / 2.0) * spacing, row * spacing, 0.0
    if scatter:
        rng = crowd.rng_for(seed + 7919, index)
        dx, dy = rng.uniform(-SCATTER_JITTER, SCATTER_JITTER, 2) * spacing
        x, y, turn = x + dx, y + dy, math.radians(rng.uniform(-SCATTER_TURN_DEG, SCATTER_TURN_DEG))
    return x, y, turn


class CrowdJob(jobs.Job):
    """One crowd: submits characters to the warm workers (``workers``, 0: one per core), builds
    the results in the crowd's order as they arrive; its result is the summary (each
    character's report, the ones skipped and why)."""

    def __init__(self, chars, total, seed=0, texture_size=1024, layout="GRID", spacing=0.6,
                 full_body=False, hair="CURVES", not_photos=(), cluster="", viewport_hair=False, workers=0):
        python = preferences.worker_python()
        self.clients = worker_client.worker_pool(python, 1 if cluster else (workers or crowd.local_workers()))
        self.client = self.clients[0]
        self._one_thread_each(len(self.clients) > 1)
        self.pending = list(chars)
        self.count = len(chars)
        self.total, self.seed, self.texture_size = total, seed, texture_size
        self.scatter, self.spacing = layout == "SCATTER", spacing
        self.full_body, self.hair, self.viewport_hair = full_body, hair, viewport_hair
        self.work_dir = tempfile.mkdtemp(prefix="likeness-crowd-")
        self.in_flight = {}            # (worker slot, job id) -> (character, result folder)
        self.made, self.failed = [], []
        self.retried = set()           # characters sent again after their worker died
        self.base_dir, self.base_job = None, None
        self.started = time.perf_counter()
        self.cancelled = False
        self.stopping = set()          # (worker slot, job id) of jobs told to stop, not ended yet
        self.not_photos = list(not_photos)     # files of the photo folder that are not photos (listed)
        self.cluster, self.cluster_job, self.cluster_message = cluster, None, ""
        self.arrived = {}              # index -> ("made", folder) or ("failed", message, kind), to build
        self.taken = set()             # cluster: the indices that arrived (a repeat is dropped)
        self.order = sorted(chars, key=lambda c: c.index)     # built in this order, however they arrive
        around = next((c.photo for c in chars if c.variant and c.photo), None)
        if around and not cluster:
            self.base_dir = os.path.join(self.work_dir, "_base")
            self.base_job = (0, self.client.submit("avatar", photos=[around], out_dir=self.base_dir,
                                                   texture_size=texture_size))

    # -- progress ------------------------------------------------------------------
    @property
    def finished(self):
        return len(self.made) + len(self.failed)

    @property
    def fraction(self):
        return self.finished / max(self.count, 1)

    @property
    def message(self):
        n, k = self.count, self.finished
        elapsed = time.perf_counter() - self.started
        left = f", about {elapsed / k * (n - k):.0f} s left" if k else ""
        skipped = f", {len(self.failed)} skipped" if self.failed else ""
        if self.cluster_message:
            return self.cluster_message + skipped
        return f"Crowd: {k}/{n} characters{skipped}{left}"

    # -- work ----------------------------------------------------------------------
    def step(self, timeout):
        if self.cluster:
            return self._step_cluster(timeout)
        self._submit()
        for slot, client in enumerate(self.clients):
            for msg in client.poll(timeout=timeout / len(self.clients)):
                if msg.get("type") in ("result", "error"):
                    self._ended((slot, msg.get("id")), msg)
        self._build_arrived()
        if self.pending or self.in_flight or self.base_job is not None or self.order:
            return False
        self.result = self.summary()
        return True

    def _ended(self, key, msg):
        """A job of this crowd ended on worker slot ``key[0]``."""
        if key == self.base_job:
            self._base_done(msg)
            return
        if key not in self.in_flight:
            return
        char, out_dir = self.in_flight.pop(key)
        if msg["type"] == "error" and msg.get("kind") == errors.WorkerDied.kind and char.index not in self.retried:
            self.retried.add(char.index)             # once more, on the restarted worker
            self.pending.insert(0, char)             # (its folder is written anew)
        elif msg["type"] == "error":
            self.arrived[char.index] = ("failed", msg["message"], msg.get("kind"))
        elif self.full_body and not out_dir.endswith(crowd.BODY_SUFFIX):
            # the head is made: the body carries its identity (the outfit from the crowd's seed)
            slot = key[0]
            job = self.clients[slot].submit("full_body", head_dir=out_dir, out_dir=out_dir + crowd.BODY_SUFFIX,
                                            seed=crowd.body_seed(self.seed, char.index))
            self.in_flight[(slot, job)] = (char, out_dir + crowd.BODY_SUFFIX)
        else:
            self.arrived[char.index] = ("made", out_dir)

    def _submit(self):
        """Keep every worker busy: IN_FLIGHT jobs each (a body job takes its head's place)."""
        while self.pending:
            char = self.pending[0]
            if char.variant and char.photo and self.base_job is not None:
                return                               # variants of a photo wait for its avatar
            load = [sum(1 for s, _ in self.in_flight if s == slot) for slot in range(len(self.clients))]
            slot = min(range(len(self.clients)), key=load.__getitem__)
            if load[slot] >= IN_FLIGHT:
                return
            self.pending.pop(0)
            client = self.clients[slot]
            out_dir = os.path.join(self.work_dir, f"{char.index:05d}_{char.name}")
            if char.variant:
                job = client.submit("variant", seed=self.seed, index=char.index, out_dir=out_dir,
                                    texture_size=self.texture_size, name=char.name,
                                    base_dir=self.base_dir if char.photo else None)
            else:
                job = client.submit("avatar", photos=[char.photo], out_dir=out_dir, texture_size=self.texture_size)
            self.in_flight[(slot, job)] = (char, out_dir)

    # -- on a cluster -----------------------------------------------------------------
    def _step_cluster(self, timeout):
        if self.cluster_job is None and self.pending:
            self.cluster_job = self.client.submit(
                "cluster_crowd", address=self.cluster, chars=[c.to_dict() for c in self.pending], seed=self.seed,
                texture_size=self.texture_size, full_body=self.full_body, work_dir=self.work_dir)
            self.pending = []
        for msg in self.client.poll(timeout=timeout):
            if msg.get("id") != self.cluster_job or self.cluster_job is None:
                continue
            if msg["type"] == "progress":
                self.cluster_message = msg.get("message") or self.cluster_message
                char = msg.get("character")
                if char and char["index"] not in self.taken:         # each character taken once
                    self.taken.add(char["index"])
                    self.arrived[char["index"]] = (("made", char["out_dir"]) if char["ok"]
                                                   else ("failed", char["message"], char["kind"]))
            elif msg["type"] == "error":
                self._cluster_error(msg)
            elif msg["type"] == "result":
                self.cluster_job = None
                for char in self._waiting():
                    self.arrived[char.index] = ("failed", "The cluster did not return this character.", None)
        self._build_arrived()
        if self.cluster_job is not None or self.pending or self._waiting():
            return False
        self.result = self.summary()
        return True

    def _waiting(self):
        done = {c["index"] for c in self.made} | {f["index"] for f in self.failed}
        return [c for c in self.order if c.index not in self.arrived and c.index not in done]

    def _cluster_error(self, msg):
        self.cluster_job = None
        kind = msg.get("kind")
        if kind in (errors.ClusterUnreachable.kind, errors.BadArguments.kind) and not self.arrived and not self.made:
            raise errors.from_kind(kind, msg["message"])          # nothing made: the crowd fails
        if kind == errors.WorkerDied.kind and not self.retried:
            self.retried.add("cluster")                  # the Likeness worker (the Dask client) died:
            self.pending = self._waiting()               # once more, with what is still to come
            return
        for char in self._waiting():
            self.arrived[char.index] = ("failed", msg["message"], kind)

    def _build_arrived(self):
        """Build the characters that arrived, in the crowd's order (a later one waits on disk)."""
        while self.order and self.order[0].index in self.arrived:
            char = self.order.pop(0)
            got = self.arrived.pop(char.index)
            if got[0] == "made":
                self._build(char, got[1])
            else:
                self._fail(char, got[1], got[2])

    def _base_done(self, msg):
        self.base_job = None
        if msg["type"] == "error":
            for char in [c for c in self.pending if c.variant and c.photo]:
                self.pending.remove(char)
                self.arrived[char.index] = ("failed", f"The base photo failed: {msg['message']}", msg.get("kind"))

    def _fail(self, char, message, kind=None):
        self.failed.append({**char.to_dict(), "error": message, "kind": kind or "LikenessError"})

    def _build(self, char, out_dir):
        context = bpy.context          # (a job outlives the context of the call that made it)
        try:
            res = result.load(out_dir)
            rig = scene_build.build(context, res, char.name, "", self.hair, parent=crowd_collection(context))
        except Exception as exc:  # noqa: BLE001 - one character's failure does not stop the crowd
            message = str(exc) if isinstance(exc, errors.LikenessError) else f"{type(exc).__name__}: {exc}"
            self._fail(char, f"The scene build failed: {message}")
            return
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
            shutil.rmtree(out_dir.removesuffix(crowd.BODY_SUFFIX), ignore_errors=True)
        _place(context, rig, char, self)
        if not self.viewport_hair:
            hide_hair_children(rig)
        self.made.append({**char.to_dict(), "rig": rig.name, "report": res.report})

    def cancel(self):
        self.cancelled = True
        self.stopping = set(self.in_flight) | ({self.base_job} if self.base_job is not None else set())
        if self.cluster_job is not None:
            self.stopping.add((0, self.cluster_job))
            self.cluster_job = None
        for slot, job in self.stopping:
            self.clients[slot].cancel(job)
        for char in self.order:          # all not built yet: in flight, waiting, or arrived out of turn
            self._fail(char, "Cancelled." if char not in self.pending else "Cancelled before it was made.",
                       "Cancelled")
        self.pending, self.in_flight, self.base_job, self.order, self.arrived = [], {}, None, [], {}
        self.result = self.summary()

    def close(self):
        """Remove the crowd's folder once the jobs told to stop have stopped (a job notices at
        its next step, and one about to end may still write its character there); the workers
        go back to all their threads."""
        deadline = time.monotonic() + STOP_WAIT_S
        while self.stopping and time.monotonic() < deadline:
            for slot, client in enumerate(self.clients):
                for msg in client.poll(timeout=0.05):
                    if msg.get("type") in ("result", "error"):
                        self.stopping.discard((slot, msg.get("id")))
        shutil.rmtree(self.work_dir, ignore_errors=True)
        if len(self.clients) > 1:
            self._one_thread_each(False)

    def _one_thread_each(self, one):
        """Several workers share the cores: each keeps to one thread (core.beside.use_threads).
        Sent, not waited for: a worker runs it before the jobs sent after it."""
        for client in self.clients:
            if one or client.alive():
                try:
                    client.submit("threads", one=one)
                except errors.WorkerDied:
                    if one:
                        raise
                    # gone: a worker starts with all its threads anew

    def summary(self):
        seconds = time.perf_counter() - self.started
        made = sorted(self.made, key=lambda m: m["index"])
        return {"seed": self.seed, "total": self.total, "characters": made,
                "failed": sorted(self.failed, key=lambda m: m["index"]), "not_photos": self.not_photos,
                "cancelled": self.cancelled,
                "seconds": round(seconds, 2),
                "characters_per_minute": round(len(made) / seconds * 60.0, 1) if seconds > 0 else 0.0}


def hide_hair_children(rig):
    """The character's hair children off in the viewport (rendered as before): Blender would
    otherwise grow every character's children when it next updates the scene, which is what made
    a crowd's build slow and its memory large (about 40 MB and 3 s of the next operator's scene
    update per character with hair curves, against 10 MB and 0.3 s). The modifier's viewport
    toggle shows them again."""
    for ob in rig.users_collection[0].objects:
        mod = ob.modifiers.get(hair_build.HAIR_MODIFIER)
        if mod is not None:
            mod.show_viewport = False


def crowd_collection(context):
    coll = bpy.data.collections.get(CROWD_COLLECTION)
    if coll is None:
        coll = bpy.data.collections.new(CROWD_COLLECTION)
    if coll.name not in context.scene.collection.children:
        context.scene.collection.children.link(coll)
    return coll


def _place(context, rig, char, run):
    """Put the character at its place in the crowd; its camera hidden."""
    x, y, turn = position(char.index, run.total, run.spacing, run.scatter, run.seed)
    cursor = context.scene.cursor.location
    rig.location = (cursor.x + x, cursor.y + y, cursor.z)
    rig.rotation_euler.z = turn
    rig["likeness_crowd_index"] = char.index
    for ob in rig.users_collection[0].objects:
        if ob.type == "CAMERA":
            ob.hide_set(True)


def merge_shared_materials():
    """After shards are appended into one file: one copy of each shared material, of the
    Essentials hair node groups, of the shared hair and brow trees and of the strand image,
    instead of one per shard (the copies are named "X.001" ...)."""
    for datablocks, names in ((bpy.data.materials, [materials.shared_material_name(k)
                                                     for k in materials.SHARED_MATERIALS]),
                              (bpy.data.node_groups, ESSENTIALS), (bpy.data.images, [STRAND_IMAGE])):
        for name in names:
            copies = [d for d in datablocks if d.name.startswith(name + ".") and d.name[len(name) + 1:].isdigit()]
            base = datablocks.get(name)
            for copy in copies:
                if base is None:
                    copy.name, base = name, copy
                    continue
                copy.user_remap(base)
                datablocks.remove(copy)
    hair_build.fold_shared_trees()


def keep_summary(context, summary):
    """Keep the summary with the scene: a short line in the panel, the whole on the crowd
    collection; when nothing was made, the empty crowd collection goes. Returns the line."""
    made, failed = len(summary["characters"]), summary["failed"]
    line = f"{made} characters made in {summary['seconds']:.0f} s"
    if failed:
        line += f"; {len(failed)} skipped: " + ", ".join(
            f"{os.path.basename(f['photo'] or f['name'])} ({f['error']})" for f in failed[:5])
    if summary["not_photos"]:
        line += f"; {len(summary['not_photos'])} files are not photos: " + ", ".join(
            os.path.basename(f["file"]) for f in summary["not_photos"][:5])
    context.scene.likeness.crowd.summary = line
    coll = bpy.data.collections.get(CROWD_COLLECTION)
    if coll is not None:
        chars = [{k: v for k, v in c.items() if k != "report"} for c in summary["characters"]]
        coll["likeness_summary"] = json.dumps({**summary, "characters": chars})
        if not summary["characters"] and not coll.children and not coll.objects:
            bpy.data.collections.remove(coll)          # nothing made: the scene as it was
    return line
