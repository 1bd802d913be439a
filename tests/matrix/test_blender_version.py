"""The version matrix: every feature once, through the extension zip installed into this Blender.

`make matrix` (part of `make test`) runs this module under each supported Blender, the `bpy`
module from PyPI in its own virtual environment (.matrix/bpy-VERSION/), with the zip that
Blender's own extension builder makes. The worker runs on the runtime's Python (LIKENESS_PYTHON:
the project's .venv, Python 3.11), as it does for an artist whose Blender runs Python 3.13. The
`likeness` command drives most of it (it installs the same zip into its own private profile);
what only the UI does (identity sliders, expressions, Install Runtime) runs here in-process.
Compact on purpose: the full suite runs on one version (make test-main)."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import ARKIT_52, EXTENSION_MODULE, REPO, USER_RESOURCES, data_path, read_glb_json, runtime_python, world_vertices
from test_avatar_scene import _Layout, draw_panels
from test_livelink import write_take

PHOTO = ("faces", "lfpw", "image_0001.png")
SECOND_PHOTO = ("faces", "lfpw", "image_0010.png")
CLIP = ("speech", "praatio", "bobby.wav")
WHEELS = os.environ.get("LIKENESS_TEST_WHEELS", "")      # set for the one run through Install Runtime


@pytest.fixture(scope="module")
def likeness(extension_zip):
    """Run `likeness ARGS...` with this Blender and the installed zip; fail with its stderr."""
    env = {**os.environ, "LIKENESS_PYTHON": runtime_python(), "LIKENESS_EXTENSION": extension_zip}

    def run(*args):
        proc = subprocess.run([sys.executable, os.path.join(REPO, "cli.py"), *map(str, args)], env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"likeness {args[0]}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
        return proc
    return run


def validate(*paths):
    from tools import webcheck
    for path, report in zip(paths, webcheck.validate_glbs([str(p) for p in paths])):
        assert report["errors"] == 0, (path, report["messages"][:5])


def open_blend(path):
    import bpy
    bpy.ops.wm.open_mainfile(filepath=str(path))
    return bpy


def the_avatar(bpy):
    rig = next(ob for ob in bpy.data.objects if ob.type == "ARMATURE")
    return rig, sys.modules[EXTENSION_MODULE].builders.lookups.avatar_head(rig)


@pytest.fixture(scope="module")
def curves(likeness, tmp_path_factory):
    out = tmp_path_factory.mktemp("curves")
    likeness("avatar", data_path(*PHOTO), "--out", out, "--texture-size", 1024, "--glb", "--fbx")
    return out


@pytest.fixture(scope="module")
def cards(likeness, tmp_path_factory):
    out = tmp_path_factory.mktemp("cards")
    likeness("avatar", data_path(*PHOTO), "--out", out, "--texture-size", 1024, "--hair", "cards", "--glb",
             "--preview")
    return out


def test_installs_from_disk(addon):
    import bpy
    assert addon.__file__.startswith(USER_RESOURCES)
    assert bpy.types.LIKENESS_PT_main.bl_category == "Likeness"
    assert addon.preferences.runtime_status().state == "ready"


def test_avatar_with_hair_curves(addon, curves):
    report = json.loads((curves / "report.json").read_text())
    assert report["fit_residual_px"] < 5
    validate(curves / "avatar.glb")
    assert (curves / "avatar.fbx").stat().st_size > 100_000
    bpy = open_blend(curves / "avatar.blend")
    rig, head = the_avatar(bpy)
    assert [k.name for k in head.data.shape_keys.key_blocks[1:]] == ARKIT_52
    hair = next(ob for ob in bpy.data.objects if ob.type == "CURVES" and ob.get("likeness_part") == "hair")
    guides = len(hair.data.curves)
    children = len(hair.evaluated_get(bpy.context.evaluated_depsgraph_get()).data.curves)
    assert guides > 50 and children > 20 * guides, (guides, children)


def test_avatar_with_hair_cards_and_preview(addon, cards):
    validate(cards / "avatar.glb")
    gltf = read_glb_json(str(cards / "avatar.glb"))
    assert any("hair_cards" in m.get("name", "") for m in gltf["meshes"])
    import bpy
    img = bpy.data.images.load(str(cards / "preview.png"))
    width, height = img.size
    px = np.array(img.pixels[:]).reshape(height, width, 4)
    bpy.data.images.remove(img)
    assert width > 2 * 200 and px[..., :3].std() > 0.05       # two views, not a blank frame


def test_avatar_without_hair(addon, likeness, tmp_path):
    likeness("avatar", data_path(*PHOTO), "--out", tmp_path, "--texture-size", 1024, "--hair", "none")
    bpy = open_blend(tmp_path / "avatar.blend")
    assert not [ob for ob in bpy.data.objects if ob.type == "CURVES" or "hair" in ob.name]
    assert the_avatar(bpy)


def test_identity_slider_and_expressions(addon, cards):
    bpy = open_blend(cards / "avatar.blend")
    rig, head = the_avatar(bpy)
    bpy.context.view_layer.objects.active = rig
    rest = world_vertices(head)
    item = next(it for it in rig.likeness_identity.local if it.label == "nose-scale-horiz-incr")
    item.value = min(item.value + 0.8, 1.0)                 # runs the worker, reshapes the head
    assert np.linalg.norm(world_vertices(head) - rest, axis=1).max() > 0.002
    assert bpy.ops.likeness.apply_expression(preset="smile") == {"FINISHED"}
    assert head.data.shape_keys.key_blocks["mouthSmileLeft"].value > 0.3
    assert bpy.ops.likeness.add_blink() == {"FINISHED"}
    assert addon.builders.compat.fcurves_of(head.data.shape_keys)


def test_panels_and_preferences_draw(addon, cards):
    """The sidebar's panels and the preferences run their draw code against this Blender's API."""
    bpy = open_blend(cards / "avatar.blend")
    ops = {e[1] for log in draw_panels(the_avatar(bpy)[0]).values() for e in log if e[0] == "operator"}
    assert {"likeness.build_avatar", "likeness.build_crowd", "likeness.install_runtime", "likeness.lipsync"} <= ops
    prefs = bpy.context.preferences.addons[EXTENSION_MODULE].preferences
    log = []

    class Drawn:                               # the preferences, drawn into the stand-in layout
        layout = _Layout(log)

        def __getattr__(self, name):
            return getattr(prefs, name)
    type(prefs).draw(Drawn(), bpy.context)
    assert ("prop", "wheels_dir", None) in log


def test_lipsync(addon, likeness, cards):
    likeness("lipsync", cards / "avatar.blend", data_path(*CLIP), "--out", cards / "talk.blend", "--glb")
    validate(cards / "talk.glb")
    assert read_glb_json(str(cards / "talk.glb"))["animations"]
    bpy = open_blend(cards / "talk.blend")
    _, head = the_avatar(bpy)
    jaw = next(fc for fc in addon.builders.compat.fcurves_of(head.data.shape_keys)
               if fc.data_path == 'key_blocks["jawOpen"].value')
    values = [k.co[1] for k in jaw.keyframe_points]
    assert len(values) > 25 and max(values) > 0.2
    # the sound is in the sequencer, where Blender has audio (the bpy 4.2 module has none)
    assert len(addon.builders.compat.sound_strips(bpy.context.scene)) == int(bpy.app.build_options.audaspace)


def test_video_tracking(addon, likeness, curves, tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        shutil.copy(data_path(*PHOTO), frames / f"frame_{i:03d}.png")
    likeness("track", curves / "avatar.blend", frames, "--out", tmp_path / "tracked.blend", "--fps", 25)
    bpy = open_blend(tmp_path / "tracked.blend")
    rig, head = the_avatar(bpy)
    paths = {fc.data_path for fc in addon.builders.compat.fcurves_of(rig)}
    assert 'pose.bones["head"].rotation_quaternion' in paths
    assert len(addon.builders.compat.fcurves_of(head.data.shape_keys)) == 52


def test_live_link_import_and_fbx(addon, likeness, cards, tmp_path):
    take = write_take(tmp_path / "take.csv")
    likeness("livelink", cards / "avatar.blend", take, "--out", tmp_path / "live.blend", "--glb", "--fbx")
    validate(tmp_path / "live.glb")
    assert (tmp_path / "live.fbx").stat().st_size > 100_000
    bpy = open_blend(tmp_path / "live.blend")
    rig, head = the_avatar(bpy)
    assert {fc.data_path for fc in addon.builders.compat.fcurves_of(rig)} >= {
        'pose.bones["head"].rotation_quaternion'}
    # the FBX reads back into this Blender: the armature and a head with the 52 keys
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.ops.import_scene.fbx(filepath=str(tmp_path / "live.fbx")) == {"FINISHED"}
    assert [ob for ob in bpy.data.objects if ob.type == "ARMATURE"]
    keyed = [ob for ob in bpy.data.objects if ob.type == "MESH" and ob.data.shape_keys]
    assert any({k.name for k in ob.data.shape_keys.key_blocks} >= set(ARKIT_52) for ob in keyed)


def test_crowd_of_three(likeness, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(data_path(*SECOND_PHOTO), photos / "a.png")
    (photos / "b_broken.jpg").write_bytes(b"not a JPEG")
    likeness("crowd", "--photos", photos, "--variants", 2, "--seed", 3, "--hair", "cards", "--glb",
             "--out", tmp_path / "crowd")
    summary = json.loads((tmp_path / "crowd" / "summary.json").read_text())
    assert [c["name"] for c in summary["characters"]] == ["a", "variant_001", "variant_002"]
    assert [f["name"] for f in summary["failed"]] == ["b_broken"]
    assert all(c["gltf_validator"]["errors"] == 0 for c in summary["characters"])


def test_full_body_crowd(likeness, tmp_path):
    likeness("crowd", "--variants", 1, "--full-body", "--seed", 5, "--hair", "curves", "--glb", "--out", tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len(summary["characters"]) == 1
    assert summary["characters"][0]["gltf_validator"]["errors"] == 0


@pytest.mark.skipif(not WHEELS, reason="Install Runtime runs in one version of the matrix (make matrix)")
def test_install_runtime_then_build_with_hair_curves(addon, tmp_path):
    """As an artist on this Blender: Install Runtime (here from a folder of wheels, offline) makes
    an environment on a Python 3.11 of this machine, and an avatar with hair curves is built
    on it."""
    import bpy
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    prefs.python_path, prefs.wheels_dir = "", WHEELS
    try:
        assert addon.preferences.runtime_status().state == "missing"
        assert bpy.ops.likeness.install_runtime() == {"FINISHED"}, \
            bpy.context.window_manager.likeness_status.runtime_log
        st = addon.preferences.runtime_status()
        assert st.state == "ready" and st.python_version == "3.11", st
        assert st.python.startswith(addon.preferences.runtime_dir())
        bpy.ops.wm.read_homefile(use_empty=True)
        bpy.context.scene.likeness.hair = "CURVES"
        assert bpy.ops.likeness.build_avatar(photo=data_path(*PHOTO), texture_size=1024) == {"FINISHED"}
        assert [ob for ob in bpy.data.objects if ob.type == "CURVES"]
    finally:
        prefs.python_path = runtime_python()
