"""The runtime manager, on a real (tiny) environment."""
import json
import os
import sys

from core import runtime


def test_install_on_a_supported_python_then_outdated(tmp_path):
    """The manager's own steps (uv, the environment, the stamp) on a tiny requirements file: the
    runtime is made from a supported Python (3.11) of this machine, whatever Python runs the manager."""
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("# nothing to install: the manager's own steps are what is tested\n")
    target = tmp_path / "runtime"
    assert runtime.status(str(target), requirements=str(reqs)).state == "missing"
    lines = []
    python = runtime.install(str(target), on_line=lines.append, requirements=str(reqs), check=False)
    assert any(line.startswith("Making the environment: $ uv venv") for line in lines)
    st = runtime.status(str(target), requirements=str(reqs))
    assert st.state == "ready" and st.python == python, st
    assert st.python_version in runtime.SUPPORTED and os.path.isfile(st.base_python)
    assert st.base_python in st.message                     # the panel says which Python, and where
    stamp = runtime.read_stamp(str(target))
    assert stamp["installer"] == runtime.UV and stamp["size_mb"] > 0
    reqs.write_text("# nothing to install\n# changed\n")
    st = runtime.status(str(target), requirements=str(reqs))
    assert st.state == "outdated" and "Reinstall" in st.message


def _fake_runtime(folder, **stamp):
    python = runtime.venv_python(str(folder))
    os.makedirs(os.path.dirname(python))
    open(python, "w").close()
    with open(os.path.join(folder, runtime.STAMP), "w") as fh:
        json.dump({"requirements_sha256": runtime.requirements_hash(), **stamp}, fh)
    return runtime.status(str(folder))


def test_a_runtime_made_for_another_interpreter_reads_outdated(tmp_path):
    # an earlier Likeness made it from Blender's own Python: no base interpreter recorded
    st = _fake_runtime(tmp_path / "a", python_version="3.11")
    assert st.state == "outdated" and "Blender's own Python 3.11" in st.message
    st = _fake_runtime(tmp_path / "b", python_version="3.13", base_python=sys.executable)
    assert st.state == "outdated" and "3.13" in st.message and "do not support" in st.message
    gone = str(tmp_path / "python3.11")
    st = _fake_runtime(tmp_path / "c", python_version="3.11", base_python=gone)
    assert st.state == "outdated" and gone in st.message and "gone" in st.message
    assert _fake_runtime(tmp_path / "d", python_version="3.11", base_python=sys.executable).state == "ready"


def test_finds_a_supported_python_and_refuses_others(tmp_path):
    version, path = runtime.find_python()
    assert version in runtime.SUPPORTED and os.path.isfile(path)
    assert runtime.probe(path) == (version, path)           # a real interpreter, not a shim
    newer = runtime.find_python(versions=("3.13",))         # these machines have 3.13 (Blender 5.1+)
    assert newer is not None, "no Python 3.13 here: the version matrix needs one"
    assert runtime.probe(newer[1]) is None
    assert runtime.probe(str(tmp_path / "python3.11")) is None
    assert runtime.find_python(candidates=[str(tmp_path / "nope"), newer[1]]) is None


def test_package_sources_and_a_fetched_python():
    assert runtime.package_source_args(platform="linux") == ["--torch-backend", "cpu"]
    assert runtime.package_source_args(platform="win32") == ["--torch-backend", "cpu"]
    assert runtime.package_source_args(platform="darwin") == []
    assert runtime.package_source_args("/w") == ["--offline", "--no-index", "--find-links", "/w"]
    steps = dict((label, cmd) for label, cmd, _ in runtime.install_steps("/rt", None))
    venv = steps["Making the environment"]
    assert venv[venv.index("--python") + 1] == runtime.PROVISIONED and "--managed-python" in venv


def test_configured_interpreter_wins(tmp_path):
    assert runtime.status(str(tmp_path), python_override=sys.executable).state == "ready"
    st = runtime.status(str(tmp_path), python_override=str(tmp_path / "nope" / "python"))
    assert st.state == "missing" and "does not exist" in st.message


def test_pins_are_exact():
    pins = [l.split("#")[0].strip() for l in open(runtime.REQUIREMENTS)]
    pins = [p for p in pins if p and not p.startswith("-")]
    assert pins and all("==" in p for p in pins)
    names = {p.split("==")[0]: p.split("==")[1] for p in pins}
    assert names["torch"] == "2.13.0" and names["mediapipe"] == "0.10.21"
    assert names["anny"] == "0.6.2" and names["opencv-python"] == "4.11.0.86"
    assert names["numpy"].startswith("1.")


def test_a_changed_constraint_makes_the_runtime_outdated(tmp_path):
    (tmp_path / "constraints.txt").write_text("six==1.16.0\n")
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("-c constraints.txt\n")
    before = runtime.requirements_hash(str(reqs))
    (tmp_path / "constraints.txt").write_text("six==1.17.0\n")
    assert runtime.requirements_hash(str(reqs)) != before
