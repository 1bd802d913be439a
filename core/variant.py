"""Crowd variants as AvatarResults: random characters, or relatives of a photo's avatar.

A random character gets its identity from ``crowd.random_identity`` and a painted
texture (``skin_paint``); a variant around a photo keeps that avatar's textures
and hair colour and varies its shape. Either way the result has the photo
avatar's schema, so the scene builder, exports and animation treat both alike.
"""
import functools
import os
import time

import numpy as np

from . import correspondence, crowd, fit, hair_strands, hair_styles, head_model, pbr_maps, result, skin_paint, texture
from .analysis import camera_matrix_world, ms
from .assembly import TEXTURE_SIZES, avatar_arrays, eye_axes, head_mesh, roughness_map, texel_map

CAMERA_DISTANCE_M = 0.9        # the reference camera of a variant: in front of the face
IMAGE_PX = 1024
FOCAL_PX = 2600.0


@functools.lru_cache(maxsize=1)
def _base(base_dir, mtime):
    """The photo avatar that variants vary (read once for all the variants of a crowd; the
    file's ``mtime`` in the key, so a rewritten base is read again)."""
    return result.load(base_dir)


def _front_camera(neutral):
    """OpenCV camera-from-head (R, t) looking at the face from the front."""
    points = correspondence.surface_points(neutral["vertices"])
    centre = points.mean(0)
    rotation = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    translation = np.array([0.0, 0.0, CAMERA_DISTANCE_M]) - rotation @ centre
    return rotation, translation


def build_variant(seed, index, out_dir, texture_size=1024, base_dir=None, name=""):
    """Character ``index`` of the crowd ``seed``, written to ``out_dir`` as an AvatarResult.
    With ``base_dir`` (a photo avatar's result) it is a variant around that avatar."""
    if texture_size not in TEXTURE_SIZES:
        raise ValueError(f"texture size must be one of {TEXTURE_SIZES}")
    t0 = time.perf_counter()
    timings = {}
    hm = head_model.load()
    rng = crowd.rng_for(seed, index)
    base = _base(base_dir, os.path.getmtime(os.path.join(base_dir, result.NPZ))) if base_dir else None
    if base is None:
        ident = crowd.random_identity(rng, hm)
        phenotype, local = ident.phenotype, ident.local_changes
        style = hair_strands.Style(ident.hair_length, volume_m=ident.hair_volume_cm / 100.0,
                                   parting=ident.parting, fringe=ident.fringe, seed=int(rng.integers(2 ** 31)))
        hair_rgb = texture.srgb_to_linear(np.array(crowd.HAIR_SRGB[ident.hair_colour]))
    else:
        phenotype, local = crowd.identity_around(rng, base.phenotype, base.local_changes, hm)
        measured, hair_seed = base.report.get("hair"), int(rng.integers(2 ** 31))
        chosen = (measured or {}).get("style")
        style = (hair_styles.measured(hair_styles.style(chosen["name"], chosen["parting"], seed=hair_seed), measured)
                 if chosen else hair_styles.from_report(measured, hair_seed))   # the base's library style
        style.volume_m *= rng.uniform(0.7, 1.3)
        hair_rgb = np.asarray(base.hair_rgb, np.float64)
    t = time.perf_counter()
    neutral = hm.forward(phenotype, local, np.zeros(len(hm.facial_action_labels)))
    mesh = head_mesh(hm, neutral)
    timings["shape"] = ms(t)

    t = time.perf_counter()
    if base is None:
        albedo = skin_paint.paint(texel_map(texture.GEOMETRY_SIZE), neutral["vertices"], hm.faces,
                                  eye_axes(hm, neutral), texture_size, ident.skin_srgb,
                                  crowd.IRIS_SRGB[ident.iris], crowd.HAIR_SRGB[ident.hair_colour],
                                  int(rng.integers(2 ** 31)))
        images = {"albedo": albedo, "lit": albedo, "roughness": roughness_map(min(texture_size, 1024)),
                  "normal": pbr_maps.detail_normal_map(albedo)}
    timings["texture"] = ms(t)

    t = time.perf_counter()
    guides = hair_strands.guides(neutral["vertices"], hm.faces, hm.vertex_part == 0,
                                 mesh["scalp_weight"][:hm.n_vertices], style)
    timings["hair"] = ms(t)
    rotation, translation = _front_camera(neutral)
    landmarks = correspondence.surface_points(neutral["vertices"])[correspondence.ibug68_index()]
    arrays = avatar_arrays(hm, neutral, mesh, phenotype, local,
                           expression=np.zeros(len(hm.facial_action_labels)),
                           camera_matrix_world=camera_matrix_world(rotation, translation),
                           focal_px=FOCAL_PX, image_size=(IMAGE_PX, IMAGE_PX),
                           landmarks68=fit.project(landmarks, rotation, translation, FOCAL_PX, (IMAGE_PX / 2.0,) * 2),
                           hair={"hair_guides": guides.astype(np.float32),
                                 "hair_rgb": np.asarray(hair_rgb, np.float32)})
    report = {
        "schema_version": result.SCHEMA_VERSION,
        "input": {"path": base.report["input"]["path"] if base else "", "kind": "variant",
                  "seed": int(seed), "index": int(index), "name": name},
        "identity": (ident.to_report(hm) if base is None else
                     {"phenotype": {n: round(float(v), 4) for n, v in zip(hm.phenotype_labels, phenotype)}}),
        "hair": {"length": style.length, "volume_cm": round(style.volume_m * 100, 2), "parting": style.parting,
                 "fringe": round(style.fringe, 3), "guides": int(len(guides))},
        "warnings": [],
    }
    if base is not None:
        images = {key: base.image_paths[key] for key in result.IMAGES}
    result.save(out_dir, arrays, images, report)
    timings["total"] = ms(t0)
    report["timings_ms"] = timings
    result.write_report(out_dir, report)
    return report

