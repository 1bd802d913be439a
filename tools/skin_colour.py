"""What the skin and eye figures of the skin bench and the texture tests measure (not part of
the extension): the de-lit texture's colours against the photo's at the same surface points.
See bench/skin_hue.py for what each figure means.

    from tools import skin_colour
"""
import os

import numpy as np
from scipy.spatial import cKDTree

from core import analysis, assembly, correspondence, texture
from core.texture import LUMA
from core.hair import EYE_L, EYE_R
from tools.measures import ciede2000, linear_to_lab

SIZE = 1024
CHEEKS = (205, 425)
CHEEK_RADIUS_M = 0.015
RING_M = 0.003
REFERENCE_M = (0.008, 0.014)
CHEEK_DISC = 0.07           # in an image: the cheeks' discs, this share of the face's width
GREY_CHROMA = 4.0          # CIELAB chroma under which a photo's skin counts as grey


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
        d, _ = cKDTree(c).query(pts)
        front = pts[:, 1] < c[:, 1].max() + 0.004
        ring |= skin & front & (d < RING_M)
        below = pts[:, 2] < c[:, 2].mean()
        reference |= skin & front & below & (d > REFERENCE_M[0]) & (d < REFERENCE_M[1])
    back = skin & (pts[:, 1] > 0.02)
    return pts, cheeks, ring, reference, back


def eye_texels(hm, tm, eye_axes, neutral):
    """Eyeball texels painted as iris (between the pupil and the limbal ring), and the front's
    sclera (outside the iris, up to half the eyeball's radius from its axis)."""
    tris = texture.triangulate(hm.faces)
    pts = np.einsum("nk,nkc->nc", tm.bary, neutral[tris[tm.tri]])
    iris, sclera = np.zeros(len(pts), bool), np.zeros(len(pts), bool)
    for part, (centre, axis, radius) in eye_axes.items():
        v = pts - centre
        along = v @ axis
        off = np.linalg.norm(v - along[:, None] * axis, axis=1)
        front = (tm.part == part) & (along > 0)
        iris |= front & (off > texture.PUPIL_RADIUS_M * 1.2) & (off < texture.IRIS_RADIUS_M * 0.8)
        sclera |= front & (off > texture.IRIS_RADIUS_M * 1.2) & (off < 0.5 * radius + texture.IRIS_RADIUS_M)
    return iris, sclera


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
    iris_sel, sclera_sel = eye_texels(hm, tm, axes, an.neutral["vertices"])
    iris_t = median_linear(albedo[iris_sel])
    iris_p = texture.srgb_to_linear(np.array(texture.measure_iris(main.rgb, main.detection.landmarks)))
    skin_t, skin_p = median_linear(albedo[cheeks]), p_cheek
    # relative to the skin: the albedo's exposure is its own, the photo's is the photo's
    rel_t, rel_p = iris_t / (skin_t @ LUMA) * 0.25, iris_p / (skin_p @ LUMA) * 0.25
    a, b = linear_to_lab(rel_t), linear_to_lab(rel_p)
    out["iris_de"] = float(ciede2000(a, b))
    out["iris_chroma"] = float(np.hypot(*a[1:]) / max(np.hypot(*b[1:]), 1e-6))
    out["iris_light"] = float((iris_t @ LUMA / (skin_t @ LUMA)) / max(iris_p @ LUMA / (skin_p @ LUMA), 1e-6))
    sclera_p = texture.measure_sclera(main.rgb, main.detection.landmarks)
    out["sclera_light"] = (float((median_linear(albedo[sclera_sel]) @ LUMA / (skin_t @ LUMA))
                                 / (texture.srgb_to_linear(np.array(sclera_p)) @ LUMA / (skin_p @ LUMA)))
                           if sclera_p is not None else float("nan"))
    return out


def _disc_median(rgb, landmarks, ids, share=CHEEK_DISC):
    """Median linear colour of the pixels within ``share`` of the face's width of mediapipe points."""
    r = share * np.ptp(landmarks[:, 0])
    yy, xx = np.mgrid[0:rgb.shape[0], 0:rgb.shape[1]]
    m = np.zeros(rgb.shape[:2], bool)
    for i in ids:
        m |= np.hypot(xx - landmarks[i, 0], yy - landmarks[i, 1]) < r
    return median_linear(rgb[m] / 255.0)


def render_vs_photo(render, photo):
    """A render's cheeks and iris against the photo's, each image's face found by mediapipe: the
    cheeks' (ΔE00, Δhue, chroma ratio) at the photo's luminance, and the iris relative to the
    cheeks (ΔE00, lightness ratio); the cheeks' figures are None for a grey photo."""
    from core import detect
    out = []
    for rgb in (render, photo):
        lm = detect.detect(rgb).landmarks
        skin = _disc_median(rgb, lm, CHEEKS)
        out.append((skin, texture.srgb_to_linear(np.array(texture.measure_iris(rgb, lm))) / (skin @ LUMA)))
    (skin_r, iris_r), (skin_p, iris_p) = out
    iris_de = float(ciede2000(linear_to_lab(0.25 * iris_r), linear_to_lab(0.25 * iris_p)))
    cheek = chroma_compare(skin_r, skin_p) if _chroma(skin_p) > GREY_CHROMA else None    # None: a grey photo
    return cheek, iris_de, float((iris_r @ LUMA) / max(iris_p @ LUMA, 1e-6))
