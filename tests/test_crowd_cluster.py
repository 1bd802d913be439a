"""Crowds on a real Dask cluster: a scheduler and two workers on 127.0.0.1 (their own processes,
started here with the `dask` command and stopped at the end), the crowd the `likeness` command
makes there compared, character by character, with the one a single machine makes with the same
seed; then one worker killed in the middle of a crowd, which still completes with every character."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import data_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 5
START_TIMEOUT_S = 180
CROWD_TIMEOUT_S = 600


def likeness(*args, **popen):
    """This checkout's `likeness` command (cli.py on this interpreter)."""
    return subprocess.Popen([sys.executable, os.path.join(ROOT, "cli.py"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def finish(proc, timeout=CROWD_TIMEOUT_S):
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the crowd did not end in {timeout} s: {err[-2000:]}")
    return proc.returncode, err


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args, log):
    """A `dask` command in its own process group (a worker's nanny and its worker die together)."""
    exe = os.path.join(os.path.dirname(sys.executable), "dask")
    return subprocess.Popen([exe, *args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Three photos and one that is not an image: with four variants, a crowd of 8."""
    folder = tmp_path_factory.mktemp("cluster_photos")
    for i, name in enumerate(("image_0001.png", "image_0003.png", "image_0010.png")):
        shutil.copy(data_path("faces", "lfpw", name), folder / f"p{i}_{name}")
    (folder / "p9_broken.jpg").write_bytes(b"not a JPEG at all")
    return folder


def crowd_args(photos, out):
    return ["crowd", "--photos", str(photos), "--variants", "4", "--seed", str(SEED), "--out", str(out)]


@pytest.fixture(scope="module")
def single_machine(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("crowd_single")
    code, err = finish(likeness(*crowd_args(photos, out)))
    assert code == 0, err[-3000:]
    return out


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """(scheduler address, {worker name: its process}): `dask scheduler` and two `dask worker`s."""
    from distributed import Client
    logs = tmp_path_factory.mktemp("dask_logs")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = {}
    try:
        procs["scheduler"] = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
                                   log=open(logs / "scheduler.log", "wb"))
        for name in ("w1", "w2"):
            procs[name] = _dask("worker", address, "--name", name, "--nthreads", "1", "--no-dashboard",
                                "--host", "127.0.0.1", "--preload", os.path.join(ROOT, "core", "cluster_preload.py"),
                                log=open(logs / f"{name}.log", "wb"))
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with Client(address, timeout=10) as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        yield address, procs
    finally:
        for proc in procs.values():
            _stop(proc)


def test_cluster_address_checked_before_any_work(tmp_path):
    for address, why in (("nonsense", "tcp://HOST:PORT"), ("tcp://127.0.0.1:1", "No Dask scheduler answers"),
                         ("local:0", "local:N")):
        started = time.monotonic()
        code, err = finish(likeness("crowd", "--variants", "2", "--cluster", address, "--out", str(tmp_path / "o")),
                           timeout=120)
        assert code == 2, err
        assert why in err
        assert time.monotonic() - started < 60        # (no Blender, no worker: refused at once)
        assert not (tmp_path / "o" / "crowd.blend").exists()


def test_result_packed_as_bytes_round_trips(tmp_path):
    from core import result, result_pack, variant
    variant.build_variant(SEED, 2, str(tmp_path / "a"), 1024)
    data = result_pack.pack(str(tmp_path / "a"))
    assert isinstance(data, bytes)
    result_pack.unpack(data, str(tmp_path / "b"))
    ra, rb = result.load(str(tmp_path / "a")), result.load(str(tmp_path / "b"))
    np.testing.assert_array_equal(ra.vertices, rb.vertices)
    assert ra.report == rb.report
    for key in ra.image_paths:
        with open(ra.image_paths[key], "rb") as fa, open(rb.image_paths[key], "rb") as fb:
            assert fa.read() == fb.read()
    with pytest.raises(result.InvalidResult):
        result_pack.unpack(b"not a tar", str(tmp_path / "c"))


def test_cluster_crowd_is_the_single_machine_crowd(photos, single_machine, dask_cluster, tmp_path):
    from tools import crowd_compare
    address, _ = dask_cluster
    out = tmp_path / "cluster"
    code, err = finish(likeness(*crowd_args(photos, out), "--cluster", address))
    assert code == 0, err[-3000:]
    assert "p9_broken.jpg" in err                              # listed, not fatal
    summary = crowd_compare.summary_entries(out)
    assert len(summary["characters"]) == 7 and [f["index"] for f in summary["failed"]] == [3]
    assert crowd_compare.differences(single_machine, out) == []
    # the hair's children render, but are not grown in the viewport (a crowd's build time and memory)
    hair = [o for o in crowd_compare.scene_fingerprint(out / "crowd.blend").values() if o["type"] == "CURVES"
            and any(m[0] == "Likeness Hair" for m in o["modifiers"])]
    assert len(hair) >= 4
    assert all(["Likeness Hair", False, True] in o["modifiers"] for o in hair)


def test_a_local_cluster_makes_the_same_crowd(tmp_path):
    """--cluster local:2: two worker processes started by the Likeness worker on this machine."""
    from tools import crowd_compare
    args = ["crowd", "--variants", "3", "--seed", str(SEED + 1), "--hair", "cards"]
    code, err = finish(likeness(*args, "--out", str(tmp_path / "one")))
    assert code == 0, err[-3000:]
    code, err = finish(likeness(*args, "--cluster", "local:2", "--out", str(tmp_path / "local")))
    assert code == 0, err[-3000:]
    assert crowd_compare.differences(tmp_path / "one", tmp_path / "local") == []


def test_a_dead_dask_worker_loses_no_character(photos, single_machine, dask_cluster, tmp_path):
    """SIGKILL one worker (its nanny too) while it makes a character: the scheduler reruns its
    tasks on the other; every character is made once, as on one machine."""
    from distributed import Client
    from tools import crowd_compare
    address, procs = dask_cluster
    out = tmp_path / "cluster_kill"
    crowd = likeness(*crowd_args(photos, out), "--cluster", address)
    killed = False
    try:
        with Client(address, timeout=10) as client:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not killed and crowd.poll() is None and time.monotonic() < deadline:
                names = {a: w["name"] for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
                busy = [names.get(a) for a, keys in client.processing().items()
                        if any(str(k).startswith("likeness-") for k in keys)]
                if "w1" in busy:
                    time.sleep(0.5)                            # in the middle of its character
                    os.killpg(procs["w1"].pid, signal.SIGKILL)
                    killed = True
                time.sleep(0.2)
        code, err = finish(crowd)
    finally:
        if crowd.poll() is None:
            crowd.kill()
    assert killed, "the worker to kill never got a character"
    assert code == 0, err[-3000:]
    summary = crowd_compare.summary_entries(out)
    made = [c["index"] for c in summary["characters"]]
    assert sorted(made) == [0, 1, 2, 4, 5, 6, 7] and len(set(made)) == len(made)
    assert crowd_compare.differences(single_machine, out) == []
