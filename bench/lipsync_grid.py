"""Lip sync on the GRID clips in ../shared/data against their word timings.

Prints the share of silence frames with the mouth closed (jawOpen below 0.1; target at
least 90 %), the share of words during which the mouth opens (jawOpen above 0.15 in some
frame of the word; target at least 95 %), and the time per second of audio: for the
recognised phones alone (lip sync before the sound was heard), the sound alone (what any
language but English gets), the English blend without a transcript (what `lipsync` does
for "en"), and the blend aligned to the clip's words (what `--transcript` does).

    .venv/bin/python bench/lipsync_grid.py
"""
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import grid_clips  # noqa: E402
from core import lipsync  # noqa: E402

FPS = 25.0                                   # GRID's video rate: .align units / 1000 = frames
NAMES = ["jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthPressLeft", "mouthPressRight",
         "mouthRollLower", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthStretchLeft",
         "mouthStretchRight", "tongueOut"]


def phones_alone(clip, text):
    pcm = lipsync.load_audio(clip)
    return lipsync.weights_per_frame(lipsync.phonemes(pcm), len(pcm) / lipsync.RATE, FPS, NAMES)


RUNS = (("recognised phones alone (before)", phones_alone),
        ("sound alone", lambda clip, text: lipsync.lipsync(clip, FPS, NAMES, language="und")[0]),
        ("English blend", lambda clip, text: lipsync.lipsync(clip, FPS, NAMES)[0]),
        ("English blend aligned to the transcript", lambda clip, text: lipsync.lipsync(clip, FPS, NAMES, transcript=text)[0]))


def score(clip, run):
    spans = [line.split() for line in open(clip[:-4] + ".align") if line.strip()]
    text = " ".join(w for _, _, w in spans if w not in ("sil", "sp"))
    jaw = run(clip, text)[:, 0]
    silent_closed = silent = words_open = words = 0
    for start, end, word in spans:
        f0, f1 = int(int(start) / 1000), int(np.ceil(int(end) / 1000))
        frames = jaw[f0:min(f1, len(jaw))]
        if word in ("sil", "sp"):
            silent += len(frames)
            silent_closed += int((frames < 0.1).sum())
        elif len(frames):
            words += 1
            words_open += int(frames.max() > 0.15)
    return silent_closed, silent, words_open, words


def main():
    clips = grid_clips()
    audio_s = sum(len(lipsync.load_audio(clip)) / lipsync.RATE for clip in clips)
    for how, run in RUNS:
        totals = np.zeros(4)
        t0 = time.perf_counter()
        for clip in clips:
            totals += score(clip, run)
        elapsed = time.perf_counter() - t0
        print(f"{len(clips)} clips, {how}: "
              f"silence frames with the mouth closed {totals[0] / totals[1] * 100:.1f} % "
              f"({int(totals[0])}/{int(totals[1])}); words with the mouth opening "
              f"{totals[2] / totals[3] * 100:.1f} % ({int(totals[2])}/{int(totals[3])}); "
              f"{elapsed / audio_s:.3f} s per second of audio")


if __name__ == "__main__":
    main()
