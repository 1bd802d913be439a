"""Recordings of Epic's Live Link Face iPhone app (its CSV takes): per-row ARKit weights and
the head and eye rotations, resampled to a scene's frame rate.

The format, as the app writes it: a header ``Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,
HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,
RightEyeRoll`` (Apple's 52 names with a capital first letter), then one row per capture with a
timecode ``HH:MM:SS:FF.fff`` (``FF.fff`` a fractional frame at the timecode's rate, which the file
does not state) and the values. The rotation columns are radians (zero when the app's head
rotation is off). Angles are read in ARKit's face frame (x to the subject's left, y up, z out of
the face): yaw turns the face or eye to the subject's left, pitch tilts it down, roll tilts the
head to its right shoulder; the eye columns are the subject's own left and right eye.
"""
import csv
import io
import os
import re

import numpy as np

from .errors import BadRecording

ROTATION_COLUMNS = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
                    "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
# timecode rates the app records at; ties (a take shorter than a second) go to its default, 60
TIMECODE_RATES = (60, 24, 25, 30, 48, 50, 120)
_TIMECODE = re.compile(r"^\s*(\d+):(\d\d):(\d\d)[:;](\d+(?:\.\d*)?)\s*$")
_DAY = 86400.0
# ARKit's face frame (x left, y up, z forward out of the face) in Blender's avatar frame
# (the avatar faces -Y, its left is +X, Z up)
ARKIT_TO_BLENDER = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


class Recording:
    """A take: ``times`` (n,) seconds from its first row, ``weights`` (n, len(names)) in the
    order of the names asked for, ``head``/``left_eye``/``right_eye`` (n, 3) yaw, pitch, roll in
    radians (None when the file has no rotation columns), and the detected timecode ``rate``."""

    def __init__(self, times, weights, rotations, rate):
        self.times, self.weights, self.rate = times, weights, rate
        self.head, self.left_eye, self.right_eye = rotations if rotations is not None else (None,) * 3

    def resample(self, fps):
        """The take on a frame grid at ``fps`` from its first row: (weights, head, left_eye,
        right_eye), each (frames, ...) linearly interpolated (rotations None when absent)."""
        grid = np.arange(int(np.floor(self.times[-1] * fps + 1e-6)) + 1) / fps

        def on_grid(values):
            if values is None:
                return None
            return np.column_stack([np.interp(grid, self.times, values[:, j]) for j in range(values.shape[1])])
        return on_grid(self.weights), on_grid(self.head), on_grid(self.left_eye), on_grid(self.right_eye)


def read(path, names):
    """Read a take from ``path``; ``names`` are the ARKit keys to fill (matched to the columns
    without regard to case). Raises BadRecording naming what is wrong."""
    base = os.path.basename(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRecording(f"{base} cannot be read as a Live Link Face CSV take ({exc}).") from None
    return parse(text, names, base)


def parse(text, names, source="the file"):
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise BadRecording(f"{source} is empty: not a Live Link Face CSV take.")
    header = [c.strip().lower() for c in rows[0]]
    column = {c: i for i, c in enumerate(header)}
    wanted = ["Timecode", "BlendShapeCount", *[n[:1].upper() + n[1:] for n in names]]
    missing = [n for n in wanted if n.lower() not in column]
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise BadRecording(f"{source} is not a Live Link Face CSV take: the columns {shown} are missing.")
    present = [c for c in ROTATION_COLUMNS if c.lower() in column]
    if present and len(present) != len(ROTATION_COLUMNS):
        lost = ", ".join(c for c in ROTATION_COLUMNS if c not in present)
        raise BadRecording(f"{source} has head and eye rotations without the columns {lost}.")
    body = rows[1:]
    if not body:
        raise BadRecording(f"{source} has the Live Link Face columns but no rows.")
    stamps = np.array([_timecode(r[column["timecode"]] if len(r) > column["timecode"] else "", i + 2, source)
                       for i, r in enumerate(body)])
    value_columns = [column[n.lower()] for n in wanted[2:]] + [column[c.lower()] for c in present]
    values = np.empty((len(body), len(value_columns)))
    for i, r in enumerate(body):
        try:
            values[i] = [float(r[c]) for c in value_columns]
        except (ValueError, IndexError):
            raise BadRecording(f"{source}, line {i + 2}: a value is missing or not a number.") from None
    if not np.isfinite(values).all():
        raise BadRecording(f"{source} holds values that are not finite numbers.")
    rate, times = _times(stamps)
    keep = np.r_[True, times[1:] > np.maximum.accumulate(times)[:-1]]    # drop repeated stamps
    times, values = times[keep] - times[0], values[keep]
    n = len(names)
    rotations = None
    if present:
        rotations = values[:, n:n + 3], values[:, n + 3:n + 6], values[:, n + 6:n + 9]
    return Recording(times, np.clip(values[:, :n], 0.0, 1.0), rotations, rate)


def _timecode(text, line, source):
    m = _TIMECODE.match(text)
    if m is None:
        raise BadRecording(f"{source}, line {line}: the timecode {text!r} is not HH:MM:SS:FF.")
    h, mi, s, frame = m.groups()
    return int(h) * 3600 + int(mi) * 60 + int(s), float(frame)


def _times(stamps):
    """(rate, seconds per row) for (whole seconds, frame) stamps: the timecode rate is the one
    (above every frame number seen) under which the rows are most evenly spaced; a take that
    runs past midnight continues on the next day."""
    seconds, frame = stamps[:, 0], stamps[:, 1]
    wraps = np.cumsum(np.r_[0.0, np.diff(seconds) < -_DAY / 2]) * _DAY
    best = None
    for rate in TIMECODE_RATES:
        if frame.max() >= rate:
            continue
        t = seconds + wraps + frame / rate
        steps = np.diff(t)
        spread = steps.std() / steps.mean() if len(steps) and steps.mean() > 0 else 0.0
        if best is None or spread < best[0] - 1e-6:
            best = (spread, rate, t)
    if best is None:
        raise BadRecording(f"The timecodes count {int(frame.max())} frames in a second: "
                           f"more than {max(TIMECODE_RATES)}.")
    return best[1], best[2]


def rotation_matrices(ypr):
    """(n, 3) yaw, pitch, roll in radians -> (n, 3, 3) rotations in Blender's avatar frame."""
    yaw, pitch, roll = (np.asarray(ypr, np.float64)[:, k] for k in range(3))
    c, s = np.cos, np.sin
    n = len(yaw)
    ry = np.zeros((n, 3, 3))
    ry[:, 0, 0] = ry[:, 2, 2] = c(yaw)
    ry[:, 0, 2], ry[:, 2, 0], ry[:, 1, 1] = s(yaw), -s(yaw), 1.0
    rx = np.zeros((n, 3, 3))
    rx[:, 1, 1] = rx[:, 2, 2] = c(pitch)
    rx[:, 1, 2], rx[:, 2, 1], rx[:, 0, 0] = -s(pitch), s(pitch), 1.0
    rz = np.zeros((n, 3, 3))
    rz[:, 0, 0] = rz[:, 1, 1] = c(roll)
    rz[:, 0, 1], rz[:, 1, 0], rz[:, 2, 2] = -s(roll), s(roll), 1.0
    arkit = ry @ rx @ rz
    return ARKIT_TO_BLENDER @ arkit @ ARKIT_TO_BLENDER.T
