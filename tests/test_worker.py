"""The worker process and its protocol, driven the way Blender drives it."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO, data_path
from core import errors, result, worker_client

PHOTO = ("faces", "lfpw", "image_0002.png")


def test_round_trip_and_models_stay_loaded(client, tmp_path):
    first = client.run("ping")
    assert first["models_loaded"] in (False, True)
    stages = []
    data = client.run("avatar", photos=[data_path(*PHOTO)], out_dir=str(tmp_path), texture_size=1024,
                      on_progress=lambda f, stage, msg: stages.append(stage))
    assert {"detect", "fit", "texture"} <= set(stages)
    res = result.load(data["out_dir"])                       # validated against the schema
    assert res.vertices.shape[1] == 3 and len(res.shape_key_names) == 52
    after = client.run("ping")
    assert after["pid"] == first["pid"] and after["models_loaded"] is True


def test_error_carries_kind_and_message(client, tmp_path):
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("this is not a photo")
    with pytest.raises(errors.BadImage, match="notes.jpg is not an image"):
        client.run("avatar", photos=[str(bogus)], out_dir=str(tmp_path / "out"), texture_size=1024)
    assert not (tmp_path / "out").exists()


def test_cancel_stops_the_job_and_the_worker_goes_on(client, tmp_path):
    job = client.submit("avatar", photos=[data_path(*PHOTO)], out_dir=str(tmp_path / "a"),
                        texture_size=1024)
    client.cancel(job)
    outcome = None
    deadline = time.monotonic() + 60
    while outcome is None and time.monotonic() < deadline:
        for msg in client.poll(timeout=0.2):
            if msg.get("id") == job and msg["type"] in ("result", "error"):
                outcome = msg
    assert outcome["type"] == "error" and outcome["kind"] == "Cancelled"
    assert not (tmp_path / "a" / result.NPZ).exists()
    assert client.run("ping")["pid"] == client.pid()


def test_killed_worker_gives_clear_error_then_restarts(client, tmp_path):
    job = client.submit("avatar", photos=[data_path(*PHOTO)], out_dir=str(tmp_path / "a"),
                        texture_size=1024)
    old_pid = client.pid()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        msgs = client.poll(timeout=0.1)
        if any(m.get("id") == job and m["type"] == "progress" for m in msgs):
            break
    os.kill(old_pid, signal.SIGKILL)
    failure = None
    deadline = time.monotonic() + 30
    while failure is None and time.monotonic() < deadline:
        failure = next((m for m in client.poll(timeout=0.2) if m.get("id") == job and m["type"] == "error"), None)
    assert failure["kind"] == "WorkerDied"
    assert "stopped in the middle of the job" in failure["message"]
    data = client.run("avatar", photos=[data_path(*PHOTO)], out_dir=str(tmp_path / "b"), texture_size=1024)
    assert client.pid() != old_pid
    result.load(data["out_dir"])


def test_a_job_in_flight_fails_when_the_next_submit_finds_its_worker_dead(client, tmp_path):
    """A crowd submits its next character before it polls: the dead worker's job must still fail
    (not vanish, leaving the crowd waiting for it forever)."""
    job = client.submit("avatar", photos=[data_path(*PHOTO)], out_dir=str(tmp_path / "a"), texture_size=1024)
    proc = client.proc
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    second = client.submit("ping")
    seen = {}
    deadline = time.monotonic() + 60
    while len(seen) < 2 and time.monotonic() < deadline:
        for msg in client.poll(timeout=0.2):
            if msg["type"] in ("result", "error"):
                seen[msg["id"]] = msg
    assert seen[job]["type"] == "error" and seen[job]["kind"] == "WorkerDied"
    assert seen[second]["type"] == "result"


def test_a_job_that_ends_while_another_is_waited_for_is_not_lost(client, tmp_path):
    """A modal build in the UI polls for its job; an identity slider meanwhile runs a short job
    to its end: the build's result must still reach the build."""
    build = client.submit("avatar", photos=[data_path(*PHOTO)], out_dir=str(tmp_path / "a"), texture_size=1024)
    assert "pid" in client.run("ping")            # queued behind the build: the build ends first
    ends = [m for m in client.poll(timeout=5) if m["type"] in ("result", "error")]
    assert [(m["id"], m["type"]) for m in ends] == [(build, "result")]


def test_an_unexpected_error_names_the_log_that_holds_its_traceback(client):
    with pytest.raises(errors.LikenessError) as info:
        client.run("avatar")                      # no photos: a bug's KeyError, not a user error
    message = str(info.value)
    assert "Unexpected error (KeyError" in message and client.log_path in message
    assert os.path.dirname(client.log_path) == worker_client.LOG_DIR
    def last_traceback():                  # (the stderr reader writes the log as it comes)
        return open(client.log_path).read().split("Traceback")[-1]
    deadline = time.monotonic() + 10
    while "KeyError: 'photos'" not in last_traceback() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "KeyError: 'photos'" in last_traceback()


def test_worker_exits_when_blender_goes_away(tmp_path):
    """A parent that dies without cleaning up leaves no worker behind."""
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {REPO!r})
        from core import worker_client
        c = worker_client.WorkerClient(sys.executable)
        c.start()
        print(c.pid(), flush=True)
        os._exit(0)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    pid = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    pytest.fail("the worker outlived its parent")


def test_missing_interpreter_is_reported():
    c = worker_client.WorkerClient("/nonexistent/python")
    with pytest.raises(errors.RuntimeMissing, match="Install the runtime"):
        c.run("ping")


def test_worker_environment_is_clean(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere/blender/scripts")
    env = worker_client.clean_environment()
    assert "PYTHONPATH" not in env and env["PYTHONNOUSERSITE"] == "1"
