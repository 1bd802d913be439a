"""Make Talking Video: the selected avatar's lip-synced take rendered as a portrait mp4 with its
speech (through ``api.talk_video_job``; builders/portrait_video.py renders). The scene is not
changed: the render happens in a temporary scene."""
import os

import bpy

from .. import api, jobs
from ..builders import lookups, portrait_video
from ..core import errors


class LIKENESS_OT_talk_video(jobs.FileJobOperator, bpy.types.Operator):
    """Render the selected avatar's lip-synced animation as a square portrait video (mp4, H.264
    with the speech as AAC) into a folder, with Cycles on the CPU. The scene stays as it is"""
    bl_idname = "likeness.talk_video"
    bl_label = "Make Talking Video"
    bl_options = {"REGISTER"}

    directory: bpy.props.StringProperty(name="Output Folder", subtype="DIR_PATH",
                                        description="The folder the video is written to (AVATAR_talk.mp4)")
    audio: bpy.props.StringProperty(name="Audio", subtype="FILE_PATH",
                                    description="The speech to put in the video. Empty: the sound the lip "
                                                "sync added to the sequencer")
    size: bpy.props.IntProperty(name="Size", default=portrait_video.SIZE, min=16, max=4096, subtype="PIXEL",
                                description="Width and height of the video in pixels")
    from_browser: bpy.props.BoolProperty(options={"HIDDEN", "SKIP_SAVE"})
    filter_folder: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        if context.window_manager.likeness_status.running:
            cls.poll_message_set("Likeness is already working: wait for it or press ESC")
            return False
        head = lookups.find_avatar_head(context)
        if head is None:
            cls.poll_message_set("Select a Likeness avatar")
            return False
        frames = portrait_video.take_frames(head)
        if frames is None:
            cls.poll_message_set("The avatar is not animated yet: use Lip Sync From Audio first")
            return False
        if not portrait_video.scene_sound(context.scene, frames[0]):
            cls.poll_message_set("No sound in the sequencer yet: use Lip Sync From Audio first")
            return False
        return True

    def invoke(self, context, event):
        if not self.directory and bpy.data.filepath:
            self.directory = os.path.dirname(bpy.data.filepath)
        return jobs.FileJobOperator.invoke(self, context, event)

    def make_job(self, context):
        rig = lookups.find_avatar_head(context).parent
        folder = bpy.path.abspath(self.directory or "//")
        if not os.path.isdir(folder):
            raise errors.BadArguments(f"Choose an output folder that exists (not {folder or 'this unsaved file'}).")
        path = os.path.join(folder, f"{rig.name.removesuffix('_rig')}_talk.mp4")
        return api.talk_video_job(context, rig, path, audio=self.audio, size=self.size)

    def done(self, context, result):
        message = (f"{self.bl_label}: {result['frames']} frames ({result['seconds']:.1f} s) written to "
                   f"{result['path']}")
        jobs.status(context).message = message
        self.report({"INFO"}, message)
        return {"FINISHED"}


classes = (LIKENESS_OT_talk_video,)
register, unregister = bpy.utils.register_classes_factory(classes)
