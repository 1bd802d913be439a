"""An animated avatar leaves Blender with its animation: `likeness livelink ... --glb --fbx`
writes a glb whose morph-target weights and bone rotations play the take, and an FBX that
brings the shape-key and bone curves back into Blender."""
import numpy as np
import pytest

from conftest import ARKIT_52, read_glb
from test_cli import run
from test_livelink import HEAD_YAW, SECONDS, avatar, write_take  # noqa: F401 - the avatar fixture


@pytest.fixture(scope="module")
def exported(avatar, tmp_path_factory):  # noqa: F811
    import bpy
    folder = tmp_path_factory.mktemp("export")
    rig, _ = avatar
    bpy.context.view_layer.objects.active = rig
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "avatar.blend"), copy=True)
    take = write_take(folder / "take.csv")
    proc = run("livelink", str(folder / "avatar.blend"), take, "--out", str(folder / "anim.blend"),
               "--glb", "--fbx")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder


def glb_accessor(gltf, blob, index):
    """The float values of a glTF accessor, (count, components), from the glb's binary chunk."""
    assert blob is not None, "no BIN chunk"
    acc = gltf["accessors"][index]
    assert acc["componentType"] == 5126                                   # FLOAT
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc["type"]]
    view = gltf["bufferViews"][acc["bufferView"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    return np.frombuffer(blob, np.float32, acc["count"] * width, start).reshape(acc["count"], width)


def test_glb_plays_the_weights_and_the_bone_rotations(exported):
    path = str(exported / "anim.glb")
    gltf, blob = read_glb(path)
    assert len(gltf["animations"]) == 1, [a["name"] for a in gltf["animations"]]
    anim = gltf["animations"][0]
    nodes = gltf["nodes"]
    targets = {(nodes[c["target"]["node"]]["name"], c["target"]["path"]): anim["samplers"][c["sampler"]]
               for c in anim["channels"]}
    weights = [(n, s) for (n, p), s in targets.items() if p == "weights"]
    assert len(weights) == 1, "one morph-target weights channel, on the head mesh"
    node_name, sampler = weights[0]
    mesh = gltf["meshes"][next(n["mesh"] for n in nodes if n["name"] == node_name)]
    assert mesh["extras"]["targetNames"] == ARKIT_52
    times = glb_accessor(gltf, blob, sampler["input"])[:, 0]
    values = glb_accessor(gltf, blob, sampler["output"]).reshape(len(times), 52)
    assert times[-1] - times[0] == pytest.approx(SECONDS, abs=0.05)
    jaw = values[:, ARKIT_52.index("jawOpen")]
    assert jaw[0] == pytest.approx(0.0, abs=0.01) and jaw[-1] == pytest.approx(1.0, abs=0.01)
    assert values[:, ARKIT_52.index("eyeBlinkLeft")].max() == pytest.approx(1.0, abs=0.01)
    for bone in ("head", "eye.L", "eye.R"):
        assert (bone, "rotation") in targets, f"no rotation channel for {bone}"
    head_q = glb_accessor(gltf, blob, targets[("head", "rotation")]["output"])   # local, from the rest at t=0
    turn = np.degrees(2 * np.arccos(np.clip(np.abs(head_q @ head_q[0]), 0, 1)))
    assert turn.max() == pytest.approx(np.degrees(HEAD_YAW), abs=0.5)


def test_fbx_brings_the_shape_key_and_bone_curves_back(exported):
    import bpy
    from bpy_extras import anim_utils
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.ops.import_scene.fbx(filepath=str(exported / "anim.fbx")) == {"FINISHED"}
    head = next(o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys)
    rig = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    key_anim = head.data.shape_keys.animation_data
    assert key_anim is not None and key_anim.action is not None, "no shape-key animation in the FBX"
    bag = anim_utils.action_get_channelbag_for_slot(key_anim.action, key_anim.action_slot)
    jaw = bag.fcurves.find('key_blocks["jawOpen"].value')
    blink = bag.fcurves.find('key_blocks["eyeBlinkLeft"].value')
    assert jaw is not None and blink is not None
    start = jaw.range()[0]
    fps = bpy.context.scene.render.fps / bpy.context.scene.render.fps_base
    assert jaw.evaluate(start + SECONDS * fps) == pytest.approx(1.0, abs=0.02)
    assert blink.evaluate(start + 0.5 * fps) == pytest.approx(1.0, abs=0.02)
    bones = anim_utils.action_get_channelbag_for_slot(rig.animation_data.action, rig.animation_data.action_slot)
    paths = {fc.data_path for fc in bones.fcurves}
    for bone in ("head", "eye.L", "eye.R"):
        assert any(p.startswith(f'pose.bones["{bone}"].rotation') for p in paths), bone
