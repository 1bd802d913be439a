"""Long work, done one way: a Job advances in small steps.

``run`` drives a job to its end and returns its result (the command line, scripts and
background Blender); ``JobOperator`` drives the same job from a timer in the UI, with the
progress bar, the status line and ESC. Every failure leaves as a ``LikenessError`` with a
message for a person; a bug becomes ``Unexpected``, naming the log that holds its traceback.
"""
import collections
import logging
import os
import shutil
import tempfile
import threading
import time
import traceback

import bpy

from . import preferences
from .core import errors, worker_client

log = logging.getLogger(__name__)


class Job:
    """One long operation. ``step`` does a little work (waiting at most ``timeout`` seconds)
    and returns True when done; ``result`` is then what the job made. ``cancel`` stops it
    (what was finished may stay: ``result`` says); ``close`` removes its temporary files,
    whatever happened."""
    fraction = 0.0
    message = ""
    result = None

    def step(self, timeout):
        raise NotImplementedError

    def cancel(self):
        pass

    def close(self):
        pass


class WorkerJob(Job):
    """One worker job of ``kind``; ``finish(data)`` turns its result data into the job's
    result, in Blender's main thread (that is where scene changes happen). With ``arrays``,
    the job writes an .npz into a temporary folder and ``finish`` gets its arrays. The
    ``scratch`` folder (and that temporary one) is removed when the job closes."""

    def __init__(self, kind, finish, arrays=False, scratch=None, **args):
        self.kind, self.finish = kind, finish
        self.message = "Starting the worker"
        self.scratch = tempfile.mkdtemp(prefix=f"likeness-{kind}-") if arrays else scratch
        self.npz = None
        if arrays:
            self.npz = args["out_path"] = os.path.join(self.scratch, f"{kind}.npz")
        try:
            self.client = worker_client.shared_client(preferences.worker_python())
            self.id = self.client.submit(kind, **args)
        except BaseException:
            self.close()
            raise

    def step(self, timeout):
        for msg in self.client.take(self.id, timeout=timeout):
            if msg["type"] == "progress":
                self.fraction, self.message = msg["fraction"], msg["message"]
            elif msg["type"] == "error":
                raise errors.from_kind(msg["kind"], msg["message"])
            elif msg["type"] == "result":
                data = msg["data"]
                if self.npz:
                    import numpy as np
                    with np.load(self.npz, allow_pickle=False) as z:
                        data = {k: z[k] for k in z.files}
                self.result = self.finish(data)
                return True
        return False

    def cancel(self):
        self.client.cancel(self.id)

    def close(self):
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


class ThreadJob(Job):
    """``work(on_line, should_stop)`` in a thread (a tool that prints lines, like an
    installer); the progress is the count of lines against ``expected_lines``, the message the
    last line. The result is the last lines printed."""

    def __init__(self, work, expected_lines=100, message="Working"):
        self.lines = collections.deque(maxlen=6)
        self.count, self.expected = 0, expected_lines
        self.message = message
        self.error, self.stopping = None, False

        def on_line(line):
            self.count += 1
            self.lines.append(line)
            log.info("%s", line)

        def target():
            try:
                work(on_line, lambda: self.stopping)
            except BaseException as exc:  # noqa: BLE001 - raised again in step(), in the main thread
                self.error = exc

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def step(self, timeout):
        self.thread.join(timeout)
        self.fraction = min(self.count / self.expected, 0.99)
        self.message = self.lines[-1][:90] if self.lines else self.message
        if self.thread.is_alive():
            return False
        if self.error is not None:
            raise self.error
        self.result = list(self.lines)
        return True

    def cancel(self):
        self.stopping = True
        self.thread.join()


def run(job, on_progress=None):
    """Drive ``job`` to its end; its result, or its error as a LikenessError. ``on_progress(fraction,
    message)`` is called whenever the job's message changes (the command line prints it)."""
    try:
        said = None
        while not job.step(0.2):
            if on_progress is not None and job.message != said:
                said = job.message
                on_progress(job.fraction, said)
        return job.result
    except Exception as exc:  # noqa: BLE001 - every failure leaves as a LikenessError
        raise as_likeness_error(exc) from exc
    finally:
        job.close()


def as_likeness_error(exc):
    """``exc`` itself when it is a LikenessError; else ``Unexpected``, its traceback in the log."""
    if isinstance(exc, errors.LikenessError):
        return exc
    path = os.path.join(worker_client.LOG_DIR, f"blender-{os.getpid()}.log")
    try:
        os.makedirs(worker_client.LOG_DIR, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} Blender {bpy.app.version_string}\n")
            fh.write("".join(traceback.format_exception(exc)) + "\n")
    except OSError:
        path = "(the log could not be written)"
    log.error("Likeness failed unexpectedly:\n%s", "".join(traceback.format_exception(exc)))
    return errors.Unexpected(f"Likeness failed unexpectedly in Blender {bpy.app.version_string}: "
                             f"{type(exc).__name__}: {exc}. The traceback is in {path}")


def status(context):
    return context.window_manager.likeness_status


class JobOperator:
    """Mixin for an operator whose work is a Job: modal with a progress bar in the UI, run to
    the end at once in background Blender. Subclasses give ``make_job(context)`` (raising a
    LikenessError for bad input) and ``done(context, result)`` (reports; returns the
    operator's outcome). A job cancelled with nothing made (result None) changes nothing."""
    _job = None
    _timer = None

    def make_job(self, context):
        raise NotImplementedError

    def done(self, context, result):
        raise NotImplementedError

    def stepped(self, context, job):
        """After each step in the UI (the progress bar and status line are already updated),
        and after a failure."""

    def execute(self, context):
        try:
            self._job = self.make_job(context)
            result = run(self._job)
        except Exception as exc:  # noqa: BLE001 - reported; the scene is as it was
            return self._failed(context, exc)
        return self.done(context, result)

    def invoke(self, context, event):
        if bpy.app.background:
            return self.execute(context)
        try:
            self._job = self.make_job(context)
        except Exception as exc:  # noqa: BLE001
            return self._failed(context, exc)
        st = status(context)
        st.running, st.progress, st.message = True, 0.0, self._job.message
        wm = context.window_manager
        wm.progress_begin(0, 100)
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        st, job = status(context), self._job
        if event.type == "ESC" or not st.running:
            job.cancel()
            self._stop(context)
            if job.result is None:
                st.message = "Cancelled"
                self.report({"WARNING"}, f"{self.bl_label}: cancelled")
                return {"CANCELLED"}
            return self.done(context, job.result)
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            finished = job.step(0.0)
        except Exception as exc:  # noqa: BLE001
            self._stop(context)
            return self._failed(context, exc)
        st.progress, st.message = job.fraction, job.message
        context.window_manager.progress_update(int(job.fraction * 100))
        self.stepped(context, job)
        for area in context.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()
        if not finished:
            return {"RUNNING_MODAL"}
        self._stop(context)
        return self.done(context, job.result)

    def _stop(self, context):
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        status(context).running = False
        self._job.close()

    def _failed(self, context, exc):
        if self._job is not None:
            self.stepped(context, self._job)
        return report_failure(self, context, exc)


class FileJobOperator(JobOperator):
    """A JobOperator that first asks for a file or folder in the browser: modal after the
    browser, to the end at once when called with its path (scripts, background). Subclasses
    declare ``from_browser`` (a hidden, SKIP_SAVE BoolProperty) with their path property."""

    def invoke(self, context, event):
        self.from_browser = True
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        if self.from_browser and not bpy.app.background:
            return JobOperator.invoke(self, context, None)
        return JobOperator.execute(self, context)


def report_failure(op, context, exc):
    """Report a failure on operator ``op`` (and keep it on the panel's status line); CANCELLED."""
    message = str(as_likeness_error(exc))
    op.report({"ERROR"}, message)
    status(context).message = message
    return {"CANCELLED"}
