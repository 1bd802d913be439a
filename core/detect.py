"""Face landmarks with mediapipe's bundled face mesh (478 points with irises).

mediapipe 0.10.21 ships its models inside the wheel, so this runs offline.
The face mesh's own detector is short-range: when it finds nothing, the
full-range detector looks for smaller faces and the mesh runs again on a crop.
"""
import dataclasses
import functools
import logging

import numpy as np

from .errors import FaceTooSmall, NoFaceFound

log = logging.getLogger(__name__)

DETECT_MAX_SIDE = 1920        # photos are scaled down to this for detection only
MIN_FACE_PX = 48              # narrower faces (eye corner to eye corner x 2.5) are refused
MAX_FACES = 6
# A face crop turned a quarter, a half or three quarters must look this much more like a face
# to the close-range detector than as it is, for the photo to be turned (on the 70 annotated
# photos: upright ones never came within 0.01, 47 of the 54 upside-down ones that showed a
# "face" at all beat it by more)
TURN_MARGIN = 0.05
TURNED_FACE_MIN = 0.5         # upside-down faces found only when turned scored 0.64-0.94


@dataclasses.dataclass
class Detection:
    landmarks: np.ndarray       # (478, 2) float32, 0-based pixels of the full photo
    depth: np.ndarray           # (478,) float32, mediapipe's relative depth, in pixels
    faces_detected: int
    face_width_px: float
    warnings: list


@functools.lru_cache(maxsize=1)
def _face_mesh():
    import mediapipe as mp
    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=MAX_FACES, refine_landmarks=True,
        min_detection_confidence=0.5)


@functools.lru_cache(maxsize=1)
def _face_detector():
    import mediapipe as mp
    return mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)


def _mesh_faces(rgb):
    """All face meshes in ``rgb`` as (N, 478, 3) arrays in its pixel units."""
    h, w = rgb.shape[:2]
    res = _face_mesh().process(rgb)
    if not res.multi_face_landmarks:
        return []
    return [np.array([(p.x * w, p.y * h, p.z * w) for p in f.landmark], dtype=np.float32)
            for f in res.multi_face_landmarks]


def _faces_via_detector(rgb):
    """Meshes from crops around the full-range detector's boxes (for small faces)."""
    import cv2
    h, w = rgb.shape[:2]
    res = _face_detector().process(rgb)
    meshes = []
    for det in res.detections or []:
        b = det.location_data.relative_bounding_box
        cx, cy = (b.xmin + b.width / 2) * w, (b.ymin + b.height / 2) * h
        half = max(b.width * w, b.height * h) * 1.2
        x0, y0 = int(max(cx - half, 0)), int(max(cy - half, 0))
        x1, y1 = int(min(cx + half, w)), int(min(cy + half, h))
        crop = rgb[y0:y1, x0:x1]
        if min(crop.shape[:2]) < 16:
            continue
        scale = 256.0 / max(crop.shape[:2])
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        for m in _mesh_faces(np.ascontiguousarray(crop))[:1]:
            m = m / scale
            m[:, 0] += x0
            m[:, 1] += y0
            meshes.append(m)
    return meshes


def _faces_in_tiles(rgb):
    """Meshes found by the detector in overlapping DETECT_MAX_SIDE tiles of the full-size
    photo (one face per place: a face in two tiles counts once)."""
    h, w = rgb.shape[:2]
    step = DETECT_MAX_SIDE * 3 // 4
    meshes = []
    for y0 in range(0, max(h - DETECT_MAX_SIDE, 0) + step, step):
        for x0 in range(0, max(w - DETECT_MAX_SIDE, 0) + step, step):
            tile = np.ascontiguousarray(rgb[y0:y0 + DETECT_MAX_SIDE, x0:x0 + DETECT_MAX_SIDE])
            for m in _faces_via_detector(tile):
                m[:, :2] += (x0, y0)
                if all(np.linalg.norm(m[:, :2].mean(0) - o[:, :2].mean(0)) > _face_width(o) / 2 for o in meshes):
                    meshes.append(m)
    return meshes


def _face_width(points):
    return float(np.ptp(points[:, 0]))


def detect(rgb):
    """The largest face's landmarks in ``rgb`` (H, W, 3 uint8)."""
    import cv2
    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = rgb if scale == 1.0 else cv2.resize(rgb, (round(w * scale), round(h * scale)),
                                                interpolation=cv2.INTER_AREA)
    meshes = _mesh_faces(small) or _faces_via_detector(small)
    if not meshes and scale < 1.0:
        meshes = [m * scale for m in _faces_in_tiles(rgb)]      # a small face that shrinking lost
    if not meshes:
        raise NoFaceFound("No face was found in the photo. Use a photo where one face is "
                          "clearly visible, roughly facing the camera.")
    meshes = [m / scale for m in meshes]
    meshes.sort(key=_face_width, reverse=True)
    face = meshes[0]
    warnings = []
    if len(meshes) > 1:
        warnings.append(f"{len(meshes)} faces were found; the largest one was used.")
    width = _face_width(face)
    if width < MIN_FACE_PX:
        raise FaceTooSmall(f"The face is only {width:.0f} pixels wide; Likeness needs at least "
                           f"{MIN_FACE_PX}. Use a closer or larger photo.")
    return Detection(landmarks=face[:, :2].copy(), depth=face[:, 2].copy(),
                     faces_detected=len(meshes), face_width_px=width, warnings=warnings)


@functools.lru_cache(maxsize=1)
def _close_face_detector():
    import mediapipe as mp
    return mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.1)


def _face_score(rgb):
    res = _close_face_detector().process(np.ascontiguousarray(rgb))
    return max((d.score[0] for d in res.detections or []), default=0.0)


def _turned_crop_scores(rgb, landmarks):
    """The close-range detector's face score of the crop around ``landmarks``, turned 0-3
    quarters (np.rot90's k); zeros when the crop is too small to judge."""
    import cv2
    h, w = rgb.shape[:2]
    c = landmarks.mean(0)
    half = 0.75 * max(np.ptp(landmarks[:, 0]), np.ptp(landmarks[:, 1]))
    x0, y0 = int(max(c[0] - half, 0)), int(max(c[1] - half, 0))
    x1, y1 = int(min(c[0] + half, w)), int(min(c[1] + half, h))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return [0.0] * 4
    crop = cv2.resize(rgb[y0:y1, x0:x1], (192, 192), interpolation=cv2.INTER_AREA)
    return [_face_score(np.rot90(crop, k)) for k in range(4)]


def upright_turns(rgb, landmarks):
    """The quarter turns (np.rot90's k) that set the face at ``landmarks`` upright: 0 unless its
    crop, turned, looks clearly more like a face. (mediapipe's mesh finds an upright "face"
    inside an upside-down one: eyes on the nostrils, a mouth on the brows.)"""
    scores = _turned_crop_scores(rgb, landmarks)
    best = 1 + int(np.argmax(scores[1:]))
    return best if scores[best] > scores[0] + TURN_MARGIN else 0


def detect_upright(rgb):
    """(the photo turned upright, the Detection in it). An upside-down or sideways photo is
    turned (with a warning). A photo whose face is found only when turned is turned too, when
    that face is a face upright (the turned crop scores best and at least TURNED_FACE_MIN as
    it is: a coffee cup turned on its side can pass for a face to the mesh, not to this)."""
    try:
        det = detect(rgb)
        turns = [upright_turns(rgb, det.landmarks)]
    except NoFaceFound:
        det, turns = None, [2, 1, 3]
    for k in turns:
        if k == 0:
            break
        turned = np.ascontiguousarray(np.rot90(rgb, k))
        try:
            found = detect(turned)
        except NoFaceFound:
            continue
        if det is None:
            scores = _turned_crop_scores(turned, found.landmarks)
            if np.argmax(scores) != 0 or scores[0] < TURNED_FACE_MIN:
                continue
        how = "upside down" if k == 2 else "on its side"
        found.warnings.insert(0, f"The photo was {how}: it was turned {90 * k} degrees to set the face upright.")
        return turned, found
    if det is None:
        detect(rgb)                 # raises the no-face error again
    return rgb, det


def detect_or_none(rgb):
    """Like detect(), but None when there is no usable face (used to warm the models up)."""
    from .errors import LikenessError
    try:
        return detect(rgb)
    except LikenessError:
        return None
