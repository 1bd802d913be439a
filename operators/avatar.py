"""Build an avatar: run the worker job, then build the scene in one undo step.

In the UI the job runs modally (timer, progress bar, status line, ESC to
cancel). In background mode (command line, tests) the same operator runs it
synchronously. The scene build is its own REGISTER/UNDO operator.
"""
import logging
import os
import shutil
import tempfile
import time
import traceback

import bpy

from .. import preferences
from ..core import errors, result, worker_client
from . import scene_build

log = logging.getLogger(__name__)


def _report_failure(op, exc):
    """Report to the user; the status line keeps the message (the command line reads it there)."""
    if isinstance(exc, errors.LikenessError):
        message = str(exc)
    else:
        log.error("Likeness failed:\n%s", traceback.format_exc())
        message = (f"Likeness failed unexpectedly in Blender {bpy.app.version_string}: "
                   f"{type(exc).__name__}: {exc}")
    op.report({"ERROR"}, message)
    bpy.context.window_manager.likeness_status.message = message


def _report_text(exc):
    return str(exc).strip().removeprefix("Error:").strip()


def _job_dir():
    return tempfile.mkdtemp(prefix="likeness-job-")


def _avatar_name(photo):
    return bpy.path.clean_name(os.path.splitext(os.path.basename(photo))[0]) or "avatar"


class LIKENESS_OT_build_avatar(bpy.types.Operator):
    """Build a rigged, textured head avatar from the photo, at the 3D cursor"""
    bl_idname = "likeness.build_avatar"
    bl_label = "Build Avatar"
    bl_options = {"REGISTER"}

    photo: bpy.props.StringProperty(name="Photo", subtype="FILE_PATH",
                                    description="Photo to use; empty uses the panel's photos")
    texture_size: bpy.props.IntProperty(name="Texture Size", default=0,
                                        description="Texture size in pixels; 0 uses the panel's setting")
    keep_job_dir: bpy.props.StringProperty(
        name="Result Folder", description="Keep the worker's result in this folder (for the command line)",
        default="", options={"HIDDEN", "SKIP_SAVE"})

    _timer = None
    _client = None
    _job = None
    _job_dir = None

    @classmethod
    def poll(cls, context):
        status = context.window_manager.likeness_status
        if status.running:
            cls.poll_message_set("An avatar is already being built")
            return False
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to build an avatar")
            return False
        return True

    def _inputs(self, context):
        settings = context.scene.likeness
        paths = [self.photo] if self.photo else [p.path for p in settings.photos if p.path]
        size = self.texture_size or int(settings.texture_size)
        if not paths:
            raise errors.BadImage("Add a photo first.")
        return [bpy.path.abspath(p) for p in paths], size

    def execute(self, context):
        job_dir = None
        try:
            photos, size = self._inputs(context)
            python = preferences.worker_python()
            client = worker_client.shared_client(python)
            out_dir = self.keep_job_dir or _job_dir()
            job_dir = None if self.keep_job_dir else out_dir
            data = client.run("avatar", photos=photos, out_dir=out_dir, texture_size=size)
            return self._build(context, data["out_dir"], data["report"]["input"]["path"])
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the scene stays unchanged
            if job_dir:
                shutil.rmtree(job_dir, ignore_errors=True)
            _report_failure(self, exc)
            return {"CANCELLED"}

    def invoke(self, context, event):
        if bpy.app.background:
            return self.execute(context)
        try:
            photos, size = self._inputs(context)
            self._client = worker_client.shared_client(preferences.worker_python())
            self._job_dir = _job_dir()
            self._job = self._client.submit("avatar", photos=photos, out_dir=self._job_dir,
                                            texture_size=size)
        except Exception as exc:  # noqa: BLE001
            _report_failure(self, exc)
            return {"CANCELLED"}
        status = context.window_manager.likeness_status
        status.running, status.progress, status.message = True, 0.0, "Starting the worker"
        wm = context.window_manager
        wm.progress_begin(0, 100)
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        status = context.window_manager.likeness_status
        if event.type == "ESC" or not status.running:
            self._client.cancel(self._job)
            self._finish(context, "Cancelled")
            shutil.rmtree(self._job_dir, ignore_errors=True)
            self.report({"WARNING"}, "Avatar build cancelled")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        for msg in self._client.poll():
            if msg.get("id") != self._job:
                continue
            if msg["type"] == "progress":
                status.progress, status.message = msg["fraction"], msg["message"]
                context.window_manager.progress_update(int(msg["fraction"] * 100))
            elif msg["type"] == "error":
                self._finish(context, msg["message"])
                shutil.rmtree(self._job_dir, ignore_errors=True)
                self.report({"ERROR"}, msg["message"])
                return {"CANCELLED"}
            elif msg["type"] == "result":
                self._finish(context, "Building the scene")
                outcome = self._build(context, msg["data"]["out_dir"], msg["data"]["report"]["input"]["path"])
                status.message = "Avatar ready" if outcome == {"FINISHED"} else "Build failed"
                return outcome
        for area in context.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()
        return {"RUNNING_MODAL"}

    def _finish(self, context, message):
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        wm.likeness_status.running = False
        wm.likeness_status.message = message

    def _build(self, context, out_dir, photo):
        started = time.perf_counter()
        try:
            try:
                outcome = bpy.ops.likeness.build_from_result(result_dir=out_dir, photo=photo)
            except RuntimeError as exc:      # background mode: bpy.ops raises the error report
                _report_failure(self, errors.LikenessError(_report_text(exc)))
                return {"CANCELLED"}
            if self.keep_job_dir and outcome == {"FINISHED"}:
                res_report = result.load_report(out_dir)
                res_report["timings_ms"]["build"] = round((time.perf_counter() - started) * 1000, 1)
                result.write_report(out_dir, res_report)
        finally:
            if not self.keep_job_dir:
                shutil.rmtree(out_dir, ignore_errors=True)
        if outcome == {"FINISHED"}:
            self.report({"INFO"}, f"Avatar built from {os.path.basename(photo)}")
        return outcome


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
    """Stop the avatar being built (what is finished stays)"""
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
    """Build the avatar scene objects from a Likeness result folder"""
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
            res = result.load(bpy.path.abspath(self.result_dir))
            scene_build.build(context, res, _avatar_name(self.photo or self.result_dir), self.photo)
        except Exception as exc:  # noqa: BLE001
            _report_failure(self, exc)
            return {"CANCELLED"}
        return {"FINISHED"}


classes = (LIKENESS_OT_build_avatar, LIKENESS_OT_add_photos, LIKENESS_OT_remove_photo,
           LIKENESS_OT_cancel, LIKENESS_OT_build_from_result)
register, unregister = bpy.utils.register_classes_factory(classes)
