"""Build an avatar: the worker makes it, then the scene gets it in one undo step.

In the UI the job runs modally (timer, progress bar, status line, ESC to cancel); in
background mode (scripts, tests) the same operator runs it to the end at once (jobs.py).
"""
import os

import bpy

from .. import api, jobs


class LIKENESS_OT_build_avatar(jobs.JobOperator, bpy.types.Operator):
    """Build a rigged, textured head avatar from the photos, at the 3D cursor"""
    bl_idname = "likeness.build_avatar"
    bl_label = "Build Avatar"
    bl_options = {"REGISTER", "UNDO"}

    photo: bpy.props.StringProperty(name="Photo", subtype="FILE_PATH", options={"SKIP_SAVE"},
                                    description="Photo to use; empty uses the panel's photos")
    texture_size: bpy.props.IntProperty(name="Texture Size", default=0, options={"SKIP_SAVE"},
                                        description="Texture size in pixels; 0 uses the panel's setting")

    @classmethod
    def poll(cls, context):
        if context.window_manager.likeness_status.running:
            cls.poll_message_set("Likeness is already working: wait for it or press ESC")
            return False
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to build an avatar")
            return False
        return True

    def make_job(self, context):
        settings = context.scene.likeness
        photos = [self.photo] if self.photo else [p.path for p in settings.photos if p.path]
        return api.avatar_job(photos, texture_size=self.texture_size or int(settings.texture_size),
                              hair=settings.hair, age_years=settings.age)

    def done(self, context, result):
        rig, report = result
        jobs.status(context).message = "Avatar ready"
        self.report({"INFO"}, f"Avatar built from {os.path.basename(report['input']['path'])}")
        for warning in report.get("warnings", []):
            self.report({"WARNING"}, warning)
        return {"FINISHED"}


class LIKENESS_OT_add_photos(bpy.types.Operator):
    """Add photos of the person (several angles of one person make a better identity)"""
    bl_idname = "likeness.add_photos"
    bl_label = "Add Photos"
    bl_options = {"REGISTER", "UNDO"}

    directory: bpy.props.StringProperty(subtype="DIR_PATH", options={"HIDDEN", "SKIP_SAVE"})
    files: bpy.props.CollectionProperty(type=bpy.types.OperatorFileListElement,
                                        options={"HIDDEN", "SKIP_SAVE"})
    filter_image: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_folder: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        photos = context.scene.likeness.photos
        known = {p.path for p in photos}
        for f in self.files:
            path = os.path.join(self.directory, f.name)
            if f.name and path not in known:
                photos.add().path = path
        return {"FINISHED"}


class LIKENESS_OT_remove_photo(bpy.types.Operator):
    """Remove this photo from the list"""
    bl_idname = "likeness.remove_photo"
    bl_label = "Remove Photo"
    bl_options = {"REGISTER", "UNDO"}

    index: bpy.props.IntProperty(options={"HIDDEN"})

    def execute(self, context):
        photos = context.scene.likeness.photos
        if 0 <= self.index < len(photos):
            photos.remove(self.index)
        return {"FINISHED"}


class LIKENESS_OT_cancel(bpy.types.Operator):
    """Stop the work in progress (what is finished stays)"""
    bl_idname = "likeness.cancel"
    bl_label = "Cancel"

    @classmethod
    def poll(cls, context):
        if not context.window_manager.likeness_status.running:
            cls.poll_message_set("Nothing is being built")
            return False
        return True

    def execute(self, context):
        context.window_manager.likeness_status.running = False   # the modal operator sees this
        return {"FINISHED"}


class LIKENESS_OT_build_from_result(bpy.types.Operator):
    """Build the avatar scene objects from a Likeness result folder (one the command line
    kept, for instance)"""
    bl_idname = "likeness.build_from_result"
    bl_label = "Build Avatar From Result"
    bl_options = {"REGISTER", "UNDO"}

    result_dir: bpy.props.StringProperty(name="Result Folder", subtype="DIR_PATH")
    photo: bpy.props.StringProperty(name="Photo", subtype="FILE_PATH")

    @classmethod
    def poll(cls, context):
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to build an avatar")
            return False
        return True

    def execute(self, context):
        try:
            api.build_from_result(context, self.result_dir, self.photo, context.scene.likeness.hair)
        except Exception as exc:  # noqa: BLE001 - reported; the scene is as it was
            return jobs.report_failure(self, context, exc)
        return {"FINISHED"}


classes = (LIKENESS_OT_build_avatar, LIKENESS_OT_add_photos, LIKENESS_OT_remove_photo,
           LIKENESS_OT_cancel, LIKENESS_OT_build_from_result)
register, unregister = bpy.utils.register_classes_factory(classes)
