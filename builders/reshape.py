"""Identity in the scene: the fitted phenotype and local changes stored on a new avatar's rig,
and the head reshaped when the artist moves them (mesh, every shape key by the change of the
basis, so hand edits survive, the bones, and the hair, brows and lashes that grow from it)."""
import bpy
import numpy as np
from mathutils import Matrix

from .. import jobs
from ..core import errors, head_model
from . import hair_build
from .lookups import avatar_head

_updating = [False]       # True while populate() fills the sliders (their update must not reshape)
CORRECTIVE = "likeness_corrective"     # the head mesh's point attribute: the face's corrective offsets


def updating():
    return _updating[0]


def populate(rig, res):
    """Store the fitted identity on a new avatar's rig (no reshape: it is already that head)."""
    _updating[0] = True
    try:
        ident = rig.likeness_identity
        for name, value in zip(res.phenotype_names, res.phenotype):
            item = ident.phenotype.add()
            item.label, item.value = str(name), float(value)
        for name, value in zip(res.local_change_names, res.local_changes):
            region = head_model.local_change_region(str(name))
            if region:
                item = ident.local.add()
                item.label, item.region, item.value = str(name), region, float(value)
    finally:
        _updating[0] = False


def store_corrective(head, res):
    """Keep the result's corrective face offsets on the head mesh (a point attribute), so a
    reshape keeps them."""
    corrective = res.arrays.get("corrective")
    if corrective is None or not np.abs(corrective).any():
        return
    values = np.zeros((len(head.data.vertices), 3), np.float32)
    values[:len(corrective)] = corrective
    attr = head.data.attributes.new(CORRECTIVE, "FLOAT_VECTOR", "POINT")
    attr.data.foreach_set("vector", values.ravel())


def corrective_of(head):
    """The head mesh's corrective offsets (V, 3), or None."""
    attr = head.data.attributes.get(CORRECTIVE)
    if attr is None:
        return None
    values = np.empty(len(head.data.vertices) * 3, np.float32)
    attr.data.foreach_get("vector", values)
    return values.reshape(-1, 3)


def apply_identity(context, rig):
    ident = rig.likeness_identity
    head = avatar_head(rig)
    corrective = corrective_of(head)
    new = jobs.run(jobs.WorkerJob("reshape", lambda arrays: arrays, arrays=True,
                                  phenotype=[p.value for p in ident.phenotype],
                                  local_changes={item.label: item.value for item in ident.local},
                                  corrective=None if corrective is None else corrective.round(6).tolist()))
    old = _apply_to_mesh(head, new["vertices"])
    _apply_to_bones(context, rig, new)
    hair_build.follow_reshape(rig, head, old.reshape(-1, 3), new["vertices"])


def _apply_to_mesh(head, vertices):
    """Set the new basis (every shape key moves with it); returns the old basis, flat."""
    me = head.data
    n = len(me.vertices)
    if vertices.shape != (n, 3):
        raise errors.InvalidResult("The reshaped head does not match this avatar's mesh.")
    keys = me.shape_keys.key_blocks
    old_basis = np.empty(n * 3, np.float32)
    keys[0].points.foreach_get("co", old_basis)
    shift = vertices.ravel() - old_basis
    co = np.empty(n * 3, np.float32)
    for kb in keys:
        kb.points.foreach_get("co", co)
        kb.points.foreach_set("co", co + shift)
    me.vertices.foreach_set("co", vertices.ravel())
    me.update()
    return old_basis


def _apply_to_bones(context, rig, new):
    """Move the rest bones (edit mode on the rig, then back; the sliders work in Object Mode)."""
    prev_active = context.view_layer.objects.active
    context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        for name, head, tail, matrix in zip(new["bone_names"], new["bone_heads"], new["bone_tails"],
                                            new["bone_matrices"]):
            eb = rig.data.edit_bones.get(str(name))
            if eb is not None:
                eb.matrix = Matrix(matrix.tolist())
                eb.length = max(float(np.linalg.norm(tail - head)), 1e-3)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        context.view_layer.objects.active = prev_active


