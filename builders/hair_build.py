"""Hair in Blender from the avatar's guide strands: a Curves object on the scalp whose
children come from Blender's own Essentials hair node groups (interpolate, clump, frizz),
with a Principled Hair BSDF; or, for game engines, hair cards (a mesh with an alpha strand
texture) that glTF and FBX carry. Both follow the head bone. Eyebrows and eyelashes come in
the same form and follow the face (shape keys and bones).

Every strand remembers where it grows (an anchor: three head vertices and their weights, as
attributes), so when the artist reshapes the head the hair moves with the scalp."""
import logging

import bpy
import numpy as np

from ..core import body, brows_lashes, hair_strands
from . import compat
from .compat import material_nodes
from .materials import principled

log = logging.getLogger(__name__)

ESSENTIALS = ("Attach Hair Curves to Surface", "Interpolate Hair Curves", "Clump Hair Curves",
              "Frizz Hair Curves", "Set Hair Curve Profile")
CHILD_DENSITY = 240000.0       # children per square metre of scalp near the guides (about 12 000)
BARE_REACH_M = 0.03            # a child point this close to bare skin hangs over it ...
BARE_FROM_ROOT_M = 0.01        # ... unless it is this close to its root (the hairline's own)
GUIDE_REACH_M = 0.025          # children grow only this close to a guide, so not on the face
STRAND_IMAGE = "Likeness_hair_strands"
HAIR_MODIFIER = "Likeness Hair"  # the geometry-nodes modifier that grows the hair's children
STRAND_RADIUS_M = 0.00035       # thicker than a real hair: 12 000 strands stand for ~100 000
SCALP_GROUP = "Scalp"           # the head's vertex group of where hair grows (children only there)
BARE_GROUP = "Bare Skin"       # the head's vertex group of skin no hair hangs over
HAIR_IOR = 1.2                 # see _hair_material
PART = "likeness_part"          # custom property: "hair" or "brows_lashes"
ANCHOR, WEIGHT = "likeness_anchor", "likeness_weight"     # attributes ANCHOR0..2, WEIGHT0..2
REST_ANCHOR = "likeness_rest_anchor"
STYLE, RGB = "likeness_hair_style", "likeness_hair_rgb"     # custom properties: the hair object's style, the rig's colour
CURL_GROUP = "Curl Hair Curves"  # an Essentials group for curly children, used when present
# per curl class the children's Curl Hair Curves inputs (the guides carry waves themselves)
CHILD_CURL = {"curly": dict(Radius=0.005, Frequency=1.0, Subdivision=2),
              "coily": dict(Radius=0.003, Frequency=2.0, Subdivision=2)}
BROW_RADIUS_M, LASH_RADIUS_M = 0.00007, 0.00009
BROWS_MODIFIER = "Likeness Brows and Lashes"
# The node trees every avatar in the file shares (one per kind), each modifier giving its own
# head, material and curl as inputs: one tree per avatar cost memory and made a crowd's file big.
HAIR_TREE, CURLY_HAIR_TREE, BROWS_TREE = "Likeness Hair", "Likeness Hair (curly)", "Likeness Brows and Lashes"
SURFACE, MATERIAL, CURL = "Surface", "Material", "Curl "   # the shared trees' inputs (CURL + CHILD_CURL's keys)
SHARED_TREE, TREE_VERSION = "likeness_shared_tree", "likeness_tree_version"   # custom properties of a shared tree
SHARED_TREE_VERSION = 1         # up it when a shared tree's nodes or inputs change: a file's older one is not reused
BROW_LASH_CARD_M = 0.0008      # card width of a brow hair or a lash


def build(name, head, rig, res, form, coll, t):
    """The hair, eyebrows and eyelashes of ``res`` in ``form`` ("CURVES", "CARDS" or "NONE")."""
    rgb = tuple(float(v) for v in res.hair_rgb)
    chosen = [str(x) for x in res.arrays.get("hair_style", ())]
    remember(rig, rgb, chosen)
    if form not in ("CURVES", "CARDS"):
        return
    if len(res.hair_guides):
        make = build_curves if form == "CURVES" else build_cards
        ob = make(name, head, rig, res.hair_guides, rgb, coll, t, curl=_curl_of(chosen))
        if chosen:
            ob[STYLE] = chosen[0]
    if len(res.arrays.get("brow_lash_strands", ())):
        make = brows_lashes_curves if form == "CURVES" else brows_lashes_cards
        make(name, head, rig, res, rgb, coll, t)


def remember(rig, rgb, chosen):
    """Keep the hair's colour and library style (name, parting, fringe; may be empty) on the
    rig, for a later change of style."""
    rig[RGB] = list(rgb)
    if chosen and hasattr(rig, "likeness_hair"):
        settings = rig.likeness_hair
        settings.style, settings.parting, settings.fringe = chosen


def _curl_of(chosen):
    from ..core import hair_styles
    return hair_styles.LIBRARY.get(chosen[0], {}).get("curl", "straight") if chosen else "straight"


def essentials_groups():
    """The Essentials hair node groups, appended once per file and shared by every avatar."""
    missing = [n for n in ESSENTIALS + (CURL_GROUP,) if n not in bpy.data.node_groups]
    if missing:
        with bpy.data.libraries.load(compat.hair_assets_path(), link=False) as (src, dst):
            dst.node_groups = [n for n in missing if n in src.node_groups]
    absent = [n for n in ESSENTIALS if n not in bpy.data.node_groups]
    if absent:
        raise compat.BlenderIncompatible(f"{compat.version_text()}'s Essentials hair assets have no "
                                         f"{', '.join(absent)}. Use hair cards or no hair.")
    return {n: bpy.data.node_groups[n] for n in ESSENTIALS + (CURL_GROUP,) if n in bpy.data.node_groups}


def _geometry_tree(name, t, inputs=()):
    """A new geometry node tree with a Geometry input and output, and ``inputs`` ((name, socket
    type) pairs) after the Geometry one: (tree, nodes, links, in, out); in.outputs[name] is an input."""
    tree = t.add(bpy.data.node_groups.new(name, "GeometryNodeTree"))
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    for socket_name, socket_type in inputs:
        tree.interface.new_socket(socket_name, in_out="INPUT", socket_type=socket_type)
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    return tree, tree.nodes, tree.links, tree.nodes.new("NodeGroupInput"), tree.nodes.new("NodeGroupOutput")


def shared_tree(kind, make, t):
    """The node tree of ``kind`` that every avatar in the file shares: the file's own of this
    version (SHARED_TREE and TREE_VERSION, whatever its name), or a new one, ``make(t)``, that
    goes with this build (``t``) if it fails; one that was there stays whatever becomes of it."""
    for tree in bpy.data.node_groups:
        if tree.get(SHARED_TREE) == kind and tree.get(TREE_VERSION) == SHARED_TREE_VERSION and tree.library is None:
            return tree
    made = _Listed(t)
    try:
        tree = make(made)
    except Exception:
        for datablock in made.made:                  # half a tree is no use to the next avatar
            bpy.data.node_groups.remove(datablock)
        raise
    tree[SHARED_TREE], tree[TREE_VERSION] = kind, SHARED_TREE_VERSION
    return tree


class _Listed:
    """A build's tracker (``t``) that also lists what it is given."""

    def __init__(self, t):
        self.t, self.made = t, []

    def add(self, datablock):
        self.made.append(datablock)
        return self.t.add(datablock)


def fold_shared_trees():
    """One shared tree of each kind and version, where files appended into this one brought
    copies ("Likeness Hair.001" ...): every modifier on the first by name, the others removed."""
    kept = {}
    for tree in sorted(bpy.data.node_groups, key=lambda g: g.name):
        key = (tree.get(SHARED_TREE), tree.get(TREE_VERSION))
        if key[0] is None or tree.library is not None:
            continue
        if key in kept:
            tree.user_remap(kept[key])
            bpy.data.node_groups.remove(tree)
        else:
            kept[key] = tree


def _group_node(tree, group, location, **inputs):
    node = tree.nodes.new("GeometryNodeGroup")
    node.node_tree = group
    node.name = node.label = group.name
    node.location = location
    for name, value in inputs.items():
        compat.group_input(node, name.replace("_", " ")).default_value = value
    return node


def hair_tree(curl, t):
    """The shared hair tree for ``curl`` (core.hair_strands.CURLS' class): the curly one, with
    Curl Hair Curves, for a class of CHILD_CURL where this Blender has that group, else the
    straight one."""
    if curl in CHILD_CURL and CURL_GROUP in essentials_groups():
        try:
            return shared_tree("hair_curly", lambda t: _hair_node_tree(CURLY_HAIR_TREE, t, curly=True), t)
        except compat.BlenderIncompatible as exc:          # optional: the guides carry curls too
            log.warning("Curly children left out: %s", exc)
    return shared_tree("hair", lambda t: _hair_node_tree(HAIR_TREE, t), t)


def hair_inputs(tree, head, material, curl="straight"):
    """A hair modifier's inputs of the shared ``tree``: the head, the material, the curl."""
    values = {SURFACE: head, MATERIAL: material}
    if tree.get(SHARED_TREE) == "hair_curly":
        values.update({CURL + k: v for k, v in CHILD_CURL[curl].items()})
    return values


def _socket_type(value):
    return "NodeSocketInt" if isinstance(value, int) else "NodeSocketFloat"


def _hair_node_tree(name, t, curly=False):
    """Guides in, children out: attach to the head, interpolate, curl (curly and coily hair),
    clump, frizz, profile, material. The head (Surface), the material and the curl's settings
    are the tree's inputs, which each avatar's modifier sets."""
    groups = essentials_groups()
    curl_inputs = [(CURL + k, _socket_type(v)) for k, v in next(iter(CHILD_CURL.values())).items()] if curly else []
    tree, nodes, links, gin, gout = _geometry_tree(
        name, t, [(SURFACE, "NodeSocketObject"), (MATERIAL, "NodeSocketMaterial")] + curl_inputs)
    head = gin.outputs[SURFACE]
    uv = _named(nodes, "UVMap", "FLOAT_VECTOR")
    uv.location = (-400, -300)
    # not aligned to the surface normal: that turns each guide away from its grown and
    # silhouette-fitted shape (long hair then sticks out sideways at the ears)
    attach = _group_node(tree, groups["Attach Hair Curves to Surface"], (-200, 0),
                         Align_to_Surface_Normal=False)
    interp = _group_node(tree, groups["Interpolate Hair Curves"], (100, 0), Part_by_Mesh_Islands=False, Distance_to_Guides=GUIDE_REACH_M, Density=CHILD_DENSITY)
    scalp = _named(nodes, SCALP_GROUP, "FLOAT")
    scalp.location = (-400, -450)
    links.new(scalp.outputs["Attribute"], compat.group_input(interp, "Density Mask"))
    # a light clump: stronger ones open gaps between the clumps that a photo's head of hair
    # does not show (bench/hair_check.py: IoU 0.39 with 6000 children clumped at 0.6, 0.44 now)
    clump = _group_node(tree, groups["Clump Hair Curves"], (400, 0), Factor=0.2, Shape=0.4, Tip_Spread=0.002)
    frizz = _group_node(tree, groups["Frizz Hair Curves"], (700, 0), Factor=0.4, Distance=0.002)
    profile = _group_node(tree, groups["Set Hair Curve Profile"], (1000, 0), Radius=STRAND_RADIUS_M)
    set_mat = nodes.new("GeometryNodeSetMaterial")
    links.new(gin.outputs[MATERIAL], set_mat.inputs["Material"])
    set_mat.location = (1300, 0)
    gout.location = (1500, 0)
    compat.set_surface(attach, head, uv.outputs["Attribute"], links)
    # 5.2's Interpolate has no surface inputs: it reads the Curves' own surface and UV map
    compat.set_surface(interp, head, uv.outputs["Attribute"], links, required=False)
    cull = _cut_over_bare_skin(tree, head, (850, -350))       # on the strands' final shape
    chain = [gin, attach, interp, clump, frizz, cull, profile, set_mat, gout]
    if curly:
        curl = _group_node(tree, groups[CURL_GROUP], (250, -250))
        for socket_name, _ in curl_inputs:
            links.new(gin.outputs[socket_name], compat.group_input(curl, socket_name[len(CURL):]))
        chain.insert(3, curl)
    for a, b in zip(chain, chain[1:]):
        links.new(a.outputs[0], b.inputs[0])
    return tree


def _cut_over_bare_skin(tree, head, location):
    """A Delete Geometry node cutting the children where they come over skin the photo shows
    bare (the BARE_GROUP of the head that the Object socket ``head`` gives). A child between
    guides that part to the left and right averages their shapes and falls straight down over
    the forehead and face; cut, it stays a short tuft at the parting."""
    nodes, links = tree.nodes, tree.links
    x, y = location

    def node(kind, dx, dy, **props):
        n = nodes.new(kind)
        n.location = (x + dx, y + dy)
        for k, v in props.items():
            setattr(n, k, v)
        return n

    def compare(a, operation, b, dx):
        c = node("FunctionNodeCompare", dx, 0, data_type="FLOAT", operation=operation)
        links.new(a, c.inputs[0])
        c.inputs[1].default_value = b
        return c.outputs[0]

    info = node("GeometryNodeObjectInfo", -600, 0, transform_space="RELATIVE")
    links.new(head, info.inputs["Object"])
    bare = _named(nodes, BARE_GROUP, "FLOAT")
    bare.location = (x - 600, y - 200)
    sample = node("GeometryNodeSampleNearestSurface", -400, 0, data_type="FLOAT")
    links.new(info.outputs["Geometry"], sample.inputs[0])
    links.new(bare.outputs["Attribute"], sample.inputs["Value"])
    nearest = node("GeometryNodeProximity", -400, -250, target_element="FACES")
    links.new(info.outputs["Geometry"], nearest.inputs[0])
    from_root = node("GeometryNodeSplineParameter", -400, -450)
    over = node("FunctionNodeBooleanMath", 0, 0, operation="AND")
    links.new(compare(sample.outputs["Value"], "GREATER_THAN", 0.5, -200), over.inputs[0])
    links.new(compare(nearest.outputs["Distance"], "LESS_THAN", BARE_REACH_M, -200), over.inputs[1])
    away = node("FunctionNodeBooleanMath", 200, 0, operation="AND")
    links.new(over.outputs[0], away.inputs[0])
    links.new(compare(from_root.outputs["Length"], "GREATER_THAN", BARE_FROM_ROOT_M, 0), away.inputs[1])
    so_far = node("GeometryNodeAccumulateField", 400, 0, data_type="FLOAT", domain="POINT")
    links.new(away.outputs[0], so_far.inputs["Value"])
    links.new(node("GeometryNodeCurveOfPoint", 200, -250).outputs["Curve Index"], so_far.inputs["Group ID"])
    delete = node("GeometryNodeDeleteGeometry", 800, 0, domain="POINT")
    links.new(compare(so_far.outputs["Leading"], "GREATER_THAN", 0.0, 600), delete.inputs["Selection"])
    delete.name = delete.label = "Children cut where they reach bare skin"
    return delete


def _hair_material(name, rgb_linear, t, suffix="hair"):
    mat = t.add(bpy.data.materials.new(f"{name}_{suffix}"))
    tree = material_nodes(mat)
    nodes, links = tree.nodes, tree.links
    nodes.clear()
    hair = nodes.new("ShaderNodeBsdfHairPrincipled")
    hair.name = hair.label = "Hair (measured colour)"
    hair.parametrization = "COLOR"
    hair.model = "CHIANG"
    # keratin's 1.55 reflects so much white under all-round light that dark hair turns grey
    hair.inputs["IOR"].default_value = HAIR_IOR
    hair.inputs["Color"].default_value = (*hair_strands.bsdf_colour(rgb_linear), 1.0)
    out = nodes.new("ShaderNodeOutputMaterial")
    out.location = (300, 0)
    links.new(hair.outputs[0], out.inputs["Surface"])
    mat.diffuse_color = (*rgb_linear, 1.0)          # the viewport's solid colour
    return mat


def _follow_head_bone(ob, rig):
    """Parent ``ob`` to the rig's head bone without moving it."""
    ob.parent = rig
    ob.parent_type = "BONE"
    ob.parent_bone = body.HEAD_BONE
    bone = rig.data.bones[body.HEAD_BONE]
    # bone parenting puts the child at the bone's tail: undo that in the parent inverse
    ob.matrix_parent_inverse = (bone.matrix_local @ _translation(0, bone.length, 0)).inverted()


def _translation(x, y, z):
    from mathutils import Matrix
    return Matrix.Translation((x, y, z))


def build_curves(name, head, rig, guides, rgb_linear, coll, t, curl="straight"):
    """The hair as a Curves object: the guides, with children made by the node groups
    (``curl``: core.hair_strands.CURLS' class, for the children's curls)."""
    ob = _curves_object(f"{name}_hair", guides, coll, t)
    curves = ob.data
    curves.surface = head
    curves.surface_uv_map = "UVMap"
    material = _hair_material(name, rgb_linear, t)
    curves.materials.append(material)
    mod = ob.modifiers.new(HAIR_MODIFIER, "NODES")
    mod.node_group = hair_tree(curl, t)
    compat.set_modifier_inputs(mod, hair_inputs(mod.node_group, head, material, curl))
    _follow_head_bone(ob, rig)
    _store_anchors(ob, "CURVE", *_root_anchors(head, guides[:, 0]))
    ob[PART] = "hair"
    return ob


def build_cards(name, head, rig, guides, rgb_linear, coll, t, curl="straight"):
    """The hair as cards: one textured ribbon per guide, alpha-blended, for game engines."""
    ob = _card_object(f"{name}_hair_cards", guides, guides.reshape(-1, 3).mean(0), hair_strands.CARD_WIDTH_M,
                      coll, t)
    ob.data.materials.append(_card_material(name, rgb_linear, t))
    _follow_head_bone(ob, rig)
    anchor, weight = _root_anchors(head, guides[:, 0])
    _store_anchors(ob, "POINT", *_per_card_vertex(anchor, weight, guides.shape[1]))
    ob[PART] = "hair"
    return ob


def _card_object(name, strands, centre, width, coll, t):
    """A mesh object of one ribbon card per strand (hair_strands.cards), UVs for a strand texture."""
    verts, quads, uv = hair_strands.cards(strands, head_centre=np.asarray(centre), width=width)
    me = t.add(bpy.data.meshes.new(name))
    me.vertices.add(len(verts))
    me.vertices.foreach_set("co", verts.astype(np.float32).ravel())
    me.loops.add(quads.size)
    me.loops.foreach_set("vertex_index", quads.astype(np.int32).ravel())
    me.polygons.add(len(quads))
    me.polygons.foreach_set("loop_start", np.arange(0, quads.size, 4, dtype=np.int32))
    me.update(calc_edges=True)
    me.uv_layers.new(name="UVMap").data.foreach_set("uv", uv.astype(np.float32).ravel())
    me.shade_smooth()
    ob = t.add(bpy.data.objects.new(name, me))
    coll.objects.link(ob)
    return ob


def _curves_object(name, strands, coll, t):
    """A Curves object (data of the same name) of the (n, k, 3) ``strands``, k points each."""
    curves = t.add(bpy.data.hair_curves.new(name))
    n, k, _ = strands.shape
    curves.add_curves([k] * n)
    curves.position_data.foreach_set("vector", strands.astype(np.float32).ravel())
    ob = t.add(bpy.data.objects.new(name, curves))
    coll.objects.link(ob)
    return ob


def _strand_image(t):
    """White strands with alpha: the cards' colour is the material's, so one image serves every
    avatar in the file (making it takes about 0.5 s)."""
    img = bpy.data.images.get(STRAND_IMAGE)
    if img is None:
        tex = hair_strands.card_texture((1.0, 1.0, 1.0))
        img = t.add(bpy.data.images.new(STRAND_IMAGE, tex.shape[1], tex.shape[0], alpha=True))
        img.pixels.foreach_set((tex[::-1].astype(np.float32) / 255.0).ravel())   # Blender's rows go up
        img.pack()
    return img


def _card_material(name, rgb_linear, t, suffix="hair"):
    """Alpha-blended strands: the strand texture times the colour (glTF: texture and factor)."""
    img = _strand_image(t)
    mat = t.add(bpy.data.materials.new(f"{name}_{suffix}_cards"))
    bsdf = principled(mat)
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    node = nodes.new("ShaderNodeTexImage")
    node.name = node.label = "Hair Strands"
    node.image = img
    node.location = (-600, 200)
    tint = nodes.new("ShaderNodeMix")
    tint.data_type, tint.blend_type = "RGBA", "MULTIPLY"
    tint.name = tint.label = "Strand Colour"
    tint.inputs["Factor"].default_value = 1.0
    tint.inputs["B"].default_value = (*rgb_linear, 1.0)
    tint.location = (-300, 200)
    links.new(node.outputs["Color"], tint.inputs["A"])
    links.new(tint.outputs["Result"], bsdf.inputs["Base Color"])
    links.new(node.outputs["Alpha"], bsdf.inputs["Alpha"])
    bsdf.inputs["Roughness"].default_value = 0.45
    mat.surface_render_method = "BLENDED"
    mat.use_backface_culling = False
    return mat


def brows_lashes_curves(name, head, rig, res, rgb_linear, coll, t):
    """Eyebrows (the hair's colour) and eyelashes (near black) as a Curves object on the head
    object; a node tree moves each strand with its anchor on the evaluated head, so the
    strands follow the shape keys (blinks, brow raises) and the bones."""
    strands, kind = res.brow_lash_strands, res.brow_lash_kind
    anchor, weight = res.brow_lash_anchor, res.brow_lash_weight
    ob = _curves_object(f"{name}_brows_lashes", strands, coll, t)
    curves, k = ob.data, strands.shape[1]
    base = np.where(kind == brows_lashes.KIND_BROW, BROW_RADIUS_M, LASH_RADIUS_M)
    radius = base[:, None] * np.linspace(1.0, 0.3, k)[None, :]          # tapering to the tip
    _attribute(curves, "radius", "FLOAT", "POINT").data.foreach_set("value", radius.astype(np.float32).ravel())
    _attribute(curves, "material_index", "INT", "CURVE").data.foreach_set(
        "value", (kind != brows_lashes.KIND_BROW).astype(np.int32))
    curves.materials.append(_hair_material(name, rgb_linear, t, suffix="brows"))
    curves.materials.append(_hair_material(name, brows_lashes.LASH_RGB, t, suffix="lashes"))
    ob.parent = head                  # the head object's space: the space its deformation is in
    _store_anchors(ob, "CURVE", anchor, weight)
    rest = brows_lashes.anchored(anchor, weight, res.vertices)
    _attribute(curves, REST_ANCHOR, "FLOAT_VECTOR", "CURVE").data.foreach_set(
        "vector", rest.astype(np.float32).ravel())
    mod = ob.modifiers.new(BROWS_MODIFIER, "NODES")
    mod.node_group = shared_tree("brows_lashes", _follow_surface_tree, t)
    compat.set_modifier_inputs(mod, {SURFACE: head})
    ob[PART] = "brows_lashes"
    return ob


def brows_lashes_cards(name, head, rig, res, rgb_linear, coll, t):
    """Eyebrows and eyelashes as small alpha cards, for game engines: a mesh on the head bone
    with the head's shape keys that move them (each card takes its anchor's deltas), driven
    by the head's keys in Blender and exported as morph targets of the same names."""
    strands, kind = res.brow_lash_strands, res.brow_lash_kind
    anchor, weight = res.brow_lash_anchor, res.brow_lash_weight
    n, k, _ = strands.shape
    centre = strands[:, 0].mean(0) + (0.0, 0.08, 0.0)        # behind the eyes: cards lie on the face
    ob = _card_object(f"{name}_brows_lashes", strands, centre, BROW_LASH_CARD_M, coll, t)
    me = ob.data
    me.materials.append(_card_material(name, rgb_linear, t, suffix="brows"))
    me.materials.append(_card_material(name, brows_lashes.LASH_RGB, t, suffix="lashes"))
    me.polygons.foreach_set("material_index", np.repeat(kind != brows_lashes.KIND_BROW, k - 1).astype(np.int32))
    _store_anchors(ob, "POINT", *_per_card_vertex(anchor, weight, k))
    _card_shape_keys(ob, head, res, anchor, weight, k)
    _follow_head_bone(ob, rig)
    ob[PART] = "brows_lashes"
    return ob


def _card_shape_keys(ob, head, res, anchor, weight, points):
    """The head's shape keys that move the cards' anchors, copied onto the cards and driven
    by the head's keys of the same name."""
    basis = np.empty(len(ob.data.vertices) * 3, np.float32)
    ob.data.vertices.foreach_get("co", basis)
    per_strand = np.einsum("gk,sgkd->sgd", weight, res.shape_key_deltas[:, anchor])
    ob.shape_key_add(name="Basis", from_mix=False)
    head_keys = head.data.shape_keys
    for key_name, delta in zip(res.shape_key_names, per_strand):
        if np.abs(delta).max() < 1e-5:
            continue
        kb = ob.shape_key_add(name=str(key_name), from_mix=False)
        kb.points.foreach_set("co", basis + np.repeat(delta, 2 * points, axis=0).astype(np.float32).ravel())
        kb.slider_min, kb.slider_max, kb.value = 0.0, 1.0, 0.0
        driver = kb.driver_add("value").driver
        driver.type = "AVERAGE"
        var = driver.variables.new()
        var.type = "SINGLE_PROP"
        var.targets[0].id_type = "KEY"
        var.targets[0].id = head_keys
        var.targets[0].data_path = f'key_blocks["{key_name}"].value'


def _follow_surface_tree(t):
    """Geometry nodes: each curve moves by the displacement of its anchor point on the
    evaluated head (the Surface input; shape keys, armature) from the rest anchor stored with it."""
    tree, nodes, links, gin, gout = _geometry_tree(BROWS_TREE, t, [(SURFACE, "NodeSocketObject")])
    info = nodes.new("GeometryNodeObjectInfo")
    info.transform_space = "RELATIVE"
    links.new(gin.outputs[SURFACE], info.inputs["Object"])
    position = nodes.new("GeometryNodeInputPosition")
    total = None
    for k in range(3):
        index = _named(nodes, f"{ANCHOR}{k}", "INT")
        sample = nodes.new("GeometryNodeSampleIndex")
        sample.data_type, sample.domain = "FLOAT_VECTOR", "POINT"
        links.new(info.outputs["Geometry"], sample.inputs["Geometry"])
        links.new(position.outputs["Position"], sample.inputs["Value"])
        links.new(index.outputs["Attribute"], sample.inputs["Index"])
        scaled = _vector_math(nodes, "SCALE")
        links.new(sample.outputs[0], scaled.inputs[0])
        links.new(_named(nodes, f"{WEIGHT}{k}", "FLOAT").outputs["Attribute"], scaled.inputs["Scale"])
        if total is None:
            total = scaled
        else:
            add = _vector_math(nodes, "ADD")
            links.new(total.outputs[0], add.inputs[0])
            links.new(scaled.outputs[0], add.inputs[1])
            total = add
    offset = _vector_math(nodes, "SUBTRACT")
    links.new(total.outputs[0], offset.inputs[0])
    links.new(_named(nodes, REST_ANCHOR, "FLOAT_VECTOR").outputs["Attribute"], offset.inputs[1])
    move = nodes.new("GeometryNodeSetPosition")
    links.new(gin.outputs[0], move.inputs["Geometry"])
    links.new(offset.outputs[0], move.inputs["Offset"])
    links.new(move.outputs[0], gout.inputs[0])
    return tree


def _named(nodes, name, data_type):
    node = nodes.new("GeometryNodeInputNamedAttribute")
    node.data_type = data_type
    node.inputs["Name"].default_value = name
    return node


def _vector_math(nodes, operation):
    node = nodes.new("ShaderNodeVectorMath")
    node.operation = operation
    return node


def _attribute(data, name, data_type, domain):
    return data.attributes.get(name) or data.attributes.new(name, data_type, domain)


def _root_anchors(head, roots):
    """Each strand's anchor: the head vertex nearest its root (weight 1)."""
    from mathutils.kdtree import KDTree
    me = head.data
    co = np.empty(len(me.vertices) * 3, np.float32)
    me.vertices.foreach_get("co", co)
    tree = KDTree(len(me.vertices))
    for i, p in enumerate(co.reshape(-1, 3).tolist()):
        tree.insert(p, i)
    tree.balance()
    nearest = np.array([tree.find(r)[1] for r in roots.tolist()], np.int32)
    weight = np.zeros((len(roots), 3), np.float32)
    weight[:, 0] = 1.0
    return np.repeat(nearest[:, None], 3, axis=1), weight


def _per_card_vertex(anchor, weight, points):
    """A strand's anchor for each vertex of its card (2 per strand point)."""
    return np.repeat(anchor, 2 * points, axis=0), np.repeat(weight, 2 * points, axis=0)


def _store_anchors(ob, domain, anchor, weight):
    for k in range(3):
        _attribute(ob.data, f"{ANCHOR}{k}", "INT", domain).data.foreach_set("value", anchor[:, k].astype(np.int32))
        _attribute(ob.data, f"{WEIGHT}{k}", "FLOAT", domain).data.foreach_set(
            "value", weight[:, k].astype(np.float32))


def _read_anchors(ob):
    attrs = ob.data.attributes
    n = len(attrs[f"{ANCHOR}0"].data)
    anchor, weight = np.empty((3, n), np.int32), np.empty((3, n), np.float32)
    for k in range(3):
        attrs[f"{ANCHOR}{k}"].data.foreach_get("value", anchor[k])
        attrs[f"{WEIGHT}{k}"].data.foreach_get("value", weight[k])
    return anchor.T, weight.T


def follow_reshape(rig, head, old, new):
    """After the identity sliders reshaped the head (basis vertices ``old`` -> ``new``, (V, 3)):
    move every strand of the hair, brows and lashes by the displacement of its anchor, and
    re-seat the objects on the head bone's new rest."""
    shift = np.asarray(new, np.float64) - np.asarray(old, np.float64)
    for ob in list(rig.children) + list(head.children):
        if ob.get(PART) is None:
            continue
        move = brows_lashes.anchored(*_read_anchors(ob), shift).astype(np.float32)
        if ob.type == "CURVES":
            curves = ob.data
            offsets = np.empty(len(curves.curves) + 1, np.int32)
            curves.curve_offset_data.foreach_get("value", offsets)
            sizes = np.diff(offsets)
            _add_to(curves.position_data, "vector", np.repeat(move, sizes, axis=0))
            if REST_ANCHOR in curves.attributes:
                _add_to(curves.attributes[REST_ANCHOR].data, "vector", move)
            curves.update_tag()
        else:
            _add_to(ob.data.vertices, "co", move)
            for kb in (ob.data.shape_keys.key_blocks if ob.data.shape_keys else ()):
                _add_to(kb.points, "co", move)
            ob.data.update()
        if ob.parent_type == "BONE":
            _follow_head_bone(ob, rig)


def _add_to(collection, prop, values):
    current = np.empty(len(collection) * 3, np.float32)
    collection.foreach_get(prop, current)
    collection.foreach_set(prop, current + values.ravel())
