"""The report of an avatar (and of ``likeness fit``): the fit, its camera and residuals, the
identity, the measurements and plausibility warnings, the hair; per photo and for the main one."""
import time

import numpy as np

from . import correspondence, corrective, fit, head_model, measure, result
from .analysis import analyse, camera_matrix_world, ms


def photo_report(pf):
    """What the report says about one photo."""
    hm = head_model.load()
    view, det = pf.view, pf.detection
    h, w = pf.rgb.shape[:2]
    idx68 = correspondence.ibug68_index()
    yaw, pitch, roll = fit.head_pose_degrees(view.rotation)
    cam_world = camera_matrix_world(view.rotation, pf.translation)
    cam_from_head = np.eye(4)
    cam_from_head[:3, :3], cam_from_head[:3, 3] = view.rotation, pf.translation
    dist = np.linalg.norm(view.landmarks_px - det.landmarks, axis=1)
    return {
        "input": {"path": pf.path, "width": w, "height": h},
        "fit_residual_px": round(float(dist.mean()), 3),
        "residuals_px": {"mean_478": round(float(dist.mean()), 3),
                         "median_478": round(float(np.median(dist)), 3),
                         "p90_478": round(float(np.percentile(dist, 90)), 3),
                         "mean_68": round(float(dist[idx68].mean()), 3)},
        "pose": {"yaw": round(yaw, 2), "pitch": round(pitch, 2), "roll": round(roll, 2)},
        "camera": {
            "focal_length_px": round(view.focal_px, 2),
            "focal_from_exif": view.focal_fixed,
            "principal_point": [view.principal_point[0], view.principal_point[1]],
            "image_size": [w, h],
            "camera_from_head": cam_from_head.round(6).tolist(),
            "blender_matrix_world": cam_world.round(6).tolist(),
            "note": "camera_from_head maps head coordinates (metres, Blender axes, origin at the "
                    "neck's base) to OpenCV camera coordinates; blender_matrix_world places a "
                    "Blender camera in the head's frame.",
        },
        "landmarks68": view.landmarks_px[idx68].round(2).tolist(),
        "landmarks68_detector": det.landmarks[idx68].round(2).tolist(),
        "faces_detected": det.faces_detected,
        "expression": {n: round(float(v), 3) for n, v in zip(hm.facial_action_labels, view.facial_actions)
                       if v >= 0.05},
    }


def make_report(an):
    """The report shared by ``likeness fit`` and ``likeness avatar``: the primary photo's
    fields at the top level, every photo's under ``photos``."""
    hm = head_model.load()
    measures = measure.measurements_cm(an.neutral["vertices"], hm.vertex_part)
    report = {"schema_version": result.SCHEMA_VERSION, **photo_report(an.main)}
    report.update({
        "timings_ms": dict(an.timings),
        "identity": {"phenotype": {n: round(float(v), 4) for n, v in zip(hm.phenotype_labels, an.fit.phenotype)},
                     "local_changes": {hm.local_change_labels[i]: round(float(an.fit.local_changes[i]), 4)
                                       for i in hm.head_local_change_index
                                       if abs(an.fit.local_changes[i]) >= 0.01},
                     "age_years": an.age_years,          # a child's or teenager's, or None: an adult
                     "age_from": an.age_from,            # "given", "photo" or None
                     # the face's corrective shape beyond anny's identity (core.corrective)
                     "corrective_mm": corrective.summary_mm(an.corrective if an.corrective is not None
                                                            else np.zeros((1, 3)))},
        "measurements_cm": measures,
        "photos": [photo_report(pf) for pf in an.photos],
        # the plausible ranges are adults': a child's head is smaller by design
        "warnings": an.warnings + (measure.plausibility_warnings(measures) if not an.age_years or an.age_years >= 18
                                   else []),
    })
    if an.hair is not None:
        report["hair"] = an.hair[1].to_report()
    return report


def fit_photo(photo_path, progress=lambda *a: None, age_years=None):
    """Detect and fit one photo; the report without texture or scene (``likeness fit``)."""
    t_all = time.perf_counter()
    an = analyse([photo_path], progress, age_years)
    an.timings["total"] = ms(t_all)
    return make_report(an)
