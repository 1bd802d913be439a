"""Lip sync from the sound alone on speech synthesised by espeak-ng in six languages (and
English), with pauses placed between phrases and every vowel's span known from espeak-ng's
phoneme events (tools/speech_synth.py).

Per language: the share of pause frames with the mouth closed (jawOpen below 0.1; target at
least 95 %), the share of vowels during which it opens (jawOpen above 0.15 in some frame;
target at least 95 %), the share of vowel frames open, and the time per second of audio.

    .venv/bin/python bench/lipsync_languages.py
"""
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import lipsync  # noqa: E402
from tools import speech_synth  # noqa: E402

FPS = 30.0
LANGUAGES = ("vi", "cmn", "es", "hi", "ar", "ja", "en-us")


def frames_in(span, fps, count):
    """The frames whose time lies inside ``span`` (start s, end s)."""
    return np.arange(int(np.ceil(span[0] * fps)), min(int(np.ceil(span[1] * fps)), count))


def score(jaw, take, fps):
    """(pause frames closed, pause frames, vowels opening, vowels, vowel frames open, vowel frames)."""
    pause = np.concatenate([frames_in(p, fps, len(jaw)) for p in take.pauses])
    vowel_frames = [frames_in(v, fps, len(jaw)) for v in take.vowels]
    vowel_frames = [f for f in vowel_frames if len(f)]
    every = np.concatenate(vowel_frames)
    return ((jaw[pause] < 0.1).sum(), len(pause), sum(jaw[f].max() > 0.15 for f in vowel_frames),
            len(vowel_frames), (jaw[every] > 0.15).sum(), len(every))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for lang in LANGUAGES:
            take = speech_synth.speech(lang)
            path = speech_synth.write_wav(os.path.join(tmp, f"{lang}.wav"), take.pcm)
            language = "en" if lang.startswith("en") else lang
            runs = [("acoustic", language)] + ([("phones (before)", None)] if language != "en" else
                                                [("phones (before)", None), ("blend", "en")])
            for how, code in runs:
                t0 = time.perf_counter()
                if code is None:
                    weights = lipsync.weights_per_frame(lipsync.phonemes(take.pcm), take.duration, FPS, lipsync.MOUTH_KEYS)[:, [lipsync.MOUTH_KEYS.index("jawOpen")]]
                elif how == "acoustic" and code == "en":
                    weights = lipsync.lipsync(path, FPS, ["jawOpen"], language="und")[0]
                else:
                    weights = lipsync.lipsync(path, FPS, ["jawOpen"], language=code)[0]
                elapsed = time.perf_counter() - t0
                c, p, vo, v, fo, f = score(weights[:, 0], take, FPS)
                print(f"{lang:6s} {how:16s} pauses closed {c / p * 100:5.1f} % ({c}/{p}); vowels opening "
                      f"{vo / v * 100:5.1f} % ({vo}/{v}); vowel frames open {fo / f * 100:5.1f} %; "
                      f"{elapsed / take.duration:.3f} s per second of audio")


if __name__ == "__main__":
    main()
