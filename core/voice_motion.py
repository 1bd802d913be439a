"""A speaker's head, brows, eyes and lids moving with the voice: what makes a lip-synced
avatar look alive rather than a mouth on a statue.

From the recording's ``voice.Voice`` (and its phones, when known) it finds phrases (speech
between pauses) and pitch accents (loud voiced syllables whose pitch peaks or rises above
their neighbours'), then draws, seeded:

* head nods on the accents (a quick dip and a slower return), a lift as a phrase starts and a
  settling nod as it ends, a new turn and tilt for each phrase, and a slow sway that grows
  with the loudness;
* brows lifted on the stronger accents;
* blinks about 15 a minute, and most phrase ends get one;
* eye saccades: small quick turns every 0.5-3 s, held in between.

``expressiveness`` (0..1) scales all of it; 0 leaves the lips alone: the head and eyes are
exactly still and no brow or lid moves. ``emotion`` biases the face (a little smile when
happy, lowered brows when serious) and the motion's size and pace.

The head's turn is shared along the neck like a tracked one (``body.NECK_HEAD_SHARES``); all
rotations are about each bone's head in the rig's frame (Z up, the face looking down -Y),
on top of its parent's pose.
"""
from dataclasses import dataclass, field

import numpy as np

from . import expressions
from .body import EYE_BONES, NECK_HEAD_SHARES
from .errors import BadArguments
from .voice import HOP_S, smooth

SILENT_PHONES = ("SIL", "+SPN+", "+NSN+")
PHRASE_PAUSE_S = 0.25         # a silence at least this long ends a phrase


@dataclass(frozen=True)
class Emotion:
    amplitude: float          # head and eye motion, times the neutral
    pace: float               # rate of motion: >1 quicker moves, more saccades
    brows: float              # brow lifts, times the neutral
    blinks_per_min: float
    face: dict = field(default_factory=dict)   # ARKit weights held at expressiveness 1


EMOTIONS = {
    "calm": Emotion(0.7, 0.75, 0.6, 13.0),
    "happy": Emotion(1.0, 1.0, 1.0, 15.0, {"mouthSmileLeft": 0.35, "mouthSmileRight": 0.35,
                                            "cheekSquintLeft": 0.2, "cheekSquintRight": 0.2}),
    "serious": Emotion(0.8, 0.85, 0.4, 14.0, {"browDownLeft": 0.3, "browDownRight": 0.3}),
    "excited": Emotion(1.3, 1.4, 1.6, 17.0, {"browInnerUp": 0.15, "eyeWideLeft": 0.2, "eyeWideRight": 0.2,
                                              "mouthSmileLeft": 0.15, "mouthSmileRight": 0.15}),
}
BLINK_KEYS = ("eyeBlinkLeft", "eyeBlinkRight")
BROW_KEYS = ("browInnerUp", "browOuterUpLeft", "browOuterUpRight")
FACE_KEYS = sorted(set(BLINK_KEYS + BROW_KEYS).union(*(e.face for e in EMOTIONS.values())))

# head motion at expressiveness 1 and a neutral emotion, in degrees (a real speaker's)
NOD_DEG = 3.0                 # an accent's dip at full strength
PHRASE_LIFT_DEG = 1.2         # chin up as a phrase starts
PHRASE_SETTLE_DEG = 1.5       # chin down as it ends
TURN_DEG, TILT_DEG = 2.5, 1.5  # std of each phrase's turn and tilt (drawn within 1.5 std)
SWAY_DEG = 1.0                # std of the loudness-driven sway
SMOOTH_S = 0.04               # the last smoothing of every head angle
# eyes
SACCADE_GAP_S = (0.5, 3.0)
SACCADE_S = 0.04              # a small saccade takes 30-50 ms
GAZE_TURN_DEG, GAZE_PITCH_DEG = 3.0, 1.5   # std of the fixations' directions
# brows and lids
BROW_LIFT = 0.35              # browInnerUp on a full-strength accent
BROW_MIN_ACCENT = 0.4
PHRASE_END_BLINK = 0.6        # the chance a phrase end gets a blink
BLINK_SPACING_S = 1.5         # no phrase-end blink this soon after another blink
# accents
ACCENT_MIN = 0.25             # weaker pitch prominences are not accents
ACCENT_SEMITONES = 3.0        # a pitch peak this far above its surroundings is a full accent
SYLLABLE_GAP_S = 0.12         # loudness peaks closer than this are one syllable


@dataclass
class Motion:
    """Per-frame curves at ``fps`` from frame 0 (time 0)."""
    face: dict                # {ARKit name: (n,) weights}
    bones: dict               # {bone name: (n, 3, 3) rotations}
    head_degrees: np.ndarray  # (n, 3) the whole head's nod (chin down +), tilt and turn
    accents: list             # [(time s, strength 0..1)]
    phrases: list             # [(start s, end s)]


def pulse(times, start, rise, hold, fall):
    """0..1 envelope: up over ``rise`` s from ``start``, held ``hold`` s, down over ``fall`` s,
    with eased (raised-cosine) edges."""
    up = np.clip((times - start) / rise, 0, 1)
    down = np.clip(1 - (times - start - rise - hold) / fall, 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))


def phrases(voice, phones=None):
    """[(start s, end s)] of speech between pauses of at least PHRASE_PAUSE_S: from the
    phones when given, else where the voice is loud."""
    if phones:
        spans = [(a, b) for p, a, b in phones if p not in SILENT_PHONES]
    else:
        loud = smooth(voice.loudness_db, 0.03 / HOP_S) > _speech_floor(voice)
        edges = np.flatnonzero(np.diff(np.r_[0, loud.astype(np.int8), 0]))
        spans = [(a * HOP_S, b * HOP_S) for a, b in zip(edges[::2], edges[1::2])]
    out = []
    for a, b in spans:
        if out and a - out[-1][1] < PHRASE_PAUSE_S:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return [(a, b) for a, b in out if b - a >= 0.1]


def _speech_floor(voice):
    """dB below which a frame is not speech: 30 dB under the loud end of the recording."""
    return max(np.percentile(voice.loudness_db, 95) - 30.0, 40.0)


def accents(voice):
    """[(time s, strength 0..1)] of the pitch accents: syllable nuclei (loudness peaks on
    voiced frames) whose pitch stands above the voiced pitch around them (+-0.5 s) or rises
    into them, weighted by how loud the syllable is against the speech's median nucleus."""
    f0 = voice.f0
    voiced = (f0 > 0) & (voice.voicing > 0.5)
    if voiced.sum() < 5:
        return []
    semitones = np.full(len(f0), np.nan)
    semitones[voiced] = 12 * np.log2(f0[voiced] / np.median(f0[voiced]))
    semitones = np.clip(semitones, -12, 12)
    loud = smooth(voice.loudness_db, 0.03 / HOP_S)
    gap = int(SYLLABLE_GAP_S / HOP_S)
    padded = np.pad(loud, gap, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * gap + 1)
    near_voiced = np.convolve(voiced, np.ones(7), mode="same") > 0
    nuclei = np.flatnonzero((loud >= windows.max(1)) & near_voiced & (loud > _speech_floor(voice) + 10))
    if not len(nuclei):
        return []
    median_nucleus = np.median(loud[nuclei])
    context, run_up, peak = int(0.5 / HOP_S), int(0.2 / HOP_S), int(0.05 / HOP_S)
    out = []
    for k in nuclei:
        around = semitones[max(k - context, 0):k + context + 1]
        here = semitones[max(k - peak, 0):k + peak + 1]
        before = semitones[max(k - run_up, 0):k + 1]
        if np.isnan(here).all() or np.isnan(around).all():
            continue
        top = np.nanmax(here)
        rise = top - np.nanmin(before) if not np.isnan(before).all() else 0.0
        prominence = max(top - np.nanmedian(around), 0.5 * rise)
        loudness = np.clip(0.5 + (loud[k] - median_nucleus) / 12.0, 0.0, 1.0)
        strength = float(np.clip(prominence / ACCENT_SEMITONES, 0, 1) * (0.4 + 0.6 * loudness))
        if strength >= ACCENT_MIN:
            out.append((k * HOP_S, strength))
    return out


def accent_signal(accent_list, n, fps, width_s=0.05):
    """(n,) per-frame accent strength: each accent a Gaussian of ``width_s`` s, its height its
    strength (the overlaps keep the larger)."""
    times = np.arange(n) / fps
    out = np.zeros(n)
    for t, s in accent_list:
        out = np.maximum(out, s * np.exp(-0.5 * ((times - t) / width_s) ** 2))
    return out


def _rotations(rotvecs):
    """(n, 3) rotation vectors (radians) -> (n, 3, 3) matrices (Rodrigues)."""
    angle = np.linalg.norm(rotvecs, axis=1)
    axis = rotvecs / np.where(angle > 0, angle, 1.0)[:, None]
    x, y, z = axis.T
    zero = np.zeros_like(x)
    k = np.stack([np.stack([zero, -z, y], 1), np.stack([z, zero, -x], 1), np.stack([-y, x, zero], 1)], 1)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def _head(times, fps, rng, phrase_list, accent_list, speaking, mood):
    """(n, 3) degrees: nod (chin down +), tilt, turn, at expressiveness 1."""
    n, pace = len(times), mood.pace
    nod, tilt, turn = np.zeros(n), np.zeros(n), np.zeros(n)
    for t, s in accent_list:             # a dip into the accent, a slower return
        dip = pulse(times, t - 0.1 / pace, 0.15 / pace, 0.0, 0.35 / pace)
        nod += NOD_DEG * s * dip
        side = rng.normal(0, 0.3, 2)
        tilt += TILT_DEG * s * side[0] * dip
        turn += TURN_DEG * s * side[1] * dip
    for a, b in phrase_list:
        nod -= PHRASE_LIFT_DEG * pulse(times, a - 0.2, 0.3 / pace, max(0.0, min(b - a, 1.0) - 0.3), 0.6 / pace)
        nod += PHRASE_SETTLE_DEG * pulse(times, b - 0.15, 0.3 / pace, 0.1, 0.8 / pace)
    # each phrase holds its own turn and tilt, reached smoothly as it starts
    held_turn, held_tilt = np.zeros(n), np.zeros(n)
    for a, _ in phrase_list:
        ease = pulse(times, a - 0.3, 0.8 / pace, np.inf, 1.0)
        target_turn, target_tilt = np.clip(rng.normal(0, 1, 2), -1.5, 1.5) * (TURN_DEG, TILT_DEG)
        held_turn += ease * (target_turn - held_turn)
        held_tilt += ease * (target_tilt - held_tilt)
    sway = smooth(rng.normal(size=(n, 3)), 0.5 / pace * fps)
    sway /= np.maximum(sway.std(0), 1e-9)
    sway *= SWAY_DEG * (0.3 + 0.7 * speaking)[:, None]
    angles = np.stack([nod, tilt + held_tilt, turn + held_turn], 1) + sway
    return smooth(angles, SMOOTH_S * fps)


def _gaze(times, rng, pace):
    """(n, 2) degrees: the eyes' turn and pitch (down +), held between saccades."""
    n = len(times)
    out = np.zeros((n, 2))
    t, current = rng.uniform(0.2, 1.0), np.zeros(2)
    while t < times[-1]:
        target = np.clip(rng.normal(0, [GAZE_TURN_DEG, GAZE_PITCH_DEG]), -6, 6)
        ramp = np.clip((times - t) / SACCADE_S, 0, 1)[:, None]
        out = out + ramp * (target - current)
        current = target
        t += rng.uniform(*SACCADE_GAP_S) / pace
    return out


def _blink_times(rng, phrase_list, duration_s, per_min):
    """Blinks at random gaps (mean 60 / ``per_min`` s) and at most phrase ends; any blink
    restarts the wait for the next."""
    gap = lambda: rng.uniform(0.4, 1.6) * 60.0 / per_min
    ends = [b + rng.uniform(0.05, 0.25) for _, b in phrase_list if rng.random() < PHRASE_END_BLINK]
    out, due = [], rng.uniform(0.3, 0.5 * 60.0 / per_min)
    while True:
        upcoming = [e for e in ends if not out or e > out[-1] + BLINK_SPACING_S]
        t = min([due] + upcoming)
        if t >= duration_s:
            return out
        out.append(t)
        due = t + gap()


def _brows(times, rng, accent_list, phrase_list, lift, often):
    """browInnerUp lifted on some strong accents (the phrases' opening ones more often), each
    by ``lift`` times its strength; ``often`` scales the chances."""
    out = np.zeros(len(times))
    starts = [a for a, _ in phrase_list]
    for t, s in accent_list:
        first = any(0 <= t - a < 0.5 for a in starts)
        if s >= BROW_MIN_ACCENT and rng.random() < (0.8 if first else 0.4) * often:
            out = np.maximum(out, lift * s * pulse(times, t - 0.12, 0.12, rng.uniform(0.1, 0.4), 0.4))
    return np.clip(out, 0, 1)


def check_options(expressiveness, emotion):
    if emotion not in EMOTIONS:
        raise BadArguments(f"emotion must be one of {', '.join(EMOTIONS)}, not {emotion}")
    if not 0.0 <= expressiveness <= 1.0:
        raise BadArguments(f"expressiveness must be from 0 to 1, not {expressiveness}")


def motion(voice, duration_s, fps, phones=None, seed=0, expressiveness=0.5, emotion="calm"):
    """The ``Motion`` of a speaker for a take of ``duration_s`` at ``fps`` (frames 0 .. ceil
    (duration * fps), like ``lipsync.weights_per_frame``)."""
    check_options(expressiveness, emotion)
    n = int(np.ceil(duration_s * fps)) + 1
    times = np.arange(n) / fps
    phrase_list, accent_list = phrases(voice, phones), accents(voice)
    if expressiveness == 0:
        return Motion({}, {}, np.zeros((n, 3)), accent_list, phrase_list)     # no bone keyed: the rig's own action stays
    mood = EMOTIONS[emotion]
    rng = np.random.default_rng(seed)
    loud = smooth(voice.loudness_db, 0.3 / HOP_S)
    floor = _speech_floor(voice)
    speaking = np.interp(times, np.arange(len(loud)) * HOP_S, np.clip((loud - floor) / 20.0, 0, 1))
    scale = expressiveness * mood.amplitude
    head = scale * _head(times, fps, rng, phrase_list, accent_list, speaking, mood)
    rotvec = np.radians(head[:, [0, 1, 2]])           # nod about X, tilt about Y, turn about Z
    bones = {b: _rotations(share * rotvec) for b, share in NECK_HEAD_SHARES.items()}
    gaze = np.radians(scale * _gaze(times, rng, mood.pace))
    eyes = _rotations(np.column_stack([gaze[:, 1], np.zeros(n), gaze[:, 0]]))
    bones.update({eye: eyes for eye in EYE_BONES})

    blink = np.zeros(n)
    for t in _blink_times(rng, phrase_list, duration_s, mood.blinks_per_min):
        blink = np.maximum(blink, pulse(times, t, expressions.BLINK_CLOSE_S, 0.03, expressions.BLINK_OPEN_S))
    brow = _brows(times, rng, accent_list, phrase_list, expressiveness * mood.brows * BROW_LIFT, min(mood.brows, 1.2))
    face = {name: np.zeros(n) for name in FACE_KEYS}
    face.update({"eyeBlinkLeft": blink, "eyeBlinkRight": blink.copy(), "browInnerUp": brow,
                 "browOuterUpLeft": 0.7 * brow, "browOuterUpRight": 0.7 * brow})
    for name, weight in mood.face.items():
        face[name] = np.clip(face[name] + expressiveness * weight, 0, 1)
    return Motion(face, bones, head, accent_list, phrase_list)
