"""Make ``ibug68_mediapipe.npz``: for each point of the iBUG 68-point scheme,
the mediapipe face-mesh point that stands for it.

How: detect the human-annotated Helen training photos in ../shared/data with
the pipeline's detector and, for each iBUG point, pick the mediapipe point
with the smallest median distance to the annotation (normalised by the
outer-eye-corner distance). Only helen_train is used, so lfpw and menpo stay
unseen for evaluation.

    .venv/bin/python models/build_ibug68_map.py [DATA_DIR]
"""
import glob
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import detect  # noqa: E402
from core.errors import LikenessError  # noqa: E402
from core.image_io import read_photo  # noqa: E402

OUT = os.path.join(ROOT, "models", "ibug68_mediapipe.npz")


def read_pts(path):
    lines = open(path).read().splitlines()
    body = lines[lines.index("{") + 1: lines.index("}")]
    return np.array([[float(v) for v in line.split()] for line in body]) - 1.0


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data")
    photos = sorted(glob.glob(os.path.join(data, "faces", "helen_train", "*.jpg")))
    errors = []
    for photo in photos:
        gt = read_pts(photo[:-4] + ".pts")
        try:
            det = detect.detect(read_photo(photo))
        except LikenessError as exc:
            print("skip", os.path.basename(photo), exc)
            continue
        iod = np.linalg.norm(gt[36] - gt[45])
        d = np.linalg.norm(gt[:, None, :] - det.landmarks[None, :468, :], axis=-1) / iod
        errors.append(d)
    errors = np.array(errors)                      # (photos, 68, 468)
    med = np.median(errors, axis=0)
    index = med.argmin(1)
    np.savez(OUT, mediapipe_index=index.astype(np.int32),
             median_error_iod=med[np.arange(68), index].astype(np.float32),
             photos_used=np.int32(len(errors)))
    print("wrote", OUT, "from", len(errors), "photos; mean median error (IOD)",
          float(med[np.arange(68), index].mean()))


if __name__ == "__main__":
    main()
