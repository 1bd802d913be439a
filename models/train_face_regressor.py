"""Train the face regression network and write ``face_regressor.npz``.

Synthetic data only: random anny heads, random head poses (yaw up to 65 degrees, pitch 30, roll
25) and camera distances (0.3 to 2 m), turned into mediapipe's 478 landmarks
through the correspondence (models/mediapipe_anny.npz), with detector-like
noise. The heads are drawn the way faces come: identities over anny's whole
age range (children too, most of them adults) with the other phenotype values
mostly near the middle; expressions mostly neutral or near it, otherwise a
real talking frame of the expression prior (models/expression_prior.npz, at
a random strength and mirrored half the time) or a few keys at once, mirrored
keys mostly moving together. The MLP maps the normalised landmarks (core/regressor.normalise) to
the head rotation, phenotype, signed head local changes and expression; the
fit (core/fit.py) starts from its prediction.

    .venv/bin/python models/train_face_regressor.py [--steps N] [--seed S] [--out NPZ]

Prints the training time and the validation errors, and stores them in the
npz beside the weights (as ``meta_*`` entries).
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from core import expression_prior, fit, regressor  # noqa: E402
from models.build_expression_prior import mirrored_pairs  # noqa: E402


def mirror_name(name):
    """The key that mirrors ``name`` (itself for a centre key)."""
    for a, b in (("Left", "Right"), ("Right", "Left")):
        if name.endswith(a):
            return name[:-len(a)] + b
    return name

HIDDEN = 512
ADULTS = 0.75               # share of adults (anny age from ADULT_AGE, about 18 years)
ADULT_AGE = 0.5
NEUTRAL, TALKING = 0.25, 0.45   # shares of neutral faces and of real talking frames
YAW, PITCH, ROLL = 65.0, 30.0, 25.0


def euler_zxy(yaw, pitch, roll):
    """Rotation matrices (N, 3, 3) for intrinsic Z-X-Y angles in degrees (fit.head_pose_degrees)."""
    from scipy.spatial.transform import Rotation
    return Rotation.from_euler("ZXY", np.stack([yaw, pitch, roll], 1), degrees=True)


class Sampler:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.b = fit.basis()
        hm = self.b.hm
        self.n_lc = len(hm.head_local_change_index)
        self.n_e = len(hm.facial_action_labels)
        self.age = hm.phenotype_labels.index("age")
        self.gender = hm.phenotype_labels.index("gender")
        names = hm.facial_action_labels
        self.mirror = {}
        for i, j in mirrored_pairs(names):
            self.mirror[i], self.mirror[j] = j, i
        self.swap = np.array([names.index(mirror_name(n)) for n in names])
        prior = expression_prior.load()
        self.real = prior.samples if prior is not None else np.zeros((0, self.n_e))

    def identities(self, n):
        """Phenotypes (n, 6) and signed head local changes (n, L)."""
        rng = self.rng
        pheno = 0.02 + 0.96 * rng.beta(2.0, 2.0, (n, 6))               # most people near the middle
        pheno[:, self.gender] = rng.beta(0.6, 0.6, n)                   # most clearly one or the other
        adult = rng.random(n) < ADULTS
        pheno[:, self.age] = np.where(adult, rng.uniform(ADULT_AGE, 1.0, n), rng.uniform(0.0, ADULT_AGE, n))
        local = np.clip(rng.laplace(0.0, 0.15, (n, self.n_lc)), -1, 1)
        return pheno, local

    def expressions(self, n):
        """(n, 52): a quarter neutral, a share of real talking frames, the rest a few keys at once."""
        rng = self.rng
        expr = np.zeros((n, self.n_e))
        kind = rng.choice(3, n, p=[NEUTRAL, TALKING, 1.0 - NEUTRAL - TALKING])
        talk = kind == 1
        if len(self.real):
            expr[talk] = self.real[rng.integers(len(self.real), size=talk.sum())] * rng.uniform(0.5, 1.5, (talk.sum(), 1))
        for i in np.flatnonzero(kind == 2):
            keys = rng.choice(self.n_e, rng.integers(1, 4), replace=False)
            expr[i, keys] = rng.uniform(0.1, 1.0, len(keys))
            for k in keys:                      # a mirrored key mostly moves with its pair
                if k in self.mirror and rng.random() < 0.8:
                    expr[i, self.mirror[k]] = expr[i, k] * rng.uniform(0.6, 1.0)
        flip = rng.random(n) < 0.5              # left and right swapped
        expr[flip] = expr[flip][:, self.swap]
        return np.clip(expr, 0.0, 1.0)

    def batch(self, n):
        rng, b = self.rng, self.b
        pheno, local = self.identities(n)
        halves = np.stack([np.maximum(local, 0), np.maximum(-local, 0)], -1).reshape(n, -1)
        expr = self.expressions(n)
        from anny.models.phenotype import phenotype_blendshape_weights
        with torch.no_grad():
            w = phenotype_blendshape_weights(torch.as_tensor(pheno), b._labels, b._anchors, b._mask,
                                             extrapolate=b._extrapolate)
            w = (w @ b._proj).numpy()
        X = b.template[None] + (w @ b.pheno_flat.T + halves @ b.local_flat.T
                                + expr @ b.expr_flat.T).reshape(n, -1, 3)
        rot = euler_zxy(rng.uniform(-YAW, YAW, n), rng.uniform(-PITCH, PITCH, n), rng.uniform(-ROLL, ROLL, n))
        R = fit.FRONTAL[None] @ rot.as_matrix()
        centre = X.mean(1)
        z = rng.uniform(0.3, 2.0, n)
        offset = np.stack([rng.uniform(-0.1, 0.1, n) * z, rng.uniform(-0.1, 0.1, n) * z, z], 1)
        Xc = np.einsum("nij,npj->npi", R, X - centre[:, None]) + offset[:, None]
        uv = 1000.0 * Xc[..., :2] / Xc[..., 2:3]
        radius = np.sqrt(((uv - uv.mean(1, keepdims=True)) ** 2).sum(-1).mean(-1))
        uv += rng.normal(0, 1, uv.shape) * (0.004 * radius)[:, None, None]
        target = np.concatenate([rot.as_rotvec(), pheno, local, expr], 1)
        return regressor.normalise(uv), target


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=regressor.WEIGHTS)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    sampler = Sampler(args.seed)
    sizes = np.array([3, 6, sampler.n_lc, sampler.n_e])

    x0, y0 = sampler.batch(20000)
    in_mean, in_std = x0.mean(0), x0.std(0) + 1e-6
    out_mean, out_std = y0.mean(0), y0.std(0) + 1e-6
    weight = np.ones(y0.shape[1])
    weight[:3] = 10.0                       # the rotation matters most for the start
    weight = torch.as_tensor(weight, dtype=torch.float32)
    xv, yv = sampler.batch(5000)

    net = torch.nn.Sequential(torch.nn.Linear(x0.shape[1], HIDDEN), torch.nn.ReLU(),
                              torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.ReLU(),
                              torch.nn.Linear(HIDDEN, y0.shape[1]))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=args.steps)
    norm_in = lambda x: torch.as_tensor((x - in_mean) / in_std, dtype=torch.float32)
    norm_out = lambda y: torch.as_tensor((y - out_mean) / out_std, dtype=torch.float32)
    t0 = time.time()
    for step in range(args.steps):
        x, y = sampler.batch(args.batch)
        loss = (((net(norm_in(x)) - norm_out(y)) ** 2) * weight).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0:
            print(f"step {step} loss {loss.item():.4f} ({time.time() - t0:.0f} s)", flush=True)
    train_s = time.time() - t0

    with torch.no_grad():
        pred = net(norm_in(xv)).numpy() * out_std + out_mean
    from scipy.spatial.transform import Rotation
    rel = Rotation.from_rotvec(pred[:, :3]).inv() * Rotation.from_rotvec(yv[:, :3])
    rot_err = np.degrees(rel.magnitude())
    s = np.cumsum(sizes)
    pheno_err = np.abs(pred[:, s[0]:s[1]] - yv[:, s[0]:s[1]]).mean()
    local_err = np.abs(pred[:, s[1]:s[2]] - yv[:, s[1]:s[2]]).mean()
    expr_err = np.abs(np.clip(pred[:, s[2]:], 0, 1) - yv[:, s[2]:]).mean()
    print(f"trained {args.steps} steps x {args.batch} in {train_s:.0f} s; validation: rotation "
          f"{np.median(rot_err):.2f} deg median ({np.percentile(rot_err, 90):.2f} p90), phenotype MAE "
          f"{pheno_err:.3f}, local MAE {local_err:.3f}, expression MAE {expr_err:.3f}")

    layers = [m for m in net if isinstance(m, torch.nn.Linear)]
    arrays = {}
    for i, layer in enumerate(layers):
        arrays[f"W{i}"] = layer.weight.detach().numpy().T.astype(np.float16)
        arrays[f"b{i}"] = layer.bias.detach().numpy().astype(np.float16)
    np.savez_compressed(
        args.out, **arrays, in_mean=in_mean.astype(np.float32), in_std=in_std.astype(np.float32),
        out_mean=out_mean.astype(np.float32), out_std=out_std.astype(np.float32), sizes=sizes,
        meta_train_seconds=np.float32(train_s), meta_steps=np.int32(args.steps),
        meta_batch=np.int32(args.batch), meta_val_rotation_deg_median=np.float32(np.median(rot_err)),
        meta_val_expression_mae=np.float32(expr_err), meta_val_phenotype_mae=np.float32(pheno_err),
        meta_val_local_mae=np.float32(local_err))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
