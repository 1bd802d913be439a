"""Key measurements of a fitted head, in cm, with adult human ranges.

Points come from mediapipe's embedding on the head surface (see
correspondence.py): 468/473 iris centres, 168 nasion (between the eyes),
1 nose tip, 152 chin (menton). Head breadth is the widest skin cross-section
above the ears. The ranges are broad adult ranges from anthropometric
surveys; a value outside is flagged, not changed.
"""
import numpy as np

from . import correspondence, head_model

RANGES_CM = {
    "interpupillary_distance": (5.0, 7.6),
    "nose_length": (3.5, 6.5),
    "face_height": (9.5, 14.5),
    "head_breadth": (12.5, 17.5),
}


def measurements_cm(vertices, vertex_part):
    """Measurements of a neutral head (V, 3) in metres, Blender axes."""
    p = correspondence.surface_points(vertices)
    skin = vertices[vertex_part == head_model.PART_NAMES.index("skin")]
    ear_top = p[[127, 356], 2].max()          # the face outline beside the eyes: above the ears' root
    upper = skin[skin[:, 2] > ear_top + 0.01]
    out = {
        "interpupillary_distance": np.linalg.norm(p[468] - p[473]),
        "nose_length": np.linalg.norm(p[168] - p[1]),
        "face_height": np.linalg.norm(p[168] - p[152]),
        "head_breadth": np.ptp(upper[:, 0]) if len(upper) else 0.0,
    }
    return {k: round(float(v) * 100, 2) for k, v in out.items()}


def plausibility_warnings(measures):
    warnings = []
    for name, value in measures.items():
        lo, hi = RANGES_CM[name]
        if not lo <= value <= hi:
            warnings.append(f"The fitted {name.replace('_', ' ')} is {value:.1f} cm, outside the adult "
                            f"range {lo:g}-{hi:g} cm.")
    return warnings


def face_region(template, vertex_part, radius=0.012):
    """Skin vertices within ``radius`` metres of mediapipe's face-mesh points: the face."""
    from scipy.spatial import cKDTree
    pts = correspondence.surface_points(template)[:468]
    d, _ = cKDTree(pts).query(template)
    return (d < radius) & (vertex_part == head_model.PART_NAMES.index("skin"))


def similarity_align(src, dst):
    """``src`` (N, 3) moved onto ``dst`` by the best rotation, uniform scale and translation."""
    return similarity_transform(src, dst)(src)


def scalp_weights(vertices, vertex_part, ears):
    """1 on the scalp (where hair grows), 0 elsewhere, softly between: skin above a plane
    through the top of the forehead (mediapipe point 10) that tilts down towards the nape,
    ears excluded. For the hair step."""
    p = correspondence.surface_points(vertices)
    top = p[10]
    slope = -0.42                       # metres of height per metre towards the back
    height = vertices[:, 2] - (top[2] + slope * (vertices[:, 1] - top[1]))
    w = np.clip(height / 0.01 + 0.5, 0.0, 1.0)        # 1 cm soft edge
    skin = vertex_part == head_model.PART_NAMES.index("skin")
    return np.where(skin & ~ears, w, 0.0)


def similarity_transform(src, dst):
    """The best rotation, uniform scale and translation taking ``src`` (N, 3) onto ``dst``,
    as a function of points."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, s, vt = np.linalg.svd(a.T @ b)
    fix = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ fix @ vt
    scale = (s * np.diag(fix)).sum() / (a ** 2).sum()
    return lambda p: scale * (np.asarray(p) - ms) @ rot + md
