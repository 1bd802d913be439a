"""Synthetic round trip of performance capture: an avatar built from a real photo is posed
with known ARKit key values and head rotations, rendered through its fitted camera (Cycles,
CPU), and the image sequence is tracked with the avatar's identity. Prints the mean absolute
error per driven key, over the driven keys and over all 52, and the head angle errors.

    .venv/bin/python bench/track_roundtrip.py [--photo PATH] [--height 480] [--keep DIR]

The posing and rendering functions are shared with tests/test_track_roundtrip.py.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.common import DATA, white_world  # noqa: E402

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


def avatar_parts(rig):
    import cli
    head = sys.modules[cli.EXTENSION_MODULE].builders.lookups.avatar_head(rig)
    cam = next(c for c in rig.children if c.type == "CAMERA")
    return head, cam


def camera_from_rig(rig, cam):
    """The camera's rotation from the rig's frame, in OpenCV's camera axes (as the fit's)."""
    m = np.array(rig.matrix_world.inverted() @ cam.matrix_world)[:3, :3]
    return np.diag([1.0, -1.0, -1.0]) @ m.T


def render_sequence(bpy, rig, names, weights, head_rotations, folder, height=320, samples=8):
    """Render each frame's pose through the avatar's camera to folder/NNNN.png."""
    from mathutils import Matrix
    head, cam = avatar_parts(rig)
    scene = bpy.context.scene
    w, h = cam["likeness_resolution"]
    scale = height / h
    scene.camera = cam
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x, scene.render.resolution_y = round(w * scale), height
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    white_world(bpy, scene, "roundtrip")
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photo", default=os.path.join(DATA, "faces", "lfpw", "image_0001.png"))
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--keep", help="folder for the renders (reused when it holds them)")
    args = ap.parse_args()
    import cli
    bpy = cli.enable_addon()
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.likeness.photos.add().path = os.path.abspath(args.photo)
    bpy.context.scene.likeness.hair = "NONE"          # the face, not the hair: no strands across it
    assert bpy.ops.likeness.build_avatar(texture_size=1024) == {"FINISHED"}
    rig = bpy.context.view_layer.objects.active
    names = driven_names()
    weights, rotations = sequence(names)
    folder = args.keep or tempfile.mkdtemp(prefix="likeness-roundtrip-")
    have = os.path.isdir(folder) and len([f for f in os.listdir(folder) if f.endswith(".png")]) == len(weights)
    if not have:
        t = time.perf_counter()
        render_sequence(bpy, rig, names, weights, rotations, folder, args.height, args.samples)
        print(f"rendered {len(weights)} frames at height {args.height} in {time.perf_counter() - t:.0f} s: {folder}")
    from core import fit, track
    ident = rig.likeness_identity
    hm_labels = fit.basis().hm.local_change_labels
    local = np.zeros(len(hm_labels))
    for it in ident.local:
        local[hm_labels.index(it.label)] = it.value
    images, fps = track.frames(folder)
    images = list(images)
    tr = track.track(images, fps, np.array([p.value for p in ident.phenotype]), local)
    labels = fit.basis().hm.facial_action_labels
    if args.keep:
        np.savez(os.path.join(folder, "track.npz"), weights=tr.weights, rotations=tr.rotations,
                 phenotype=[p.value for p in ident.phenotype], local=local)
    true_rot = np.einsum("ij,njk->nik", camera_from_rig(rig, avatar_parts(rig)[1]), rotations)
    s = score(tr.weights, labels, weights, names, tr.rotations, true_rot)
    print(f"{len(images)} frames {images[0].shape[1]}x{images[0].shape[0]}, face found in {tr.found.sum()}, "
          f"reprojection {np.nanmean(tr.residual_px):.2f} px, {len(images) / tr.seconds:.0f} fps")
    for n, e in sorted(s["per_key"].items(), key=lambda kv: kv[1]):
        j = names.index(n)
        print(f"  {n:18s} MAE {e:.3f}   (true max {weights[:, j].max():.2f}, tracked max "
              f"{tr.weights[:, labels.index(n)].max():.2f})")
    undriven = [k for k in labels if k not in names]
    worst = max(undriven, key=lambda k: tr.weights[:, labels.index(k)].mean())
    print(f"== weight MAE: driven keys {s['driven_mae']:.3f}, all 52 {s['all_mae']:.3f} "
          f"(largest undriven: {worst} mean {tr.weights[:, labels.index(worst)].mean():.3f})")
    # diagnostic: the texture is painted from the photo, expression included, so the neutral
    # render already tracks as the photo's expression; relative to the first (neutral) frame:
    rel = score(np.clip(tr.weights - tr.weights[0], 0, 1), labels, weights, names, tr.rotations, true_rot)
    print(f"   relative to the tracked neutral first frame: driven keys {rel['driven_mae']:.3f}, "
          f"all 52 {rel['all_mae']:.3f}")
    ypr = s["ypr_err_deg"]
    print(f"== head angle error: mean {s['angle_deg'].mean():.2f} deg, max {s['angle_deg'].max():.2f} deg; "
          f"yaw/pitch/roll mean {ypr[:, 0].mean():.2f}/{ypr[:, 1].mean():.2f}/{ypr[:, 2].mean():.2f} deg")


if __name__ == "__main__":
    main()
