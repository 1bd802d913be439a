"""Blender's side of the worker: start it, send jobs, read its messages.

Pure standard library, so it runs inside Blender. One client keeps one
worker process alive across jobs; a dead worker is noticed (its pipe closes)
and the running job fails with WorkerDied, and the next job starts a fresh one.
"""
import itertools
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque

from . import errors, protocol

log = logging.getLogger(__name__)

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
START_TIMEOUT_S = 120.0
LOG_DIR = os.path.join(tempfile.gettempdir(), "likeness-logs")    # every worker's log, in one place
KEEP_LOGS = 20                                                     # the newest; older ones are removed


def clean_environment():
    """The worker's environment: no PYTHONPATH/PYTHONHOME from Blender, no user site-packages."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # one BLAS and OpenMP (torch) thread: the worker's matrices are small, and their threads
    # spun for a quarter more CPU at the same speed (four 2K avatars: wall 1.01x, CPU 1.26x)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return {**cache_environment(), **env}


def cache_environment():
    """torch makes its compiler cache folder in the temp folder at import: a user cache instead
    (unless the environment names one)."""
    return {"TORCHINDUCTOR_CACHE_DIR": os.environ.get("TORCHINDUCTOR_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "likeness", "torchinductor")}


class WorkerClient:
    def __init__(self, python, log_name=""):
        self.python = python
        self.proc = None
        self.messages = None
        self.stderr_tail = deque(maxlen=40)
        self.log_path = new_log_path(log_name)
        self._ids = itertools.count(1)
        self._readers = []
        self.running = set()
        self._orphans = []        # ends of jobs not yet handed out: a dead worker's, or those that
                                  # arrived while take() waited for another job

    # -- process ---------------------------------------------------------------
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        if not os.path.isfile(self.python):
            raise errors.RuntimeMissing(
                f"The Likeness runtime's Python was not found at {self.python}. "
                "Install the runtime from the Likeness panel, or set its path in the preferences.")
        self.messages = queue.Queue()
        self.proc = subprocess.Popen(
            [self.python, WORKER_SCRIPT, "--parent-pid", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=clean_environment(), bufsize=0)
        self._readers = [threading.Thread(target=self._read_stdout, args=(self.proc, self.messages), daemon=True),
                         threading.Thread(target=self._read_stderr, args=(self.proc,), daemon=True)]
        for reader in self._readers:
            reader.start()
        msg = self._next(self.messages, START_TIMEOUT_S)
        if msg is None or msg["type"] != "ready":
            self.stop()
            raise errors.WorkerDied("The Likeness worker did not start. " + self._stderr_hint())

    def _read_stdout(self, proc, messages):
        for line in proc.stdout:
            try:
                messages.put(protocol.decode(line))
            except ValueError:
                log.warning("worker wrote a non-protocol line: %r", line[:200])
        messages.put({"type": "_exit"})

    def _read_stderr(self, proc):
        with open(self.log_path, "ab") as fh:
            for line in proc.stderr:
                fh.write(line)
                fh.flush()
                self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _stderr_hint(self):
        tail = [l for l in self.stderr_tail if l.strip()][-3:]
        return ("Last worker output: " + " | ".join(tail)) if tail else f"See {self.log_path}."

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.stdin.write(protocol.encode(type="shutdown"))
            proc.stdin.flush()
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # the readers end with the worker's pipes: wait for them, so that none still runs while
        # Blender's Python shuts down after the last job
        for reader in self._readers:
            reader.join(timeout=5)
        self.running.clear()

    def pid(self):
        return self.proc.pid if self.alive() else None

    # -- jobs --------------------------------------------------------------------
    def submit(self, kind, **args):
        """Send a job (starting the worker if needed); returns its id. A worker found dead here
        fails its jobs in flight (poll() reports them), so nobody waits for them forever."""
        if not self.alive():
            self._orphans += self._died(self.running)
            self.stop()
            self.start()
        job_id = next(self._ids)
        self._send(type="job", id=job_id, kind=kind, args=args)
        self.running.add(job_id)
        return job_id

    def cancel(self, job_id):
        if self.alive():
            self._send(type="cancel", id=job_id)

    def _send(self, **msg):
        try:
            self.proc.stdin.write(protocol.encode(**msg))
            self.proc.stdin.flush()
        except (OSError, AttributeError):
            raise errors.WorkerDied("The Likeness worker stopped unexpectedly. " + self._stderr_hint()) from None

    @staticmethod
    def _next(messages, timeout):
        try:
            return messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def poll(self, timeout=0.0):
        """Every message that arrived (a worker death becomes an error for each running job),
        with the ends of jobs kept back by ``take``."""
        out, self._orphans = self._orphans, []
        return out + self._read(0.0 if out else timeout)

    def take(self, job_id, timeout=0.0):
        """The messages of job ``job_id`` that arrived; the ends of other jobs are kept for the
        next poll() or take() (a job run to its end meanwhile does not swallow another's)."""
        mine = [m for m in self._orphans if m.get("id") == job_id]
        self._orphans = [m for m in self._orphans if m.get("id") != job_id]
        for msg in self._read(0.0 if mine else timeout):
            if msg.get("id") == job_id:
                mine.append(msg)
            elif msg["type"] in ("result", "error"):
                self._orphans.append(msg)
        return mine

    def _read(self, timeout):
        """The messages the worker sent since the last read, waiting up to ``timeout`` for one."""
        out = []
        msg = self._next(self.messages, timeout) if self.messages else None
        while msg is not None:
            if msg["type"] == "_exit":
                self.proc = None
                out += self._died(self.running)
                self.running.clear()
                break
            if msg["type"] in ("result", "error"):
                self.running.discard(msg.get("id"))
            if msg["type"] == "error" and msg.get("kind") == protocol.INTERNAL_ERROR:
                msg["message"] += f" The worker's log holds the details: {self.log_path}"
            if msg["type"] == "log":
                log.info("worker: %s", msg.get("message"))
            out.append(msg)
            msg = self._next(self.messages, 0.0)
        return out

    def _died(self, jobs):
        return [{"type": "error", "id": job_id, "kind": errors.WorkerDied.kind,
                 "message": "The Likeness worker stopped in the middle of the job. "
                            "It will be restarted for the next one. " + self._stderr_hint()}
                for job_id in sorted(jobs)]

    def run(self, kind, on_progress=None, timeout=None, **args):
        """Run one job to the end; returns its result data or raises its domain error."""
        job_id = self.submit(kind, **args)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for msg in self.take(job_id, timeout=0.2):
                if msg["type"] == "progress" and on_progress:
                    on_progress(msg["fraction"], msg["stage"], msg["message"])
                elif msg["type"] == "result":
                    return msg["data"]
                elif msg["type"] == "error":
                    raise errors.from_kind(msg["kind"], msg["message"])
            if deadline is not None and time.monotonic() > deadline:
                self.cancel(job_id)
                raise errors.LikenessError(f"The job took longer than {timeout:.0f} s.")


def new_log_path(name=""):
    """This process's worker log under LOG_DIR (``name`` tells a crowd's second worker's apart);
    the oldest logs beyond KEEP_LOGS are removed."""
    os.makedirs(LOG_DIR, exist_ok=True)
    logs = sorted((os.path.join(LOG_DIR, n) for n in os.listdir(LOG_DIR) if n.endswith(".log")),
                  key=lambda p: os.path.getmtime(p) if os.path.exists(p) else 0, reverse=True)
    for old in logs[KEEP_LOGS - 1:]:
        try:
            os.remove(old)
        except OSError:
            pass
    return os.path.join(LOG_DIR, f"worker-{os.getpid()}{name}.log")


_clients = {}          # python -> [the shared client, a crowd's further workers...]


def shared_client(python):
    """The process-wide client for ``python`` (one warm worker per interpreter)."""
    return worker_pool(python, 1)[0]


def worker_pool(python, count):
    """``count`` clients for ``python``: the shared one first, then further workers that a crowd
    uses to make characters side by side on a machine's several cores. They stay warm for the
    next crowd and end with ``stop_all`` (or with Blender: each worker watches its parent)."""
    if python not in _clients:
        stop_all()                       # one interpreter's workers at a time
        _clients[python] = []
    pool = _clients[python]
    while len(pool) < count:
        pool.append(WorkerClient(python, f"-{len(pool) + 1}" if pool else ""))
    return pool[:count]


def stop_all():
    for pool in _clients.values():
        for client in pool:
            client.stop()
    _clients.clear()


def default_python():
    return sys.executable
