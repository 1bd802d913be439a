"""Phoneme boundary error against the hand-checked phone TextGrids in ../shared/data/speech/praatio.

Twice per utterance: free phone recognition (no transcript; the labels may differ), and
forced alignment of the words of the TextGrid's word tier (what `--transcript` does). The
error of each reference boundary between two phones is its distance to the nearest boundary
we found. Prints the mean and median in ms per utterance. (The English blend takes its phones,
so its boundaries, from recognition; the sound-only path has no phones.)

Then, without a transcript, against the word tier: the share of silence frames with the mouth
closed (jawOpen below 0.1; target at least 95 %) and of words opening it (above 0.15 in some
frame; target at least 98 %), for the phones alone (before), the sound alone (any language)
and the English blend (what `lipsync` does for "en").

    .venv/bin/python bench/lipsync_phones.py
"""
import os
import re
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import DATA  # noqa: E402
from core import lipsync  # noqa: E402

PRAATIO = os.path.join(DATA, "speech", "praatio")
UTTERANCES = (("bobby.wav", "bobby_phones.TextGrid", "bobby_words.TextGrid"),
              ("mary.wav", "mary.TextGrid", "mary.TextGrid"))


def phone_tier(path, tier="phone"):
    """[(start, end, label)] of an interval tier, from a long or short format TextGrid."""
    text = re.sub(r"\[\d+\]", "", open(path, encoding="utf-8").read())
    tokens = re.findall(r'"[^"]*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?', text)
    i = tokens.index(f'"{tier}"')
    n = int(tokens[i + 3])
    body = tokens[i + 4: i + 4 + 3 * n]
    return [(float(body[k]), float(body[k + 1]), body[k + 2].strip('"')) for k in range(0, len(body), 3)]


def main():
    for audio, grid, words_grid in UTTERANCES:
        ref = [seg for seg in phone_tier(os.path.join(PRAATIO, grid)) if seg[2]]
        ref_bounds = np.array([a for a, _, _ in ref[1:]])          # between consecutive phones
        pcm = lipsync.load_audio(os.path.join(PRAATIO, audio))
        text = " ".join(w for _, _, w in phone_tier(os.path.join(PRAATIO, words_grid), "word") if w)
        runs = (("recognised", lipsync.phonemes(pcm)), (f"aligned to '{text}'", lipsync.aligned_phonemes(pcm, text)[0]))
        for how, phones in runs:
            ours = [p for p in phones if p[0] != "SIL"]
            our_bounds = np.array(sorted({t for _, a, b in ours for t in (a, b)}))
            err = np.abs(ref_bounds[:, None] - our_bounds[None]).min(1) * 1000
            print(f"{audio}, {how}: {len(ref)} reference phones, {len(ours)} found "
                  f"({' '.join(p for p, _, _ in ours)}); boundary error mean {err.mean():.0f} ms, "
                  f"median {np.median(err):.0f} ms")
    for how, weights in (("phones alone (before)", phones_alone), ("sound alone", sound_alone),
                         ("English blend", english_blend)):
        totals = np.zeros(4)
        for audio, _, words_grid in UTTERANCES:
            path = os.path.join(PRAATIO, audio)
            totals += open_closed(weights(path)[:, 0], phone_tier(os.path.join(PRAATIO, words_grid), "word"))
        print(f"praatio, {how}: silence frames closed {totals[0] / totals[1] * 100:.1f} % "
              f"({int(totals[0])}/{int(totals[1])}); words opening {totals[2] / totals[3] * 100:.1f} % "
              f"({int(totals[2])}/{int(totals[3])})")


FPS = 100.0                  # the TextGrids' words are short: judge every 10 ms


def phones_alone(path):
    pcm = lipsync.load_audio(path)
    return lipsync.weights_per_frame(lipsync.phonemes(pcm), len(pcm) / lipsync.RATE, FPS, ["jawOpen"])


def sound_alone(path):
    return lipsync.lipsync(path, FPS, ["jawOpen"], language="und")[0]


def english_blend(path):
    return lipsync.lipsync(path, FPS, ["jawOpen"], language="en")[0]


def open_closed(jaw, words):
    """(silence frames closed, silence frames, words opening, words) of a word tier."""
    closed = silent = opened = count = 0
    for start, end, word in words:
        frames = jaw[int(np.ceil(start * FPS)):min(int(np.ceil(end * FPS)), len(jaw))]
        if not word:
            silent += len(frames)
            closed += int((frames < 0.1).sum())
        elif len(frames):
            count += 1
            opened += int(frames.max() > 0.15)
    return closed, silent, opened, count


if __name__ == "__main__":
    main()
