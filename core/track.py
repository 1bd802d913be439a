"""Performance capture from video: per-frame ARKit weights and head rotation for a known
avatar (its identity fixed), from mediapipe's landmarks in video mode.

Each frame is a few Levenberg-Marquardt steps from the previous frame (fit.fit_expression).
The curves are smoothed with an exponential filter that follows fast moves (its blend
grows with the change, like the one-euro filter), and frames without a face take the last
seen values so a short dropout does not snap the face to neutral.

Gaze: the fit moves the eyeballs with anny's eyeLook* actions, which are rigid rotations of
the eyeball (0.1 mm from one), so ``gaze_rotations`` turns those weights into eye-bone
rotations; the track then keys the eye bones and leaves the eyeLook* keys at zero, so the
eyes do not turn twice.
"""
import dataclasses
import functools
import os
import time

import numpy as np

from . import fit, image_io
from .errors import BadImage, NoFaceFound

SMOOTH_SLOW, SMOOTH_FAST, SPEED_SCALE = 0.35, 0.9, 0.25


@dataclasses.dataclass
class Track:
    weights: np.ndarray       # (frames, 52) ARKit weights
    rotations: np.ndarray     # (frames, 3, 3) camera-from-head rotation
    found: np.ndarray         # (frames,) bool: a face was detected in the frame
    residual_px: np.ndarray   # (frames,) mean landmark reprojection error (NaN where bridged)
    fps: float
    seconds: float            # processing time


def _video_mesh():
    """A fresh face mesh in video mode (it tracks between calls, so one per video)."""
    import mediapipe as mp
    return mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1,
                                           refine_landmarks=True, min_detection_confidence=0.5,
                                           min_tracking_confidence=0.5)


SEQUENCE_FPS = 25.0
EYES = ("eye.L", "eye.R")
GAZE_KEYS = {"eye.L": ("eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft"),
             "eye.R": ("eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight")}


def frames(path, fps=None):
    """(RGB frames, frame rate) of a video file, or of a folder of images (sorted by name, at
    ``fps``, default 25). The frames are an iterator, read one at a time as they are used, so
    tracking a long video holds one frame, not the whole video."""
    if not os.path.exists(path):
        raise BadImage(f"{path} does not exist.")
    if os.path.isdir(path):
        return _image_sequence(path), float(fps or SEQUENCE_FPS)
    import cv2
    cap = cv2.VideoCapture(path)
    return _video_frames(cap), float(cap.get(cv2.CAP_PROP_FPS) or 25.0)


def _video_frames(cap):
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                return
            yield np.ascontiguousarray(bgr[:, :, ::-1])
    finally:
        cap.release()


def _image_sequence(folder):
    shape = None
    for path in image_io.images_in(folder):
        image = image_io.read_photo(path)
        if shape is not None and image.shape != shape:
            raise BadImage(f"The images in {os.path.basename(folder)} differ in size: a sequence needs one size.")
        shape = image.shape
        yield image


@functools.lru_cache(maxsize=1)
def _gaze_axes():
    """{eye bone: (4, 3) rotation vectors (radians, in the head's frame) of its eyeLook*
    actions at weight 1}, measured on the model's eyeball (Kabsch)."""
    from scipy.spatial.transform import Rotation
    from . import head_model
    hm = head_model.load()
    out = {}
    for part, eye in enumerate(EYES, start=1):
        X = hm.template[hm.vertex_part == part]
        vecs = []
        for name in GAZE_KEYS[eye]:
            Y = X + hm.blendshapes[hm.facial_action_rows[hm.facial_action_labels.index(name)]][hm.vertex_part == part]
            U, _, Vt = np.linalg.svd((Y - Y.mean(0)).T @ (X - X.mean(0)))
            R = U @ np.diag([1.0, 1.0, np.linalg.det(U @ Vt)]) @ Vt
            vecs.append(Rotation.from_matrix(R).as_rotvec())
        out[eye] = np.array(vecs)
    return out


def gaze_rotations(weights, names):
    """{eye bone: (frames, 3, 3) eyeball rotation in the head's frame} from the eyeLook*
    weights (frames, 52) of ``names``."""
    from scipy.spatial.transform import Rotation
    out = {}
    for eye, axes in _gaze_axes().items():
        w = weights[:, [names.index(n) for n in GAZE_KEYS[eye]]]
        out[eye] = Rotation.from_rotvec(w @ axes).as_matrix()
    return out


def _smooth(prev, new):
    speed = np.abs(new - prev).max()
    alpha = SMOOTH_SLOW + (SMOOTH_FAST - SMOOTH_SLOW) * min(speed / SPEED_SCALE, 1.0)
    return prev + alpha * (new - prev)


def track(images, fps, phenotype, local_changes):
    """Track RGB frames (any iterable, consumed one frame at a time); raises NoFaceFound when no
    frame shows a face."""
    halves = fit.identity_halves(local_changes)
    mesh = _video_mesh()
    weights, rotations, found, residual = [], [], [], []
    state = None
    t0 = time.perf_counter()
    for rgb in images:
        h, w = rgb.shape[:2]
        res = mesh.process(rgb)
        if res.multi_face_landmarks:
            lm = np.array([(p.x * w, p.y * h) for p in res.multi_face_landmarks[0].landmark])
            first = state is None                             # no face in any earlier frame
            view, state = fit.fit_expression(lm, (w, h), phenotype, halves, previous=state)
            e = view.facial_actions
            weights.append(e if first else _smooth(weights[-1], e))
            rotations.append(view.rotation)
            found.append(True)
            residual.append(view.residual_px)
        else:             # the last face's values (frames before the first face: see below)
            weights.append(weights[-1] if weights else np.zeros(52))
            rotations.append(rotations[-1] if rotations else fit.FRONTAL)
            found.append(False)
            residual.append(np.nan)
    mesh.close()
    if not any(found):
        raise NoFaceFound("No face was found in any frame of the video.")
    weights, rotations = np.array(weights, np.float64), np.array(rotations, np.float64)
    found, residual = np.array(found), np.array(residual, np.float64)
    first = int(np.argmax(found))                 # frames before the first face take its values
    weights[:first], rotations[:first] = weights[first], rotations[first]
    return Track(weights, rotations, found, residual, fps, time.perf_counter() - t0)
