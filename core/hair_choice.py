"""Choosing the library's hairstyle (core.hair_styles) for a photo: the styles consistent
with the measured hair attributes are grown, seen through the fitted camera in a small
working image (thick strokes, hidden behind the head where it is in front), and the one whose
silhouette best matches the photo's hair mask, less an attribute distance, wins."""
import dataclasses

import numpy as np

from . import hair_strands, hair_styles

WORK_PX = 96                   # the head's height in the working image
STROKE_M = 0.012               # a guide's stroke: the children between guides fill the rest
ATTRIBUTE_WEIGHT = 0.2         # score = IoU - this * attribute distance (0..1)
TIE_PENALTY = 0.05             # a tied style (ponytail, bun) must beat loose hair by this much: from
                               # the front its silhouette is that of short hair, and a coarse mask misleads
HIDDEN_M = 0.01                # a strand point this far behind the head's front surface is hidden

# per measured length class: the styles that can look like it from the front (a ponytail
# or a bun looks short; curls shorten long hair)
CANDIDATES = {
    "above the ears": ("short crop", "buzz", "pixie", "receding", "afro", "ponytail", "bun"),
    "to the chin": ("bob", "pixie", "curly", "shoulder", "ponytail", "bun", "afro"),
    "to the shoulders": ("shoulder", "bob", "curly", "long straight", "long wavy", "ponytail"),
    "longer": ("long straight", "long wavy", "shoulder", "curly"),
}


def candidates(report):
    """The library's names consistent with a report's ``hair`` entry."""
    if report is None or report["bald"] or report["length"] == "none":
        return ("bald",)
    if report["shaved"]:
        return ("buzz", "receding")
    return CANDIDATES[report["length"]]


def apparent_length_cm(style):
    """How far below the chin the style's hair reaches as seen from the front (cm)."""
    if style.length in ("none", "above the ears") or style.tie != "none":
        return -10.0
    hem = hair_strands.HEM_BELOW_CHIN_M[style.length] if style.hem_m is None else style.hem_m
    return 100.0 * hem


def attribute_distance(style, report):
    """0 (the measured attributes exactly) .. 1: length, curl and volume, weighted."""
    d_len = min(1.0, abs(apparent_length_cm(style) - report.get("length_below_chin_cm", 0.0)) / 20.0)
    curls = hair_styles.CURL_CLASSES
    d_curl = min(1.0, abs(curls.index(style.curl) - curls.index(hair_styles.curl_of(report))) / 2.0)
    d_vol = min(1.0, abs(100.0 * style.volume_m - max(report.get("volume_cm", 0.0), 0.0)) / 5.0)
    return 0.4 * d_len + 0.4 * d_curl + 0.2 * d_vol


def default(report, seed=0):
    """The style for weak evidence: the measured length class's usual style when there is
    one (hair_styles.from_report: a buzz cut for hair measured as shaved), else a short crop
    (no hair seen is not taken for a bald head)."""
    if report is None or report["bald"] or report["length"] == "none":
        return hair_styles.style("short crop", seed=seed)
    return hair_styles.from_report(report, seed)


@dataclasses.dataclass
class View:
    """The fitted camera and a working image around the head: pixels -> work pixels."""
    rotation: np.ndarray
    translation: np.ndarray
    focal_px: float
    principal_point: np.ndarray
    scale: float
    origin: np.ndarray         # the working image's top-left corner in photo pixels
    shape: tuple

    @classmethod
    def around(cls, head_vertices, rotation, translation, focal_px, principal_point):
        """Room for long hair: the head's width again on each side, a head's height below."""
        v = cls(np.asarray(rotation, float), np.asarray(translation, float), float(focal_px),
                np.asarray(principal_point, float), 1.0, np.zeros(2), (0, 0))
        px = v.photo_px(head_vertices)
        lo, hi = px.min(0), px.max(0)
        size = hi - lo
        v.scale = WORK_PX / max(size[1], 1.0)
        v.origin = lo - (size[0], 0.3 * size[1])
        v.shape = (int(np.ceil(2.3 * size[1] * v.scale)), int(np.ceil(3.0 * size[0] * v.scale)))
        return v

    def photo_px(self, points):
        cam = points @ self.rotation.T + self.translation
        return cam[..., :2] / cam[..., 2:] * self.focal_px + self.principal_point

    def work(self, points):
        """(..., 2) work pixels and (...,) depths of ``points`` in the head's frame."""
        cam = points @ self.rotation.T + self.translation
        return (self.photo_px(points) - self.origin) * self.scale, cam[..., 2]

    def mask(self, mask):
        """The photo's ``mask`` in the working image, and where the photo covers it."""
        import cv2
        h, w = self.shape
        small = cv2.resize(mask.astype(np.float32), None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        x0, y0 = -self.origin * self.scale
        shift = np.array([[1.0, 0, x0], [0, 1.0, y0]])
        hair = cv2.warpAffine(small, shift, (w, h)) > 0.5
        inside = np.zeros((h, w), bool)
        inside[max(int(np.ceil(y0)), 0):max(int(y0 + mask.shape[0] * self.scale), 0),
               max(int(np.ceil(x0)), 0):max(int(x0 + mask.shape[1] * self.scale), 0)] = True
        return hair, inside

    def depth(self, head_vertices):
        """The head's nearest depth per work pixel (inf off the head), from vertex splats."""
        import cv2
        px, z = self.work(head_vertices)
        h, w = self.shape
        x, y = np.round(px[:, 0]).astype(int), np.round(px[:, 1]).astype(int)
        ok = (x >= 0) & (y >= 0) & (x < w) & (y < h)
        zbuf = np.full((h, w), np.inf, np.float32)
        np.minimum.at(zbuf, (y[ok], x[ok]), z[ok].astype(np.float32))
        spacing = np.sqrt(np.prod(np.ptp(px[ok], axis=0)) / max(ok.sum() / 2, 1))   # between front vertices
        k = 2 * int(np.ceil(spacing)) + 1
        return cv2.erode(zbuf, np.ones((k, k), np.uint8))      # min over neighbours: fills the gaps

    def silhouette(self, strands, zbuf):
        """Where the ``strands`` (n, k, 3) show in the working image: thick strokes between
        their points not hidden behind the head (``zbuf``: View.depth)."""
        import cv2
        h, w = self.shape
        img = np.zeros((h, w), np.uint8)
        if not len(strands):
            return img.astype(bool)
        px, z = self.work(strands)
        x = np.clip(np.round(px[..., 0]).astype(int), 0, w - 1)
        y = np.clip(np.round(px[..., 1]).astype(int), 0, h - 1)
        shown = z < zbuf[y, x] + HIDDEN_M
        width = max(1, int(round(STROKE_M * self.focal_px / float(np.median(z)) * self.scale)))
        pts = np.round(px * 4).astype(np.int32)
        both = shown[:, 1:] & shown[:, :-1]
        a, b = pts[:, :-1][both], pts[:, 1:][both]
        lines = np.stack([a, b], 1)
        cv2.polylines(img, list(lines), False, 1, width, lineType=cv2.LINE_8, shift=2)
        return img.astype(bool)


def iou(a, b, inside):
    a, b = a & inside, b & inside
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 0.0


def choose(report, mask, head_vertices, grow, camera, seed=0):
    """The chosen style for a report's ``hair`` entry and the photo's hair ``mask`` (H, W
    bool; None: attributes alone), its grown strands and the candidates' scores.

    ``head_vertices``: the head posed as in the photo; ``grow(style)``: (n, k, 3) strands in
    the same frame; ``camera``: (rotation, translation, focal_px, principal_point). Weak
    evidence (``report["weak_evidence"]``) picks ``default`` without the silhouette."""
    if report is not None and report.get("weak_evidence", False):
        chosen = default(report, seed)
        return chosen, grow(chosen), {}
    names = candidates(report)
    styles = [hair_styles.measured(hair_styles.style(n, seed=seed), report) if report else hair_styles.style(n)
              for n in names]
    if len(names) == 1 or mask is None or not mask.any():
        chosen = hair_styles.from_report(report, seed) if report else styles[0]
        return chosen, grow(chosen), {}
    view = View.around(head_vertices, *camera)
    hair, inside = view.mask(mask)
    zbuf = view.depth(head_vertices)
    scores, grown = {}, {}
    for name, style in zip(names, styles):
        grown[name] = grow(style)
        scores[name] = iou(view.silhouette(grown[name], zbuf), hair, inside) \
            - ATTRIBUTE_WEIGHT * attribute_distance(style, report) - TIE_PENALTY * (style.tie != "none")
    best = max(scores, key=scores.get)
    return styles[names.index(best)], grown[best], {k: round(v, 4) for k, v in scores.items()}
