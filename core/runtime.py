"""The runtime manager: the separate Python environment the worker runs in.

The worker runs outside Blender's process, so its interpreter need not be Blender's (Blender
5.1+ runs Python 3.13, for which mediapipe 0.10.21 has no wheel). The runtime is a virtual
environment made from a Python the pins support (``SUPPORTED``: 3.11): one found on the system
(``find_python``: PATH, the Windows ``py`` launcher, pyenv, conda, Homebrew, python.org and
uv's own installs), or, when there is none, a standalone CPython that uv fetches into the runtime
folder. uv (a pinned PyPI wheel, installed with the calling Python's pip into the runtime folder)
makes the environment and installs ``requirements/runtime.txt``, with PyTorch's CPU build on
Linux and Windows (PyPI's Linux torch is the multi-GB CUDA build), or, offline, from a folder of
wheels. A stamp records the interpreter and the hash of the pins; ``status`` compares them with
what is on disk now. A configured interpreter (a preference) replaces the managed runtime
entirely: the user is then responsible for it.
"""
import dataclasses
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

from .errors import RuntimeMissing
from .worker_client import clean_environment

REQUIREMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "requirements", "runtime.txt")
STAMP = "likeness-runtime.json"
# Pythons every pin has wheels for on PyPI. mediapipe 0.10.21 stops at 3.12, and pocketsphinx
# 5.1.1 has wheels for 3.11 only (for 3.12 it would be built from source, which needs a C
# compiler and CMake that an artist's machine rarely has): 3.11.
SUPPORTED = ("3.11",)
PROVISIONED = "3.11"                  # what uv fetches when the system has no supported Python
UV = "uv==0.13.9"
WINDOWS = os.name == "nt"


@dataclasses.dataclass
class RuntimeStatus:
    state: str            # "ready", "missing" or "outdated"
    python: str           # the interpreter the worker would run
    message: str
    base_python: str = ""     # the interpreter the environment was made from
    python_version: str = ""


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


def venv_python(runtime_dir):
    sub = ("Scripts", "python.exe") if WINDOWS else ("bin", "python")
    return os.path.join(runtime_dir, "venv", *sub)


def uv_binary(runtime_dir):
    """uv's executable as pip --target lays it out (bin/ on POSIX, Scripts/ on Windows)."""
    name = "uv.exe" if WINDOWS else "uv"
    for sub in ("bin", "Scripts"):
        path = os.path.join(runtime_dir, "tools", sub, name)
        if os.path.isfile(path):
            return path
    return os.path.join(runtime_dir, "tools", "Scripts" if WINDOWS else "bin", name)


# -- finding a Python ------------------------------------------------------------------------

def _home():
    return os.path.expanduser("~")


def python_candidates(versions=SUPPORTED, env=None):
    """Where a Python of ``versions`` may be, most likely first: each is checked by running it."""
    env = os.environ if env is None else env
    exe = "python.exe" if WINDOWS else "python3"
    out = []
    for version in versions:
        out.append(shutil.which(f"python{version}", path=env.get("PATH")) or "")
        if WINDOWS:
            out.append(("py", f"-{version}"))                         # the Windows launcher
        nodot = version.replace(".", "")
        out += sorted(glob.glob(os.path.join(env.get("PYENV_ROOT") or os.path.join(_home(), ".pyenv"),
                                             "versions", f"{version}.*", "bin", "python")), reverse=True)
        out += sorted(glob.glob(os.path.join(_home(), ".pyenv", "pyenv-win", "versions", f"{version}.*",
                                             "python.exe")), reverse=True)
        if WINDOWS:
            for root in (env.get("LOCALAPPDATA", ""), env.get("ProgramFiles", "")):
                if root:
                    out.append(os.path.join(root, "Programs", "Python", f"Python{nodot}", exe))
                    out.append(os.path.join(root, f"Python{nodot}", exe))
        else:
            out.append(f"/Library/Frameworks/Python.framework/Versions/{version}/bin/python{version}")
            out += [f"/opt/homebrew/bin/python{version}", f"/usr/local/bin/python{version}",
                    f"/usr/bin/python{version}"]
        # uv's own installs (from an earlier runtime, or the user's)
        uv_root = env.get("UV_PYTHON_INSTALL_DIR") or (
            os.path.join(env.get("APPDATA", ""), "uv", "python") if WINDOWS
            else os.path.join(_home(), ".local", "share", "uv", "python"))
        out += sorted(glob.glob(os.path.join(uv_root, f"cpython-{version}.*", "bin" if not WINDOWS else "",
                                             exe)), reverse=True)
    # conda: the active environment, then the usual base installs and their environments
    roots = [env.get("CONDA_PREFIX", "")]
    if env.get("CONDA_EXE"):
        roots.append(os.path.dirname(os.path.dirname(env["CONDA_EXE"])))
    roots += [os.path.join(_home(), d) for d in ("miniconda3", "anaconda3", "miniforge3", "mambaforge")]
    for root in filter(None, roots):
        sub = exe if WINDOWS else os.path.join("bin", "python")
        out.append(os.path.join(root, sub))
        out += sorted(glob.glob(os.path.join(root, "envs", "*", sub)))
    # last: the Python that runs this code (Blender's own in 4.2-5.0, where it is 3.11)
    out.append(sys.executable)
    seen, unique = set(), []
    for cand in out:
        key = cand if isinstance(cand, tuple) else os.path.normcase(cand)
        if cand and key not in seen:
            seen.add(key)
            unique.append(cand)
    return unique


def probe(candidate, versions=SUPPORTED):
    """(version "3.x", real executable path) of a Python, or None when it does not run or is
    not one of ``versions`` with venv."""
    cmd = list(candidate) if isinstance(candidate, tuple) else [candidate]
    if not isinstance(candidate, tuple) and not os.path.isfile(candidate):
        return None
    try:
        out = subprocess.run(cmd + ["-I", "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2]); "
                                                "print(getattr(sys, '_base_executable', '') or sys.executable)"],
                             capture_output=True, text=True, timeout=30, env=clean_environment())
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.split("\n")
    if out.returncode != 0 or len(lines) < 2 or lines[0] not in versions:
        return None
    return lines[0], lines[1].strip()


def find_python(versions=SUPPORTED, candidates=None):
    """The first Python of ``versions`` on this machine: (version, path), or None."""
    for cand in python_candidates(versions) if candidates is None else candidates:
        found = probe(cand, versions)
        if found:
            return found
    return None


# -- status ----------------------------------------------------------------------------------

def read_stamp(runtime_dir):
    try:
        with open(os.path.join(runtime_dir, STAMP), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def status(runtime_dir, python_override="", requirements=REQUIREMENTS):
    if python_override:
        if os.path.isfile(python_override):
            return RuntimeStatus("ready", python_override, "Using the configured Python interpreter.",
                                 python_override)
        return RuntimeStatus("missing", python_override,
                             f"The configured Python interpreter does not exist: {python_override}. Set one "
                             "that exists in the Likeness preferences (LIKENESS_PYTHON for the command), or "
                             "clear it to use the runtime installed from the panel.")
    python = venv_python(runtime_dir)
    stamp = read_stamp(runtime_dir)
    if not stamp:
        return RuntimeStatus("missing", python, "The Likeness runtime is not installed.")
    base, version = stamp.get("base_python", ""), stamp.get("python_version", "")
    st = RuntimeStatus("ready", python, "", base, version)
    if not base:
        st.state, st.message = "outdated", (f"The runtime was made from Blender's own Python {version} by an "
                                            f"earlier Likeness; it now uses a Python {' or '.join(SUPPORTED)} "
                                            "of its own. Reinstall it.")
    elif version not in SUPPORTED:
        st.state, st.message = "outdated", (f"The runtime was made for Python {version}, which Likeness' "
                                            f"packages do not support ({', '.join(SUPPORTED)}). Reinstall it.")
    elif not os.path.isfile(base):      # (the environment's python is then a dangling link)
        st.state, st.message = "outdated", (f"The runtime's Python {version} ({base}) is gone. Reinstall "
                                            "the runtime.")
    elif not os.path.isfile(python):
        st.state, st.message = "missing", "The Likeness runtime is not installed."
    elif stamp.get("requirements_sha256") != requirements_hash(requirements):
        st.state, st.message = "outdated", "Likeness was updated and needs new packages. Reinstall the runtime."
    else:
        st.message = f"Python {version} ({base})"
    return st


def require(runtime_dir, python_override=""):
    """The worker's interpreter, or RuntimeMissing with what to do about it."""
    st = status(runtime_dir, python_override)
    if st.state != "ready":
        raise RuntimeMissing(st.message)
    return st.python


# -- installing ------------------------------------------------------------------------------

def package_source_args(wheels_dir="", platform=sys.platform):
    """uv's options for where the packages come from: a folder of wheels, offline; or PyPI with
    PyTorch's CPU build (Linux and Windows; macOS' PyPI torch is the CPU build already)."""
    if wheels_dir:
        return ["--offline", "--no-index", "--find-links", wheels_dir]
    return [] if platform == "darwin" else ["--torch-backend", "cpu"]


def install_steps(runtime_dir, base, wheels_dir="", requirements=REQUIREMENTS, calling_python=sys.executable):
    """The commands of an install, as (label, argv, extra environment). ``base`` is the path of
    a found Python, or None to have uv fetch one (PROVISIONED) into the runtime folder."""
    uv = uv_binary(runtime_dir)
    get_uv = [calling_python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
              "--progress-bar", "off", "--upgrade", "--target", os.path.join(runtime_dir, "tools"), UV]
    if wheels_dir:
        get_uv += ["--no-index", "--find-links", wheels_dir]
    uv_env = {"UV_PYTHON_INSTALL_DIR": os.path.join(runtime_dir, "python"), "UV_NO_PROGRESS": "1"}
    python = venv_python(runtime_dir)
    return [
        ("Getting uv", get_uv, {}),
        ("Making the environment", [uv, "venv", "--no-project", "--python", base or PROVISIONED,
                                    *(["--managed-python"] if base is None else []),
                                    os.path.join(runtime_dir, "venv")], uv_env),
        ("Installing packages", [uv, "pip", "install", "--python", python, "-r", requirements,
                                 *package_source_args(wheels_dir)], uv_env),
        ("Checking the packages", [python, "-I", "-c", "import torch, mediapipe, cv2, anny, pocketsphinx; "
                                   "print('torch', torch.__version__, '- mediapipe', mediapipe.__version__)"], {}),
    ]


def install(runtime_dir, on_line=lambda line: None, wheels_dir="", requirements=REQUIREMENTS,
            should_stop=lambda: False, candidates=None, check=True):
    """Make the runtime and install the pins, streaming every tool's output to ``on_line``.

    The stamp is written only after every step succeeds, so an interrupted install reads as
    missing, never as ready. ``wheels_dir``: install offline from that folder of wheels.
    """
    t0 = time.perf_counter()
    os.makedirs(runtime_dir, exist_ok=True)
    stamp_path = os.path.join(runtime_dir, STAMP)
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    found = find_python(candidates=candidates)
    if found:
        on_line(f"Using Python {found[0]}: {found[1]}")
    elif wheels_dir:
        raise RuntimeMissing(f"No Python {' or '.join(SUPPORTED)} was found on this computer, and an offline "
                             f"install cannot fetch one. Install Python {PROVISIONED} (python.org) and try again.")
    else:
        on_line(f"No Python {' or '.join(SUPPORTED)} found: fetching Python {PROVISIONED} with uv")
    shutil.rmtree(os.path.join(runtime_dir, "venv"), ignore_errors=True)
    steps = install_steps(runtime_dir, found[1] if found else None, wheels_dir, requirements)
    for label, cmd, extra in steps if check else steps[:-1]:
        on_line(f"{label}: $ " + " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd)))
        _run(cmd, {**clean_environment(), **extra}, on_line, should_stop, label)
    base = probe(venv_python(runtime_dir))
    if base is None:
        raise RuntimeMissing("The runtime's Python does not start; see the output above.")
    stamp = {"python_version": base[0], "base_python": base[1], "venv_python": venv_python(runtime_dir),
             "requirements_sha256": requirements_hash(requirements), "installer": UV,
             "source": f"wheels: {wheels_dir}" if wheels_dir else "online",
             "seconds": round(time.perf_counter() - t0, 1), "size_mb": round(folder_size(runtime_dir) / 2 ** 20)}
    with open(stamp_path, "w", encoding="utf-8") as fh:
        json.dump(stamp, fh, indent=1)
    on_line(f"Runtime ready: Python {base[0]}, {stamp['size_mb']} MB, {stamp['seconds']} s")
    return venv_python(runtime_dir)


def _run(cmd, env, on_line, should_stop, label):
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                text=True, bufsize=1, errors="replace")
    except OSError as exc:
        raise RuntimeMissing(f"{label} failed: {exc}") from exc
    for line in proc.stdout:
        on_line(line.rstrip())
        if should_stop():
            proc.kill()
            proc.wait()
            raise RuntimeMissing("The runtime installation was cancelled.")
    if proc.wait() != 0:
        raise RuntimeMissing(f"{label} failed (exit code {proc.returncode}); see the output above.")


def folder_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total
