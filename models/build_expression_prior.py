"""Learn the prior on facial expressions from real faces and write ``expression_prior.npz``.

The GRID talking clips in ../shared/data show one speaker whose identity does not
change: his head is fitted once, jointly over frames spread across the clips (so
what all frames share goes to the identity, not to the expression), and then
every frame is fitted with that identity fixed, which leaves the expression as
the only thing that moves. The 52 ARKit weights of all frames give:

* ``scale`` (52,): each key's mean weight, the scale of an exponential (one-sided
  Laplace) prior, with a floor so that keys the speaker never uses (a smile, the
  brows) still come through when a photo shows them. The gaze keys (eyeLook*)
  get ``GAZE_SCALE`` instead: the speaker reads his sentence off a prompt, while
  a photo's subject mostly looks into the camera;
* ``pairs`` (P, 2) and ``pair_scale`` (P,): keys that mirror each other (the
  Left/Right keys; for the gaze, each eye's In with the other eye's Out, as both
  eyes look the same way) and the RMS of their difference over the frames;
* ``samples`` (N, 52): the frames' weights, which the regression network's
  training draws its expressions from (models/train_face_regressor.py).

The frames are fitted with an uninformed sparse prior (every key the same cost,
``UNINFORMED`` times the fit's unit; the prior being built is not used to build
itself), so a key's weight stays at zero unless the landmarks need it.

    .venv/bin/python models/build_expression_prior.py [--clips N] [--every K]
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import DATA, grid_clips  # noqa: E402
from core import expression_prior, fit, track  # noqa: E402

OUT = os.path.join(ROOT, "models", "expression_prior.npz")
SCALE_FLOOR = 0.05          # a key's scale is at least this (keys the speaker never uses)
GAZE_SCALE = 0.02           # the eyeLook* keys' scale
PAIR_FLOOR = 0.05           # and a mirrored pair's difference at least this
UNINFORMED = 1e-5           # the sparse prior's weight per unit of a key while fitting the frames
IDENTITY_FRAMES = 12        # frames fitted jointly for the speaker's head
DIRECTIONAL = ("jaw", "mouth")   # jawLeft/jawRight, mouthLeft/mouthRight move one way or the other


def mirrored_pairs(names):
    """Index pairs of keys that mirror each other on a symmetric face."""
    pairs = []
    for i, n in enumerate(names):
        if not n.endswith("Left") or n[:-4] in DIRECTIONAL:
            continue
        base = n[:-4]
        if base == "eyeLookIn":
            other = "eyeLookOutRight"
        elif base == "eyeLookOut":
            other = "eyeLookInRight"
        else:
            other = base + "Right"
        pairs.append((i, names.index(other)))
    return np.array(pairs, np.int64)


def clip_landmarks(path):
    """(frames, 478, 2) landmarks of a clip (mediapipe in video mode; frames without a face skipped)
    and the frame size."""
    images, _ = track.frames(path)
    mesh = track._video_mesh()
    out, size = [], None
    for rgb in images:
        h, w = rgb.shape[:2]
        size = (w, h)
        res = mesh.process(rgb)
        if res.multi_face_landmarks:
            out.append([(p.x * w, p.y * h) for p in res.multi_face_landmarks[0].landmark])
    mesh.close()
    return np.array(out, np.float64), size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--clips", type=int, default=0, help="use the first N clips (default all)")
    ap.add_argument("--every", type=int, default=1, help="fit every K-th frame")
    args = ap.parse_args()
    fit.EXPRESSION_PRIOR = expression_prior.uninformed()
    fit.REG_SPARSE = UNINFORMED
    fit.REG_EXPRESSION_LIKE = 0.0       # the head fitted over many frames: what they share is his
    t0 = time.time()
    clips = grid_clips(args.data)
    clips = clips[:args.clips] if args.clips else clips
    lms = [clip_landmarks(c) for c in clips]
    print(f"landmarks of {sum(len(l) for l, _ in lms)} frames in {len(clips)} clips ({time.time() - t0:.0f} s)",
          flush=True)

    # the speaker's head: frames spread over the clips, fitted together
    picks = np.linspace(0, len(clips) - 1, IDENTITY_FRAMES).round().astype(int)
    rng = np.random.default_rng(0)
    views = []
    for k in picks:
        lm, size = lms[k]
        views.append((lm[rng.integers(len(lm))], size, None))
    ident = fit.fit_views(views)
    halves = fit.identity_halves(ident.local_changes)
    print(f"speaker's head from {len(views)} frames ({time.time() - t0:.0f} s)", flush=True)

    weights = []
    for (lm, size), clip in zip(lms, clips):
        state = None
        for i in range(0, len(lm), args.every):
            view, state = fit.fit_expression(lm[i], size, ident.phenotype, halves, previous=state,
                                             iterations=fit.ITERATIONS if state is None else 10)
            weights.append(view.facial_actions)
        print(f"  {os.path.basename(clip)}: {len(weights)} frames so far", flush=True)
    weights = np.array(weights)
    names = fit.basis().hm.facial_action_labels
    pairs = mirrored_pairs(names)
    scale = np.maximum(weights.mean(0), SCALE_FLOOR)
    scale[[i for i, n in enumerate(names) if n.startswith("eyeLook")]] = GAZE_SCALE
    diff = weights[:, pairs[:, 0]] - weights[:, pairs[:, 1]]
    pair_scale = np.maximum(np.sqrt((diff ** 2).mean(0)), PAIR_FLOOR)
    seconds = time.time() - t0
    np.savez_compressed(OUT, names=np.array(names), scale=scale.astype(np.float32), pairs=pairs,
                        pair_scale=pair_scale.astype(np.float32), samples=weights.astype(np.float16),
                        meta_frames=np.int32(len(weights)), meta_clips=np.int32(len(clips)),
                        meta_seconds=np.float32(seconds))
    order = np.argsort(-weights.mean(0))
    print("mean weight per key (largest):", ", ".join(f"{names[k]} {weights[:, k].mean():.3f}" for k in order[:12]))
    print("share of frames with a key > 0.3:", f"{(weights.max(1) > 0.3).mean():.2f}")
    print(f"wrote {OUT}: {len(weights)} frames of {len(clips)} clips in {seconds:.0f} s")


if __name__ == "__main__":
    main()
