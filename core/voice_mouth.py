"""Lip sync from the sound itself, for any language and for singing (no phone recogniser).

Open or closed comes from loudness against the recording's own levels: its noise floor and
speech level are percentiles of its frames, so a quiet phone recording and a loud studio one
open the mouth alike. Voiced frames open fully, unvoiced ones (fricatives) a little.

The mouth's shape comes from the vowel's formants: F1 and F2 from linear prediction of each
frame's spectrum. A high F1 (an open vowel) opens the jaw further; a low F2 (u, o) rounds the
lips (mouthPucker, mouthFunnel); a high F2 (i, e) spreads them (mouthStretch). Unvoiced
frames with their energy high in the spectrum are fricatives (s, sh: lips near closed, a
little spread or funnelled). A short silence inside speech followed by a burst is a stop's
closure (the lips press).

Singing: sustained notes (stretches of steady voiced pitch) hold their vowel's shape, with the
jaw following a loudness envelope smoothed below vibrato rates so the mouth does not flutter.
The pitch of a sung take lifts the inner brows a little (``brows``).
"""
import warnings
from dataclasses import dataclass

import numpy as np

from . import voice as voice_mod

FRAME_RATE = 1.0 / voice_mod.HOP_S
JAW_GAMMA = 0.7                    # the jaw opens early in a syllable and stays: weak vowels still show
FLOOR_PCT, LEVEL_PCT = 5, 95       # the recording's noise floor and speech level (percentiles)
OPEN_AT = 0.4                      # the mouth starts opening this far from floor to level ...
DYNAMIC_RANGE_DB = 30.0            # ... but never lower than this under the speech level
FULL_BELOW_DB = 8.0                # fully open this far under the speech level
LPC_ORDER = 16
F1_RANGE = (250.0, 850.0)          # F1 from a close vowel (i, u) to an open one (a)
ROUND_F2, SPREAD_F2 = (1050.0, 800.0), (1600.0, 2300.0)   # F2 from no effect to full effect
HIGH_BAND_HZ = 2500.0              # a fricative's noise lies mostly above this
HISS_CENTROID_HZ = (2500.0, 6000.0)  # spectral centroid from sh (funnelled) to s (spread)
CLOSURE_S = (0.02, 0.16)           # a stop's silent closure inside speech
SMOOTH_S = 0.015                   # std of the Gaussian smoothing speech curves
NOTE_SMOOTH_S = 0.07               # within a note: 5.5 Hz vibrato attenuated ~40x, 3 Hz kept
NOTE_HOLD_S = 0.3                  # a sung vowel's formants: the median over this long
NOTE_MIN_S = 0.3                   # a steady pitch this long is a sustained note
VIBRATO_SMOOTH_S = 0.06            # pitch smoothed so: a 5-7 Hz vibrato shrinks 6-30 fold
NOTE_WINDOW_S = 0.25               # steadiness is judged over this window ...
NOTE_SPREAD_ST = 0.8               # ... whose 10-90 % smoothed pitch range stays under this
SUNG_SHARE = 0.5                   # a take is sung when this share of its voiced frames is in notes
BROW_MAX, BROW_FULL_ST = 0.3, 7.0  # brows up by BROW_MAX a fifth above the take's median pitch


@dataclass
class Cues:
    """Per-10 ms cues of a recording, each 0..1 (formants in Hz, 0 where not measured)."""
    openness: np.ndarray
    f1: np.ndarray
    f2: np.ndarray
    fricative: np.ndarray
    hiss: np.ndarray              # a fricative's pitch: 0 sh-like .. 1 s-like
    closure: np.ndarray
    notes: list                   # [(first frame, end frame)] of sustained notes


def _runs(mask):
    """[(start, end)] of the True runs of a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _emphasis(v):
    """|1 - 0.97 z^-1|^2 on the spectrum's bins: a first difference (lip radiation's tilt)."""
    return np.abs(1 - 0.97 * np.exp(-2j * np.pi * v.freqs / voice_mod.RATE)) ** 2


def loudness(v, emphasised=False):
    """dB per frame of the 25 ms spectrum window: sharper in time than ``Voice.loudness_db``'s
    40 ms, so the mouth shuts nearer the end of a phrase. ``emphasised`` weighs the spectrum by
    a first difference, so the low hum of closed lips (the murmur of m, n, a voiced b) counts
    far less than an open vowel."""
    power = v.power * _emphasis(v) if emphasised else v.power
    n = 2 * (power.shape[1] - 1)
    mean_square = (2 * power.sum(1) - power[:, 0] - power[:, -1]) / n / (0.375 * n)
    return 10 * np.log10(mean_square + 1.0)


def levels(db):
    """(noise floor, speech level) in dB of the recording, from its own loudness percentiles."""
    return float(np.percentile(db, FLOOR_PCT)), float(np.percentile(db, LEVEL_PCT))


def openness(v):
    """0 (closed) .. 1 (open) per frame from the emphasised loudness against the recording's
    levels (silence frames closed: praatio 93.7 % against 87.3 % with the plain loudness,
    espeak-ng's seven languages 98.5 % against 97.7 %; every word and vowel still opens);
    unvoiced frames open a third."""
    db = loudness(v, emphasised=True)
    floor, level = levels(db)
    start = max(floor + OPEN_AT * (level - floor), level - DYNAMIC_RANGE_DB)
    full = max(level - FULL_BELOW_DB, start + 1.0)
    o = np.clip((db - start) / (full - start), 0.0, 1.0)
    voiced = np.clip((v.voicing - 0.3) / 0.4, 0.0, 1.0)
    return o * (0.35 + 0.65 * voiced)


def formants(v):
    """(F1, F2) in Hz per frame from order-16 linear prediction of the frame's pre-emphasised
    power spectrum (its inverse transform is the autocorrelation); 0 where none is found."""
    r = np.fft.irfft(v.power * _emphasis(v), axis=1)[:, :LPC_ORDER + 1]
    r[:, 0] *= 1.0001                                     # a little white noise: stable filters
    n = len(r)
    a = np.zeros((n, LPC_ORDER + 1))
    a[:, 0] = 1.0
    err = r[:, 0].copy() + 1e-9
    for i in range(1, LPC_ORDER + 1):                    # Levinson-Durbin, all frames at once
        k = -(a[:, :i] * r[:, i:0:-1]).sum(1) / err
        a[:, 1:i + 1] = a[:, 1:i + 1] + k[:, None] * a[:, i - 1::-1][:, :i]
        err *= 1 - k ** 2
        err = np.maximum(err, 1e-9)
    companion = np.zeros((n, LPC_ORDER, LPC_ORDER))
    companion[:, 0, :] = -a[:, 1:]
    companion[:, np.arange(1, LPC_ORDER), np.arange(LPC_ORDER - 1)] = 1.0
    roots = np.linalg.eigvals(companion)
    freq = np.angle(roots) * voice_mod.RATE / (2 * np.pi)
    bandwidth = -np.log(np.maximum(np.abs(roots), 1e-9)) * voice_mod.RATE / np.pi
    ok = (freq > 150) & (bandwidth < 500)
    freq = np.where(ok, freq, np.inf)
    freq.sort(axis=1)
    f1 = freq[:, 0]
    f1 = np.where((f1 >= 200) & (f1 <= 1100), f1, 0.0)
    f2 = np.where(f1[:, None] > 0, freq, np.inf)
    f2 = np.where(f2 > f1[:, None] + 200, f2, np.inf).min(1)
    f2 = np.where(np.isfinite(f2) & (f2 < 3200), f2, 0.0)
    return f1, f2


def _notes(v):
    """[(start, end)] frames of sustained notes: voiced stretches whose pitch, smoothed over
    vibrato, stays within a narrow band for at least NOTE_MIN_S."""
    voiced = v.f0 > 0
    semis = 12 * np.log2(np.maximum(v.f0, 1.0) / 440.0) * voiced
    weight = voice_mod.smooth(voiced.astype(float), VIBRATO_SMOOTH_S * FRAME_RATE)
    semis = np.where(voiced, voice_mod.smooth(semis, VIBRATO_SMOOTH_S * FRAME_RATE) / np.maximum(weight, 1e-9), np.nan)
    half = int(NOTE_WINDOW_S * FRAME_RATE / 2)
    padded = np.pad(semis, half, constant_values=np.nan)
    windows = np.sort(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)   # NaNs last
    measured = np.isfinite(windows).sum(1)
    last = np.maximum(measured - 1, 0)
    p10 = np.take_along_axis(windows, (0.1 * last).astype(int)[:, None], 1)[:, 0]
    p90 = np.take_along_axis(windows, np.ceil(0.9 * last).astype(int)[:, None], 1)[:, 0]
    steady = voiced & (measured > 0.8 * windows.shape[1]) & (np.nan_to_num(p90 - p10, nan=99.0) < NOTE_SPREAD_ST)
    return [(a, b) for a, b in _runs(steady) if b - a >= NOTE_MIN_S * FRAME_RATE]


def is_sung(v, notes=None):
    """True when most voiced frames lie in sustained notes (song, not speech)."""
    notes = _notes(v) if notes is None else notes
    voiced = int((v.f0 > 0).sum())
    return voiced > 0 and sum(b - a for a, b in notes) / voiced >= SUNG_SHARE


def cues(v):
    """The ``Cues`` of a ``voice.Voice``."""
    o = openness(v)
    f1, f2 = formants(v)
    voiced = v.voicing > 0.5
    f1, f2 = np.where(voiced, f1, 0.0), np.where(voiced, f2, 0.0)
    total = v.power.sum(1) + 1e-9
    high = v.power[:, v.freqs >= HIGH_BAND_HZ].sum(1) / total
    db = loudness(v)
    floor, level = levels(db)
    audible = db > floor + 0.25 * (level - floor)
    fricative = (~voiced & audible & (high > 0.5)).astype(float)
    centroid = (v.power * v.freqs).sum(1) / total
    hiss = np.clip((centroid - HISS_CENTROID_HZ[0]) / (HISS_CENTROID_HZ[1] - HISS_CENTROID_HZ[0]), 0, 1)
    # a stop: a short closed stretch between sounding frames, ended by a jump in loudness
    closure = np.zeros(len(o))
    closed = o < 0.05
    for a, b in _runs(closed):
        if a == 0 or b >= len(o) or not CLOSURE_S[0] * FRAME_RATE <= b - a <= CLOSURE_S[1] * FRAME_RATE:
            continue
        if db[min(b + 2, len(o) - 1)] - db[b - 1] > 10.0:
            closure[a:b] = 1.0
    return Cues(o, f1, f2, fricative, hiss, closure, _notes(v))


def _running_median(f, half):
    """The median of the measured (non-zero) values within ``half`` frames of each frame."""
    padded = np.pad(np.where(f > 0, f, np.nan), half, constant_values=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # windows with nothing measured
        held = np.nanmedian(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)
    return np.nan_to_num(held, nan=0.0)


def _hold_notes(c, o):
    """Within each note: the loudness envelope smoothed below vibrato rates, the formants held
    at their running median over NOTE_HOLD_S (a slurred note may change its vowel)."""
    f1, f2 = c.f1.copy(), c.f2.copy()
    half = int(NOTE_HOLD_S * FRAME_RATE / 2)
    for a, b in c.notes:
        o[a:b] = voice_mod.smooth(o[a:b], NOTE_SMOOTH_S * FRAME_RATE)
        for f in (f1, f2):
            f[a:b] = _running_median(f[a:b], half)
    return o, f1, f2


def _fill(f, default):
    """Formants carried across the frames where none was measured (so shapes do not blink)."""
    idx = np.flatnonzero(f > 0)
    if not len(idx):
        return np.full(len(f), default)
    return np.interp(np.arange(len(f)), idx, f[idx])


def weights_10ms(v, c=None):
    """{ARKit name: per-10 ms weights} of the mouth, from the sound. mouthRollLower and
    tongueOut (f, v, th) are left to the phones: these cues cannot tell them apart."""
    c = cues(v) if c is None else c
    o = voice_mod.smooth(c.openness, SMOOTH_S * FRAME_RATE)
    o, f1, f2 = _hold_notes(c, o)
    f1 = voice_mod.smooth(_fill(f1, 500.0), SMOOTH_S * FRAME_RATE)
    f2 = voice_mod.smooth(_fill(f2, 1500.0), SMOOTH_S * FRAME_RATE)
    height = np.clip((f1 - F1_RANGE[0]) / (F1_RANGE[1] - F1_RANGE[0]), 0, 1)
    rounding = np.clip((ROUND_F2[0] - f2) / (ROUND_F2[0] - ROUND_F2[1]), 0, 1)
    spread = np.clip((f2 - SPREAD_F2[0]) / (SPREAD_F2[1] - SPREAD_F2[0]), 0, 1)
    fric = voice_mod.smooth(c.fricative, SMOOTH_S * FRAME_RATE)
    closure = voice_mod.smooth(c.closure, SMOOTH_S * FRAME_RATE)
    sounding = np.clip(o * 3, 0, 1)
    w = {
        "jawOpen": o ** JAW_GAMMA * (0.3 + 0.4 * height) * (1 - 0.5 * rounding) * (1 - closure),
        "mouthPucker": sounding * 0.6 * rounding,
        "mouthFunnel": sounding * (0.35 * rounding + 0.4 * fric * (1 - c.hiss)),
        "mouthStretchLeft": sounding * 0.4 * spread + 0.2 * fric * c.hiss,
        "mouthPressLeft": 0.5 * closure,
        "mouthClose": 0.2 * closure,
        "mouthUpperUpLeft": 0.15 * fric,
    }
    w["mouthStretchRight"] = w["mouthStretchLeft"]
    w["mouthPressRight"] = w["mouthPressLeft"]
    w["mouthUpperUpRight"] = w["mouthUpperUpLeft"]
    return {k: np.clip(x, 0.0, 1.0) for k, x in w.items()}


def sounding(v, fps, count, c=None):
    """0..1 per frame at ``fps``: how surely the voice sounds (1 once it is a third open)."""
    c = cues(v) if c is None else c
    return voice_mod.to_frames(np.clip(3 * voice_mod.smooth(c.openness, SMOOTH_S * FRAME_RATE), 0, 1), fps, count)


def segments(c):
    """[("SIL" or "SPEECH", start s, end s)]: where the voice sounds, for what needs phrases."""
    sound = voice_mod.smooth(c.openness, SMOOTH_S * FRAME_RATE) > 0.05
    spans = [("SPEECH", a, b) for a, b in _runs(sound)] + [("SIL", a, b) for a, b in _runs(~sound)]
    return [(label, a / FRAME_RATE, b / FRAME_RATE) for label, a, b in sorted(spans, key=lambda s: s[1])]


def weights_per_frame(v, fps, names, count, c=None):
    """(count, len(names)) ARKit weights at ``fps``; names that are not mouth shapes stay 0."""
    w = weights_10ms(v, c)
    out = np.zeros((count, len(names)))
    for i, name in enumerate(names):
        if name in w:
            out[:, i] = voice_mod.to_frames(w[name], fps, count)
    return out


def brows(v, fps, count=None):
    """browInnerUp per frame at ``fps``: up a little while the pitch is above the take's median
    voiced pitch (BROW_MAX a fifth above), back down over silences."""
    voiced = v.f0 > 0
    lift = np.zeros(len(v.f0))
    if voiced.any():
        semis = 12 * np.log2(np.maximum(v.f0, 1.0) / np.median(v.f0[voiced]))
        lift[voiced] = np.clip(semis[voiced] / BROW_FULL_ST, 0, 1) * BROW_MAX
    return voice_mod.to_frames(voice_mod.smooth(lift, 0.15 * FRAME_RATE), fps, count)
