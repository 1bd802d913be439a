"""Phoneme boundary error against the hand-checked phone TextGrids in ../shared/data/speech/praatio.

Twice per utterance: free phone recognition (no transcript; the labels may differ), and
forced alignment of the words of the TextGrid's word tier (what `--transcript` does). The
error of each reference boundary between two phones is its distance to the nearest boundary
we found. Prints the mean and median in ms per utterance.

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


if __name__ == "__main__":
    main()
