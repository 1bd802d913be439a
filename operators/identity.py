"""Identity controls: the fitted phenotype and head local changes as sliders on the avatar.

The values live on the rig object (so they are saved, and undo restores them
with the mesh). Moving a slider asks the worker for the head at the new
values (anny's full model, exact); builders/reshape.py applies it.
"""
import logging

import bpy

from ..builders import reshape
from ..core import errors

log = logging.getLogger(__name__)

# Panel groups: (title, local-change regions); the phenotype is its own group.
GROUPS = (("Head", ("head",)), ("Forehead", ("forehead",)), ("Eyebrows", ("eyebrows",)),
          ("Eyes", ("eye",)), ("Nose", ("nose",)), ("Mouth", ("mouth",)), ("Chin", ("chin",)),
          ("Cheeks", ("cheek",)), ("Ears", ("ear",)), ("Neck", ("neck",)))


def _on_change(self, context):
    if reshape.updating():
        return
    rig = self.id_data
    try:
        reshape.apply_identity(context, rig)
    except errors.LikenessError as exc:
        log.error("Likeness could not reshape %s: %s", rig.name, exc)
        context.window_manager.likeness_status.message = str(exc)


class LikenessIdentityValue(bpy.types.PropertyGroup):
    label: bpy.props.StringProperty()
    region: bpy.props.StringProperty()
    value: bpy.props.FloatProperty(name="Value", min=-1.0, max=1.0, update=_on_change,
                                   description="Identity control (anny local change); 0 is the average head")


class LikenessPhenotypeValue(bpy.types.PropertyGroup):
    label: bpy.props.StringProperty()
    value: bpy.props.FloatProperty(name="Value", min=0.0, max=1.0, update=_on_change,
                                   description="Phenotype (anny); 0.5 is the average")


class LikenessIdentity(bpy.types.PropertyGroup):
    phenotype: bpy.props.CollectionProperty(type=LikenessPhenotypeValue)
    local: bpy.props.CollectionProperty(type=LikenessIdentityValue)


classes = (LikenessIdentityValue, LikenessPhenotypeValue, LikenessIdentity)
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register():
    _register()
    bpy.types.Object.likeness_identity = bpy.props.PointerProperty(type=LikenessIdentity)


def unregister():
    del bpy.types.Object.likeness_identity
    _unregister()
