"""The Build Crowd operator: the panel's crowd settings into ``api.crowd_job`` (builders/crowd.py)."""
import bpy

from .. import api, jobs
from ..builders import crowd as crowd_scene


class LIKENESS_OT_build_crowd(jobs.JobOperator, bpy.types.Operator):
    """Make a crowd: one character per photo of the folder and any number of seeded variants.
    Photos that fail are skipped and listed; ESC stops and keeps the characters made"""
    bl_idname = "likeness.build_crowd"
    bl_label = "Build Crowd"
    bl_options = {"REGISTER", "UNDO"}

    texture_size: bpy.props.IntProperty(
        name="Texture Size", default=1024, options={"HIDDEN", "SKIP_SAVE"},
        description="Texture size of each character")

    @classmethod
    def poll(cls, context):
        if context.window_manager.likeness_status.running:
            cls.poll_message_set("Likeness is already working: wait for it or press ESC")
            return False
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to build a crowd")
            return False
        settings = context.scene.likeness.crowd
        if not settings.photos_dir and settings.variants == 0:
            cls.poll_message_set("Choose a photo folder or a number of variants")
            return False
        return True

    def make_job(self, context):
        s = context.scene.likeness.crowd
        return api.crowd_job(photos_dir=s.photos_dir, variants=s.variants, seed=s.seed, around=s.around,
                             layout=s.layout, spacing=s.spacing, full_body=s.full_body,
                             texture_size=self.texture_size, hair=context.scene.likeness.hair,
                             cluster=s.cluster.strip(), viewport_hair=s.viewport_hair)

    def done(self, context, summary):
        line = crowd_scene.keep_summary(context, summary)
        jobs.status(context).message = line
        if summary["cancelled"]:
            self.report({"WARNING"}, f"Crowd cancelled: {line}")
        else:
            self.report({"WARNING"} if summary["failed"] else {"INFO"}, line)
        # characters already built stay (one undo step) even when some failed or it was cancelled
        return {"FINISHED"} if summary["characters"] else {"CANCELLED"}


classes = (LIKENESS_OT_build_crowd,)
register, unregister = bpy.utils.register_classes_factory(classes)
