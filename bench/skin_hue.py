"""Skin and eyes: does the de-lit texture keep the person's colours?

For each annotated photo of the shared data, the avatar's texture is baked (the core
path, as ``assembly.build_avatar`` does, at 1K) and compared with the photo:

* **cheeks**: the median colour of the cheek texels (within 15 mm of mediapipe's cheek
  centres on the head) in the de-lit albedo against the photo's pixels at the same surface
  points (seen, facing the camera), the photo under its own light. Chromaticity hardly
  depends on the light's intensity, so the albedo's colour is first scaled to the photo's
  luminance: then CIEDE2000, the hue-angle difference (degrees, CIELAB) and the chroma
  ratio (albedo / photo; 1 keeps the saturation, over 1 is the orange cast);
* **back of the head**: the same for the skin texels behind the ears (all completion);
* **lid ring**: the share of whitish texels (``pale_share``: sclera-like against the skin
  8-14 mm below and beside the eye) among the skin within 3 mm of the eye openings
  (mediapipe's eye contours on the head), in the albedo and in the photo (the photo's lid
  pixels at the same surface points);
* **iris**: the painted iris (the albedo's eyeball texels between the pupil and the limbal
  ring) against the photo's iris pixels (``texture.measure_iris``), both relative to the
  median skin (albedo skin vs photo skin, so the de-lighting's exposure drops out):
  CIEDE2000 and the chroma ratio; and the iris/skin lightness ratio.

    .venv/bin/python bench/skin_hue.py [--limit N]
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import face_photos  # noqa: E402
from core import analysis, assembly, correspondence, head_model, texture  # noqa: E402
from core.errors import LikenessError  # noqa: E402
from core.hair import EYE_L, EYE_R  # noqa: E402
from tools.measures import ciede2000, linear_to_lab  # noqa: E402

SIZE = 1024
CHEEKS = (205, 425)
CHEEK_RADIUS_M = 0.015
RING_M = 0.003
REFERENCE_M = (0.008, 0.014)
GREY_CHROMA = 4.0          # CIELAB chroma under which a photo's skin counts as grey
LUMA = np.array([0.2126, 0.7152, 0.0722])


def _contour(points, ids, per_segment=8):
    """Points along a closed mediapipe contour (densified)."""
    p = points[list(ids)]
    q = np.roll(p, -1, axis=0)
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[None, :, None]
    return (p[:, None] + t * (q - p)[:, None]).reshape(-1, 3)


def regions(hm, tm):
    """Texel masks (on ``tm``) of the cheeks, the lid rings, their reference skin and the irises."""
    tris = texture.triangulate(hm.faces)
    pts = np.einsum("nk,nkc->nc", tm.bary, hm.template[tris[tm.tri]])
    lm = correspondence.surface_points(hm.template)
    skin = tm.part == 0
    cheeks = skin & (np.min([np.linalg.norm(pts - lm[i], axis=1) for i in CHEEKS], axis=0) < CHEEK_RADIUS_M)
    ring = np.zeros(len(pts), bool)
    reference = np.zeros(len(pts), bool)
    for ids in (EYE_L, EYE_R):
        c = _contour(lm, ids)
        from scipy.spatial import cKDTree
        d, _ = cKDTree(c).query(pts)
        front = pts[:, 1] < c[:, 1].max() + 0.004
        ring |= skin & front & (d < RING_M)
        below = pts[:, 2] < c[:, 2].mean()
        reference |= skin & front & below & (d > REFERENCE_M[0]) & (d < REFERENCE_M[1])
    back = skin & (pts[:, 1] > 0.02)
    return pts, cheeks, ring, reference, back


def iris_texels(hm, tm, eye_axes, neutral):
    """Eyeball texels painted as iris (between the pupil and the limbal ring)."""
    tris = texture.triangulate(hm.faces)
    pts = np.einsum("nk,nkc->nc", tm.bary, neutral[tris[tm.tri]])
    sel = np.zeros(len(pts), bool)
    for part, (centre, axis, _) in eye_axes.items():
        v = pts - centre
        along = v @ axis
        off = np.linalg.norm(v - along[:, None] * axis, axis=1)
        sel |= (tm.part == part) & (along > 0) & (off > texture.PUPIL_RADIUS_M * 1.2) & \
            (off < texture.IRIS_RADIUS_M * 0.8)
    return sel


def photo_samples(rgb, verts_cam, hm, tm, focal_px, pp):
    """The photo's sRGB (0..1) at each texel's point on the posed head, and whether it is seen
    squarely (facing the camera, cosine over 0.5; no occlusion test: cheeks and lids face it)."""
    tris = texture.triangulate(hm.faces)
    tv = tris[tm.tri]
    p3 = np.einsum("nk,nkc->nc", tm.bary, verts_cam[tv])
    n3 = np.einsum("nk,nkc->nc", tm.bary, texture.vertex_normals(verts_cam, hm.faces)[tv])
    n3 /= np.linalg.norm(n3, axis=1, keepdims=True)
    cos = -(n3 * p3).sum(1) / np.linalg.norm(p3, axis=1)
    px = focal_px * p3[:, 0] / p3[:, 2] + pp[0]
    py = focal_px * p3[:, 1] / p3[:, 2] + pp[1]
    h, w = rgb.shape[:2]
    seen = (cos > 0.5) & (px >= 0) & (px <= w - 1) & (py >= 0) & (py <= h - 1)
    return texture.bilinear(rgb, px, py) / 255.0, seen


def median_linear(srgb):
    return np.median(texture.srgb_to_linear(srgb), axis=0)


def _chroma(lin):
    return float(np.hypot(*linear_to_lab(lin)[1:]))


def pale_share(ring, reference):
    """Share of the ``ring``'s pixels (sRGB 0..1) that are whitish against the ``reference`` skin:
    a quarter brighter than its median luminance and under half its chroma (sclera, not lid)."""
    lab_r, lab_f = linear_to_lab(texture.srgb_to_linear(ring)), linear_to_lab(texture.srgb_to_linear(reference))
    chroma = lambda lab: np.hypot(lab[:, 1], lab[:, 2])
    pale = (lab_r[:, 0] > np.median(lab_f[:, 0]) + 8.0) & (chroma(lab_r) < 0.5 * np.median(chroma(lab_f)))
    return float(pale.mean())


def chroma_compare(tex_lin, photo_lin):
    """(ΔE00, Δhue degrees, chroma ratio) of ``tex_lin`` scaled to ``photo_lin``'s luminance."""
    scaled = tex_lin * (photo_lin @ LUMA) / max(tex_lin @ LUMA, 1e-6)
    a, b = linear_to_lab(scaled), linear_to_lab(photo_lin)
    hue = lambda lab: np.degrees(np.arctan2(lab[2], lab[1]))
    dh = (hue(a) - hue(b) + 180.0) % 360.0 - 180.0
    return float(ciede2000(a, b)), float(dh), float(np.hypot(*a[1:]) / max(np.hypot(*b[1:]), 1e-6))


def measure(photo, hm, tm, masks, size=SIZE):
    """The figures of one photo (dict), or None when no face is found."""
    pts, cheeks, ring, reference, back = masks
    an = analysis.analyse([photo])
    main = an.main
    fr = main.view
    verts_cam = main.posed["vertices"] @ fr.rotation.T + main.translation
    axes = assembly.eye_axes(hm, an.neutral)
    tex = texture.bake(main.rgb, verts_cam, size, assembly.texel_map(texture.GEOMETRY_SIZE), hm.faces,
                       an.neutral["vertices"], axes, main.detection.landmarks, fr.focal_px, fr.principal_point)
    albedo = tex.albedo[tm.ys, tm.xs] / 255.0
    photo_px, seen = photo_samples(main.rgb, verts_cam, hm, tm, fr.focal_px, fr.principal_point)
    out = {"name": os.path.basename(photo)}
    c_seen = cheeks & seen
    if c_seen.sum() < 50:
        return None
    p_cheek, t_cheek = median_linear(photo_px[c_seen]), median_linear(albedo[cheeks])
    # a grey photo (or near it) has no hue to keep
    out["cheek"] = chroma_compare(t_cheek, p_cheek) if _chroma(p_cheek) > GREY_CHROMA else None
    out["back"] = (chroma_compare(median_linear(albedo[back]), p_cheek) if out["cheek"] is not None
                   else None)
    out["ring_tex"] = pale_share(albedo[ring], albedo[reference])
    r_seen, f_seen = ring & seen, reference & seen
    out["ring_photo"] = (pale_share(photo_px[r_seen], photo_px[f_seen])
                         if r_seen.sum() > 20 and f_seen.sum() > 20 else float("nan"))
    iris_t = median_linear(albedo[iris_texels(hm, tm, axes, an.neutral["vertices"])])
    iris_p = texture.srgb_to_linear(np.array(texture.measure_iris(main.rgb, main.detection.landmarks)))
    skin_t, skin_p = median_linear(albedo[cheeks]), p_cheek
    # relative to the skin: the albedo's exposure is its own, the photo's is the photo's
    rel_t, rel_p = iris_t / (skin_t @ LUMA) * 0.25, iris_p / (skin_p @ LUMA) * 0.25
    a, b = linear_to_lab(rel_t), linear_to_lab(rel_p)
    out["iris_de"] = float(ciede2000(a, b))
    out["iris_chroma"] = float(np.hypot(*a[1:]) / max(np.hypot(*b[1:]), 1e-6))
    out["iris_light"] = float((iris_t @ LUMA / (skin_t @ LUMA)) / max(iris_p @ LUMA / (skin_p @ LUMA), 1e-6))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=24)
    ap.add_argument("--size", type=int, default=SIZE)
    args = ap.parse_args()
    hm = head_model.load()
    tm = assembly.texel_map(args.size)
    masks = regions(hm, tm)
    rows = []
    for photo in face_photos(limit=args.limit):
        try:
            r = measure(photo, hm, tm, masks, args.size)
        except LikenessError:
            r = None
        if r is None:
            print(f"{os.path.basename(photo):22s} skipped (no face or cheeks unseen)")
            continue
        rows.append(r)
        cheek = ("cheek dE00 {:5.2f} dhue {:+6.1f} chroma x{:4.2f}".format(*r["cheek"]) if r["cheek"]
                 else "cheek (grey photo)" + " " * 27)
        back = "back x{:4.2f}".format(r["back"][2]) if r["back"] else " " * 9
        print(f"{r['name']:22s} {cheek} {back} | pale lids "
              f"{r['ring_tex']:5.3f} (photo {r['ring_photo']:5.3f}) | iris dE00 {r['iris_de']:5.1f} "
              f"chroma x{r['iris_chroma']:4.2f} light x{r['iris_light']:4.2f}")
    cheek = np.array([r["cheek"] for r in rows if r["cheek"] is not None])
    back = np.array([r["back"] for r in rows if r["back"] is not None])
    ring_t = np.array([r["ring_tex"] for r in rows])
    ring_p = np.array([r["ring_photo"] for r in rows])
    iris = np.array([(r["iris_de"], r["iris_chroma"], r["iris_light"]) for r in rows if r["cheek"] is not None])
    print(f"== {len(rows)} photos ({len(cheek)} in colour): cheeks dE00 mean {cheek[:, 0].mean():.2f} (max {cheek[:, 0].max():.2f}), "
          f"|dhue| mean {np.abs(cheek[:, 1]).mean():.1f} deg (signed {cheek[:, 1].mean():+.1f}), "
          f"chroma ratio mean {cheek[:, 2].mean():.2f} (range {cheek[:, 2].min():.2f}-{cheek[:, 2].max():.2f})")
    print(f"   back of the head vs the photo's cheeks: dE00 mean {back[:, 0].mean():.2f}, |dhue| mean "
          f"{np.abs(back[:, 1]).mean():.1f} deg, chroma ratio mean {back[:, 2].mean():.2f} "
          f"(range {back[:, 2].min():.2f}-{back[:, 2].max():.2f})")
    print(f"   lid ring's whitish share: albedo mean {ring_t.mean():.3f} (max {ring_t.max():.3f}), "
          f"photo mean {np.nanmean(ring_p):.3f}; over 5 % in {int(np.sum(ring_t > 0.05))} albedos")
    print(f"   iris vs photo (relative to skin): dE00 mean {iris[:, 0].mean():.1f} (max {iris[:, 0].max():.1f}), "
          f"chroma ratio mean {iris[:, 1].mean():.2f}, lightness ratio mean {iris[:, 2].mean():.2f}")


if __name__ == "__main__":
    main()
