"""Python side of the web tooling in ``tools/web/`` (installed by ``make setup``): validate glb
files with the Khronos glTF validator and render them with three.js in headless Chromium.

    from tools import webcheck
    webcheck.validate_glb("avatar.glb")["errors"]          # 0 for a good file
    webcheck.render_glb("avatar.glb", "open.png", morph={"jawOpen": 1.0})

For tests, benches and the crowd export; not part of the extension (no bpy, no worker).
"""
import json
import os
import shutil
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEB = os.path.join(REPO, "tools", "web")
CHROMIUM = os.environ.get("LIKENESS_CHROMIUM", "/usr/bin/chromium")
NODE_MAJOR = 20                         # playwright-core 1.65 needs Node.js 20+
PACKAGES = ("gltf-validator", "three", "playwright-core")


class WebToolsMissing(RuntimeError):
    """Node.js, the npm packages or Chromium are not installed: the message says what to install."""


class WebCheckFailed(RuntimeError):
    """A node script failed (unreadable glb, the browser could not load it, ...)."""


def missing(browser=True):
    """What is not installed for the web checks, as a message naming it, or None."""
    node = shutil.which("node")
    if node is None:
        return f"Node.js {NODE_MAJOR}+ is missing: install it (nodejs, npm), then run `make setup`"
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0] or 0) < NODE_MAJOR:
        return f"Node.js {version} is too old: install Node.js {NODE_MAJOR}+, then run `make setup`"
    absent = [p for p in PACKAGES if not os.path.isdir(os.path.join(REPO, "node_modules", p))]
    if absent:
        return f"npm packages missing ({', '.join(absent)}): run `make setup` (npm ci)"
    if browser and not os.path.exists(CHROMIUM):
        return (f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium) or "
                "`apt-get install --no-install-recommends chromium`")
    return None


def _node(script, args, browser):
    problem = missing(browser)
    if problem:
        raise WebToolsMissing(problem)
    proc = subprocess.run(["node", os.path.join(WEB, script), *args], cwd=REPO,
                          capture_output=True, text=True,
                          env={**os.environ, "LIKENESS_CHROMIUM": CHROMIUM})
    return proc


def validate_glbs(paths):
    """One summary per file (one node process for all): ``errors``, ``warnings``, ``infos``,
    ``hints``, ``codes`` (issue code -> count), ``messages`` and the validator's ``info``."""
    proc = _node("validate.mjs", [os.path.abspath(p) for p in paths], browser=False)
    if proc.returncode not in (0, 1):   # 1: some file has errors, reported in the summary
        raise WebCheckFailed(proc.stderr.strip() or f"validate.mjs exited with {proc.returncode}")
    return json.loads(proc.stdout)


def validate_glb(path):
    return validate_glbs([path])[0]


def render_shots(path, shots, size=512):
    """Screenshots of one glb from the same front camera, in one browser session.
    ``shots``: list of (out_png, morph) with morph a {name: influence} dict or None.
    Returns the render summary (framing, morph names, background colour, console errors)."""
    args = [os.path.abspath(path)]
    for png, morph in shots:
        args.append(os.path.abspath(png))
        args += [f"{name}={value}" for name, value in (morph or {}).items()]
    proc = _node("render.mjs", args + ["--size", str(size)], browser=True)
    if proc.returncode != 0:
        raise WebCheckFailed(proc.stderr.strip() or f"render.mjs exited with {proc.returncode}")
    return json.loads(proc.stdout)


def render_glb(path, out_png, morph=None, size=512):
    """One front screenshot of the glb in three.js, with the given morph target influences."""
    return render_shots(path, [(out_png, morph)], size)
