"""Faults the tests and the benches inject (not part of the extension): a crowd whose worker is
killed at a chosen moment.

    from tools import faults
"""
import json
import os
import signal
import subprocess
import time


def crowd_with_killed_worker(command, out, delay_s, variants=10, seed=4, timeout_s=600, env=None):
    """Run ``command crowd --variants N`` into ``out`` and SIGKILL its worker ``delay_s``
    seconds after the worker started. Returns (exit code or None when it did not end in
    ``timeout_s``, stderr, the summary or None, seconds, whether the worker was killed: False
    when it had already ended)."""
    started = time.monotonic()
    proc = subprocess.Popen([command, "crowd", "--variants", str(variants), "--seed", str(seed), "--hair", "none",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    killed = False
    try:
        worker = None
        deadline = time.monotonic() + 120
        while worker is None and time.monotonic() < deadline and proc.poll() is None:
            found = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "worker.py"], capture_output=True, text=True)
            worker = int(found.stdout.split()[0]) if found.stdout.split() else None
            time.sleep(0.2)
        if worker is not None:
            time.sleep(delay_s)
            try:
                os.kill(worker, signal.SIGKILL)
                killed = True
            except ProcessLookupError:
                pass                                   # the crowd was already done
        _, stderr = proc.communicate(timeout=timeout_s)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        code = None
    path = os.path.join(str(out), "summary.json")
    summary = None
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
    return code, stderr, summary, time.monotonic() - started, killed


def accounted(summary):
    """The character indices a crowd summary made or listed as failed, sorted."""
    return sorted([c["index"] for c in summary["characters"]] + [f["index"] for f in summary["failed"]])
