"""Expressions on an avatar: the photo's own expression, the preset library, a blink."""
import bpy

from ..builders import lookups
from ..builders.animation import scene_fps
from ..builders.scene_build import PHOTO_ACTION_SUFFIX
from ..core import expressions


class LIKENESS_OT_photo_expression(bpy.types.Operator):
    """Show or hide the expression the person had in the photo (the basis stays neutral)"""
    bl_idname = "likeness.photo_expression"
    bl_label = "Photo Expression"
    bl_options = {"REGISTER", "UNDO"}

    enable: bpy.props.BoolProperty(name="Enable", default=True)

    poll = classmethod(lookups.avatar_poll)

    def execute(self, context):
        head = lookups.find_avatar_head(context)
        key = head.data.shape_keys
        action = bpy.data.actions.get(head.name.removesuffix("_head") + PHOTO_ACTION_SUFFIX)
        if action is None:
            self.report({"ERROR"}, "This avatar has no photo expression stored")
            return {"CANCELLED"}
        if key.animation_data is None:
            key.animation_data_create()
        key.animation_data.action = action if self.enable else None
        if not self.enable:
            for kb in key.key_blocks[1:]:
                kb.value = 0.0
        return {"FINISHED"}


class LIKENESS_OT_apply_expression(bpy.types.Operator):
    """Pose the face with an expression from the library (and key it at the current frame)"""
    bl_idname = "likeness.apply_expression"
    bl_label = "Apply Expression"
    bl_options = {"REGISTER", "UNDO"}

    preset: bpy.props.EnumProperty(
        name="Expression", items=[(k, k.capitalize(), f"Pose the face: {k}") for k in expressions.PRESETS])
    strength: bpy.props.FloatProperty(name="Strength", min=0.0, max=1.0, default=1.0, subtype="FACTOR")
    insert_keyframe: bpy.props.BoolProperty(name="Insert Keyframe", default=False,
                                            description="Key every expression shape key at the current frame")

    poll = classmethod(lookups.avatar_poll)

    def execute(self, context):
        head = lookups.find_avatar_head(context)
        weights = expressions.PRESETS[self.preset]
        for kb in head.data.shape_keys.key_blocks[1:]:
            kb.value = weights.get(kb.name, 0.0) * self.strength
            if self.insert_keyframe:
                kb.keyframe_insert("value", frame=context.scene.frame_current)
        return {"FINISHED"}


class LIKENESS_OT_add_blink(bpy.types.Operator):
    """Key a natural blink (both eyes) starting at the current frame"""
    bl_idname = "likeness.add_blink"
    bl_label = "Add Blink"
    bl_options = {"REGISTER", "UNDO"}

    poll = classmethod(lookups.avatar_poll)

    def execute(self, context):
        head = lookups.find_avatar_head(context)
        scene = context.scene
        fps = scene_fps(scene)
        start = scene.frame_current
        closed = start + max(1, round(expressions.BLINK_CLOSE_S * fps))
        opened = closed + max(1, round(expressions.BLINK_OPEN_S * fps))
        keys = head.data.shape_keys.key_blocks
        for name in ("eyeBlinkLeft", "eyeBlinkRight"):
            kb = keys[name]
            for frame, value in ((start, 0.0), (closed, 1.0), (opened, 0.0)):
                kb.value = value
                kb.keyframe_insert("value", frame=frame)
        return {"FINISHED"}


classes = (LIKENESS_OT_photo_expression, LIKENESS_OT_apply_expression, LIKENESS_OT_add_blink)
register, unregister = bpy.utils.register_classes_factory(classes)
