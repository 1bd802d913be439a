"""Performance capture from video: per-frame ARKit weights and head rotation for a known
avatar (its identity fixed), from mediapipe's landmarks in video mode.

Each frame is a few Levenberg-Marquardt steps from the previous frame (fit.fit_expression).
The curves are smoothed with an exponential filter that follows fast moves (its blend
grows with the change, like the one-euro filter), and frames without a face take the last
seen values so a short dropout does not snap the face to neutral.
"""
import dataclasses
import time

import numpy as np

from . import fit
from .errors import NoFaceFound

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


def frames(path):
    """RGB frames of a video file, and its frame rate."""
    import cv2
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    out = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(np.ascontiguousarray(bgr[:, :, ::-1]))
    return out, float(fps)


def _smooth(prev, new):
    speed = np.abs(new - prev).max()
    alpha = SMOOTH_SLOW + (SMOOTH_FAST - SMOOTH_SLOW) * min(speed / SPEED_SCALE, 1.0)
    return prev + alpha * (new - prev)


def track(images, fps, phenotype, local_changes):
    """Track a list of RGB frames; raises NoFaceFound when no frame shows a face."""
    halves = fit.identity_halves(local_changes)
    mesh = _video_mesh()
    n = len(images)
    weights = np.zeros((n, 52))
    rotations = np.tile(fit.FRONTAL, (n, 1, 1))
    found = np.zeros(n, bool)
    residual = np.full(n, np.nan)
    state = None
    t0 = time.perf_counter()
    for i, rgb in enumerate(images):
        h, w = rgb.shape[:2]
        res = mesh.process(rgb)
        if res.multi_face_landmarks:
            lm = np.array([(p.x * w, p.y * h) for p in res.multi_face_landmarks[0].landmark])
            view, state = fit.fit_expression(lm, (w, h), phenotype, halves, previous=state)
            found[i] = True
            residual[i] = view.residual_px
            e = view.facial_actions
            weights[i] = e if i == 0 or not found[:i].any() else _smooth(weights[i - 1], e)
            rotations[i] = view.rotation
        elif i > 0:
            weights[i], rotations[i] = weights[i - 1], rotations[i - 1]
    mesh.close()
    if not found.any():
        raise NoFaceFound("No face was found in any frame of the video.")
    first = int(np.argmax(found))                 # frames before the first face take its values
    weights[:first], rotations[:first] = weights[first], rotations[first]
    return Track(weights, rotations, found, residual, fps, time.perf_counter() - t0)
