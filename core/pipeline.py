"""Photo in, AvatarResult folder out: read, detect, fit, texture, save.

``progress(fraction, stage, message)`` is called between stages and may raise
Cancelled (the worker's cancel flag) so a job stops at the next stage boundary.
"""
import dataclasses
import functools
import itertools
import logging
import os
import time

import numpy as np

from . import (accessories, brows_lashes, correspondence, detect, fit, hair, hair_strands, head_model, measure,
               pbr_maps, result, same_person, texture)
from .image_io import focal_from_exif, read_photo

log = logging.getLogger(__name__)

TEXTURE_SIZES = (1024, 2048, 4096)
MATERIALS = ("skin", "eyes", "tongue", "teeth", "cornea")


def _camera_matrix_world(rotation, translation):
    """Blender camera object matrix (camera looks down -Z, Y up) from an OpenCV camera-from-head pose."""
    flip = np.diag([1.0, -1.0, -1.0])
    m = np.eye(4)
    m[:3, :3] = rotation.T @ flip
    m[:3, 3] = -rotation.T @ translation
    return m


@dataclasses.dataclass
class PhotoFit:
    """One photo of an analysis: its pixels, landmarks and its part of the fit."""
    path: str
    rgb: np.ndarray
    detection: detect.Detection
    view: fit.View
    posed: dict              # head_model.forward with this photo's expression
    translation: np.ndarray  # camera-from-head translation in the result's frame


@dataclasses.dataclass
class Analysis:
    """Photos read, detected and fitted together: everything before the texture."""
    photos: list
    fit: fit.FitResult
    neutral: dict            # head_model.forward at the fitted identity, no expression
    primary: int             # the photo the texture and the reference camera come from
    timings: dict
    warnings: list
    hair: tuple = None       # (hair.Segmentation, hair.HairAttributes) of the primary photo

    @property
    def main(self):
        return self.photos[self.primary]


def analyse(photo_paths, progress=lambda *a: None):
    """Read, detect and fit one or several photos of one person (one shared identity)."""
    timings, warnings = {"read": 0.0, "detect": 0.0}, []
    images, detections = [], []
    for i, path in enumerate(photo_paths):
        progress(0.02 + 0.15 * i / len(photo_paths), "detect", f"Finding the face in {os.path.basename(path)}")
        t = time.perf_counter()
        rgb = read_photo(path)
        timings["read"] += _ms(t)
        t = time.perf_counter()
        rgb, det = detect.detect_upright(rgb)
        timings["detect"] += _ms(t)
        name = os.path.basename(path) + ": " if len(photo_paths) > 1 else ""
        warnings += [name + w for w in det.warnings]
        images.append(rgb)
        detections.append(det)
    if len(photo_paths) > 1:          # one person? (refused when clearly not, before the fit)
        t = time.perf_counter()
        warnings += same_person.check([same_person.descriptor(rgb, det.landmarks, det.depth)
                                       for rgb, det in zip(images, detections)], photo_paths)
        timings["compare"] = _ms(t)

    progress(0.2, "fit", "Fitting the head")
    t = time.perf_counter()
    hm = head_model.load()
    fr = fit.fit_views([(det.landmarks, (rgb.shape[1], rgb.shape[0]),
                         focal_from_exif(path, (rgb.shape[1], rgb.shape[0])))
                        for path, rgb, det in zip(photo_paths, images, detections)])
    neutral = hm.forward(fr.phenotype, fr.local_changes, np.zeros(len(hm.facial_action_labels)))
    photos = []
    for path, rgb, det, view in zip(photo_paths, images, detections, fr.views):
        posed = hm.forward(fr.phenotype, fr.local_changes, view.facial_actions)
        # The fit's pose is for anny's raw rest frame; the result's frame has the
        # root bone's head (the base of the neck) at the origin.
        translation = view.translation + view.rotation @ posed["origin"]
        photos.append(PhotoFit(os.path.abspath(path), rgb, det, view, posed, translation))
    primary = int(np.argmin([abs(fit.head_pose_degrees(v.rotation)[0]) for v in fr.views]))
    timings["fit"] = _ms(t)
    an = Analysis(photos, fr, neutral, primary, timings, warnings)
    t = time.perf_counter()
    an.hair = _hair(an)
    timings["hair"] = _ms(t)
    return an


def _hair(an):
    """The primary photo's hair, measured in the fitted camera's scale and against the fitted
    skull's top (the highest scalp point in the photo)."""
    hm = head_model.load()
    pf = an.main
    verts = pf.posed["vertices"] @ pf.view.rotation.T + pf.translation
    px = fit.project(pf.posed["vertices"], pf.view.rotation, pf.translation, pf.view.focal_px, pf.view.principal_point)
    scalp = measure.scalp_weights(an.neutral["vertices"], hm.vertex_part, hm.region_vertices("ear")) > 0.5
    frame = hair.FaceFrame.from_landmarks(pf.detection.landmarks)
    skull_top = px[scalp][np.argmax(frame.coords(px[scalp])[:, 1])]
    cm_per_px = float(np.median(verts[:, 2])) / pf.view.focal_px * 100.0
    return hair.analyse(pf.rgb, pf.detection.landmarks, cm_per_px, skull_top)


def _hair_shading(hm, verts_cam, lighting_sh):
    """The texture's lighting on the scalp relative to the face (vertices facing the camera)."""
    normals = texture.vertex_normals(verts_cam, hm.faces)
    facing = -(normals * verts_cam).sum(1) / np.linalg.norm(verts_cam, axis=1) > 0.2
    scalp = measure.scalp_weights(hm.template, hm.vertex_part, hm.region_vertices("ear")) > 0.5
    face = measure.face_region(hm.template, hm.vertex_part)
    if not (scalp & facing).any():
        return 1.0
    return hair.relative_shading(lighting_sh, normals[scalp & facing], normals[face & facing])


def _photo_report(pf):
    """What the report says about one photo."""
    hm = head_model.load()
    view, det = pf.view, pf.detection
    h, w = pf.rgb.shape[:2]
    idx68 = correspondence.ibug68_index()
    yaw, pitch, roll = fit.head_pose_degrees(view.rotation)
    cam_world = _camera_matrix_world(view.rotation, pf.translation)
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
    report = {"schema_version": result.SCHEMA_VERSION, **_photo_report(an.main)}
    report.update({
        "timings_ms": dict(an.timings),
        "identity": {"phenotype": {n: round(float(v), 4) for n, v in zip(hm.phenotype_labels, an.fit.phenotype)},
                     "local_changes": {hm.local_change_labels[i]: round(float(an.fit.local_changes[i]), 4)
                                       for i in hm.head_local_change_index
                                       if abs(an.fit.local_changes[i]) >= 0.01}},
        "measurements_cm": measures,
        "photos": [_photo_report(pf) for pf in an.photos],
        "warnings": an.warnings + measure.plausibility_warnings(measures),
    })
    if an.hair is not None:
        report["hair"] = an.hair[1].to_report()
    return report


def fit_photo(photo_path, progress=lambda *a: None):
    """Detect and fit one photo; the report without texture or scene (``likeness fit``)."""
    t_all = time.perf_counter()
    an = analyse([photo_path], progress)
    an.timings["total"] = _ms(t_all)
    return make_report(an)


def build_avatar(photos, out_dir, texture_size=2048, progress=lambda *a: None):
    """Build one avatar from one or several ``photos`` of one person into ``out_dir``.

    The identity comes from all photos; the texture and the reference camera
    from the most frontal one."""
    if texture_size not in TEXTURE_SIZES:
        raise ValueError(f"texture size must be one of {TEXTURE_SIZES}")
    t_all = time.perf_counter()
    an = analyse(photos, progress)
    hm = head_model.load()
    main = an.main
    fr = main.view

    progress(0.55, "texture", "Projecting the photo into the texture")
    t = time.perf_counter()
    verts_cam = main.posed["vertices"] @ fr.rotation.T + main.translation
    tex = texture.bake(main.rgb, verts_cam, texture_size, texel_map(texture.GEOMETRY_SIZE), hm.faces,
                       an.neutral["vertices"], _eye_axes(hm, an.neutral), main.detection.landmarks,
                       fr.focal_px, fr.principal_point)
    images = {"albedo": tex.albedo, "lit": tex.lit,
              "roughness": roughness_map(min(texture_size, 1024)),
              "normal": pbr_maps.detail_normal_map(_at_most(tex.albedo, 2048))}
    an.timings["texture"] = _ms(t)
    if an.hair is not None:
        an.hair = (an.hair[0], hair.delight(an.hair[1], _hair_shading(hm, verts_cam, tex.lighting_sh)))

    progress(0.85, "save", "Writing the avatar data")
    h, w = main.rgb.shape[:2]
    neutral = an.neutral
    mesh = head_mesh(hm, neutral)
    arrays = avatar_arrays(hm, neutral, mesh, an.fit.phenotype, an.fit.local_changes,
                           expression=fr.facial_actions,
                           camera_matrix_world=_camera_matrix_world(fr.rotation, main.translation),
                           focal_px=fr.focal_px, image_size=(w, h),
                           landmarks68=fr.landmarks_px[correspondence.ibug68_index()],
                           hair=_hair_arrays(hm, neutral, mesh["scalp_weight"].copy(), an))
    an.timings["total"] = _ms(t_all)
    report = make_report(an)
    report["texture"] = {
        "size": texture_size, "photo_coverage": round(tex.photo_coverage, 4),
        "mirror_coverage": round(tex.mirror_coverage, 4),
        "face_texels_per_cm": round(face_texel_density(texture_size), 1),
        "iris_rgb": [round(v, 3) for v in tex.iris_rgb],
        "lighting_sh": tex.lighting_sh.round(4).tolist(),
    }
    result.save(out_dir, arrays, images, report)
    progress(1.0, "done", "Avatar data ready")
    return report


def avatar_arrays(hm, neutral, mesh, phenotype, local_changes, expression, camera_matrix_world,
                  focal_px, image_size, landmarks68, hair):
    """The result's arrays (core.result.SCHEMA) of one head: its ``mesh`` (head_mesh), the
    neutral head's bones, the identity, the photo's expression and camera, and ``hair``
    ({"hair_guides", "hair_rgb"}, and from a photo "bare_skin" and a "scalp_weight" that
    replaces the mesh's: _hair_arrays)."""
    return {
        **{k: mesh[k] for k in ("vertices", "faces", "face_uv", "face_material")},
        "material_names": np.array(MATERIALS),
        "shape_key_names": np.array(hm.facial_action_labels),
        "shape_key_deltas": mesh["shape_key_deltas"],
        "expression": np.asarray(expression, np.float32),
        "bone_names": np.array(hm.bone_labels),
        "bone_parents": hm.bone_parents,
        "bone_heads": neutral["bone_heads"].astype(np.float32),
        "bone_tails": neutral["bone_tails"].astype(np.float32),
        "bone_matrices": neutral["bone_matrices"].astype(np.float32),
        "skin_bone_index": mesh["skin_bone_index"],
        "skin_weight": mesh["skin_weight"],
        "camera_matrix_world": np.asarray(camera_matrix_world, np.float32),
        "focal_px": np.float32(focal_px),
        "image_size": np.array(image_size, np.int32),
        "landmarks68": np.asarray(landmarks68, np.float32),
        "phenotype_names": np.array(hm.phenotype_labels),
        "phenotype": np.asarray(phenotype, np.float32),
        "local_change_names": np.array(hm.local_change_labels),
        "local_changes": np.asarray(local_changes, np.float32),
        "scalp_weight": mesh["scalp_weight"],
        **hair,
        **brows_lashes.strands(neutral["vertices"], hm.faces, hm.vertex_part == 0),
    }


def _hair_arrays(hm, neutral, scalp, an):
    """Guide strands grown from the measured hair attributes and shaped to the photo's hair
    silhouette (through the fitted camera), the hair's colour, the skin the photo shows bare,
    and the mesh's ``scalp`` weight without it."""
    t = time.perf_counter()
    attrs = an.hair[1] if an.hair is not None else None
    pf = an.main
    camera = (pf.view.rotation, pf.translation, pf.view.focal_px, pf.view.principal_point)
    bare = np.zeros(len(scalp), np.float32)
    if an.hair is not None:
        bare[:hm.n_vertices] = hair_strands.bare_skin(pf.posed["vertices"], hm.faces, an.hair[0].mask, *camera)
        scalp[bare > 0] = 0.0
    guides = hair_strands.guides(neutral["vertices"], hm.faces, hm.vertex_part == 0, scalp[:hm.n_vertices],
                                 hair_strands.Style.from_attributes(attrs))
    if an.hair is not None:
        guides = hair_strands.fit_silhouette(guides, pf.posed["vertices"], an.hair[0].mask, *camera)
    an.timings["hair"] = an.timings.get("hair", 0.0) + _ms(t)
    rgb = attrs.colour_linear if attrs is not None else (0.05, 0.03, 0.02)
    return {"hair_guides": guides.astype(np.float32), "hair_rgb": np.asarray(rgb, np.float32),
            "scalp_weight": scalp.astype(np.float32), "bare_skin": bare}


def head_mesh(hm, neutral):
    """The avatar's mesh arrays: anny's head (skin, eyes, tongue) plus teeth and corneas,
    for the neutral head ``neutral`` (a head_model.forward result)."""
    key_deltas = hm.blendshapes[hm.facial_action_rows].astype(np.float32)
    parts = [accessories.teeth(neutral["vertices"], key_deltas)]
    parts += accessories.corneas(neutral["vertices"], key_deltas, _eye_axes(hm, neutral))
    n_infl = hm.skin_bone_index.shape[1]
    verts, faces, uv, material = [neutral["vertices"]], [hm.faces], [hm.uv[hm.face_uv_index]], [_face_materials(hm)]
    deltas, skin_index, skin_weight = [key_deltas], [hm.skin_bone_index], [hm.skin_weight]
    offset = hm.n_vertices
    for part in parts:
        n = len(part.vertices)
        verts.append(part.vertices)
        faces.append(part.faces + offset)
        uv.append(np.full((len(part.faces), 4, 2), 0.999))    # flat materials: one unused atlas corner
        material.append(np.full(len(part.faces), MATERIALS.index(part.material)))
        deltas.append(part.key_deltas)
        index = np.zeros((n, n_infl), np.int32)
        index[:, 0] = [hm.bone_labels.index(b) for b in part.bones]
        weight = np.zeros((n, n_infl), np.float32)
        weight[:, 0] = 1.0
        skin_index.append(index)
        skin_weight.append(weight)
        offset += n
    scalp = measure.scalp_weights(neutral["vertices"], hm.vertex_part, hm.region_vertices("ear"))
    return {
        "vertices": np.concatenate(verts).astype(np.float32),
        "faces": np.concatenate(faces).astype(np.int32),
        "face_uv": np.concatenate(uv).astype(np.float32),
        "face_material": np.concatenate(material).astype(np.int32),
        "shape_key_deltas": np.concatenate(deltas, axis=1),
        "skin_bone_index": np.concatenate(skin_index),
        "skin_weight": np.concatenate(skin_weight),
        "scalp_weight": np.concatenate([scalp, np.zeros(offset - hm.n_vertices)]).astype(np.float32),
    }


@functools.lru_cache(maxsize=3)
def texel_map(size):
    """The model's TexelMap at ``size`` (built once per process: about a second at 2K)."""
    hm = head_model.load()
    return texture.texel_map(size, hm.faces, hm.uv, hm.face_uv_index, hm.template, hm.vertex_part)


@functools.lru_cache(maxsize=3)
def roughness_map(size):
    """The model's roughness map (the same for every avatar: regions of the template)."""
    hm = head_model.load()
    return pbr_maps.roughness_map(texel_map(texture.GEOMETRY_SIZE), hm.template,
                                  texture.triangulate(hm.faces), size)


def _eye_axes(hm, neutral):
    """Per eye part: centre (the eye bone's head), unit axis to the front pole, radius."""
    axes = {}
    for part_name in ("eye.L", "eye.R"):
        part = head_model.PART_NAMES.index(part_name)
        centre = neutral["bone_heads"][hm.bone_labels.index(part_name)]
        verts = neutral["vertices"][hm.vertex_part == part]
        pole = verts[verts[:, 1].argmin()]
        axis = (pole - centre) / np.linalg.norm(pole - centre)
        axes[part] = (centre, axis, float(np.linalg.norm(pole - centre)))
    return axes


def face_texel_density(size, uv=None):
    """Texels per cm on the face (skin near mediapipe's points) at texture ``size``."""
    hm = head_model.load()
    uv = hm.uv if uv is None else uv
    region = measure.face_region(hm.template, hm.vertex_part)
    faces = np.nonzero(region[hm.faces].all(1))[0]
    q, quv = hm.faces[faces], uv[hm.face_uv_index[faces]]
    area = lambda p: 0.5 * (np.linalg.norm(np.cross(p[:, 2] - p[:, 0], p[:, 1] - p[:, 0]), axis=-1)
                            + np.linalg.norm(np.cross(p[:, 3] - p[:, 0], p[:, 2] - p[:, 0]), axis=-1))
    quv3 = np.concatenate([quv, np.zeros(quv.shape[:2] + (1,))], -1)
    return float(np.sqrt(area(quv3).sum() / (area(hm.template[q]).sum() * 1e4)) * size)


def _at_most(image, size):
    """``image`` scaled down to ``size`` when larger (a 4K detail-normal map adds little)."""
    import cv2
    if image.shape[0] <= size:
        return image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


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
    fit.basis()
    detect.detect_or_none(np.zeros((64, 64, 3), np.uint8))


def is_warm():
    return head_model.load.cache_info().currsize > 0


def reshape(phenotype, local_changes, out_path):
    """The head for new identity values (the artist's sliders), written to ``out_path`` (.npz):
    neutral vertices and bones in the result's frame. ``local_changes``: {anny label: value}."""
    hm = head_model.load()
    local = np.zeros(len(hm.local_change_labels))
    for label, value in local_changes.items():
        local[hm.local_change_labels.index(label)] = value
    out = hm.forward(np.asarray(phenotype, np.float64), local, np.zeros(len(hm.facial_action_labels)))
    np.savez(out_path, vertices=head_mesh(hm, out)["vertices"], bone_names=np.array(hm.bone_labels),
             bone_heads=out["bone_heads"].astype(np.float32), bone_tails=out["bone_tails"].astype(np.float32),
             bone_matrices=out["bone_matrices"].astype(np.float32))
    return {"path": out_path}


def lipsync(audio, fps, out_path, transcript=None, life_seed=None):
    """Per-frame ARKit weights for the speech in ``audio`` (aligned to ``transcript`` when
    given; with blinks and brows when ``life_seed`` is not None), written to ``out_path`` (.npz)."""
    from . import lipsync as lip
    names = lip.MOUTH_KEYS + (lip.LIFE_KEYS if life_seed is not None else [])
    weights, phones, warnings = lip.lipsync(audio, fps, names, transcript, life_seed)
    np.savez(out_path, weights=weights.astype(np.float32), names=np.array(names),
             phones=np.array([p for p, _, _ in phones]),
             phone_times=np.array([(a, b) for _, a, b in phones], np.float32).reshape(-1, 2),
             warnings=np.array(warnings, dtype=str))
    return {"path": out_path, "frames": int(len(weights)), "phones": len(phones)}


def track_video(video, phenotype, local_changes, out_path, fps=None):
    """Performance capture of ``video`` (a video file, or a folder of images at ``fps``) for
    the identity (phenotype, {anny label: value}), written to ``out_path`` (.npz): per-frame
    ARKit weights, head rotation and eye rotations (gaze is on the eyes, not the eyeLook* keys)."""
    from . import track
    hm = head_model.load()
    local = np.zeros(len(hm.local_change_labels))
    for label, value in local_changes.items():
        local[hm.local_change_labels.index(label)] = value
    images, fps = track.frames(video, fps)
    first = next(images, None)
    if first is None:
        from .errors import BadImage
        what = "images" if os.path.isdir(video) else "video frames"
        raise BadImage(f"{os.path.basename(os.path.normpath(video))} holds no {what} Likeness can read.")
    tr = track.track(itertools.chain([first], images), fps, np.asarray(phenotype, np.float64), local)
    names = list(hm.facial_action_labels)
    head_rotation = np.einsum("ij,njk->nik", fit.FRONTAL.T, tr.rotations)    # in the head's world frame
    gaze = track.gaze_rotations(tr.weights, names)
    weights = tr.weights.copy()
    weights[:, [names.index(n) for keys in track.GAZE_KEYS.values() for n in keys]] = 0.0
    np.savez(out_path, weights=weights.astype(np.float32), names=np.array(names),
             head_rotation=head_rotation.astype(np.float32), found=tr.found, fps=np.float32(fps),
             **{f"rotation_{eye}": gaze[eye].astype(np.float32) for eye in track.EYES})
    return {"path": out_path, "frames": len(tr.found), "found": int(tr.found.sum())}


def full_body(head_dir, out_dir, seed=0, outfit=True):
    """The full-body character (see core.body.full_body) for the head avatar result in
    ``head_dir``, written to ``out_dir``; the outfit drawn from ``seed``."""
    from . import body
    return {"out_dir": out_dir, "report": body.full_body(head_dir, out_dir, int(seed), bool(outfit))}
