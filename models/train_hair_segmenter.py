"""Trains the hair segmenter (core/hair_net.py) on the hand-drawn masks of tests/data/hair_masks
and writes models/hair_segmenter.onnx with its figures in models/hair_segmenter.json.

    .venv/bin/pip install -r requirements/train.txt      # torch (CPU) and onnx, training only
    .venv/bin/python models/train_hair_segmenter.py [--epochs 150] [--all]

Data: every photo of ../shared/data/faces with a hand mask. The masks drawn first (for issue
5, VALIDATION below: chosen then for their variety) are held out to measure the network; the
rest train it. ``--all`` trains on every mask (then no held-out figure is honest).

Each photo is prepared once: the face's landmarks (mediapipe, as at run time), the head seen
through core.hair_net's wide crop, mediapipe's person mask there, the hand mask warped the same
way. Training draws random views of it: the crop shifted, scaled, turned and mirrored (as a
landmark error or a tilted head would), the colours changed (brightness, contrast, saturation,
hue, grey photos), the hair alone recoloured (blond, black, grey, red, dyed), the background
replaced by another photo's, another photo's hair laid over the head, noise and blur. The loss is binary cross-entropy plus one minus
the soft IoU.
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from core import detect, hair, hair_colour, hair_net, image_io  # noqa: E402
from tools.measures import MASKS, photo_for, read_mask  # noqa: E402

VALIDATION = ("111247636_1", "2109755281_3", "109209934_1", "1439641049_1", "1308054912_1", "1426553012_1",
              "1084919955_1", "2047351146_1", "image_0001", "2228100915_3", "2209809995_1", "1384775111_1")
OUT_ONNX = hair_net.MODEL
OUT_JSON = os.path.splitext(hair_net.MODEL)[0] + ".json"
W, H, PAD = hair_net.INPUT_W, hair_net.INPUT_H, hair_net.PAD
S = hair_net.OUTPUT_STRIDE


def prepare(stem):
    """The photo's wide crop: rgb (uint8), hand mask, person mask, inside-photo map, the colour
    model's hair mask (float32), and the landmarks in the wide crop's pixels."""
    rgb = image_io.read_photo(photo_for(stem))
    truth = read_mask(os.path.join(MASKS, stem + ".png")).astype(np.float32)
    lm = detect.detect(rgb).landmarks
    m = hair_net.wide_matrix(lm)
    by_colour = hair_colour.segment(rgb, lm).astype(np.float32)
    wide, inside, (mask, colour) = hair_net.warp_photo(rgb, m, (W + 2 * PAD, H + 2 * PAD), extra=[truth, by_colour])
    person = hair.person_probability(wide)
    return dict(rgb=wide, truth=mask, person=person, inside=inside, lm=hair_net.to_crop(lm, m), colour=colour)


# ---------------------------------------------------------------------------------------------
# random views

def _view_matrix(rng, train):
    """2 x 3 affine from the network's crop to the wide crop: a random shift, scale, turn and
    mirror in training, the plain centre otherwise."""
    flip = train and rng.random() < 0.5
    scale = np.exp(rng.uniform(-0.15, 0.15)) if train else 1.0
    angle = np.radians(rng.uniform(-12, 12)) if train else 0.0
    shift = rng.normal(0, 0.06 * hair_net.PX_PER_FACE, 2) if train else np.zeros(2)
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    a = np.array([[c, -s], [s, c]]) @ np.diag([-1.0 if flip else 1.0, 1.0])
    out_c = np.array([(W - 1) / 2, (H - 1) / 2])
    wide_c = out_c + PAD + shift
    return np.hstack([a, (wide_c - a @ out_c)[:, None]])


def _recolour_hair(rgb, truth, rng):
    """The hair alone given another colour (lighter, darker, redder, greyer), in Lab."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    w = np.clip(truth, 0, 1)[..., None]
    target = lab.copy()
    target[..., 0] = np.clip((lab[..., 0] - 128) * rng.uniform(0.6, 1.3) + rng.uniform(-70, 90) + 128, 0, 255)
    sat = rng.uniform(0.0, 1.6)
    target[..., 1:] = (lab[..., 1:] - 128) * sat + 128 + rng.normal(0, 12, 2) * (rng.random() < 0.5)
    out = cv2.cvtColor(np.clip(lab * (1 - w) + target * w, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    return out


def _colour(rgb, rng):
    x = rgb.astype(np.float32) / 255.0
    if rng.random() < 0.12:                                       # a grey photo
        x = np.repeat(x @ np.array([0.299, 0.587, 0.114], np.float32), 3).reshape(x.shape)
    else:
        grey = x.mean(-1, keepdims=True)
        x = grey + (x - grey) * rng.uniform(0.5, 1.4)
        x = x * np.exp(rng.normal(0, 0.08, 3)).astype(np.float32)      # white balance
    x = (x - 0.5) * rng.uniform(0.7, 1.3) + 0.5 + rng.uniform(-0.15, 0.15)
    x = np.clip(x, 0, 1) ** np.exp(rng.uniform(-0.35, 0.35))
    if rng.random() < 0.25:
        k = rng.choice([3, 5])
        x = cv2.GaussianBlur(x, (k, k), 0)
    x = x + rng.normal(0, rng.uniform(0, 0.03), x.shape).astype(np.float32)
    return np.clip(x * 255, 0, 255).astype(np.uint8)


def sample(item, rng, train, others=()):
    """(inputs (CHANNELS, H, W), target (H/S, W/S), weight (H/S, W/S)) for one view."""
    m = _view_matrix(rng, train)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warp = lambda img: cv2.warpAffine(img, m, (W, H), flags=flags, borderMode=cv2.BORDER_CONSTANT)
    rgb = item["rgb"]
    if train and rng.random() < 0.5:
        rgb = _recolour_hair(rgb, item["truth"], rng)
    if train and others and rng.random() < 0.35:                 # another photo's background
        other = others[rng.integers(len(others))]
        bg = (item["person"] < 0.25) & (item["truth"] < 0.5)
        bg = cv2.GaussianBlur(bg.astype(np.float32), (5, 5), 0)[..., None]
        rgb = (rgb * (1 - bg) + other["rgb"][:, ::-1] * bg).astype(np.uint8)
    truth, person, colour = item["truth"], item["person"], item["colour"]
    if train and others and rng.random() < 0.3:                  # another photo's hair laid over this head
        other = others[rng.integers(len(others))]
        face = cv2.erode(hair_net.face_oval(item["lm"], (W + 2 * PAD, H + 2 * PAD)), np.ones((9, 9), np.uint8))
        pasted = np.clip(other["truth"], 0, 1) * (1 - face) * other["inside"]
        rgb = (rgb * (1 - pasted[..., None]) + other["rgb"] * pasted[..., None]).astype(np.uint8)
        truth, person = np.maximum(truth * (1 - pasted), pasted), np.maximum(person, pasted)
        colour = colour * (1 - pasted) + other["colour"] * pasted
    crop, inside = warp(rgb), warp(item["inside"])
    crop[inside < 0.5] = 128                   # grey outside the photo, as at run time
    if train:
        crop = _colour(crop, rng)              # (the grey too: greying after the colour changes held out worse)
    person, truth, colour = warp(person), warp(truth), warp(colour)
    inv = cv2.invertAffineTransform(m)
    lm = item["lm"] @ inv[:, :2].T + inv[:, 2]
    x = hair_net.channels(crop, person, lm, inside, colour)
    small = lambda img: cv2.resize(img, (W // S, H // S), interpolation=cv2.INTER_AREA)
    return x, small(truth), small(inside)


# ---------------------------------------------------------------------------------------------
# the network

WIDTHS = (16, 32, 48, 64)      # channels at 1/2, 1/4, 1/8 and 1/16 of the crop's size


def build_net(widths=WIDTHS):
    import torch.nn as nn
    import torch

    def block(cin, cout, stride=1, dilation=1):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class HairNet(nn.Module):
        def __init__(self):
            super().__init__()
            c = widths
            self.e0 = nn.Sequential(block(len(hair_net.CHANNELS), c[0], 2), block(c[0], c[0]))
            self.e1 = nn.Sequential(block(c[0], c[1], 2), block(c[1], c[1]))
            self.e2 = nn.Sequential(block(c[1], c[2], 2), block(c[2], c[2]))
            self.e3 = nn.Sequential(block(c[2], c[3], 2), block(c[3], c[3]), block(c[3], c[3], dilation=2),
                                    block(c[3], c[3], dilation=4))
            self.d2 = block(c[3] + c[2], c[2])
            self.d1 = block(c[2] + c[1], c[1])
            self.d0 = nn.Sequential(block(c[1] + c[0], c[0]), nn.Conv2d(c[0], 1, 1))

        def forward(self, x):
            up = lambda t: nn.functional.interpolate(t, scale_factor=2.0, mode="bilinear", align_corners=False)
            e0 = self.e0(x)
            e1 = self.e1(e0)
            e2 = self.e2(e1)
            e3 = self.e3(e2)
            d2 = self.d2(torch.cat([up(e3), e2], 1))
            d1 = self.d1(torch.cat([up(d2), e1], 1))
            return self.d0(torch.cat([up(d1), e0], 1))

    return HairNet()


def _iou(prob, truth, weight):
    p, t = (prob > 0.5) & (weight > 0.5), (truth > 0.5) & (weight > 0.5)
    union = (p | t).sum()
    return 1.0 if union == 0 else float((p & t).sum() / union)


def main():
    import torch
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--all", action="store_true", help="train on every mask, the held-out ones too")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--widths", default=",".join(map(str, WIDTHS)), help="the network's channels per level")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    rng = np.random.default_rng(args.seed)
    stems = sorted(n[:-4] for n in os.listdir(MASKS) if n.endswith(".png"))
    val = [s for s in stems if s in VALIDATION]
    train = stems if args.all else [s for s in stems if s not in VALIDATION]
    t0 = time.time()
    data = {s: prepare(s) for s in sorted(set(train) | set(val))}
    print(f"prepared {len(data)} photos in {time.time() - t0:.0f} s; training on {len(train)}, "
          f"holding out {0 if args.all else len(val)}", flush=True)

    net = build_net(tuple(int(v) for v in args.widths.split(",")))
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = args.epochs * max(1, len(train) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    others = [data[s] for s in train]
    t1, step = time.time(), 0
    for epoch in range(args.epochs):
        net.train()
        order = rng.permutation(train)
        losses = []
        for b in range(0, len(order) - args.batch + 1, args.batch):
            xs, ts, ws = zip(*(sample(data[s], rng, True, others) for s in order[b:b + args.batch]))
            x, t, w = (torch.from_numpy(np.stack(a)) for a in (xs, ts, ws))
            t, w = t[:, None], w[:, None]
            logit = net(x)
            bce = (torch.nn.functional.binary_cross_entropy_with_logits(logit, t, reduction="none") * w).sum() / w.sum()
            p = torch.sigmoid(logit) * w
            inter, union = (p * t).sum((1, 2, 3)), (p + t - p * t).sum((1, 2, 3))
            soft_iou = ((inter + 1.0) / (union + 1.0)).mean()
            loss = bce + (1.0 - soft_iou)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            losses.append(float(loss))
        if epoch % 10 == 9 or epoch == args.epochs - 1:
            msg = f"epoch {epoch + 1}: loss {np.mean(losses):.3f}"
            if val and not args.all:
                msg += f", held-out crop IoU {np.mean(evaluate(net, [data[s] for s in val])):.3f}"
            print(f"{msg} ({time.time() - t1:.0f} s)", flush=True)
    train_s = time.time() - t1

    net.eval()
    figures = {"widths": args.widths, "photos_train": len(train), "photos_held_out": 0 if args.all else len(val), "epochs": args.epochs,
               "training_s": round(train_s), "train_crop_iou": round(float(np.mean(evaluate(net, [data[s] for s in train]))), 3)}
    if val and not args.all:
        figures["held_out_crop_iou"] = dict(zip(val, (round(v, 3) for v in evaluate(net, [data[s] for s in val]))))
    export(net)
    figures["parameters"] = int(sum(p.numel() for p in net.parameters()))
    figures["onnx_bytes"] = os.path.getsize(OUT_ONNX)
    json.dump(figures, open(OUT_JSON, "w"), indent=1)
    print(json.dumps(figures, indent=1))


def evaluate(net, items):
    import torch
    net.eval()
    out = []
    with torch.no_grad():
        for it in items:
            x, t, w = sample(it, None, False)
            p = torch.sigmoid(net(torch.from_numpy(x[None])))[0, 0].numpy()
            out.append(_iou(p, t, w))
    return out


def export(net):
    import torch
    net.eval()
    x = torch.zeros(1, len(hair_net.CHANNELS), H, W)
    torch.onnx.export(net, x, OUT_ONNX, dynamo=False, opset_version=13, input_names=["inputs"],
                      output_names=["hair_logits"])


if __name__ == "__main__":
    main()
