"""Animation from outside the scene: lip sync from an audio file (written as keyframes on the
avatar's own ARKit shape keys, with the sound in the sequencer for playback in sync)."""
import os
import tempfile

import bpy
import numpy as np
from bpy_extras import anim_utils

from .. import preferences
from ..core import worker_client
from . import scene_build
from .avatar import _report_failure

# the shape keys lip sync drives
LIPSYNC_KEYS = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthPressLeft", "mouthPressRight",
                "mouthRollLower", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthStretchLeft",
                "mouthStretchRight", "tongueOut")


def write_shape_key_curves(key, action_name, frames, curves):
    """Key ``curves`` ({shape key name: values per frame}) at ``frames`` into a new action on
    ``key`` (a Key datablock) with one fcurve per key, filled through foreach_set."""
    if key.animation_data is None:
        key.animation_data_create()
    action = bpy.data.actions.new(action_name)
    slot = action.slots.new(id_type="KEY", name=key.name)
    key.animation_data.action = action
    key.animation_data.action_slot = slot
    bag = anim_utils.action_ensure_channelbag_for_slot(action, slot)
    for name, values in curves.items():
        fc = bag.fcurves.new(f'key_blocks["{name}"].value')
        fc.keyframe_points.add(len(frames))
        co = np.column_stack([frames, values]).astype(np.float32).ravel()
        fc.keyframe_points.foreach_set("co", co)
        fc.keyframe_points.foreach_set("interpolation", np.full(len(frames), 2, np.int32))   # LINEAR
        fc.update()
    return action


class LIKENESS_OT_lipsync(bpy.types.Operator):
    """Animate the selected avatar's mouth from a speech recording (wav, flac, mp3 or a video's
    sound), from the current frame, and add the sound to the sequencer"""
    bl_idname = "likeness.lipsync"
    bl_label = "Lip Sync From Audio"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Audio", subtype="FILE_PATH")
    filter_sound: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_movie: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        if scene_build.find_avatar_head(context) is None:
            cls.poll_message_set("Select a Likeness avatar")
            return False
        return True

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        head = scene_build.find_avatar_head(context)
        scene = context.scene
        fps = scene.render.fps / scene.render.fps_base
        audio = bpy.path.abspath(self.filepath)
        out = os.path.join(tempfile.mkdtemp(prefix="likeness-lipsync-"), "lipsync.npz")
        try:
            client = worker_client.shared_client(preferences.worker_python())
            client.run("lipsync", audio=audio, fps=fps, names=list(LIPSYNC_KEYS), out_path=out)
            with np.load(out, allow_pickle=False) as z:
                weights, names = z["weights"], [str(n) for n in z["names"]]
        except Exception as exc:  # noqa: BLE001 - reported, the scene stays unchanged
            _report_failure(self, exc)
            return {"CANCELLED"}
        finally:
            if os.path.exists(out):
                os.remove(out)
            os.rmdir(os.path.dirname(out))
        start = scene.frame_current
        frames = start + np.arange(len(weights), dtype=np.float64)
        name = f"{head.name.removesuffix('_head')}_lipsync"
        write_shape_key_curves(head.data.shape_keys, name, frames,
                               {n: weights[:, i] for i, n in enumerate(names)})
        editor = scene.sequence_editor or scene.sequence_editor_create()
        editor.strips.new_sound(name, audio, channel=1 + len(editor.strips), frame_start=start)
        scene.frame_end = max(scene.frame_end, int(frames[-1]))
        self.report({"INFO"}, f"Lip sync: {len(weights)} frames from {os.path.basename(audio)}")
        return {"FINISHED"}


classes = (LIKENESS_OT_lipsync,)
register, unregister = bpy.utils.register_classes_factory(classes)
