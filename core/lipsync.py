"""Lip sync from speech: phonemes with pocketsphinx (its bundled US-English acoustic model
and phone language model, offline), phonemes to visemes to ARKit weights per frame.

Coarticulation: each frame takes the viseme of the phone sounding a little later (the
mouth moves before the sound starts), then the curves are smoothed over time so
neighbouring visemes blend. Silence closes the mouth.
"""
import os

import numpy as np

from .errors import BadAudio, NoSpeech

RATE = 16000
LEAD_S = 0.04            # the mouth shapes a sound this much before it is heard
SMOOTH_S = 0.035         # std of the Gaussian that blends neighbouring visemes
SILENCE_RMS = 100.0      # int16 RMS below which a recording counts as silent

# ARPAbet phone -> ARKit weights (phones not listed, and SIL, keep the mouth closed)
_VISEMES = {
    ("P", "B", "M"): {"mouthPressLeft": 0.5, "mouthPressRight": 0.5, "mouthClose": 0.2},
    ("F", "V"): {"mouthRollLower": 0.5, "mouthUpperUpLeft": 0.2, "mouthUpperUpRight": 0.2, "jawOpen": 0.08},
    ("TH", "DH"): {"tongueOut": 0.35, "jawOpen": 0.15},
    ("T", "D", "N", "L", "S", "Z"): {"jawOpen": 0.12, "mouthStretchLeft": 0.15, "mouthStretchRight": 0.15},
    ("CH", "JH", "SH", "ZH"): {"mouthFunnel": 0.5, "jawOpen": 0.15},
    ("K", "G", "NG", "HH"): {"jawOpen": 0.2},
    ("R", "ER"): {"mouthPucker": 0.3, "mouthFunnel": 0.2, "jawOpen": 0.15},
    ("W",): {"mouthPucker": 0.7, "jawOpen": 0.05},
    ("Y",): {"mouthStretchLeft": 0.3, "mouthStretchRight": 0.3, "jawOpen": 0.1},
    ("AA",): {"jawOpen": 0.6},
    ("AE",): {"jawOpen": 0.45, "mouthStretchLeft": 0.3, "mouthStretchRight": 0.3},
    ("AH",): {"jawOpen": 0.4},
    ("AO",): {"jawOpen": 0.5, "mouthFunnel": 0.3},
    ("AW",): {"jawOpen": 0.45, "mouthPucker": 0.2},
    ("AY",): {"jawOpen": 0.45, "mouthStretchLeft": 0.2, "mouthStretchRight": 0.2},
    ("EH",): {"jawOpen": 0.35, "mouthStretchLeft": 0.25, "mouthStretchRight": 0.25},
    ("EY",): {"jawOpen": 0.3, "mouthStretchLeft": 0.35, "mouthStretchRight": 0.35},
    ("IH",): {"jawOpen": 0.25, "mouthStretchLeft": 0.3, "mouthStretchRight": 0.3},
    ("IY",): {"jawOpen": 0.2, "mouthStretchLeft": 0.45, "mouthStretchRight": 0.45},
    ("OW", "OY"): {"jawOpen": 0.35, "mouthFunnel": 0.4, "mouthPucker": 0.3},
    ("UH",): {"jawOpen": 0.25, "mouthPucker": 0.35},
    ("UW",): {"jawOpen": 0.2, "mouthPucker": 0.7, "mouthFunnel": 0.3},
}
VISEMES = {phone: weights for phones, weights in _VISEMES.items() for phone in phones}


def load_audio(path):
    """Any audio (or video with sound) as 16 kHz mono int16."""
    import av
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise BadAudio(f"Audio file not found: {path}")
    try:
        with av.open(path) as container:
            if not container.streams.audio:
                raise BadAudio(f"{name} has no sound track.")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            chunks = []
            for frame in container.decode(audio=0):
                chunks += [f.to_ndarray().ravel() for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().ravel() for f in resampler.resample(None)]
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise BadAudio(f"{name} could not be read as audio ({exc}).") from None
    if not chunks:
        raise BadAudio(f"{name} holds no audio samples.")
    return np.concatenate(chunks).astype(np.int16)


def phonemes(pcm):
    """[(ARPAbet phone, start s, end s)] recognised in 16 kHz mono int16 audio."""
    from pocketsphinx import Decoder, get_model_path
    if len(pcm) == 0 or np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) < SILENCE_RMS:
        raise NoSpeech("The audio is silent: there is no speech to lip-sync.")
    model = get_model_path()
    dec = Decoder(hmm=os.path.join(model, "en-us", "en-us"),
                  allphone=os.path.join(model, "en-us", "en-us-phone.lm.bin"),
                  lw=2.0, pip=0.3, beam=1e-200, pbeam=1e-20, logfn=os.devnull)
    dec.start_utt()
    dec.process_raw(pcm.tobytes(), full_utt=True)
    dec.end_utt()
    frame_s = 1.0 / 100                       # pocketsphinx's 10 ms frames
    return [(s.word, s.start_frame * frame_s, (s.end_frame + 1) * frame_s) for s in dec.seg()]


def weights_per_frame(phones, duration_s, fps, names):
    """(frames, len(names)) ARKit weights at ``fps`` for the phone segments."""
    n = int(np.ceil(duration_s * fps)) + 1
    times = np.arange(n) / fps + LEAD_S
    out = np.zeros((n, len(names)))
    index = {name: i for i, name in enumerate(names)}
    for phone, start, end in phones:
        weights = VISEMES.get(phone.rstrip("012"), {})
        active = (times >= start) & (times < end)
        for name, value in weights.items():
            out[active, index[name]] = value
    sigma = SMOOTH_S * fps
    if sigma > 0.3:
        radius = int(np.ceil(3 * sigma))
        kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
        kernel /= kernel.sum()
        padded = np.pad(out, ((radius, radius), (0, 0)), mode="edge")
        out = np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(out.shape[1])], 1)
    return np.clip(out, 0.0, 1.0)


def lipsync(path, fps, names):
    """Per-frame ARKit weights (frames, len(names)) for the speech in ``path``; and the phones."""
    pcm = load_audio(path)
    phones = phonemes(pcm)
    return weights_per_frame(phones, len(pcm) / RATE, fps, names), phones
