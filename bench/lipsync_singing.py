"""Lip sync of song: a synthesised singer (tools/speech_synth.song: Rosenberg glottal pulses
through vowel formants, "la"-like syllables on notes of 0.5-2 s with a ±0.5 semitone vibrato
at 5.5 Hz, silences between phrases; then again with a wide, fast vibrato: ±1 semitone and
±30 % loudness at 7 Hz), from the sound alone, and with the English phones (before).

Per note: the share of its vowel's frames with the mouth open (jawOpen above 0.15; target at
least 95 %), the open/close transitions per second on the note (flutter; a steady note should
have none), and over the take the fastest open/close cycle (target: none faster than 6 Hz on a
steady note); whether the take counts as sung, the brow lift's range, and the time per second
of audio.

    .venv/bin/python bench/lipsync_singing.py
"""
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import lipsync, voice, voice_mouth  # noqa: E402
from tools import speech_synth  # noqa: E402

FPS = 30.0
OPEN, CLOSED = 0.15, 0.1


def states(jaw):
    """+1 open, -1 closed, held through the band between (hysteresis)."""
    out, state = np.zeros(len(jaw), int), -1
    for k, x in enumerate(jaw):
        state = 1 if x > OPEN else -1 if x < CLOSED else state
        out[k] = state
    return out


def flutter(jaw, fps):
    """(transitions per second, fastest open/close cycle in Hz) of a stretch of jaw values."""
    s = states(jaw)
    changes = np.flatnonzero(np.diff(s) != 0)
    per_s = len(changes) / (len(jaw) / fps)
    cycles = np.diff(changes[::2]) / fps if len(changes) >= 3 else []
    return per_s, (1 / min(cycles) if len(cycles) else 0.0)


def main():
    for vibrato in ({}, {"vibrato_st": 1.0, "vibrato_hz": 7.0, "tremolo": 0.3}):
        print(f"vibrato {vibrato or 'of ±0.5 semitone and ±10 % at 5.5 Hz'}")
        sing(speech_synth.song(**vibrato))


def sing(take):
    with tempfile.TemporaryDirectory() as tmp:
        path = speech_synth.write_wav(os.path.join(tmp, "song.wav"), take.pcm)
        t0 = time.perf_counter()
        names = ["jawOpen", "mouthPucker", "mouthStretchLeft", "browInnerUp"]
        weights = lipsync.lipsync(path, FPS, names, language="und")[0]
        elapsed = time.perf_counter() - t0
    jaw = weights[:, 0]
    sound = voice.analyse(take.pcm)
    notes = voice_mouth.cues(sound).notes
    print(f"song of {take.duration:.1f} s: sung {voice_mouth.is_sung(sound, notes)}, {len(notes)} notes found "
          f"for {len(take.vowels)} sung; browInnerUp {weights[:, 3].min():.2f}..{weights[:, 3].max():.2f}; "
          f"{elapsed / take.duration:.3f} s per second of audio")
    report(jaw, weights, take)
    before = lipsync.weights_per_frame(lipsync.phonemes(take.pcm), take.duration, FPS, lipsync.MOUTH_KEYS)
    print("before: the English phone recogniser's phones:")
    report(before[:, [lipsync.MOUTH_KEYS.index(n) for n in ("jawOpen", "mouthPucker", "mouthStretchLeft")]][:, 0],
           before[:, [lipsync.MOUTH_KEYS.index(n) for n in ("jawOpen", "mouthPucker", "mouthStretchLeft")]], take)


def report(jaw, weights, take):
    fastest = 0.0
    for (a, b), (vowel, _, _) in zip(take.vowels, take.phones):
        frames = np.arange(int(np.ceil(a * FPS)), min(int(np.ceil(b * FPS)), len(jaw)))
        per_s, cycle = flutter(jaw[frames], FPS)
        fastest = max(fastest, cycle)
        print(f"note '{vowel}' {b - a:.2f} s: open {(jaw[frames] > OPEN).mean() * 100:5.1f} % of frames, "
              f"jawOpen {jaw[frames].min():.2f}..{jaw[frames].max():.2f}, pucker {weights[frames, 1].mean():.2f}, "
              f"stretch {weights[frames, 2].mean():.2f}; {per_s:.1f} open/close transitions per s")
    print(f"fastest open/close cycle within a note: {fastest:.1f} Hz; over the whole take "
          f"{flutter(jaw, FPS)[1]:.1f} Hz")
    pause = np.concatenate([np.arange(int(np.ceil(a * FPS)), min(int(np.ceil(b * FPS)), len(jaw))) for a, b in take.pauses])
    print(f"gaps between phrases closed: {(jaw[pause] < CLOSED).mean() * 100:.1f} % of frames")


if __name__ == "__main__":
    main()
