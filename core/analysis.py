"""A photo's (or several photos') analysis: read, detect (turned upright), check that the
photos show one person, fit one identity to them, measure the hair. Everything an avatar
needs before its texture.

``progress(fraction, stage, message)`` is called between stages and may raise
Cancelled (the worker's cancel flag) so a job stops at the next stage boundary.
"""
import dataclasses
import os
import time

import numpy as np

from . import age, beside, correspondence, corrective, detect, fit, hair, head_model, measure, same_person
from .image_io import focal_from_exif, read_photo


def camera_matrix_world(rotation, translation):
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
    age_years: float = None  # a child's or teenager's age, given or found; None: an adult's was fitted
    age_from: str = None     # "given" or "photo" (core.age) when age_years is set
    corrective: np.ndarray = None   # (V, 3) the face's corrective offsets, already in neutral and posed

    @property
    def main(self):
        return self.photos[self.primary]


def analyse(photo_paths, progress=lambda *a: None, age_years=None, corrective_shape=True):
    """Read, detect and fit one or several photos of one person (one shared identity). The age
    is ``age_years`` when given; otherwise a young child's when the face's proportions say so
    (core.age), else an adult's is fitted. With ``corrective_shape`` the face gets its
    corrective offsets (core.corrective) beyond anny's identity; the views' landmarks and
    residuals are then those of the corrected head."""
    timings, warnings = {"read": 0.0, "detect": 0.0}, []
    images, detections = [], []
    for i, path in enumerate(photo_paths):
        progress(0.02 + 0.15 * i / len(photo_paths), "detect", f"Finding the face in {os.path.basename(path)}")
        t = time.perf_counter()
        rgb = read_photo(path)
        timings["read"] += ms(t)
        t = time.perf_counter()
        rgb, det = detect.detect_upright(rgb)
        timings["detect"] += ms(t)
        name = os.path.basename(path) + ": " if len(photo_paths) > 1 else ""
        warnings += [name + w for w in det.warnings]
        images.append(rgb)
        detections.append(det)
    if len(photo_paths) > 1:          # one person? (refused when clearly not, before the fit)
        t = time.perf_counter()
        warnings += same_person.check([same_person.descriptor(rgb, det.landmarks, det.depth)
                                       for rgb, det in zip(images, detections)], photo_paths)
        timings["compare"] = ms(t)

    # one photo: its hair is segmented (photo and landmarks only) while the head is fitted
    hair_seg = beside.start(hair.segment, images[0], detections[0].landmarks) if len(images) == 1 else None
    progress(0.2, "fit", "Fitting the head")
    t = time.perf_counter()
    hm = head_model.load()
    inputs = [(det.landmarks, (rgb.shape[1], rgb.shape[0]), focal_from_exif(path, (rgb.shape[1], rgb.shape[0])))
              for path, rgb, det in zip(photo_paths, images, detections)]
    fr = fit.fit_views(inputs, age=None if not age_years else head_model.anny_age(age_years))
    age_from = "given" if age_years else None
    if not age_years:             # a young child's face? then refit at that age
        age_years = age.estimate(fr, [det.landmarks for det in detections])
        if age_years:
            fr = fit.fit_views(inputs, age=head_model.anny_age(age_years))
            age_from = "photo"
            warnings.append(f"The face looks like a young child's (about {age_years:.0f} years, from its proportions "
                            "to the iris): the head was made for that age. Give the age to change it.")
    neutral = hm.forward(fr.phenotype, fr.local_changes, np.zeros(len(hm.facial_action_labels)))
    photos = []
    for path, rgb, det, view in zip(photo_paths, images, detections, fr.views):
        posed = hm.forward(fr.phenotype, fr.local_changes, view.facial_actions)
        # The fit's pose is for anny's raw rest frame; the result's frame has the
        # root bone's head (the base of the neck) at the origin.
        translation = view.translation + view.rotation @ posed["origin"]
        photos.append(PhotoFit(os.path.abspath(path), rgb, det, view, posed, translation))
    primary = int(np.argmin([abs(fit.head_pose_degrees(v.rotation)[0]) for v in fr.views]))
    timings["fit"] = ms(t)
    an = Analysis(photos, fr, neutral, primary, timings, warnings, age_years=age_years or None, age_from=age_from)
    if corrective_shape:
        t = time.perf_counter()
        add_corrective(an, solve_corrective(an))
        timings["corrective"] = ms(t)
    t = time.perf_counter()
    an.hair = _hair(an, hair_seg.result() if hair_seg is not None else None)
    an.warnings.extend(an.hair[1].warnings)
    timings["hair"] = ms(t)
    return an


def solve_corrective(an):
    """The corrective offsets (hm.n_vertices, 3) for the analysis' photos, the main one first."""
    order = [an.primary] + [i for i in range(len(an.photos)) if i != an.primary]
    views = [{"posed": an.photos[i].posed["vertices"], "rotation": an.photos[i].view.rotation,
              "translation": an.photos[i].translation, "focal_px": an.photos[i].view.focal_px,
              "principal_point": an.photos[i].view.principal_point,
              "landmarks": an.photos[i].detection.landmarks} for i in order]
    return corrective.solve(an.neutral["vertices"], views)


def add_corrective(an, offsets):
    """Add ``offsets`` (V, 3) to the analysis' heads (on top of any already there); the
    views' fitted landmarks and residuals follow."""
    hm = head_model.load()
    offsets = corrective.with_eyes(hm, an.neutral["vertices"], offsets)
    an.neutral = corrective.apply(hm, an.neutral, offsets)
    for pf in an.photos:
        pf.posed = corrective.apply(hm, pf.posed, offsets)
        uv = fit.project(correspondence.surface_points(pf.posed["vertices"]), pf.view.rotation,
                         pf.translation, pf.view.focal_px, pf.view.principal_point)
        pf.view.landmarks_px = uv.astype(np.float32)
        pf.view.residual_px = float(np.linalg.norm(uv - pf.detection.landmarks, axis=1).mean())
    an.corrective = (offsets if an.corrective is None else an.corrective + offsets)


def _hair(an, seg=None):
    """The primary photo's hair (its Segmentation ``seg`` when already made), measured in the
    fitted camera's scale and against the fitted skull's top (the highest scalp point in the
    photo)."""
    hm = head_model.load()
    pf = an.main
    verts = pf.posed["vertices"] @ pf.view.rotation.T + pf.translation
    px = fit.project(pf.posed["vertices"], pf.view.rotation, pf.translation, pf.view.focal_px, pf.view.principal_point)
    scalp = measure.scalp_weights(an.neutral["vertices"], hm.vertex_part, hm.region_vertices("ear")) > 0.5
    frame = hair.FaceFrame.from_landmarks(pf.detection.landmarks)
    skull_top = px[scalp][np.argmax(frame.coords(px[scalp])[:, 1])]
    cm_per_px = float(np.median(verts[:, 2])) / pf.view.focal_px * 100.0
    seg = seg or hair.segment(pf.rgb, pf.detection.landmarks)
    return seg, hair.attributes(seg, pf.rgb, pf.detection.landmarks, cm_per_px, skull_top)


def ms(t0):
    return round((time.perf_counter() - t0) * 1000.0, 1)
