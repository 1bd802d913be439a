"""The runtime manager, on a real (tiny) environment."""
import sys

from core import runtime


def test_missing_install_ready_then_outdated(tmp_path):
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("# nothing to install: the manager's own steps are what is tested\n")
    target = tmp_path / "runtime"
    assert runtime.status(str(target), requirements=str(reqs)).state == "missing"
    lines = []
    python = runtime.install(str(target), on_line=lines.append, base_python=sys.executable,
                             requirements=str(reqs))
    assert any(line.startswith("$ ") and "venv" in line for line in lines)
    st = runtime.status(str(target), requirements=str(reqs))
    assert st.state == "ready" and st.python == python
    reqs.write_text("# nothing to install\n# changed\n")
    st = runtime.status(str(target), requirements=str(reqs))
    assert st.state == "outdated" and "Reinstall" in st.message


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
