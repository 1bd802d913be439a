"""Renders the tests and the benches share (not part of the extension): an avatar built from
a photo, rendered through its fitted camera (Cycles on the CPU, even white light): its hair
alone, to compare with the photo's hair, or posed with known keys and head turns, to track
back (the performance-capture round trip).

    from tools import renders
"""
import os
import sys

import numpy as np

from tools import measures

EXTENSION_MODULE = "bl_ext.user_default.likeness"


def addon():
    """The enabled Likeness add-on's package."""
    return sys.modules[EXTENSION_MODULE]


def build(bpy, photo, hair="CURVES", keep_dir=""):
    """Build the avatar of ``photo`` in an empty scene; its rig."""
    bpy.ops.wm.read_homefile(use_empty=True)
    return addon().api.build_avatar(bpy.context, [os.path.abspath(photo)], texture_size=1024, hair=hair,
                                    keep_result=keep_dir)[0]


def avatar_parts(rig):
    """The avatar's head mesh and camera."""
    head = addon().builders.lookups.avatar_head(rig)
    return head, next(c for c in rig.children if c.type == "CAMERA")


def through_camera(scene, cam, height, samples):
    """Render settings: ``cam`` at ``height`` px (its photo's aspect), Cycles on the CPU, no
    denoising, the Standard view, an even white world (light from every side)."""
    w, h = cam["likeness_resolution"]
    scene.camera = cam
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x, scene.render.resolution_y = round(w * height / h), height
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    import bpy
    scene.world = bpy.data.worlds.new("Likeness check")
    addon().builders.compat.set_world_colour(scene.world, (1.0, 1.0, 1.0))


# -- the hair against the photo's ------------------------------------------------------------
def render_hair(bpy, rig, path, height=320, samples=8):
    """Render the avatar's scalp hair alone through its camera to ``path`` (PNG, RGBA): the head is
    a holdout (it hides the hair behind it and shows as transparent). Returns (H, W, 4) float
    in 0..1 (sRGB colour, straight alpha)."""
    from PIL import Image
    head, cam = avatar_parts(rig)
    scene = bpy.context.scene
    through_camera(scene, cam, height, samples)
    scene.render.film_transparent = True
    scene.render.image_settings.color_mode = "RGBA"
    scene.view_settings.look = "None"
    head.is_holdout = True
    # brows and lashes are hair too, but the photo's hair mask is the scalp's
    brows = [o for o in rig.children_recursive if o.get("likeness_part") == "brows_lashes"]
    for ob in brows:
        ob.hide_render = True
    try:
        scene.render.filepath = path
        bpy.ops.render.render(write_still=True)
    finally:
        head.is_holdout = False
        for ob in brows:
            ob.hide_render = False
    return np.asarray(Image.open(path).convert("RGBA"), np.float32) / 255.0


def compare(render, mask, photo_rgb):
    """(IoU, ΔE00, rendered hair share) of a hair render (H, W, 4) against the photo's hair
    ``mask`` (photo size) and the photo (uint8 RGB); ΔE00 is NaN when either has no hair."""
    import cv2
    h, w = render.shape[:2]
    small = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0.5
    drawn = render[..., 3] > 0.5
    k = max(3, int(0.01 * max(mask.shape)) | 1)
    inner = cv2.erode(mask.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    inner = inner if inner.sum() >= 50 else mask
    solid = render[..., 3] > 0.9
    if not solid.any() or not inner.any():
        return measures.iou(drawn, small), float("nan"), float(drawn.mean())
    de = float(measures.ciede2000(measures.median_lab(render[solid][:, :3]),
                                  measures.median_lab(photo_rgb[inner] / 255.0)))
    return measures.iou(drawn, small), de, float(drawn.mean())



# -- the performance-capture round trip -------------------------------------------------------
# (ARKit key values, (yaw, pitch, roll) in degrees) held in turn; the sequence ramps between them
POSES = (
    ({}, (0, 0, 0)),
    ({"jawOpen": 0.6}, (0, 0, 0)),
    ({"mouthSmileLeft": 0.7, "mouthSmileRight": 0.7}, (0, 0, 0)),
    ({"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}, (0, 0, 0)),
    ({"browInnerUp": 0.8, "browOuterUpLeft": 0.6, "browOuterUpRight": 0.6}, (0, 0, 0)),
    ({"browDownLeft": 0.7, "browDownRight": 0.7}, (0, 0, 0)),
    ({"mouthFunnel": 0.7}, (0, 0, 0)),
    ({"mouthPucker": 0.8}, (0, 0, 0)),
    ({"eyeLookOutLeft": 0.7, "eyeLookInRight": 0.7}, (0, 0, 0)),
    ({}, (20, 0, 0)),
    ({}, (-20, 0, 0)),
    ({}, (0, 15, 0)),
    ({}, (0, -15, 0)),
    ({}, (0, 0, 15)),
    ({"jawOpen": 0.5}, (15, -10, 5)),
    ({"mouthSmileLeft": 0.6, "mouthSmileRight": 0.6}, (-12, 8, -8)),
    ({}, (0, 0, 0)),
)
RAMP, HOLD = 2, 2            # frames moving to a pose, frames holding it


def sequence(names, poses=POSES, ramp=RAMP, hold=HOLD):
    """Per-frame key values (frames, len(names)) and head rotations (frames, 3, 3) in the
    head's frame (relative to facing the camera, fit.head_pose_degrees' convention)."""
    from scipy.spatial.transform import Rotation
    targets = np.array([[p[0].get(n, 0.0) for n in names] for p in poses])
    angles = np.array([p[1] for p in poses], np.float64)
    w, a = [targets[0]] * hold, [angles[0]] * hold
    for i in range(1, len(poses)):
        for s in np.arange(1, ramp + 1) / ramp:
            w.append((1 - s) * targets[i - 1] + s * targets[i])
            a.append((1 - s) * angles[i - 1] + s * angles[i])
        w += [targets[i]] * (hold - 1)
        a += [angles[i]] * (hold - 1)
    return np.array(w), Rotation.from_euler("ZXY", np.array(a), degrees=True).as_matrix()


def camera_from_rig(rig, cam):
    """The camera's rotation from the rig's frame, in OpenCV's camera axes (as the fit's)."""
    m = np.array(rig.matrix_world.inverted() @ cam.matrix_world)[:3, :3]
    return np.diag([1.0, -1.0, -1.0]) @ m.T


def render_sequence(bpy, rig, names, weights, head_rotations, folder, height=320, samples=8):
    """Render each frame's pose through the avatar's camera to folder/NNNN.png."""
    from mathutils import Matrix
    head, cam = avatar_parts(rig)
    scene = bpy.context.scene
    through_camera(scene, cam, height, samples)
    head.data.materials[0].node_tree.nodes["Photo Lighting"].inputs["Factor"].default_value = 1.0
    keys = head.data.shape_keys.key_blocks
    pb = rig.pose.bones["head"]
    pb.rotation_mode = "QUATERNION"
    rest = np.array(rig.data.bones["head"].matrix_local.to_3x3())
    os.makedirs(folder, exist_ok=True)
    for i in range(len(weights)):
        for j, n in enumerate(names):
            keys[n].value = float(weights[i, j])
        pb.rotation_quaternion = Matrix((rest.T @ head_rotations[i] @ rest).tolist()).to_quaternion()
        bpy.context.view_layer.update()
        scene.render.filepath = os.path.join(folder, f"{i:04d}.png")
        bpy.ops.render.render(write_still=True)
    for n in names:
        keys[n].value = 0.0
    pb.rotation_quaternion = (1, 0, 0, 0)


def rotation_angle_deg(a, b):
    """Angle of the rotation between a and b, per frame."""
    rel = np.einsum("nij,nkj->nik", a, b)
    return np.degrees(np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1) / 2, -1, 1)))


def score(tracked_weights, labels, true_weights, names, tracked_rot, true_rot):
    """Errors of a track against the truth: per driven key MAE, MAE over the driven keys and
    over all 52, and per-frame head angle error and yaw/pitch/roll errors in degrees."""
    from core import fit
    true52 = np.zeros_like(tracked_weights)
    for j, n in enumerate(names):
        true52[:, labels.index(n)] = true_weights[:, j]
    err = np.abs(tracked_weights - true52)
    per_key = {n: float(err[:, labels.index(n)].mean()) for n in names}
    ypr_t = np.array([fit.head_pose_degrees(r) for r in tracked_rot])
    ypr_0 = np.array([fit.head_pose_degrees(r) for r in true_rot])
    return {"per_key": per_key, "driven_mae": float(np.mean(list(per_key.values()))),
            "all_mae": float(err.mean()), "angle_deg": rotation_angle_deg(tracked_rot, true_rot),
            "ypr_err_deg": np.abs(ypr_t - ypr_0)}


def driven_names(poses=POSES):
    return sorted({n for p in poses for n in p[0]})
