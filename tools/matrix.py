"""The Blender version matrix (`make matrix`, part of `make test`).

For each supported Blender: a virtual environment .matrix/bpy-VERSION with that `bpy` from PyPI
on the Python it needs (3.11 for 4.2-5.0, 3.13 from 5.1; found on PATH, pyenv, conda, ...), then
tests/matrix/ through the extension zip that Blender's own builder makes, with the worker on this
Python (the project's .venv). One version also goes through Install Runtime, offline, from a
folder of wheels that `pip download` fills from the pins (.matrix/wheels). Prints the table of
feature x version, pass/fail, and writes it to .matrix/matrix.md.

    python tools/matrix.py [VERSION ...]          (default: every version of VERSIONS)
"""
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from core import runtime  # noqa: E402

# bpy from PyPI: the newest patch of each supported release line, and the Python it is built for
VERSIONS = {"4.2.23": "3.11", "4.5.15": "3.11", "5.0.1": "3.11", "5.1.2": "3.13", "5.2.4": "3.13",
            "5.3.0": "3.13"}
INSTALL_RUNTIME_ON = "5.3.0"           # the newest: Python 3.13, so the runtime must be another Python
PYTEST = "pytest==9.2.0"
MATRIX = os.path.join(REPO, ".matrix")
WHEELS = os.path.join(MATRIX, "wheels")


def log(text):
    print(f"matrix: {text}", flush=True)


def run(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def environment(version):
    """.matrix/bpy-VERSION with bpy==VERSION and pytest, made once."""
    venv = os.path.join(MATRIX, f"bpy-{version}")
    python = os.path.join(venv, "bin", "python")
    done = os.path.join(venv, ".likeness-matrix")
    if not os.path.exists(done):
        want = VERSIONS[version]
        found = runtime.find_python(versions=(want,))
        if found is None:
            sys.exit(f"matrix: Blender {version} needs Python {want}, and none was found (PATH, pyenv, conda, "
                     f"uv): install Python {want} (e.g. `pyenv install {want}`)")
        log(f"Blender {version}: environment on Python {found[0]} ({found[1]})")
        run([found[1], "-m", "venv", "--clear", venv])
        run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"bpy=={version}", PYTEST])
        open(done, "w").close()
    return python


def wheels():
    """The runtime's wheels (and uv's), for the offline Install Runtime: from pip's cache."""
    done = os.path.join(WHEELS, ".likeness-" + runtime.requirements_hash()[:12])
    if not os.path.exists(done):
        run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "-r", runtime.REQUIREMENTS, runtime.UV, "-d", WHEELS])
        open(done, "w").close()
    return WHEELS


def test_one(version):
    python = environment(version)
    env = {**os.environ, "LIKENESS_PYTHON": sys.executable}
    if version == INSTALL_RUNTIME_ON:
        env["LIKENESS_TEST_WHEELS"] = wheels()
    report = os.path.join(MATRIX, f"report-{version}.xml")
    if os.path.exists(report):
        os.remove(report)
    log(f"Blender {version}: tests/matrix")
    t0 = time.perf_counter()
    code = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml", report,
                           os.path.join(REPO, "tests", "matrix")], cwd=REPO, env=env).returncode
    log(f"Blender {version}: exit {code} in {time.perf_counter() - t0:.0f} s")
    return code, results(report)


def results(report):
    """{test name: "pass" | "FAIL" | "skip"} from pytest's JUnit XML."""
    if not os.path.exists(report):
        return {}
    out = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        out[case.get("name")] = ("FAIL" if kinds & {"failure", "error"} else
                                 "skip" if "skipped" in kinds else "pass")
    return out


def table(all_results):
    versions = list(all_results)
    names = []
    for res in all_results.values():
        names += [n for n in res if n not in names]
    rows = ["| feature | " + " | ".join(versions) + " |", "|---|" + "---|" * len(versions)]
    for name in names:
        label = name.removeprefix("test_").replace("_", " ")
        rows.append(f"| {label} | " + " | ".join(all_results[v].get(name, "—") for v in versions) + " |")
    return "\n".join(rows)


def main(argv):
    versions = argv or list(VERSIONS)
    unknown = [v for v in versions if v not in VERSIONS]
    if unknown:
        sys.exit(f"matrix: unknown version(s) {', '.join(unknown)}; known: {', '.join(VERSIONS)}")
    os.makedirs(MATRIX, exist_ok=True)
    all_results, failed = {}, []
    for version in versions:
        code, res = test_one(version)
        all_results[version] = res
        if code != 0 or not res:
            failed.append(version)
    text = table(all_results)
    with open(os.path.join(MATRIX, "matrix.md"), "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    print("\n" + text + "\n", flush=True)
    if failed:
        log(f"failed on Blender {', '.join(failed)}")
        return 1
    log(f"passed on Blender {', '.join(versions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
