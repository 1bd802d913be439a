"""Live Link Face takes (the iPhone app's CSV) onto a real avatar: keys, head and eyes."""
import math

import numpy as np
import pytest

from conftest import data_path, scene_inventory, world_vertices

PHOTO = ("faces", "lfpw", "image_0001.png")
NOSE_TIP = 1            # mediapipe face-mesh point

# The header exactly as the app writes it: Apple's names capitalised, in the app's order,
# then the head and eye rotations (radians).
APP_COLUMNS = """EyeBlinkLeft EyeLookDownLeft EyeLookInLeft EyeLookOutLeft EyeLookUpLeft EyeSquintLeft
EyeWideLeft EyeBlinkRight EyeLookDownRight EyeLookInRight EyeLookOutRight EyeLookUpRight EyeSquintRight
EyeWideRight JawForward JawRight JawLeft JawOpen MouthClose MouthFunnel MouthPucker MouthRight MouthLeft
MouthSmileLeft MouthSmileRight MouthFrownLeft MouthFrownRight MouthDimpleLeft MouthDimpleRight
MouthStretchLeft MouthStretchRight MouthRollLower MouthRollUpper MouthShrugLower MouthShrugUpper
MouthPressLeft MouthPressRight MouthLowerDownLeft MouthLowerDownRight MouthUpperUpLeft MouthUpperUpRight
BrowDownLeft BrowDownRight BrowInnerUp BrowOuterUpLeft BrowOuterUpRight CheekPuff CheekSquintLeft
CheekSquintRight NoseSneerLeft NoseSneerRight TongueOut HeadYaw HeadPitch HeadRoll LeftEyeYaw
LeftEyePitch LeftEyeRoll RightEyeYaw RightEyePitch RightEyeRoll""".split()

SECONDS = 2.5
HEAD_YAW = math.radians(20)
EYE_YAW = 0.3


def take_values(t):
    """The known performance: jaw opening steadily, a blink around 0.5 s, the head turned 20
    degrees to the subject's left around 1 s, both eyes looking left around 2 s."""
    v = dict.fromkeys(APP_COLUMNS, 0.0)
    v["JawOpen"] = t / SECONDS
    if 0.4 <= t <= 0.6:
        v["EyeBlinkLeft"] = v["EyeBlinkRight"] = 1.0
    if 0.8 <= t <= 1.2:
        v["HeadYaw"] = HEAD_YAW
    if 1.8 <= t <= 2.2:
        v["LeftEyeYaw"] = v["RightEyeYaw"] = EYE_YAW
        v["EyeLookOutLeft"] = v["EyeLookInRight"] = 0.6
    return v


def write_take(path, rate=60, step=1, start="23:59:58:30", seconds=SECONDS, fraction=".652"):
    """A take as the app records it: a row every ``step`` timecode frames at ``rate``, timecodes
    HH:MM:SS:FF.fff (this one runs past midnight)."""
    h, m, s, f = (int(x) for x in start.split(":"))
    first = ((h * 60 + m) * 60 + s) * rate + f
    lines = ["Timecode,BlendShapeCount," + ",".join(APP_COLUMNS)]
    for i in range(int(round(seconds * rate / step)) + 1):
        sec, ff = divmod(first + i * step, rate)
        sec %= 86400
        v = take_values(i * step / rate)
        lines.append(f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}:{ff:02d}{fraction},61,"
                     + ",".join(f"{v[c]:.10f}" for c in APP_COLUMNS))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# -- the format, without Blender ------------------------------------------------------------

def test_app_take_read_at_its_rate_across_midnight(tmp_path):
    from conftest import ARKIT_52
    from core import livelink
    take = livelink.read(write_take(tmp_path / "take.csv"), ARKIT_52)
    assert take.rate == 60
    assert np.allclose(np.diff(take.times), 1 / 60) and take.times[-1] == pytest.approx(SECONDS)
    jaw = take.weights[:, ARKIT_52.index("jawOpen")]
    assert jaw == pytest.approx(take.times / SECONDS, abs=1e-6)
    assert take.head[np.searchsorted(take.times, 1.0), 0] == pytest.approx(HEAD_YAW)


def test_rows_every_other_frame_and_a_30_fps_timecode(tmp_path):
    """The app's 60 fps timecode with a row every second frame, and a 30 fps timecode."""
    from conftest import ARKIT_52
    from core import livelink
    for rate, step in ((60, 2), (30, 1)):
        take = livelink.read(write_take(tmp_path / f"{rate}.csv", rate=rate, step=step, start="10:00:00:00"),
                             ARKIT_52)
        assert take.rate == rate
        assert np.allclose(np.diff(take.times), step / rate)


@pytest.mark.parametrize("text, message", [
    ("frame,jaw\n1,0.5\n", "the columns Timecode, BlendShapeCount, BrowDownLeft"),
    ("Timecode,BlendShapeCount,EyeBlinkLeft\n00:00:00:01.000,61,0.5\n", "BrowDownLeft, .* and 43 more"),
    ("", "empty"),
])
def test_not_a_take_names_what_is_missing(tmp_path, text, message):
    from conftest import ARKIT_52
    from core import livelink
    from core.errors import BadRecording
    path = tmp_path / "other.csv"
    path.write_text(text)
    with pytest.raises(BadRecording, match=message):
        livelink.read(str(path), ARKIT_52)


def test_bad_timecode_names_the_line(tmp_path):
    from conftest import ARKIT_52
    from core import livelink
    from core.errors import BadRecording
    path = tmp_path / "take.csv"
    write_take(path)
    lines = path.read_text().splitlines()
    lines[3] = "yesterday" + lines[3][lines[3].index(","):]
    path.write_text("\n".join(lines))
    with pytest.raises(BadRecording, match="line 4: the timecode 'yesterday'"):
        livelink.read(str(path), ARKIT_52)


# -- onto an avatar ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def avatar(addon, tmp_path_factory):
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True)
    outcome = bpy.ops.likeness.build_avatar(photo=data_path(*PHOTO), texture_size=1024)
    assert outcome == {"FINISHED"}, bpy.context.window_manager.likeness_status.message
    rig = bpy.context.view_layer.objects.active
    head = addon.builders.lookups.avatar_head(rig)
    return rig, head


def nose_tip(head):
    from core import correspondence
    return correspondence.surface_points(world_vertices(head))[NOSE_TIP]


def gaze(rig, bone):
    """Where the bone's rest 'forward' (the face's -Y) points now, in the rig's frame."""
    pb = rig.pose.bones[bone]
    turn = np.array(pb.matrix.to_3x3()) @ np.array(pb.bone.matrix_local.to_3x3()).T
    return turn @ np.array([0.0, -1.0, 0.0])


def frame_at(scene, start, seconds):
    return start + seconds * scene.render.fps / scene.render.fps_base


def clear(rig, head):
    import bpy
    key = head.data.shape_keys
    for owner in (key, rig):
        if owner.animation_data:
            owner.animation_data.action = None
    for kb in key.key_blocks[1:]:
        kb.value = 0.0
    for pb in rig.pose.bones:
        pb.rotation_quaternion = (1, 0, 0, 0)
    bpy.context.scene.frame_set(1)


def test_take_keys_the_shapes_head_and_eyes(avatar, tmp_path):
    import bpy
    from bpy_extras import anim_utils
    rig, head = avatar
    key = head.data.shape_keys
    scene = bpy.context.scene
    bpy.context.view_layer.objects.active = rig
    scene.frame_set(5)
    rest_nose = nose_tip(head)
    try:
        assert bpy.ops.likeness.import_livelink(filepath=write_take(tmp_path / "take.csv")) == {"FINISHED"}
        action = key.animation_data.action
        assert action.name.endswith("_livelink")
        assert rig.animation_data.action.name.endswith("_livelink_bones")
        bag = anim_utils.action_get_channelbag_for_slot(action, key.animation_data.action_slot)
        fc = bag.fcurves.find('key_blocks["jawOpen"].value')
        assert fc.keyframe_points[0].co.x == 5                                 # from the current frame
        assert fc.keyframe_points[-1].co.x == pytest.approx(frame_at(scene, 5, SECONDS))
        assert len(fc.keyframe_points) == round(SECONDS * scene.render.fps / scene.render.fps_base) + 1
        for seconds in (0.0, 0.75, 1.25, 2.5):                                 # the jaw ramp
            scene.frame_set(int(round(frame_at(scene, 5, seconds))))
            assert key.key_blocks["jawOpen"].value == pytest.approx(seconds / SECONDS, abs=0.01)
        scene.frame_set(int(round(frame_at(scene, 5, 0.5))))                   # the blink
        assert key.key_blocks["eyeBlinkLeft"].value == pytest.approx(1.0)
        assert key.key_blocks["eyeBlinkRight"].value == pytest.approx(1.0)
        scene.frame_set(int(round(frame_at(scene, 5, 1.0))))                   # the head turn
        assert key.key_blocks["eyeBlinkLeft"].value == pytest.approx(0.0)
        forward = gaze(rig, "head")
        turned = math.degrees(math.atan2(forward[0], -forward[1]))
        assert turned == pytest.approx(20.0, abs=0.5), "the head turns 20 degrees to the subject's left (+X)"
        assert abs(forward[2]) < 0.01
        shift_cm = (nose_tip(head) - rest_nose) * 100
        assert shift_cm[0] > 1.0, f"the nose tip moves {shift_cm[0]:.2f} cm towards the subject's left"
        assert np.allclose(gaze(rig, "eye.L"), forward, atol=1e-3)             # the eyes ride along
        scene.frame_set(int(round(frame_at(scene, 5, 2.0))))                   # eyes look left
        assert gaze(rig, "head") == pytest.approx([0, -1, 0], abs=1e-4)
        for eye in ("eye.L", "eye.R"):
            g = gaze(rig, eye)
            assert math.degrees(math.atan2(g[0], -g[1])) == pytest.approx(math.degrees(EYE_YAW), abs=0.5), eye
        assert key.key_blocks["eyeLookOutLeft"].value == pytest.approx(0.6)
        assert scene.frame_end >= frame_at(scene, 5, SECONDS)
    finally:
        clear(rig, head)


def test_a_file_that_is_not_a_take_leaves_the_scene_as_it_was(avatar, tmp_path):
    import bpy
    rig, head = avatar
    bpy.context.view_layer.objects.active = rig
    path = tmp_path / "notes.csv"
    path.write_text("Timecode,BlendShapeCount,JawOpen\n00:00:00:01.000,61,0.5\n")
    before = scene_inventory()
    with pytest.raises(RuntimeError, match="not a Live Link Face CSV take: the columns BrowDownLeft"):
        bpy.ops.likeness.import_livelink(filepath=str(path))
    assert scene_inventory() == before
    assert head.data.shape_keys.animation_data is None or head.data.shape_keys.animation_data.action is None
    assert "not a Live Link Face CSV take" in bpy.context.window_manager.likeness_status.message


def test_greyed_out_without_an_avatar(avatar):
    import bpy
    bpy.context.view_layer.objects.active = None
    assert not bpy.ops.likeness.import_livelink.poll()
    bpy.context.view_layer.objects.active = avatar[0]
    assert bpy.ops.likeness.import_livelink.poll()
