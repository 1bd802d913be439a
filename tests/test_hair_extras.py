"""Eyebrows and eyelashes that follow the face, hair that follows the artist's reshaping of
the head, and the game-ready form in a glb: an avatar from a real photo, in real Blender."""
import os
import sys

import numpy as np
import pytest

from conftest import EXTENSION_MODULE, data_path, read_glb_json, world_vertices

PHOTO = ("faces", "lfpw", "image_0001.png")       # long brown hair


@pytest.fixture(scope="module")
def result_dir(addon, tmp_path_factory):
    """One worker run; each test builds its own avatar from the result in a fresh scene."""
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True)
    keep = str(tmp_path_factory.mktemp("result"))
    addon.api.build_avatar(bpy.context, [data_path(*PHOTO)], texture_size=1024, keep_result=keep)
    return keep


def build(result_dir, form):
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.likeness.hair = form
    assert bpy.ops.likeness.build_from_result(result_dir=result_dir) == {"FINISHED"}
    rig = bpy.context.view_layer.objects.active
    head = sys.modules[EXTENSION_MODULE].builders.lookups.avatar_head(rig)
    parts = {ob.get("likeness_part"): ob for ob in list(rig.children) + list(head.children)
             if ob.get("likeness_part")}
    return rig, head, parts


def strand_kinds(result_dir):
    from core import result
    return result.load(result_dir).brow_lash_kind


def strand_points(ob):
    """World positions of a Curves object's evaluated points, (curves, points, 3), or of a
    card mesh's strands (the middle of each card's two edges), (cards, points, 3)."""
    if ob.type == "CURVES":
        pts, offsets = curve_points(ob)
        return pts.reshape(len(offsets) - 1, -1, 3)
    co = world_vertices(ob).reshape(-1, 2, 3).mean(1)        # a card's two edges -> its strand
    return co.reshape(-1, _points_per_card(ob), 3)


def curve_points(ob):
    """World positions of a Curves object's evaluated points (N, 3) and each curve's first
    point index, with the total at the end (curves + 1,)."""
    import bpy
    ev = ob.evaluated_get(bpy.context.evaluated_depsgraph_get())
    co = np.empty(len(ev.data.points) * 3, np.float32)
    ev.data.position_data.foreach_get("vector", co)
    offsets = np.empty(len(ev.data.curves) + 1, np.int32)
    ev.data.curve_offset_data.foreach_get("value", offsets)
    mw = np.array(ev.matrix_world)
    return co.reshape(-1, 3) @ mw[:3, :3].T + mw[:3, 3], offsets


def _points_per_card(ob):
    """Cards are strips of quads, one per strand: vertices = 2 * points, quads = points - 1."""
    n_verts, n_quads = len(ob.data.vertices), len(ob.data.polygons)
    # n_cards * 2 * points = n_verts and n_cards * (points - 1) = n_quads
    n_cards = n_verts // 2 - n_quads
    return n_verts // (2 * n_cards)


def set_key(head, name, value):
    import bpy
    head.data.shape_keys.key_blocks[name].value = value
    bpy.context.view_layer.update()


@pytest.mark.parametrize("form", ["CURVES", "CARDS"])
def test_lashes_close_with_a_blink_and_brows_rise(result_dir, form):
    """eyeBlinkLeft takes the left upper lashes down with the lid and leaves the right eye's
    alone; browInnerUp lifts the brows."""
    rig, head, parts = build(result_dir, form)
    ob = parts["brows_lashes"]
    assert ob.type == ("CURVES" if form == "CURVES" else "MESH")
    kind = strand_kinds(result_dir)
    rest = strand_points(ob)
    assert len(rest) == len(kind) and (kind == 0).sum() >= 200 and (kind == 1).sum() >= 100
    lash, left = kind == 1, rest[:, 0, 0] > head.matrix_world.translation.x
    set_key(head, "eyeBlinkLeft", 1.0)
    try:
        drop = (strand_points(ob) - rest)[:, -1, 2]              # tip height change
    finally:
        set_key(head, "eyeBlinkLeft", 0.0)
    assert (drop[lash & left] < -0.005).sum() >= 20, "the left lashes did not come down with the lid"
    assert drop[lash & left].mean() < -0.003
    assert np.abs(drop[lash & ~left]).max() < 1e-4, "the right lashes moved with the left blink"
    assert np.abs(drop[~lash]).max() < 0.003                     # brows stay (nearly) put
    set_key(head, "browInnerUp", 1.0)
    try:
        rise = (strand_points(ob) - rest)[:, 0, 2]
    finally:
        set_key(head, "browInnerUp", 0.0)
    assert np.percentile(rise[~lash], 75) > 0.002, "the brows did not rise"
    assert np.abs(strand_points(ob) - rest).max() < 1e-5          # back at rest


def test_brows_and_lashes_sit_on_the_face(result_dir):
    """Brow roots on the skin between the eyes and the forehead, in the hair's colour; lash
    roots on the lid rims, near black."""
    rig, head, parts = build(result_dir, "CURVES")
    ob = parts["brows_lashes"]
    kind = strand_kinds(result_dir)
    pts = strand_points(ob)
    gap = surface_distance(head, pts[:, 0])
    assert gap.max() < 0.0015
    mats = {m.name.rsplit("_", 1)[-1]: m for m in ob.data.materials}
    brow_rgb = mats["brows"].node_tree.nodes["Hair (measured colour)"].inputs["Color"].default_value[:3]
    lash_rgb = mats["lashes"].node_tree.nodes["Hair (measured colour)"].inputs["Color"].default_value[:3]
    from core import hair_strands, result
    assert np.allclose(brow_rgb, hair_strands.bsdf_colour(result.load(result_dir).hair_rgb), atol=1e-3)
    assert max(lash_rgb) < 0.03
    eye_z = np.median(pts[kind == 1, 0, 2])
    assert np.median(pts[kind == 0, 0, 2]) > eye_z + 0.008        # brows above the eyes
    assert np.ptp(pts[kind == 0, 0, 0]) > 0.07                    # two brows, across the face


def surface_distance(head, points):
    """Distance from world ``points`` to the evaluated head mesh's surface."""
    import bpy
    from mathutils import Vector
    from mathutils.bvhtree import BVHTree
    depsgraph = bpy.context.evaluated_depsgraph_get()
    tree = BVHTree.FromObject(head, depsgraph)
    inv = head.matrix_world.inverted()
    return np.array([tree.find_nearest(inv @ Vector(p.tolist()))[3] for p in points])


@pytest.mark.parametrize("form", ["CURVES", "CARDS"])
def test_hair_follows_a_reshaped_head(result_dir, form):
    """A taller person (the height phenotype) has a bigger head: the hair's roots, the brows
    and the lashes stay on the new skin, in the artist's choice of form."""
    rig, head, parts = build(result_dir, form)
    hair, extras = parts["hair"], parts["brows_lashes"]
    assert hair.type == ("CURVES" if form == "CURVES" else "MESH")
    before = surface_distance(head, _roots(hair))
    crown = world_vertices(head)[:, 2].max()
    item = next(it for it in rig.likeness_identity.phenotype if it.label == "height")
    fitted = item.value
    item.value = 1.0                                     # runs the worker's reshape job
    try:
        assert world_vertices(head)[:, 2].max() - crown > 0.01, "the head did not grow"
        after = surface_distance(head, _roots(hair))
        assert after.max() < before.max() + 0.002, f"hair roots left the scalp: {after.max():.4f} m"
        assert surface_distance(head, strand_points(extras)[:, 0]).max() < 0.002
    finally:
        item.value = fitted
    assert np.abs(surface_distance(head, _roots(hair)) - before).max() < 1e-4


def _roots(hair):
    import bpy
    bpy.context.view_layer.update()
    if hair.type == "CURVES":          # the guides (the object's own curves), in world space
        mw = np.array(hair.matrix_world)
        roots = np.array([hair.data.points[c.first_point_index].position for c in hair.data.curves])
        return roots @ mw[:3, :3].T + mw[:3, 3]
    return strand_points(hair)[:, 0]


def test_cards_export_to_glb_with_morph_targets(result_dir, tmp_path):
    """The game-ready brows and lashes reach the glb: alpha cards whose morph targets carry
    the head's blink and brow keys under the same names."""
    import bpy
    rig, head, parts = build(result_dir, "CARDS")
    for ob in bpy.context.view_layer.objects:
        ob.select_set(True)
    path = str(tmp_path / "cards.glb")
    bpy.ops.export_scene.gltf(filepath=path, use_selection=True, export_format="GLB")
    gltf = read_glb_json(path)
    mesh = next(m for m in gltf["meshes"] if m["name"].endswith("_brows_lashes"))
    names = mesh.get("extras", {}).get("targetNames", [])
    assert {"eyeBlinkLeft", "eyeBlinkRight", "browInnerUp"} <= set(names)
    assert all(len(p.get("targets", [])) == len(names) for p in mesh["primitives"])
    mats = {m["name"]: m for m in gltf["materials"]}
    from core import result
    colours = {"_brows_cards": result.load(result_dir).hair_rgb, "_lashes_cards": None}
    for suffix, rgb in colours.items():
        mat = next(m for n, m in mats.items() if n.endswith(suffix))
        pbr = mat["pbrMetallicRoughness"]
        assert mat.get("alphaMode") == "BLEND" and "baseColorTexture" in pbr
        factor = np.array(pbr["baseColorFactor"][:3])                # the colour rides on the texture
        assert np.allclose(factor, rgb, atol=1e-3) if rgb is not None else factor.max() < 0.03
    assert os.path.getsize(path) > 100_000


def test_a_result_from_before_brows_still_builds(result_dir, tmp_path):
    """A result written before the brow and lash arrays existed loads and builds, without them."""
    import shutil
    import bpy
    from core import result
    old = str(tmp_path / "old")
    shutil.copytree(result_dir, old)
    path = os.path.join(old, result.NPZ)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files if not k.startswith("brow_lash_")}
    np.savez(path, **arrays)
    rig, head, parts = build(old, "CARDS")
    assert "hair" in parts and "brows_lashes" not in parts
    assert bpy.context.window_manager.likeness_status.message == ""


def test_hair_does_not_hang_over_the_bare_face(result_dir):
    """The photo shows the forehead and face bare: the head's Bare Skin group covers them, and
    no child strand hangs in front of them (children between guides that part left and right
    used to fall straight down over the face)."""
    from scipy.spatial import cKDTree
    rig, head, parts = build(result_dir, "CURVES")
    verts = world_vertices(head)
    group = head.vertex_groups["Bare Skin"].index
    bare = np.array([any(g.group == group and g.weight > 0.5 for g in v.groups) for v in head.data.vertices])
    assert bare.sum() > 500, f"only {bare.sum()} bare-skin vertices"
    normals = np.array([v.normal for v in head.data.vertices]) @ np.array(head.matrix_world)[:3, :3].T
    pts, offsets = curve_points(parts["hair"])
    step = np.r_[0.0, np.linalg.norm(np.diff(pts, axis=0), axis=1)]
    step[offsets[:-1]] = 0.0                                  # each curve starts at its root
    from_root = np.cumsum(step) - np.repeat(np.cumsum(step)[offsets[:-1]], np.diff(offsets))
    dist, i = cKDTree(verts[bare]).query(pts)
    ahead = ((pts - verts[bare][i]) * normals[bare][i]).sum(1)
    over = (dist < 0.02) & (ahead > 0.004) & (from_root > 0.015)     # the hairline's own roots aside
    # measured: 0.19% with the children cut at bare skin, 0.45% without (image_0001)
    assert over.mean() < 0.003, f"{over.sum()} of {len(pts)} hair points hang over the bare face"


def test_a_hairstyle_chosen_in_the_panel_regrows_the_hair(result_dir):
    """The panel's Hair Style operator turns the photo's long hair into a ponytail on the head
    as it is (cards stay cards, the colour stays), the ponytail follows the head bone, and
    undo brings the long hair back. The new hair takes the old one's name (no ".001")."""
    import bpy
    from core import hair_strands, head_model
    rig, head, parts = build(result_dir, "CARDS")
    rig_name, old_name = rig.name, parts["hair"].name
    colour = tuple(parts["hair"].active_material.node_tree.nodes["Strand Colour"].inputs["B"].default_value)
    before = strand_points(parts["hair"])
    bpy.ops.ed.undo_push(message="avatar built")
    # as from the panel: with an undo step of its own (the operator's UNDO option)
    assert bpy.ops.likeness.hair_style("EXEC_DEFAULT", True, style="ponytail") == {"FINISHED"}
    hair = [ob for ob in rig.children if ob.get("likeness_part") == "hair"]
    assert len(hair) == 1 and hair[0].type == "MESH" and hair[0].name == old_name      # the name kept
    hair = hair[0]
    assert strand_points(hair).shape != before.shape or not np.allclose(strand_points(hair), before)
    assert rig.likeness_hair.style == "ponytail" and hair["likeness_hair_style"] == "ponytail"
    assert np.allclose(hair.active_material.node_tree.nodes["Strand Colour"].inputs["B"].default_value, colour)
    hm = head_model.load()
    basis = np.array([p.co for p in head.data.shape_keys.key_blocks[0].points])[:hm.n_vertices]
    mw = np.array(head.matrix_world)
    tie = hair_strands.tie_point(basis, hm.vertex_part == 0, "ponytail") @ mw[:3, :3].T + mw[:3, 3]
    strands = strand_points(hair)
    gathered = np.linalg.norm(strands - tie, axis=2).min(1) < 0.015
    assert gathered.mean() > 0.7, gathered.mean()                    # all but a fringe, if any
    assert np.median(strands[:, -1, 2]) < tie[2] - 0.1                 # and falls from the tie
    assert hair.parent == rig and hair.parent_type == "BONE" and hair.parent_bone == "head"
    pose = rig.pose.bones["head"]
    pose.rotation_mode = "XYZ"
    pose.rotation_euler = (0.0, 0.0, 0.5)
    bpy.context.view_layer.update()
    turned = strand_points(hair)
    pose.rotation_euler = (0.0, 0.0, 0.0)
    bpy.context.view_layer.update()
    shift = np.linalg.norm(turned - strand_points(hair), axis=2)
    assert shift.min() > 0 and np.median(shift) > 0.02
    bpy.ops.ed.undo()
    rig = bpy.data.objects[rig_name]
    hair = [ob for ob in rig.children if ob.get("likeness_part") == "hair"]
    assert [ob.name for ob in hair] == [old_name]
    assert np.allclose(strand_points(hair[0]), before, atol=1e-5)


def test_avatars_share_one_hair_tree_through_restyles_a_failed_build_and_a_merge(result_dir, tmp_path):
    """Two avatars with hair curves share the file's one hair tree and one brow tree, each
    modifier giving its own head and material, and each one's children grow on its own head;
    a build that fails leaves the shared trees to the avatars that use them; a curly style
    brings the curly tree, and a tree goes only when no avatar uses it; a file appended into
    this one (a crowd's shards) brings copies that are folded into this file's trees."""
    import bpy
    addon = sys.modules[EXTENSION_MODULE]
    hair_build, compat = addon.builders.hair_build, addon.builders.compat
    rig_a, head_a, _ = build(result_dir, "CURVES")
    groups = len(bpy.data.node_groups)
    bpy.context.scene.cursor.location = (1.0, 0.0, 0.0)
    assert bpy.ops.likeness.build_from_result(result_dir=result_dir) == {"FINISHED"}
    rig_b = bpy.context.view_layer.objects.active
    avatars = [(rig_a, head_a), (rig_b, addon.builders.lookups.avatar_head(rig_b))]
    assert rig_b != rig_a and avatars[1][1] != head_a

    def shared():
        trees = [g for g in bpy.data.node_groups if g.get(hair_build.SHARED_TREE)]
        kinds = [g[hair_build.SHARED_TREE] for g in trees]
        assert len(kinds) == len(set(kinds)), kinds
        return dict(zip(kinds, trees))

    def check(rigs_heads):
        """Each avatar's modifiers on the shared trees, with its own head and material, and its
        children grown on its own head (nearer it than any other)."""
        centres = [world_vertices(head).mean(0) for _, head in rigs_heads]
        for i, (rig, head) in enumerate(rigs_heads):
            hair = next(ob for ob in rig.children if ob.get("likeness_part") == "hair")
            brows = next(ob for ob in head.children if ob.get("likeness_part") == "brows_lashes")
            mod, brow_mod = hair.modifiers[hair_build.HAIR_MODIFIER], brows.modifiers[hair_build.BROWS_MODIFIER]
            assert brow_mod.node_group == shared()["brows_lashes"]
            assert mod.node_group in shared().values()
            assert compat.modifier_input(mod, "Surface") == head
            assert compat.modifier_input(mod, "Material") == hair.data.materials[0]
            assert compat.modifier_input(brow_mod, "Surface") == head
            pts, offsets = curve_points(hair)
            assert len(offsets) - 1 > 5 * len(hair.data.curves)           # children between the guides
            gaps = [np.linalg.norm(np.median(pts, 0) - c) for c in centres]
            assert np.argmin(gaps) == i and gaps[i] < 0.3, gaps          # the heads stand 1 m apart

    assert set(shared()) == {"hair", "brows_lashes"}
    assert len(bpy.data.node_groups) == groups          # the second avatar made no node group
    check(avatars)

    # a third avatar's hair that fails half-way: the shared trees stay, in use
    from core import result
    res = result.load(result_dir)
    t = addon.builders.scene_build.Tracker()
    hair_build.build_curves("failed", head_a, rig_a, res.hair_guides, (0.1, 0.1, 0.1), rig_a.users_collection[0], t)
    t.rollback()
    assert set(shared()) == {"hair", "brows_lashes"} and shared()["hair"].users == 2
    check(avatars)

    # curly and coily styles share the curly tree, each with its own curl; the straight one goes
    restyle = addon.builders.hair_restyle.restyle
    for (rig, _), style in zip(avatars, ("curly", "afro")):
        restyle(bpy.context, rig, style, rig.likeness_hair.parting, rig.likeness_hair.fringe)
        assert "hair_curly" in shared()
    assert set(shared()) == {"hair_curly", "brows_lashes"}
    radii = set()
    for rig, _ in avatars:
        hair = next(ob for ob in rig.children if ob.get("likeness_part") == "hair")
        mod = hair.modifiers[hair_build.HAIR_MODIFIER]
        radii.add(compat.modifier_input(mod, "Curl Radius"))
    assert sorted(radii) == pytest.approx(sorted(c["Radius"] for c in hair_build.CHILD_CURL.values()))
    check(avatars)

    # the file appended into itself, as crowd-merge appends shards: one tree of each kind
    path = str(tmp_path / "shard.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path, copy=True)
    names = [rig.users_collection[0].name for rig, _ in avatars]
    with bpy.data.libraries.load(path, link=False) as (_, dst):
        dst.collections = names
    for coll in dst.collections:
        bpy.context.scene.collection.children.link(coll)
        for ob in coll.all_objects:
            if ob.type == "ARMATURE":
                ob.location.y += 1.0
    assert len([g for g in bpy.data.node_groups if g.get(hair_build.SHARED_TREE)]) == 4
    addon.builders.crowd.merge_shared_materials()
    assert set(shared()) == {"hair_curly", "brows_lashes"}
    appended = [(rig, addon.builders.lookups.avatar_head(rig)) for coll in dst.collections
                for rig in coll.all_objects if rig.type == "ARMATURE"]
    assert len(appended) == 2
    check(avatars + appended)
