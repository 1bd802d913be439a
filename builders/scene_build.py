"""The scene builder: the only code that turns an AvatarResult into Blender data.

Everything goes in with ``foreach_set``. Every datablock made here is tracked,
so a failure half-way removes what was made and leaves the scene as it was.
"""
import logging
import os

import bpy
import numpy as np
from mathutils import Matrix

from . import hair_build, materials, reshape
from .lookups import AVATAR_TAG

log = logging.getLogger(__name__)

SENSOR_MM = 36.0
REFERENCE_DEPTH = 1.5                   # reference photo plane, in head distances behind the head
PHOTO_ACTION_SUFFIX = "_photo_expression"


class Tracker:
    """Datablocks created so far, removed again if the build fails."""

    def __init__(self):
        self.made = []

    def add(self, datablock):
        self.made.append(datablock)
        return datablock

    def rollback(self):
        for db in reversed(self.made):
            try:
                coll = getattr(bpy.data, _DATA_COLLECTIONS[type(db).__name__])
                coll.remove(db)
            except (KeyError, ReferenceError, RuntimeError):
                pass


_DATA_COLLECTIONS = {"Collection": "collections", "Object": "objects", "Mesh": "meshes",
                     "Armature": "armatures", "Material": "materials", "Image": "images",
                     "Camera": "cameras", "Action": "actions", "Curves": "hair_curves",
                     "GeometryNodeTree": "node_groups"}


def build(context, res, name, photo_path, hair="CURVES", parent=None):
    """Build the avatar in ``res`` (core.result.AvatarResult) at the 3D cursor, in its own
    collection under ``parent`` (default: the scene's), with ``hair`` (CURVES, CARDS or NONE);
    returns the rig object."""
    tracker = Tracker()
    try:
        return _build(context, res, name, photo_path, hair, tracker, parent)
    except Exception:
        if context.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        tracker.rollback()
        raise


def _build(context, res, name, photo_path, hair, t, parent=None):
    scene = context.scene
    coll = t.add(bpy.data.collections.new(f"Likeness {name}"))
    (parent or scene.collection).children.link(coll)

    rig = _build_armature(context, res, name, coll, t)
    head = _build_head_mesh(res, name, coll, t)
    head.parent = rig
    _add_shape_keys(head, res)
    reshape.store_corrective(head, res)
    _add_skinning(head, rig, res)
    materials.add_materials(head, res, name, t)
    _add_photo_expression_action(head, res, name, t)
    hair_build.build(name, head, rig, res, hair, coll, t)
    cam = _build_camera(res, name, coll, rig, t)
    if photo_path and os.path.isfile(photo_path):
        _build_reference_photo(res, name, coll, cam, photo_path, t)

    reshape.populate(rig, res)
    for ob in (rig, head):
        ob[AVATAR_TAG] = 1
    rig["likeness_report"] = res.report.get("input", {}).get("path", "")
    for ob in context.view_layer.objects:
        ob.select_set(False)
    rig.select_set(True)
    context.view_layer.objects.active = rig
    return rig


def _build_armature(context, res, name, coll, t):
    arm = t.add(bpy.data.armatures.new(f"{name}_rig"))
    rig = t.add(bpy.data.objects.new(f"{name}_rig", arm))
    coll.objects.link(rig)
    rig.location = context.scene.cursor.location
    rig.show_in_front = True
    prev_active = context.view_layer.objects.active
    context.view_layer.objects.active = rig
    # (in the artist's scene: edit mode in a throw-away scene of its own, under temp_override,
    # crashed Blender 5.0 in mode_set about once in 20 crowds)
    bpy.ops.object.mode_set(mode="EDIT")
    bones = []
    for i, bname in enumerate(res.bone_names):
        eb = arm.edit_bones.new(str(bname))
        eb.head = res.bone_heads[i].tolist()
        eb.tail = res.bone_tails[i].tolist()
        length = float(np.linalg.norm(res.bone_tails[i] - res.bone_heads[i]))
        eb.matrix = Matrix(res.bone_matrices[i].tolist())
        eb.length = max(length, 1e-3)
        bones.append(eb)
    for i, parent in enumerate(res.bone_parents):
        if parent >= 0:
            bones[i].parent = bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    context.view_layer.objects.active = prev_active
    arm.display_type = "STICK"
    return rig


def _build_head_mesh(res, name, coll, t):
    verts, faces = res.vertices, res.faces
    me = t.add(bpy.data.meshes.new(f"{name}_head"))
    me.vertices.add(len(verts))
    me.vertices.foreach_set("co", verts.astype(np.float32).ravel())
    n_loops = faces.size
    me.loops.add(n_loops)
    me.loops.foreach_set("vertex_index", faces.astype(np.int32).ravel())
    me.polygons.add(len(faces))
    me.polygons.foreach_set("loop_start", np.arange(0, n_loops, 4, dtype=np.int32))
    me.update(calc_edges=True)
    uv = me.uv_layers.new(name="UVMap")
    uv.data.foreach_set("uv", res.face_uv.astype(np.float32).ravel())
    me.polygons.foreach_set("material_index", res.face_material.astype(np.int32))
    me.shade_smooth()
    me.validate()
    ob = t.add(bpy.data.objects.new(f"{name}_head", me))
    coll.objects.link(ob)
    return ob


def _add_shape_keys(ob, res):
    basis = res.vertices.astype(np.float32)
    ob.shape_key_add(name="Basis", from_mix=False)
    for kname, delta in zip(res.shape_key_names, res.shape_key_deltas):
        kb = ob.shape_key_add(name=str(kname), from_mix=False)
        kb.points.foreach_set("co", (basis + delta).ravel())
        kb.slider_min, kb.slider_max = 0.0, 1.0
        kb.value = 0.0
    ob.data.shape_keys.use_relative = True


def _add_skinning(ob, rig, res):
    idx, wts = res.skin_bone_index, res.skin_weight
    for b in np.unique(idx[wts > 0]):
        weights = np.where(idx == b, wts, 0.0).sum(1)
        add_weights(ob.vertex_groups.new(name=str(res.bone_names[b])), weights)
    mod = ob.modifiers.new("Armature", "ARMATURE")
    mod.object = rig
    # where hair grows, for the hair step and for artists (not a bone: no deformation)
    add_weights(ob.vertex_groups.new(name=hair_build.SCALP_GROUP), res.scalp_weight)
    # skin the photo shows bare: the hair children keep off it (artists may paint it)
    add_weights(ob.vertex_groups.new(name=hair_build.BARE_GROUP),
                (res.arrays.get("bare_skin", np.zeros(0)) > 0).astype(np.float32))


WEIGHT_STEPS = 255      # weights kept in 1/255ths, as 8-bit game-engine weights: a third of the
                        # group.add calls of the exact floats (one call per distinct weight)


def add_weights(group, weights):
    """Give the vertices with a weight above 0 their weight in ``group``: one call per distinct
    weight (vertex groups have no foreach_set; a scalp is mostly 1.0)."""
    weights = np.round(np.asarray(weights, np.float32) * WEIGHT_STEPS)
    index = np.flatnonzero(weights > 0)
    index = index[np.argsort(weights[index], kind="stable")]
    steps = weights[index]
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(steps)) + 1, [len(index)]))
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if b > a:
            group.add(index[a:b].tolist(), float(steps[a]) / WEIGHT_STEPS, "REPLACE")


def _add_photo_expression_action(ob, res, name, t):
    """The photo's expression as a shape-key action, kept (fake user) but not assigned:
    the basis stays neutral and the artist switches the expression on with
    ``likeness.photo_expression``."""
    key = ob.data.shape_keys
    weights = dict(zip((str(n) for n in res.shape_key_names), res.expression.tolist()))
    for kb in key.key_blocks[1:]:
        kb.value = weights.get(kb.name, 0.0)
        kb.keyframe_insert("value", frame=1)
    action = t.add(key.animation_data.action)
    action.name = f"{name}{PHOTO_ACTION_SUFFIX}"
    action.use_fake_user = True
    key.animation_data.action = None
    for kb in key.key_blocks[1:]:
        kb.value = 0.0


def _build_camera(res, name, coll, rig, t):
    w, h = (int(v) for v in res.image_size)
    cam = t.add(bpy.data.cameras.new(f"{name}_camera"))
    cam.sensor_fit = "AUTO"
    cam.sensor_width = SENSOR_MM
    cam.lens = float(res.focal_px) * SENSOR_MM / max(w, h)
    cam.clip_start = 0.01
    ob = t.add(bpy.data.objects.new(f"{name}_camera", cam))
    coll.objects.link(ob)
    ob.parent = rig
    ob.matrix_basis = Matrix(res.camera_matrix_world.tolist())
    ob["likeness_resolution"] = (w, h)
    return ob


def _build_reference_photo(res, name, coll, cam, photo_path, t):
    img = materials.load_image(photo_path, t)
    if img is None:
        log.warning("Blender cannot read %s; the avatar has no reference photo", photo_path)
        return None
    img.name = f"{name}_photo"
    w, h = (int(v) for v in res.image_size)
    head_distance = float(np.linalg.norm(res.camera_matrix_world[:3, 3]))
    depth = head_distance * REFERENCE_DEPTH
    ob = t.add(bpy.data.objects.new(f"{name}_photo", None))
    ob.empty_display_type = "IMAGE"
    ob.data = img
    ob.empty_display_size = depth * max(w, h) / float(res.focal_px)
    ob.empty_image_depth = "BACK"
    ob.color[3] = 0.5
    ob.use_empty_image_alpha = True
    coll.objects.link(ob)
    ob.parent = cam
    ob.location = (0.0, 0.0, -depth)
    ob.hide_render = True
    return ob
