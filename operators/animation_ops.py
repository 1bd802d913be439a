"""Animation from outside the scene: lip sync from an audio file (written as keyframes on the
avatar's own ARKit shape keys, with the sound in the sequencer for playback in sync), video
tracking and Live Link Face takes (keys plus head and eye bone rotations)."""
import os

import bpy
import numpy as np
from mathutils import Matrix

from .. import preferences
from ..core import body, errors, livelink, worker_client
from . import compat, lookups, scene_build
from .avatar import _report_failure
from ..core.image_io import IMAGE_SUFFIXES

# a tracked head turn, shared along the neck and the head (each bone turns its share)
NECK_HEAD_SHARES = {"neck01": 0.4 / 3, "neck02": 0.4 / 3, "neck03": 0.4 / 3, "head": 0.6}


def write_curves(owner, id_type, action_name, frames, curves):
    """Key ``curves`` ({(data path, index): values per frame}) at ``frames`` into a new action
    on ``owner`` (an ID), one fcurve each, filled through foreach_set."""
    action, fcurves = compat.new_fcurves(owner, id_type, action_name)
    for (path, index), values in curves.items():
        fc = fcurves.new(path, index=index)
        fc.keyframe_points.add(len(frames))
        co = np.column_stack([frames, values]).astype(np.float32).ravel()
        fc.keyframe_points.foreach_set("co", co)
        fc.keyframe_points.foreach_set("interpolation", np.full(len(frames), 2, np.int32))   # LINEAR
        fc.update()
    return action


def key_take(scene, head, take, frames, names, weights):
    """Key the shape keys ``names`` of ``head`` with ``weights`` (frames, len(names)) in a new
    action named after the avatar and the ``take`` ("lipsync", "track", ...), and stretch the
    scene's frame range to its last frame. Returns the action's name."""
    name = f"{head.name.removesuffix('_head')}_{take}"
    write_curves(head.data.shape_keys, "KEY", name, frames,
                 {(f'key_blocks["{n}"].value', 0): weights[:, i] for i, n in enumerate(names)})
    scene.frame_end = max(scene.frame_end, int(frames[-1]))
    return name



def write_bone_rotations(rig, action_name, frames, rotations):
    """Key ``rotations`` ({bone name: (n, 3, 3) rotations about the bone's head in the rig's
    frame, on top of its parent's pose}) at ``frames`` as quaternion curves in a new action on
    ``rig``. Each bone gets its rotation in its own rest frame, with the quaternions kept on one
    hemisphere so that the keys interpolate the short way."""
    curves = {}
    for name, mats in rotations.items():
        rest = np.array(rig.data.bones[name].matrix_local.to_3x3())
        local = np.einsum("ji,njk,kl->nil", rest, np.asarray(mats, np.float64), rest)
        quats = np.array([Matrix(m.tolist()).to_quaternion() for m in local])
        same_side = np.einsum("ni,ni->n", quats[1:], quats[:-1]) >= 0
        quats *= np.cumprod(np.r_[1.0, np.where(same_side, 1.0, -1.0)])[:, None]
        rig.pose.bones[name].rotation_mode = "QUATERNION"
        curves.update({(f'pose.bones["{name}"].rotation_quaternion', k): quats[:, k] for k in range(4)})
    return write_curves(rig, "OBJECT", action_name, frames, curves)


def _fraction(rotations, share):
    """Each (3, 3) rotation scaled to ``share`` of its angle, about the same axis."""
    out = []
    for m in rotations:
        axis, angle = Matrix(m.tolist()).to_quaternion().to_axis_angle()
        out.append(np.array(Matrix.Rotation(angle * share, 3, axis)))
    return np.array(out)


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

    poll = classmethod(lookups.avatar_poll)

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        head = lookups.find_avatar_head(context)
        scene = context.scene
        audio = bpy.path.abspath(self.filepath)
        transcript, transcript_path = self.transcript, bpy.path.abspath(self.transcript)
        if os.path.isfile(transcript_path):
            with open(transcript_path, encoding="utf-8", errors="replace") as fh:
                transcript = fh.read()
        data = worker_arrays(self, "lipsync", audio=audio, fps=scene_build.scene_fps(scene), transcript=transcript,
                             life_seed=self.seed if self.life else None)
        if data is None:
            return {"CANCELLED"}
        for warning in data["warnings"]:
            self.report({"WARNING"}, str(warning))
        weights, names = data["weights"], [str(n) for n in data["names"]]
        start = scene.frame_current
        frames = start + np.arange(len(weights), dtype=np.float64)
        name = key_take(scene, head, "lipsync", frames, names, weights)
        try:
            compat.add_sound(scene, name, audio, start)
        except errors.BlenderIncompatible as exc:
            self.report({"WARNING"}, str(exc))
        self.report({"INFO"}, f"Lip sync: {len(weights)} frames from {os.path.basename(audio)}")
        return {"FINISHED"}


class LIKENESS_OT_track_video(bpy.types.Operator):
    """Animate the selected avatar from a video of a face, or a folder of images (at the scene's
    frame rate): its expression on the ARKit shape keys, the head's rotation on the neck and head
    bones and the gaze on the eye bones, one key per frame"""
    bl_idname = "likeness.track_video"
    bl_label = "Track Video"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Video or Images", subtype="FILE_PATH")
    filter_movie: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_image: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_folder: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    fps: bpy.props.FloatProperty(name="Sequence Frame Rate", min=0.0, default=0.0,
                                 description="Frames per second of an image sequence (0: the scene's)")

    poll = classmethod(lookups.avatar_poll)
    invoke = LIKENESS_OT_lipsync.invoke

    def execute(self, context):
        head = lookups.find_avatar_head(context)
        rig = head.parent
        ident = rig.likeness_identity
        scene = context.scene
        fps = scene_build.scene_fps(scene)
        source = bpy.path.abspath(self.filepath)
        if source.lower().endswith(IMAGE_SUFFIXES):      # one image picked: its folder is the sequence
            source = os.path.dirname(source)
        data = worker_arrays(self, "track", video=source, fps=self.fps or fps, phenotype=[p.value for p in ident.phenotype],
                             local_changes={it.label: it.value for it in ident.local})
        if data is None:
            return {"CANCELLED"}
        weights, names = data["weights"], [str(n) for n in data["names"]]
        frames = scene.frame_current + np.arange(len(weights)) * (fps / float(data["fps"]))
        name = key_take(scene, head, "track", frames, names, weights)
        shares = {b: share for b, share in NECK_HEAD_SHARES.items() if b in rig.data.bones}
        turned = {share: _fraction(data["head_rotation"], share) for share in set(shares.values())}
        bones = {b: turned[share] for b, share in shares.items()}     # the neck bones share one turn
        bones.update({eye: data[f"rotation_{eye}"] for eye in body.EYE_BONES if eye in rig.data.bones})
        write_bone_rotations(rig, f"{name}_head", frames, bones)
        self.report({"INFO"}, f"Tracked {len(weights)} frames of {os.path.basename(os.path.normpath(source))}")
        return {"FINISHED"}


class LIKENESS_OT_import_livelink(bpy.types.Operator):
    """Animate the selected avatar from a Live Link Face take (the iPhone app's CSV): the 52
    ARKit keys and the head and eye rotations, from the current frame at the scene's frame rate"""
    bl_idname = "likeness.import_livelink"
    bl_label = "Import Live Link Face"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="CSV", subtype="FILE_PATH")
    filter_glob: bpy.props.StringProperty(default="*.csv", options={"HIDDEN", "SKIP_SAVE"})

    poll = classmethod(lookups.avatar_poll)
    invoke = LIKENESS_OT_lipsync.invoke

    def execute(self, context):
        # a take is a small table: read here, no worker job
        head = lookups.find_avatar_head(context)
        rig = head.parent
        names = [kb.name for kb in head.data.shape_keys.key_blocks[1:]]
        path = bpy.path.abspath(self.filepath)
        try:
            take = livelink.read(path, names)
        except errors.LikenessError as exc:
            _report_failure(self, exc)
            return {"CANCELLED"}
        scene = context.scene
        weights, head_ypr, left_ypr, right_ypr = take.resample(scene_build.scene_fps(scene))
        frames = scene.frame_current + np.arange(len(weights), dtype=np.float64)
        name = key_take(scene, head, "livelink", frames, names, weights)
        if head_ypr is not None:
            left_eye, right_eye = body.EYE_BONES
            write_bone_rotations(rig, f"{name}_bones", frames, {
                "head": livelink.rotation_matrices(head_ypr), left_eye: livelink.rotation_matrices(left_ypr),
                right_eye: livelink.rotation_matrices(right_ypr)})
        self.report({"INFO"}, f"Live Link Face: {len(weights)} frames from {os.path.basename(path)} "
                              f"(timecode at {take.rate} fps)")
        return {"FINISHED"}


classes = (LIKENESS_OT_lipsync, LIKENESS_OT_track_video, LIKENESS_OT_import_livelink)
register, unregister = bpy.utils.register_classes_factory(classes)
