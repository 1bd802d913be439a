"""What a voice does over time, from the sound alone (any language, speech or song): loudness,
pitch and how periodic (voiced) each 10 ms frame is, and its spectrum. Lip sync without a
phone recogniser, singing and the head's motion all read these.

Pitch is YIN's (de Cheveigné and Kawahara 2002): the cumulative-mean-normalised difference
function of each 40 ms window; its first dip below a threshold is the period, its depth says
how voiced the frame is.
"""
from dataclasses import dataclass

import numpy as np

RATE = 16000
HOP_S = 0.01                  # one frame per 10 ms, as the phone recogniser's
WINDOW_S = 0.04               # two periods of a 50 Hz voice
F0_RANGE = (60.0, 1000.0)     # a bass speaking to a soprano's high notes
YIN_THRESHOLD = 0.2
BLOCK = 2000                  # frames analysed together (20 s; about 100 MB of FFTs)


@dataclass
class Voice:
    """Per-frame measures of a recording, frame k centred at ``k * HOP_S`` s."""
    loudness_db: np.ndarray       # RMS in dB re one int16 step
    f0: np.ndarray                # Hz, 0 where unvoiced
    voicing: np.ndarray           # 0 (noise, silence) .. 1 (a clean period)
    power: np.ndarray             # (frames, bins) power spectrum of the window
    freqs: np.ndarray             # Hz of each bin

    @property
    def times(self):
        return np.arange(len(self.f0)) * HOP_S


def _windows(pcm, n, hop):
    """(frames, n) windows centred at multiples of ``hop`` samples (zero-padded at both ends)."""
    x = np.pad(pcm.astype(np.float64), (n // 2, n))
    count = int(np.ceil(len(pcm) / hop))
    return np.lib.stride_tricks.sliding_window_view(x, n)[::hop][:count]


def _yin(frames, rate):
    """f0 (Hz, 0 unvoiced) and voicing (1 - the dip's depth) of each window."""
    n = frames.shape[1]
    lo, hi = int(rate / F0_RANGE[1]), int(rate / F0_RANGE[0])
    w = n - hi                                    # the comparison length
    spec = np.fft.rfft(frames, 2 * n)
    acf = np.fft.irfft(spec * np.conj(np.fft.rfft(frames[:, :w], 2 * n)), 2 * n)[:, :hi + 1]
    energy = np.cumsum(frames ** 2, axis=1)
    e0 = energy[:, w - 1]
    shifted = energy[:, np.arange(hi + 1) + w - 1] - np.concatenate([np.zeros((len(frames), 1)), energy[:, :hi]], 1)
    diff = e0[:, None] + shifted - 2 * acf
    diff[:, 0] = 0
    cum = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, hi + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(cum, 1e-9)
    cmnd[:, :lo] = 1.0
    below = cmnd < YIN_THRESHOLD
    first = np.where(below.any(1), below.argmax(1), cmnd[:, lo:].argmin(1) + lo)
    # walk down to the bottom of the dip the threshold found
    lag = first.copy()
    for _ in range(hi):
        nxt = np.minimum(lag + 1, hi)
        step = cmnd[np.arange(len(lag)), nxt] < cmnd[np.arange(len(lag)), lag]
        if not step.any():
            break
        lag = np.where(step, nxt, lag)
    depth = cmnd[np.arange(len(lag)), lag]
    # parabolic interpolation between neighbouring lags
    a = cmnd[np.arange(len(lag)), np.maximum(lag - 1, 1)]
    b = cmnd[np.arange(len(lag)), np.minimum(lag + 1, hi)]
    den = a - 2 * depth + b
    frac = np.where(np.abs(den) > 1e-9, 0.5 * (a - b) / np.where(np.abs(den) > 1e-9, den, 1), 0)
    period = lag + np.clip(frac, -0.5, 0.5)
    voicing = np.clip(1.0 - depth, 0.0, 1.0)
    f0 = np.where(depth < YIN_THRESHOLD, rate / np.maximum(period, 1), 0.0)
    return f0, voicing


def analyse(pcm, rate=RATE):
    """The ``Voice`` of 16 kHz mono int16 audio."""
    hop, n = int(HOP_S * rate), int(WINDOW_S * rate)
    frames = _windows(pcm, n, hop)
    rms = np.sqrt((frames ** 2).mean(1))
    loudness = 20 * np.log10(rms + 1.0)
    # a block of frames at a time: the FFTs of a whole long take would take gigabytes
    f0, voicing = (np.concatenate(parts) for parts in
                   zip(*(_yin(frames[k:k + BLOCK], rate) for k in range(0, max(len(frames), 1), BLOCK))))
    quiet = rms < 30.0                            # below any voice: no pitch in the hiss
    f0[quiet], voicing[quiet] = 0.0, 0.0
    short = frames[:, (n - int(0.025 * rate)) // 2:][:, :int(0.025 * rate)]
    power = np.abs(np.fft.rfft(short * np.hanning(short.shape[1]), axis=1)) ** 2
    return Voice(loudness, f0, voicing, power, np.fft.rfftfreq(short.shape[1], 1.0 / rate))


def smooth(values, sigma):
    """``values`` (n, ...) smoothed along the first axis by a Gaussian of ``sigma`` samples,
    the edges held."""
    values = np.asarray(values, np.float64)
    if sigma < 0.3:
        return values
    radius = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values, [(radius, radius)] + [(0, 0)] * (values.ndim - 1), mode="edge")
    flat = padded.reshape(len(padded), -1)
    out = np.stack([np.convolve(flat[:, k], kernel, mode="valid") for k in range(flat.shape[1])], 1)
    return out.reshape(values.shape)


def to_frames(values, fps, count=None):
    """Per-10 ms ``values`` (frames, ...) resampled to ``fps`` by linear interpolation."""
    values = np.asarray(values, np.float64)
    count = count if count is not None else int(np.ceil(len(values) * HOP_S * fps)) + 1
    t = np.arange(count) / fps / HOP_S
    idx = np.arange(len(values))
    if values.ndim == 1:
        return np.interp(t, idx, values)
    return np.stack([np.interp(t, idx, values[:, k]) for k in range(values.shape[1])], 1)
