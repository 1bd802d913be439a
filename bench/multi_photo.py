"""Several photos of one person: one shared identity.

lfpw image_0001 to image_0005 show the same woman. Prints each photo's
residual fitted alone and within the joint fit of all five, and the identity
spread (per-vertex std of the neutral heads after similarity alignment, face
region, mm) across single-photo fits versus across the joint fits of every
pair of photos: more photos per fit, less spread.

    .venv/bin/python bench/multi_photo.py
"""
import itertools
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import detect, fit, head_model, image_io  # noqa: E402
from core.measure import face_region  # noqa: E402
from tools.measures import identity_spread_mm  # noqa: E402


def main():
    data = os.path.join(ROOT, "..", "shared", "data", "faces", "lfpw")
    photos = [os.path.join(data, f"image_000{i}.png") for i in range(1, 6)]
    hm = head_model.load()
    region = face_region(hm.forward(*hm.neutral_parameters())["vertices"], hm.vertex_part)
    inputs = []
    for p in photos:
        rgb = image_io.read_photo(p)
        inputs.append((detect.detect(rgb).landmarks, (rgb.shape[1], rgb.shape[0]), None))

    def neutral(fr):
        return hm.forward(fr.phenotype, fr.local_changes, np.zeros(52))["vertices"][region]

    singles = [fit.fit_views([x]) for x in inputs]
    joint = fit.fit_views(inputs)
    print("photo          alone px   joint px   yaw")
    for p, s, v in zip(photos, singles, joint.views):
        print(f"{os.path.basename(p):14s} {s.views[0].residual_px:8.2f}   {v.residual_px:8.2f}   "
              f"{fit.head_pose_degrees(v.rotation)[0]:6.1f}")
    pairs = [fit.fit_views([inputs[i], inputs[j]]) for i, j in itertools.combinations(range(5), 2)]
    print(f"identity spread: single photos {identity_spread_mm([neutral(s) for s in singles]):.3f} mm, "
          f"pairs of photos {identity_spread_mm([neutral(f) for f in pairs]):.3f} mm")


if __name__ == "__main__":
    main()
