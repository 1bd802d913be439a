"""The runtime manager: the separate Python environment the worker runs in.

The runtime is a virtual environment made from the Python that runs Blender
(so its version matches), with the pins of ``requirements/runtime.txt``.
A stamp file records the Python version and the hash of the pins; ``status``
compares them with the current ones. A configured interpreter (a preference)
replaces the managed one entirely: the user is then responsible for it.
"""
import dataclasses
import hashlib
import json
import os
import subprocess
import sys

from .errors import RuntimeMissing

REQUIREMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "requirements", "runtime.txt")
STAMP = "likeness-runtime.json"


@dataclasses.dataclass
class RuntimeStatus:
    state: str            # "ready", "missing" or "outdated"
    python: str           # the interpreter the worker would run
    message: str


def requirements_hash(path=REQUIREMENTS):
    """Hash of the requirements file and the files it includes (-r, -c), so any pin change counts."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        data = fh.read()
    digest.update(data)
    for line in data.decode("utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("-r", "-c"):
            digest.update(requirements_hash(os.path.join(os.path.dirname(path), parts[1])).encode())
    return digest.hexdigest()


def python_version():
    return "%d.%d" % sys.version_info[:2]


def venv_python(runtime_dir):
    sub = ("Scripts", "python.exe") if os.name == "nt" else ("bin", "python")
    return os.path.join(runtime_dir, "venv", *sub)


def status(runtime_dir, python_override="", requirements=REQUIREMENTS):
    if python_override:
        if os.path.isfile(python_override):
            return RuntimeStatus("ready", python_override, "Using the configured Python interpreter.")
        return RuntimeStatus("missing", python_override,
                             f"The configured Python interpreter does not exist: {python_override}")
    python = venv_python(runtime_dir)
    stamp_path = os.path.join(runtime_dir, STAMP)
    if not (os.path.isfile(python) and os.path.isfile(stamp_path)):
        return RuntimeStatus("missing", python, "The Likeness runtime is not installed.")
    with open(stamp_path, encoding="utf-8") as fh:
        stamp = json.load(fh)
    if stamp.get("python_version") != python_version():
        return RuntimeStatus("outdated", python,
                             f"The runtime was made for Python {stamp.get('python_version')}; "
                             f"Blender now runs Python {python_version()}. Reinstall it.")
    if stamp.get("requirements_sha256") != requirements_hash(requirements):
        return RuntimeStatus("outdated", python, "Likeness was updated and needs new packages. "
                                                 "Reinstall the runtime.")
    return RuntimeStatus("ready", python, "The Likeness runtime is installed.")


def require(runtime_dir, python_override=""):
    """The worker's interpreter, or RuntimeMissing with what to do about it."""
    st = status(runtime_dir, python_override)
    if st.state != "ready":
        raise RuntimeMissing(st.message)
    return st.python


def install_commands(runtime_dir, base_python=sys.executable, requirements=REQUIREMENTS):
    python = venv_python(runtime_dir)
    return [
        [base_python, "-m", "venv", os.path.join(runtime_dir, "venv")],
        [python, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off",
         "-r", requirements],
    ]


def install(runtime_dir, on_line=lambda line: None, base_python=sys.executable,
            requirements=REQUIREMENTS, should_stop=lambda: False):
    """Create the environment and install the pins, streaming pip's output to ``on_line``.

    The stamp is written only after every step succeeds, so an interrupted
    install reads as missing, never as ready.
    """
    os.makedirs(runtime_dir, exist_ok=True)
    stamp_path = os.path.join(runtime_dir, STAMP)
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    for cmd in install_commands(runtime_dir, base_python, requirements):
        on_line("$ " + " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd)))
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                text=True, bufsize=1)
        for line in proc.stdout:
            on_line(line.rstrip())
            if should_stop():
                proc.kill()
                proc.wait()
                raise RuntimeMissing("The runtime installation was cancelled.")
        if proc.wait() != 0:
            raise RuntimeMissing(f"Installing the runtime failed (exit code {proc.returncode}); "
                                 "see the output above.")
    with open(stamp_path, "w", encoding="utf-8") as fh:
        json.dump({"python_version": python_version(),
                   "requirements_sha256": requirements_hash(requirements)}, fh)
    return venv_python(runtime_dir)
