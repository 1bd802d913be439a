"""What differs between the Blender versions Likeness supports (4.2 LTS to 5.3), in one place.

The builders ask this module for what a thing *is* (the hair assets, a node group input that
takes the surface object, an action's F-curves, the sound strips) and never test the version
themselves. When a Blender lacks what is asked for, the error names the Blender version and
what is missing (``BlenderIncompatible``), so an unknown future change reads as one sentence,
not as a bare ``StopIteration``.
"""
import os

import bpy

from ..core.errors import BlenderIncompatible

# The Essentials hair node groups' file: 4.x keeps it under geometry_nodes/, 5.x under nodes/.
HAIR_ASSET_FILE = "procedural_hair_node_assets.blend"
HAIR_ASSET_FOLDERS = (("datafiles", "assets", "nodes"), ("datafiles", "assets", "geometry_nodes"))

# What an Essentials group input is, and each supported version's names for it (first found wins):
#   surface_object: 4.2-5.1 "Surface" (an Object socket beside a Geometry one of the same name),
#                   5.2+ "Surface Object"
#   surface_source: the menu that picks object or geometry: none in 4.x, 5.0-5.1 "Surface Input
#                   Type", 5.2+ "Surface Source"; set to "Object"
#   surface_uv:     "Surface UV Map" (5.2's Interpolate has none: it reads the Curves' own surface)
GROUP_INPUTS = {
    "surface_object": (("Surface Object", "Surface"), "OBJECT"),
    "surface_source": (("Surface Source", "Surface Input Type"), "MENU"),
    "surface_uv": (("Surface UV Map",), "VECTOR"),
}


def version_text():
    return f"Blender {bpy.app.version_string}"


def hair_assets_path():
    """The .blend holding Blender's Essentials hair node groups."""
    root = bpy.utils.resource_path("LOCAL")
    tried = [os.path.join(root, *folder, HAIR_ASSET_FILE) for folder in HAIR_ASSET_FOLDERS]
    for path in tried:
        if os.path.isfile(path):
            return path
    raise BlenderIncompatible(f"{version_text()} has no Essentials hair assets ({HAIR_ASSET_FILE} "
                              f"is in none of: {', '.join(tried)}). Use hair cards or no hair.")


def group_input(node, name, what=None):
    """The input socket of a node group node called ``name``, or of type ``what`` among same-named
    ones (4.x has two inputs called "Surface": a Geometry and an Object)."""
    for socket in node.inputs:
        if socket.name == name and (what is None or socket.type == what):
            return socket
    raise BlenderIncompatible(f"{version_text()}: the node group '{node.node_tree.name}' has no "
                              f"input '{name}'" + (f" of type {what}" if what else "") +
                              f" (its inputs: {', '.join(s.name for s in node.inputs)})")


def role_input(node, role, required=True):
    """The input of a node group node that does ``role`` (a key of GROUP_INPUTS), whatever this
    version calls it; None when it is absent and not ``required``."""
    names, what = GROUP_INPUTS[role]
    for name in names:
        for socket in node.inputs:
            if socket.name == name and socket.type == what:
                return socket
    if not required:
        return None
    raise BlenderIncompatible(f"{version_text()}: the node group '{node.node_tree.name}' has no input "
                              f"for {role.replace('_', ' ')} (looked for {' or '.join(names)}; "
                              f"its inputs: {', '.join(s.name for s in node.inputs)})")


def set_surface(node, surface, uv_socket, links, required=True):
    """Point an Essentials hair group at ``surface`` and its UV map, whichever sockets this
    version has for them (the source menu, where there is one, set to Object). ``surface`` is
    an object, or an Object output socket to link from (a tree's group input, so that one tree
    serves every avatar, each modifier giving its own head)."""
    source = role_input(node, "surface_source", required=False)
    if source is not None:
        source.default_value = "Object"
    socket = role_input(node, "surface_object", required)
    if socket is not None:
        if isinstance(surface, bpy.types.NodeSocket):
            links.new(surface, socket)
        else:
            socket.default_value = surface
    uv = role_input(node, "surface_uv", required)
    if uv is not None:
        links.new(uv_socket, uv)


def tree_inputs(tree):
    """A node tree's input sockets (its interface's, 4.0 on), by name."""
    return {item.name: item for item in tree.interface.items_tree
            if item.item_type == "SOCKET" and item.in_out == "INPUT"}


def set_modifier_inputs(mod, values):
    """Give a geometry-nodes modifier its own value of its node group's inputs, by name. Up to
    5.2 the modifier keeps them as ID properties named by the sockets' identifiers
    (mod["Socket_1"]); 5.3 has them as mod.properties.inputs.Socket_1.value (and no ID properties)."""
    for name, value in values.items():
        owner, key = _modifier_input(mod, name)
        if isinstance(owner, bpy.types.NodesModifier):
            owner[key] = value
        else:
            setattr(owner, key, value)
    mod.id_data.update_tag()


def modifier_input(mod, name):
    """A geometry-nodes modifier's own value of its node group's input ``name``."""
    owner, key = _modifier_input(mod, name)
    return owner[key] if isinstance(owner, bpy.types.NodesModifier) else getattr(owner, key)


def _modifier_input(mod, name):
    """(where the modifier keeps input ``name``'s value, the key to it): (mod, identifier) or
    (5.3 on) (the input's own struct, "value")."""
    inputs = tree_inputs(mod.node_group)
    if name not in inputs:
        raise BlenderIncompatible(f"{version_text()}: the node group '{mod.node_group.name}' has no "
                                  f"input '{name}' (its inputs: {', '.join(inputs)})")
    identifier = inputs[name].identifier
    own = getattr(getattr(mod, "properties", None), "inputs", None)
    if own is None:
        return mod, identifier
    return getattr(own, identifier), "value"


def new_fcurves(owner, id_type, action_name):
    """A new action on ``owner`` (an ID) and the collection to add its F-curves to: the action's
    own in 4.2/4.3, a slot's channelbag from 4.4 on (slotted actions; 5.0 drops Action.fcurves)."""
    if owner.animation_data is None:
        owner.animation_data_create()
    action = bpy.data.actions.new(action_name)
    owner.animation_data.action = action
    if not hasattr(action, "slots"):
        return action, action.fcurves
    slot = action.slots.new(id_type=id_type, name=owner.name)
    owner.animation_data.action_slot = slot
    strip = action.layers.new("Layer").strips.new(type="KEYFRAME")
    return action, strip.channelbag(slot, ensure=True).fcurves


def fcurves_of(owner):
    """The F-curves that animate ``owner`` (an ID with an action), in any supported version."""
    anim = owner.animation_data
    if anim is None or anim.action is None:
        return []
    action = anim.action
    if not hasattr(action, "slots"):
        return list(action.fcurves)
    for layer in action.layers:
        for strip in layer.strips:
            bag = strip.channelbag(anim.action_slot)
            if bag is not None:
                return list(bag.fcurves)
    return []


def sound_strips(scene):
    """The scene's sequencer strips collection (4.4+ ``strips``; 4.2 ``sequences``)."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    strips = getattr(editor, "strips", None)
    return strips if strips is not None else editor.sequences


def add_sound(scene, name, path, frame):
    """Put the sound file at ``frame`` in the scene's sequencer, on a channel of its own. A
    Blender built without audio (the bpy 4.2 module has no Audaspace) cannot: BlenderIncompatible."""
    if not bpy.app.build_options.audaspace:
        raise BlenderIncompatible(f"{version_text()} is built without audio (Audaspace): the sound was "
                                  "not added to the sequencer; the animation is keyed")
    strips = sound_strips(scene)
    return strips.new_sound(name, path, channel=1 + len(strips), frame_start=frame)


def material_nodes(mat):
    """The material's node tree (4.x: turned on first; 5.0 gives every new material one)."""
    if mat.node_tree is None:
        mat.use_nodes = True
    return mat.node_tree


def set_world_colour(world, rgb, strength=1.0):
    """Light the scene evenly with ``rgb``: the world's colour in 4.x, whose new worlds have no
    nodes, and its Background node from 5.0, whose new worlds always have one (and ignore the
    colour)."""
    world.color = rgb
    background = world.node_tree.nodes.get("Background") if world.node_tree else None
    if background is not None:
        background.inputs["Color"].default_value = (*rgb, 1.0)
        background.inputs["Strength"].default_value = strength
