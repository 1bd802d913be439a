"""AvatarResult: the one contract between the worker and Blender.

On disk it is a folder: ``avatar.npz`` (arrays, no pickles), ``texture.png``
and ``report.json``. ``load`` checks every array's shape, dtype and values
before anything reaches bpy, so a damaged or foreign result fails with a
clear InvalidResult instead of a half-built scene.
"""
import dataclasses
import json
import os
import shutil

import numpy as np

from . import beside, image_io
from .errors import InvalidResult

SCHEMA_VERSION = 2
NPZ, REPORT = "avatar.npz", "report.json"
# The images of a result: albedo (the base colour, lighting removed), the photo-lit texture
# (kept as an option), roughness and detail normals.
IMAGES = {"albedo": "texture.png", "lit": "texture_lit.png", "roughness": "roughness.png",
          "normal": "normal.png"}
TEXTURE = IMAGES["albedo"]

# name -> (dtype kind, shape with symbols); V vertices, F faces, B bones, S shape keys, K skin influences
SCHEMA = {
    "vertices": ("f", ("V", 3)),
    "faces": ("i", ("F", 4)),
    "face_uv": ("f", ("F", 4, 2)),
    "face_material": ("i", ("F",)),
    "material_names": ("U", ("M",)),
    "shape_key_names": ("U", ("S",)),
    "shape_key_deltas": ("f", ("S", "V", 3)),
    "expression": ("f", ("S",)),
    "bone_names": ("U", ("B",)),
    "bone_parents": ("i", ("B",)),
    "bone_heads": ("f", ("B", 3)),
    "bone_tails": ("f", ("B", 3)),
    "bone_matrices": ("f", ("B", 4, 4)),
    "skin_bone_index": ("i", ("V", "K")),
    "skin_weight": ("f", ("V", "K")),
    "camera_matrix_world": ("f", (4, 4)),
    "focal_px": ("f", ()),
    "image_size": ("i", (2,)),
    "landmarks68": ("f", (68, 2)),
    "phenotype_names": ("U", ("N",)),
    "phenotype": ("f", ("N",)),
    "local_change_names": ("U", ("L",)),
    "local_changes": ("f", ("L",)),
    "scalp_weight": ("f", ("V",)),
    "hair_guides": ("f", ("G", "P", 3)),       # guide strands from the scalp (G may be 0: no hair)
    "hair_rgb": ("f", (3,)),                   # the hair's measured colour, linear RGB
    "bare_skin": ("f", ("V",)),                # 1: skin the photo shows bare, no hair over it
    "hair_style": ("U", (3,)),                 # the library's style: name, parting, fringe (core.hair_styles)
    # eyebrows and eyelashes (core.brows_lashes), each strand anchored to a point of a skin triangle
    "brow_lash_strands": ("f", ("E", "Q", 3)),
    "brow_lash_kind": ("i", ("E",)),           # brows_lashes.KIND_BROW or KIND_LASH
    "brow_lash_anchor": ("i", ("E", 3)),       # head vertex ids
    "brow_lash_weight": ("f", ("E", 3)),       # their barycentric weights
    # linear RGBA per material, for flat materials (full bodies' skin and outfit); alpha 0: the usual look
    "material_colours": ("f", ("M", 4)),
    # the face's corrective offsets (core.corrective) on the anny head's vertices, the mesh's first
    # C: already in "vertices"; kept so a reshape of the identity keeps them. Zero without a photo.
    "corrective": ("f", ("C", 3)),
}
# Arrays added after schema version 2 was written: results without them still load (no brows).
OPTIONAL = {"brow_lash_strands", "brow_lash_kind", "brow_lash_anchor", "brow_lash_weight", "material_colours",
            "bare_skin", "corrective", "hair_style"}


@dataclasses.dataclass
class AvatarResult:
    arrays: dict
    image_paths: dict          # IMAGES' keys -> file paths
    report: dict

    def __getattr__(self, name):
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None


def save(folder, arrays, images, report):
    """Write a result; ``images`` maps every key of IMAGES to an (H, W[, 3]) uint8 array, or
    to the path of a PNG to copy (a crowd variant keeps its base avatar's textures). The PNGs
    are encoded side by side (the encoder leaves Python's lock) and a read-only array, which
    cannot change (the roughness map every avatar shares), is encoded once per process."""
    os.makedirs(folder, exist_ok=True)
    _validate(arrays)
    arrays_done = beside.start(np.savez, os.path.join(folder, NPZ), schema_version=np.int32(SCHEMA_VERSION),
                                  **arrays)
    encoded = {}                   # id of an array -> its PNG bytes (a variant's lit is its albedo)
    for image in images.values():
        if not isinstance(image, str) and id(image) not in encoded:
            encoded[id(image)] = _constant_png(image) or beside.start(image_io.encode_png, image)
    for key, name in IMAGES.items():
        image, path = images[key], os.path.join(folder, name)
        if isinstance(image, str):
            shutil.copyfile(image, path)
            continue
        data = encoded[id(image)]
        with open(path, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.result())
    arrays_done.result()
    write_report(folder, report)


_CONSTANT_PNGS = {}                # id -> (array, PNG bytes) of read-only images


def _constant_png(image):
    if getattr(image, "flags", None) is None or image.flags.writeable:
        return None
    kept = _CONSTANT_PNGS.get(id(image))
    if kept is None or kept[0] is not image:
        if len(_CONSTANT_PNGS) > 8:
            _CONSTANT_PNGS.clear()
        kept = _CONSTANT_PNGS[id(image)] = (image, image_io.encode_png(image))
    return kept[1]


def write_report(folder, report):
    tmp = os.path.join(folder, REPORT + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    os.replace(tmp, os.path.join(folder, REPORT))


def load(folder):
    path = os.path.join(folder, NPZ)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise InvalidResult(f"The avatar data in {folder} cannot be read: {exc}") from None
    version = int(arrays.pop("schema_version", -1))
    if version != SCHEMA_VERSION:
        raise InvalidResult(f"The avatar data has schema version {version}; this Likeness reads "
                            f"version {SCHEMA_VERSION}. Rebuild the avatar.")
    _validate(arrays)
    paths = {key: os.path.join(folder, name) for key, name in IMAGES.items()}
    for path in paths.values():
        if not os.path.isfile(path):
            raise InvalidResult(f"The avatar's texture is missing: {path}")
    return AvatarResult(arrays=arrays, image_paths=paths, report=load_report(folder))


def load_report(folder):
    try:
        with open(os.path.join(folder, REPORT), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise InvalidResult(f"The avatar report in {folder} cannot be read: {exc}") from None


def _validate(arrays):
    sizes = {}
    for name, (kind, shape) in SCHEMA.items():
        if name not in arrays and name in OPTIONAL:
            continue
        if name not in arrays:
            raise InvalidResult(f"The avatar data lacks '{name}'.")
        a = np.asarray(arrays[name])
        if a.dtype.kind != kind and not (kind == "i" and a.dtype.kind == "u"):
            raise InvalidResult(f"'{name}' has dtype {a.dtype}, expected kind '{kind}'.")
        if a.ndim != len(shape):
            raise InvalidResult(f"'{name}' has shape {a.shape}, expected {len(shape)} dimensions.")
        for dim, want in zip(a.shape, shape):
            if isinstance(want, str):
                want = sizes.setdefault(want, dim)
            if dim != want:
                raise InvalidResult(f"'{name}' has shape {a.shape}, which does not match the other arrays.")
        if kind == "f" and not np.all(np.isfinite(a)):
            raise InvalidResult(f"'{name}' contains NaN or infinite values.")
    n_v, n_b = sizes["V"], sizes["B"]
    if arrays["faces"].size and (arrays["faces"].min() < 0 or arrays["faces"].max() >= n_v):
        raise InvalidResult("Face indices point outside the vertex list.")
    if arrays["skin_bone_index"].min() < 0 or arrays["skin_bone_index"].max() >= n_b:
        raise InvalidResult("Skinning indices point outside the bone list.")
    if arrays["face_material"].min() < 0 or arrays["face_material"].max() >= sizes["M"]:
        raise InvalidResult("A face's material index is out of range.")
    if arrays["bone_parents"].max() >= n_b:
        raise InvalidResult("A bone's parent index is out of range.")
    if "C" in sizes and sizes["C"] > n_v:
        raise InvalidResult("The corrective shape has more vertices than the mesh.")
    anchor = arrays.get("brow_lash_anchor")
    if anchor is not None and anchor.size and (anchor.min() < 0 or anchor.max() >= n_v):
        raise InvalidResult("An eyebrow or eyelash anchor points outside the vertex list.")
