"""Hair in Blender from the avatar's guide strands: a Curves object on the scalp whose
children come from Blender's own Essentials hair node groups (interpolate, clump, frizz),
with a Principled Hair BSDF; or, for game engines, hair cards (a mesh with an alpha strand
texture) that glTF and FBX carry. Both follow the head bone."""
import os

import bpy
import numpy as np

from ..core import hair_strands

HAIR_ASSETS = ("datafiles", "assets", "nodes", "procedural_hair_node_assets.blend")
ESSENTIALS = ("Attach Hair Curves to Surface", "Interpolate Hair Curves", "Clump Hair Curves",
              "Frizz Hair Curves", "Set Hair Curve Profile")
CHILD_DENSITY = 120000.0       # children per square metre of scalp near the guides (about 6000)
GUIDE_REACH_M = 0.025          # children grow only this close to a guide, so not on the face
STRAND_RADIUS_M = 0.00025       # thicker than a real hair: 6000 strands stand for ~100 000


def essentials_groups():
    """The Essentials hair node groups, appended once per file and shared by every avatar."""
    missing = [n for n in ESSENTIALS if n not in bpy.data.node_groups]
    if missing:
        path = os.path.join(bpy.utils.resource_path("LOCAL"), *HAIR_ASSETS)
        with bpy.data.libraries.load(path, link=False) as (src, dst):
            dst.node_groups = [n for n in missing if n in src.node_groups]
    return {n: bpy.data.node_groups[n] for n in ESSENTIALS}


def _group_node(tree, group, location, **inputs):
    node = tree.nodes.new("GeometryNodeGroup")
    node.node_tree = group
    node.name = node.label = group.name
    node.location = location
    for name, value in inputs.items():       # two inputs are called Surface: take the one with a value
        socket = next(s for s in node.inputs if s.name == name.replace("_", " ") and hasattr(s, "default_value"))
        socket.default_value = value
    return node


def _hair_node_tree(name, head, material, t):
    """Guides in, children out: attach to the head, interpolate, clump, frizz, profile, material."""
    groups = essentials_groups()
    tree = t.add(bpy.data.node_groups.new(f"{name}_hair", "GeometryNodeTree"))
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    nodes, links = tree.nodes, tree.links
    gin, gout = nodes.new("NodeGroupInput"), nodes.new("NodeGroupOutput")
    uv = nodes.new("GeometryNodeInputNamedAttribute")
    uv.data_type = "FLOAT_VECTOR"
    uv.inputs["Name"].default_value = "UVMap"
    uv.location = (-400, -300)
    attach = _group_node(tree, groups["Attach Hair Curves to Surface"], (-200, 0), Surface=head)
    interp = _group_node(tree, groups["Interpolate Hair Curves"], (100, 0), Surface=head,
                         Part_by_Mesh_Islands=False, Distance_to_Guides=GUIDE_REACH_M, Density=CHILD_DENSITY)
    clump = _group_node(tree, groups["Clump Hair Curves"], (400, 0), Factor=0.6, Shape=0.4, Tip_Spread=0.002)
    frizz = _group_node(tree, groups["Frizz Hair Curves"], (700, 0), Factor=0.4, Distance=0.002)
    profile = _group_node(tree, groups["Set Hair Curve Profile"], (1000, 0), Radius=STRAND_RADIUS_M)
    set_mat = nodes.new("GeometryNodeSetMaterial")
    set_mat.inputs["Material"].default_value = material
    set_mat.location = (1300, 0)
    gout.location = (1500, 0)
    for node in (attach, interp):
        links.new(uv.outputs["Attribute"], node.inputs["Surface UV Map"])
    chain = [gin, attach, interp, clump, frizz, profile, set_mat, gout]
    for a, b in zip(chain, chain[1:]):
        links.new(a.outputs[0], b.inputs[0])
    return tree


def _hair_material(name, rgb_linear, t):
    mat = t.add(bpy.data.materials.new(f"{name}_hair"))
    if mat.node_tree is None:
        mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    nodes.clear()
    hair = nodes.new("ShaderNodeBsdfHairPrincipled")
    hair.name = hair.label = "Hair (measured colour)"
    hair.parametrization = "COLOR"
    hair.inputs["Color"].default_value = (*rgb_linear, 1.0)
    out = nodes.new("ShaderNodeOutputMaterial")
    out.location = (300, 0)
    links.new(hair.outputs[0], out.inputs["Surface"])
    mat.diffuse_color = (*rgb_linear, 1.0)          # the viewport's solid colour
    return mat


def _follow_head_bone(ob, rig):
    """Parent ``ob`` to the rig's head bone without moving it."""
    ob.parent = rig
    ob.parent_type = "BONE"
    ob.parent_bone = "head"
    bone = rig.data.bones["head"]
    # bone parenting puts the child at the bone's tail: undo that in the parent inverse
    ob.matrix_parent_inverse = (bone.matrix_local @ _translation(0, bone.length, 0)).inverted()


def _translation(x, y, z):
    from mathutils import Matrix
    return Matrix.Translation((x, y, z))


def build_curves(name, head, rig, guides, rgb_linear, coll, t):
    """The hair as a Curves object: the guides, with children made by the node groups."""
    curves = t.add(bpy.data.hair_curves.new(f"{name}_hair"))
    n, k, _ = guides.shape
    curves.add_curves([k] * n)
    curves.position_data.foreach_set("vector", guides.astype(np.float32).ravel())
    curves.surface = head
    curves.surface_uv_map = "UVMap"
    ob = t.add(bpy.data.objects.new(f"{name}_hair", curves))
    coll.objects.link(ob)
    material = _hair_material(name, rgb_linear, t)
    curves.materials.append(material)
    mod = ob.modifiers.new("Likeness Hair", "NODES")
    mod.node_group = _hair_node_tree(name, head, material, t)
    _follow_head_bone(ob, rig)
    return ob


def build_cards(name, head, rig, guides, rgb_linear, coll, t):
    """The hair as cards: one textured ribbon per guide, alpha-blended, for game engines."""
    verts, quads, uv = hair_strands.cards(guides, head_centre=np.array(guides.reshape(-1, 3).mean(0)))
    me = t.add(bpy.data.meshes.new(f"{name}_hair_cards"))
    me.vertices.add(len(verts))
    me.vertices.foreach_set("co", verts.astype(np.float32).ravel())
    me.loops.add(quads.size)
    me.loops.foreach_set("vertex_index", quads.astype(np.int32).ravel())
    me.polygons.add(len(quads))
    me.polygons.foreach_set("loop_start", np.arange(0, quads.size, 4, dtype=np.int32))
    me.update(calc_edges=True)
    me.uv_layers.new(name="UVMap").data.foreach_set("uv", uv.astype(np.float32).ravel())
    me.shade_smooth()
    ob = t.add(bpy.data.objects.new(f"{name}_hair_cards", me))
    coll.objects.link(ob)
    me.materials.append(_card_material(name, rgb_linear, t))
    _follow_head_bone(ob, rig)
    return ob


def _card_material(name, rgb_linear, t):
    tex = hair_strands.card_texture(rgb_linear)
    size = tex.shape[0]
    img = t.add(bpy.data.images.new(f"{name}_hair_strands", size, size, alpha=True))
    img.pixels.foreach_set((tex[::-1].astype(np.float32) / 255.0).ravel())      # Blender's rows go up
    img.pack()
    mat = t.add(bpy.data.materials.new(f"{name}_hair_cards"))
    if mat.node_tree is None:
        mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes.get("Principled BSDF")
    node = nodes.new("ShaderNodeTexImage")
    node.name = node.label = "Hair Strands"
    node.image = img
    node.location = (-400, 200)
    links.new(node.outputs["Color"], bsdf.inputs["Base Color"])
    links.new(node.outputs["Alpha"], bsdf.inputs["Alpha"])
    bsdf.inputs["Roughness"].default_value = 0.45
    mat.surface_render_method = "BLENDED"
    mat.use_backface_culling = False
    return mat
