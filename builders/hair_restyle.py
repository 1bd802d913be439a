"""A new hairstyle on an avatar already built: the worker grows the library's style on the
head as it is now (after any reshaping), and the hair objects are rebuilt in the same form
(curves or cards), colour and collection, on the head bone."""
import os
import shutil
import tempfile

import bpy
import numpy as np

from .. import jobs
from ..core import hair, hair_styles
from . import hair_build
from .scene_build import Tracker
from .lookups import avatar_head


def hair_objects(rig):
    return [ob for ob in rig.children if ob.get(hair_build.PART) == "hair"]


def restyle(context, rig, name, parting, fringe):
    """Replace the avatar's hair by the library's style ``name`` with ``parting`` and ``fringe``."""
    head = avatar_head(rig)
    old = hair_objects(rig)
    if old:
        form = "CURVES" if old[0].type == "CURVES" else "CARDS"
    else:
        form = context.scene.likeness.hair if context.scene.likeness.hair != "NONE" else "CURVES"
    guides = _grow(head, name, parting, fringe)
    rgb = tuple(rig.get(hair_build.RGB, ())) or (tuple(old[0].active_material.diffuse_color[:3]) if old
                                                 else hair.UNSEEN_COLOUR)
    coll = old[0].users_collection[0] if old else rig.users_collection[0]
    prefix = rig.name[:-len("_rig")] if rig.name.endswith("_rig") else rig.name
    made = Tracker()
    try:
        new = None
        if len(guides):
            make = hair_build.build_curves if form == "CURVES" else hair_build.build_cards
            new = make(prefix, head, rig, guides, rgb, coll, made, curl=hair_styles.LIBRARY[name].get("curl", "straight"))
            new[hair_build.STYLE] = name
    except Exception:
        made.rollback()
        raise
    names = [(ob.name, ob.data.name) for ob in old]
    for ob in old:
        _remove(ob)
    if new is not None and names:              # made while the old ones stood: ".001" names
        new.name, new.data.name = names[0]
    hair_build.remember(rig, rgb, [name, parting, fringe])
    return new


def _grow(head, name, parting, fringe):
    """The worker's guides for the style on ``head``'s current basis shape."""
    me = head.data
    co = np.empty(len(me.vertices) * 3, np.float32)
    (me.shape_keys.key_blocks[0].points if me.shape_keys else me.vertices).foreach_get("co", co)
    scalp = np.zeros(len(me.vertices), np.float32)
    group = head.vertex_groups.get(hair_build.SCALP_GROUP)
    if group is not None:
        for v in me.vertices:
            for g in v.groups:
                if g.group == group.index:
                    scalp[v.index] = g.weight
    folder = tempfile.mkdtemp(prefix="likeness-hair-style-")
    try:
        in_path = os.path.join(folder, "head.npz")
        np.savez(in_path, vertices=co.reshape(-1, 3), scalp=scalp)
        out = jobs.run(jobs.WorkerJob("hair_style", lambda arrays: arrays, arrays=True, in_path=in_path,
                                      name=name, parting=parting, fringe=fringe))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out["hair_guides"]


def _remove(ob):
    """The hair object, its data, and its node tree and materials when nothing else uses them."""
    data = ob.data
    trees = [m.node_group for m in ob.modifiers if m.type == "NODES" and m.node_group]
    mats = [m for m in data.materials if m]
    bpy.data.objects.remove(ob)
    if data.users == 0:
        (bpy.data.hair_curves if isinstance(data, bpy.types.Curves) else bpy.data.meshes).remove(data)
    for block, coll in [(t, bpy.data.node_groups) for t in trees] + [(m, bpy.data.materials) for m in mats]:
        if block.users == 0:
            coll.remove(block)
