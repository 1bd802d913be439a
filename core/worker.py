"""The Likeness worker: a persistent process that keeps the models loaded and
runs jobs sent by Blender (see protocol.py).

Started by file path with the runtime's interpreter:
    python core/worker.py --parent-pid PID
It exits when its stdin closes or the parent process disappears. File
descriptor 1 is moved aside at start and stdout is pointed at stderr, so
chatter from torch, mediapipe or absl cannot corrupt the protocol stream.
"""
import argparse
import logging
import os
import queue
import sys
import threading
import time
import traceback


def _protocol_stream():
    proto_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(proto_fd, "wb", buffering=0)


class Worker:
    def __init__(self, stream):
        from core import protocol
        self.protocol = protocol
        self.stream = stream
        self.lock = threading.Lock()
        self.jobs = queue.Queue()
        self.cancelled = set()

    def send(self, **msg):
        data = self.protocol.encode(**msg)
        with self.lock:
            self.stream.write(data)

    def read_commands(self):
        for line in sys.stdin.buffer:
            if not line.strip():
                continue
            try:
                msg = self.protocol.decode(line)
            except ValueError as exc:
                self.send(type="log", id=None, level="warning", message=f"bad command: {exc}")
                continue
            if msg["type"] == "cancel":
                self.cancelled.add(msg.get("id"))
            elif msg["type"] == "shutdown":
                break
            else:
                self.jobs.put(msg)
        os._exit(0)          # stdin closed: Blender is gone or asked us to stop

    def run_job(self, msg):
        from core import errors
        from core.worker_jobs import JOBS
        job_id, kind, args = msg.get("id"), msg.get("kind"), msg.get("args") or {}

        def progress(fraction, stage, message, **extra):
            """Tell Blender (``extra``: more fields, such as a crowd's finished character); a
            message of None only looks for a cancel."""
            if job_id in self.cancelled:
                raise errors.Cancelled("Cancelled.")
            if message is not None:
                self.send(type="progress", id=job_id, fraction=fraction, stage=stage, message=message, **extra)

        try:
            if kind not in JOBS:
                raise errors.LikenessError(f"Unknown job kind: {kind!r}")
            first, run = JOBS[kind]
            if first:
                progress(0.1, *first)
            data = run(args, progress)
            self.send(type="result", id=job_id, data=data)
        except errors.LikenessError as exc:
            self.send(type="error", id=job_id, kind=exc.kind, message=str(exc))
        except Exception as exc:  # noqa: BLE001 - reported to Blender, the worker lives on
            traceback.print_exc(file=sys.stderr)          # the client keeps stderr in the worker log
            sys.stderr.flush()
            self.send(type="error", id=job_id, kind=self.protocol.INTERNAL_ERROR,
                      message=f"Unexpected error ({type(exc).__name__}: {exc}).")
        finally:
            self.cancelled.discard(job_id)


def _watch_parent(pid):
    while True:
        time.sleep(1.0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass


def main():
    stream = _protocol_stream()
    parser = argparse.ArgumentParser()
    parser.add_argument("--parent-pid", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    worker = Worker(stream)
    if args.parent_pid:
        threading.Thread(target=_watch_parent, args=(args.parent_pid,), daemon=True).start()
    threading.Thread(target=worker.read_commands, daemon=True).start()
    worker.send(type="ready", pid=os.getpid())
    while True:
        worker.run_job(worker.jobs.get())


if __name__ == "__main__":
    main()
