"""Animation in the scene: takes keyed on the avatar's ARKit shape keys and bones, as new
actions (filled through foreach_set), from lip sync, video tracking and Live Link Face."""
import numpy as np
from mathutils import Matrix

from ..core import body, errors, livelink
from . import compat


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


def scene_fps(scene):
    return scene.render.fps / scene.render.fps_base


def key_lipsync(scene, rig, head, data, audio, start):
    """Key a lip-sync job's weights from frame ``start``, its head and eye rotations in a
    '<take>_head' action on ``rig`` (the bones it has), and put its sound in the sequencer.
    Returns its warnings (with this Blender's, when it cannot play sound)."""
    weights, names = data["weights"], [str(n) for n in data["names"]]
    frames = start + np.arange(len(weights), dtype=np.float64)
    name = key_take(scene, head, "lipsync", frames, names, weights)
    bones = {str(b): r for b, r in zip(data["bone_names"], data["bone_rotations"]) if str(b) in rig.data.bones}
    if bones:
        write_bone_rotations(rig, f"{name}_head", frames, bones)
    warnings = [str(w) for w in data["warnings"]]
    try:
        compat.add_sound(scene, name, audio, start)
    except errors.BlenderIncompatible as exc:
        warnings.append(str(exc))
    return {"frames": len(weights), "action": name, "warnings": warnings}


def key_tracking(scene, rig, head, data, start):
    """Key a tracking job's expression weights, head turn (shared along the neck) and gaze,
    its frames spread at the scene's frame rate from frame ``start``."""
    weights, names = data["weights"], [str(n) for n in data["names"]]
    frames = start + np.arange(len(weights)) * (scene_fps(scene) / float(data["fps"]))
    name = key_take(scene, head, "track", frames, names, weights)
    shares = {b: share for b, share in body.NECK_HEAD_SHARES.items() if b in rig.data.bones}
    turned = {share: _fraction(data["head_rotation"], share) for share in set(shares.values())}
    bones = {b: turned[share] for b, share in shares.items()}     # the neck bones share one turn
    bones.update({eye: data[f"rotation_{eye}"] for eye in body.EYE_BONES if eye in rig.data.bones})
    write_bone_rotations(rig, f"{name}_head", frames, bones)
    return {"frames": len(weights), "action": name, "warnings": []}


def key_livelink(scene, rig, head, path, start):
    """Key a Live Link Face take (a CSV) at the scene's frame rate from frame ``start``."""
    names = [kb.name for kb in head.data.shape_keys.key_blocks[1:]]
    take = livelink.read(path, names)
    weights, head_ypr, left_ypr, right_ypr = take.resample(scene_fps(scene))
    frames = start + np.arange(len(weights), dtype=np.float64)
    name = key_take(scene, head, "livelink", frames, names, weights)
    if head_ypr is not None:
        left_eye, right_eye = body.EYE_BONES
        write_bone_rotations(rig, f"{name}_bones", frames, {
            "head": livelink.rotation_matrices(head_ypr), left_eye: livelink.rotation_matrices(left_ypr),
            right_eye: livelink.rotation_matrices(right_ypr)})
    return {"frames": len(weights), "action": name, "rate": take.rate, "warnings": []}
