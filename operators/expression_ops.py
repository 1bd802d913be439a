"""Switch the photo's own expression on or off on an avatar."""
import bpy

from . import scene_build


class LIKENESS_OT_photo_expression(bpy.types.Operator):
    """Show or hide the expression the person had in the photo (the basis stays neutral)"""
    bl_idname = "likeness.photo_expression"
    bl_label = "Photo Expression"
    bl_options = {"REGISTER", "UNDO"}

    enable: bpy.props.BoolProperty(name="Enable", default=True)

    @classmethod
    def poll(cls, context):
        head = scene_build.find_avatar_head(context)
        if head is None:
            cls.poll_message_set("Select a Likeness avatar")
            return False
        return True

    def execute(self, context):
        head = scene_build.find_avatar_head(context)
        key = head.data.shape_keys
        action = bpy.data.actions.get(head.name.removesuffix("_head") + scene_build.PHOTO_ACTION_SUFFIX)
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


classes = (LIKENESS_OT_photo_expression,)
register, unregister = bpy.utils.register_classes_factory(classes)
