"""Drawing hair masks by hand for tests/data/hair_masks (see its README).

    python tools/hair_mask_draw.py grid STEM      # the head, with a grid labelled in photo pixels
    python tools/hair_mask_draw.py raster STEM    # polygons/STEM.json -> STEM.png (1-bit, photo size)
    python tools/hair_mask_draw.py check STEM     # the mask's outline over the photo

The polygons file holds ``{"hair": [[[x, y], ...], ...], "not_hair": [[[x, y], ...], ...]}`` in
the photo's own pixels (0-based, x right, y down): the mask is the union of the "hair" polygons
minus the "not_hair" ones (a face inside a frame of hair). Pictures go to $TMPDIR/hair_masks.
"""
import json
import os
import sys
import tempfile

import cv2
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from tools.measures import MASKS, photo_for  # noqa: E402

POLYGONS = os.path.join(MASKS, "polygons")
OUT = os.path.join(tempfile.gettempdir(), "hair_masks")
VIEW_PX = 900            # the long side of the pictures drawn


def _photo(stem):
    return cv2.imread(photo_for(stem), cv2.IMREAD_COLOR)


def _head_box(stem, shape):
    """The head's box in the photo: the landmarks' box widened for hair (whole photo without)."""
    pts = os.path.splitext(photo_for(stem))[0] + ".pts"
    h, w = shape[:2]
    if not os.path.exists(pts):
        return 0, 0, w, h
    lines = open(pts).read().splitlines()
    lm = np.array([[float(v) for v in ln.split()] for ln in lines[lines.index("{") + 1:lines.index("}")]]) - 1
    (x0, y0), (x1, y1) = lm.min(0), lm.max(0)
    s = max(x1 - x0, y1 - y0)
    return (int(max(0, x0 - 1.0 * s)), int(max(0, y0 - 1.1 * s)),
            int(min(w, x1 + 1.0 * s)), int(min(h, y1 + 1.3 * s)))


def _view(stem, img):
    """The head box scaled to VIEW_PX, with the scale and offset to map photo pixels into it."""
    x0, y0, x1, y1 = _head_box(stem, img.shape)
    k = VIEW_PX / max(x1 - x0, y1 - y0)
    crop = cv2.resize(img[y0:y1, x0:x1], (round((x1 - x0) * k), round((y1 - y0) * k)),
                      interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    return crop, k, x0, y0


def grid(stem):
    img = _photo(stem)
    view, k, x0, y0 = _view(stem, img)
    step = max(10, int(round(60 / k / 10.0)) * 10)          # grid lines every ~60 view pixels
    h, w = view.shape[:2]
    for px in range((x0 // step + 1) * step, x0 + int(w / k), step):
        x = int((px - x0) * k)
        cv2.line(view, (x, 0), (x, h), (0, 255, 255), 1)
        cv2.putText(view, str(px), (x + 2, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 255, 255), 1)
    for py in range((y0 // step + 1) * step, y0 + int(h / k), step):
        y = int((py - y0) * k)
        cv2.line(view, (0, y), (w, y), (255, 255, 0), 1)
        cv2.putText(view, str(py), (2, y - 2), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1)
    return _save(stem, "grid", view)


def raster(stem):
    img = _photo(stem)
    spec = json.load(open(os.path.join(POLYGONS, stem + ".json")))
    big = 4                                                  # drawn 4x larger, then averaged: anti-aliased
    h, w = img.shape[:2]
    acc = np.zeros((h * big, w * big), np.uint8)
    for key, value in (("hair", 255), ("not_hair", 0)):
        polys = [np.round((np.asarray(p, np.float64) + 0.5) * big - 0.5).astype(np.int32)
                 for p in spec.get(key, []) if len(p) >= 3]
        if polys:
            cv2.fillPoly(acc, polys, value, lineType=cv2.LINE_8)
    mask = cv2.resize(acc, (w, h), interpolation=cv2.INTER_AREA) >= 128
    path = os.path.join(MASKS, stem + ".png")
    cv2.imwrite(path, mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_BILEVEL, 1])
    print(f"{path}: {mask.mean():.3f} of the photo is hair")
    return path


def check(stem):
    img = _photo(stem)
    mask = cv2.imread(os.path.join(MASKS, stem + ".png"), cv2.IMREAD_GRAYSCALE)
    tint = img.copy()
    tint[mask > 127] = (0.5 * tint[mask > 127] + (0, 0, 127)).astype(np.uint8)
    contours, _ = cv2.findContours((mask > 127).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(tint, contours, -1, (0, 255, 0), max(1, img.shape[1] // 600))
    view, *_ = _view(stem, tint)
    return _save(stem, "check", view)


def _save(stem, kind, view):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"{stem}_{kind}.png")
    cv2.imwrite(path, view)
    print(path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("grid", "raster", "check"):
        sys.exit(__doc__)
    globals()[sys.argv[1]](sys.argv[2])
