"""Animation from outside the scene: lip sync from an audio file (written as keyframes on the
avatar's own ARKit shape keys, with the sound in the sequencer for playback in sync)."""
import os

import bpy
import numpy as np
from bpy_extras import anim_utils
from mathutils import Matrix

from .. import preferences
from ..core import worker_client
from . import scene_build
from .avatar import _report_failure


def write_curves(owner, id_type, action_name, frames, curves):
    """Key ``curves`` ({(data path, index): values per frame}) at ``frames`` into a new action
    on ``owner`` (an ID), one fcurve each, filled through foreach_set."""
    if owner.animation_data is None:
        owner.animation_data_create()
    action = bpy.data.actions.new(action_name)
    slot = action.slots.new(id_type=id_type, name=owner.name)
    owner.animation_data.action = action
    owner.animation_data.action_slot = slot
    bag = anim_utils.action_ensure_channelbag_for_slot(action, slot)
    for (path, index), values in curves.items():
        fc = bag.fcurves.new(path, index=index)
        fc.keyframe_points.add(len(frames))
        co = np.column_stack([frames, values]).astype(np.float32).ravel()
        fc.keyframe_points.foreach_set("co", co)
        fc.keyframe_points.foreach_set("interpolation", np.full(len(frames), 2, np.int32))   # LINEAR
        fc.update()
    return action


def worker_arrays(op, kind, **args):
    """A worker job's arrays, or None after the failure was reported (nothing in the scene
    has changed then)."""
    try:
        return worker_client.shared_client(preferences.worker_python()).run_arrays(kind, **args)
    except Exception as exc:  # noqa: BLE001 - reported to the user
        _report_failure(op, exc)
        return None


class LIKENESS_OT_lipsync(bpy.types.Operator):
    """Animate the selected avatar's mouth from a speech recording (wav, flac, mp3 or a video's
    sound), from the current frame, and add the sound to the sequencer"""
    bl_idname = "likeness.lipsync"
    bl_label = "Lip Sync From Audio"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Audio", subtype="FILE_PATH")
    filter_sound: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_movie: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    transcript: bpy.props.StringProperty(
        name="Transcript", description="What is said (or the path of a .txt holding it): the phones are "
        "then aligned to these words instead of recognised. Leave empty to recognise them")
    life: bpy.props.BoolProperty(name="Blinks and Brows", default=True,
                                 description="Add blinks and brow raises at phrase starts, so a long take does not stare")
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0,
                                description="Another seed gives other blink and brow timings")

    poll = classmethod(scene_build.avatar_poll)

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        head = scene_build.find_avatar_head(context)
        scene = context.scene
        fps = scene.render.fps / scene.render.fps_base
        audio = bpy.path.abspath(self.filepath)
        transcript = self.transcript
        if os.path.isfile(bpy.path.abspath(transcript)):
            with open(bpy.path.abspath(transcript), encoding="utf-8", errors="replace") as fh:
                transcript = fh.read()
        data = worker_arrays(self, "lipsync", audio=audio, fps=fps, transcript=transcript,
                             life_seed=self.seed if self.life else None)
        if data is None:
            return {"CANCELLED"}
        for warning in data["warnings"]:
            self.report({"WARNING"}, str(warning))
        weights, names = data["weights"], [str(n) for n in data["names"]]
        start = scene.frame_current
        frames = start + np.arange(len(weights), dtype=np.float64)
        name = f"{head.name.removesuffix('_head')}_lipsync"
        write_curves(head.data.shape_keys, "KEY", name, frames,
                     {(f'key_blocks["{n}"].value', 0): weights[:, i] for i, n in enumerate(names)})
        editor = scene.sequence_editor or scene.sequence_editor_create()
        editor.strips.new_sound(name, audio, channel=1 + len(editor.strips), frame_start=start)
        scene.frame_end = max(scene.frame_end, int(frames[-1]))
        self.report({"INFO"}, f"Lip sync: {len(weights)} frames from {os.path.basename(audio)}")
        return {"FINISHED"}


class LIKENESS_OT_track_video(bpy.types.Operator):
    """Animate the selected avatar from a video of a face: its expression on the ARKit shape
    keys and the head's rotation on the head bone, one key per video frame"""
    bl_idname = "likeness.track_video"
    bl_label = "Track Video"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Video", subtype="FILE_PATH")
    filter_movie: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})

    poll = classmethod(scene_build.avatar_poll)
    invoke = LIKENESS_OT_lipsync.invoke

    def execute(self, context):
        head = scene_build.find_avatar_head(context)
        rig = head.parent
        ident = rig.likeness_identity
        video = bpy.path.abspath(self.filepath)
        data = worker_arrays(self, "track", video=video, phenotype=[p.value for p in ident.phenotype],
                             local_changes={it.label: it.value for it in ident.local})
        if data is None:
            return {"CANCELLED"}
        weights, names, head_rot = data["weights"], [str(n) for n in data["names"]], data["head_rotation"]
        video_fps = float(data["fps"])
        scene = context.scene
        fps = scene.render.fps / scene.render.fps_base
        frames = scene.frame_current + np.arange(len(weights)) * (fps / video_fps)
        name = f"{head.name.removesuffix('_head')}_track"
        write_curves(head.data.shape_keys, "KEY", name, frames,
                     {(f'key_blocks["{n}"].value', 0): weights[:, i] for i, n in enumerate(names)})
        # the head's rotation, in the head bone's own rest frame
        rest = np.array(rig.data.bones["head"].matrix_local.to_3x3())
        local = np.einsum("ji,njk,kl->nil", rest, head_rot, rest)
        quats = np.array([Matrix(m.tolist()).to_quaternion() for m in local])
        rig.pose.bones["head"].rotation_mode = "QUATERNION"
        write_curves(rig, "OBJECT", f"{name}_head", frames,
                     {('pose.bones["head"].rotation_quaternion', k): quats[:, k] for k in range(4)})
        scene.frame_end = max(scene.frame_end, int(frames[-1]))
        self.report({"INFO"}, f"Tracked {len(weights)} frames of {os.path.basename(video)}")
        return {"FINISHED"}


classes = (LIKENESS_OT_lipsync, LIKENESS_OT_track_video)
register, unregister = bpy.utils.register_classes_factory(classes)
