"""Photo in, AvatarResult folder out: read, detect, fit, texture, save.

``progress(fraction, stage, message)`` is called between stages and may raise
Cancelled (the worker's cancel flag) so a job stops at the next stage boundary.
"""
import logging
import os
import time

import numpy as np

from . import correspondence, detect, fit, head_model, result, texture
from .image_io import read_photo

log = logging.getLogger(__name__)

TEXTURE_SIZES = (1024, 2048, 4096)
MATERIALS = ("skin", "eyes", "tongue")


def _camera_matrix_world(rotation, translation):
    """Blender camera object matrix (camera looks down -Z, Y up) from an OpenCV camera-from-head pose."""
    flip = np.diag([1.0, -1.0, -1.0])
    m = np.eye(4)
    m[:3, :3] = rotation.T @ flip
    m[:3, 3] = -rotation.T @ translation
    return m


def build_avatar(photos, out_dir, texture_size=2048, progress=lambda *a: None):
    """Build one avatar from ``photos`` (the first is used for now) into ``out_dir``."""
    if texture_size not in TEXTURE_SIZES:
        raise ValueError(f"texture size must be one of {TEXTURE_SIZES}")
    timings = {}
    warnings = []
    t_all = time.perf_counter()
    photo_path = os.path.abspath(photos[0])
    if len(photos) > 1:
        warnings.append(f"{len(photos)} photos were given; this version uses the first one only.")

    progress(0.02, "read", f"Reading {os.path.basename(photo_path)}")
    t = time.perf_counter()
    rgb = read_photo(photo_path)
    h, w = rgb.shape[:2]
    timings["read"] = _ms(t)

    progress(0.08, "detect", "Finding the face")
    t = time.perf_counter()
    det = detect.detect(rgb)
    warnings += det.warnings
    timings["detect"] = _ms(t)

    progress(0.2, "fit", "Fitting the head")
    t = time.perf_counter()
    hm = head_model.load()
    fr = fit.fit(det.landmarks, (w, h))
    neutral = hm.forward(fr.phenotype, fr.local_changes, np.zeros_like(fr.facial_actions))
    posed = hm.forward(fr.phenotype, fr.local_changes, fr.facial_actions)
    # The fit's pose is for anny's raw rest frame; the result's frame has the
    # root bone's head (the base of the neck) at the origin.
    translation = fr.translation + fr.rotation @ posed["origin"]
    timings["fit"] = _ms(t)

    progress(0.55, "texture", "Projecting the photo into the texture")
    t = time.perf_counter()
    verts_cam = posed["vertices"] @ fr.rotation.T + translation
    tex, coverage, _ = texture.project_photo(rgb, verts_cam, hm.faces, hm.uv, hm.face_uv_index,
                                             fr.focal_px, fr.principal_point, texture_size)
    timings["texture"] = _ms(t)

    progress(0.85, "save", "Writing the avatar data")
    lm68 = fr.landmarks_px[correspondence.ibug68_index()]
    yaw, pitch, roll = fit.head_pose_degrees(fr.rotation)
    cam_world = _camera_matrix_world(fr.rotation, translation)
    cam_from_head = np.eye(4)
    cam_from_head[:3, :3], cam_from_head[:3, 3] = fr.rotation, translation
    arrays = {
        "vertices": neutral["vertices"].astype(np.float32),
        "faces": hm.faces,
        "face_uv": hm.uv[hm.face_uv_index].astype(np.float32),
        "face_material": _face_materials(hm),
        "material_names": np.array(MATERIALS),
        "shape_key_names": np.array(hm.facial_action_labels),
        "shape_key_deltas": hm.blendshapes[hm.facial_action_rows].astype(np.float32),
        "expression": fr.facial_actions.astype(np.float32),
        "bone_names": np.array(hm.bone_labels),
        "bone_parents": hm.bone_parents,
        "bone_heads": neutral["bone_heads"].astype(np.float32),
        "bone_tails": neutral["bone_tails"].astype(np.float32),
        "bone_matrices": neutral["bone_matrices"].astype(np.float32),
        "skin_bone_index": hm.skin_bone_index,
        "skin_weight": hm.skin_weight,
        "camera_matrix_world": cam_world.astype(np.float32),
        "focal_px": np.float32(fr.focal_px),
        "image_size": np.array([w, h], np.int32),
        "landmarks68": lm68.astype(np.float32),
        "phenotype_names": np.array(hm.phenotype_labels),
        "phenotype": fr.phenotype.astype(np.float32),
        "local_change_names": np.array(hm.local_change_labels),
        "local_changes": fr.local_changes.astype(np.float32),
    }
    timings["total"] = _ms(t_all)
    report = {
        "schema_version": result.SCHEMA_VERSION,
        "input": {"path": photo_path, "width": w, "height": h},
        "timings_ms": timings,
        "fit_residual_px": round(fr.residual_px, 3),
        "pose": {"yaw": round(yaw, 2), "pitch": round(pitch, 2), "roll": round(roll, 2)},
        "camera": {
            "focal_length_px": round(fr.focal_px, 2),
            "principal_point": [fr.principal_point[0], fr.principal_point[1]],
            "image_size": [w, h],
            "camera_from_head": cam_from_head.round(6).tolist(),
            "blender_matrix_world": cam_world.round(6).tolist(),
            "note": "camera_from_head maps head coordinates (metres, Blender axes, origin at the "
                    "neck's base) to OpenCV camera coordinates; blender_matrix_world places a "
                    "Blender camera in the head's frame.",
        },
        "landmarks68": lm68.round(2).tolist(),
        "faces_detected": det.faces_detected,
        "texture": {"size": texture_size, "photo_coverage": round(coverage, 4)},
        "expression": {n: round(float(v), 3) for n, v in zip(hm.facial_action_labels, fr.facial_actions)
                       if v >= 0.05},
        "warnings": warnings,
    }
    result.save(out_dir, arrays, tex, report)
    progress(1.0, "done", "Avatar data ready")
    return report


def _face_materials(hm):
    """Material slot per face (index into MATERIALS)."""
    part = hm.vertex_part[hm.faces[:, 0]]
    eyes = np.isin(part, [head_model.PART_NAMES.index("eye.L"), head_model.PART_NAMES.index("eye.R")])
    slot = np.zeros(len(part), np.int32)
    slot[eyes] = 1
    slot[part == head_model.PART_NAMES.index("tongue")] = 2
    return slot


def _ms(t0):
    return round((time.perf_counter() - t0) * 1000.0, 1)


def warm_up():
    """Load the head model, the landmark basis and mediapipe once per process."""
    import numpy as np
    head_model.load()
    fit._basis()
    detect.detect_or_none(np.zeros((64, 64, 3), np.uint8))


def is_warm():
    return head_model.load.cache_info().currsize > 0
