"""Animation from outside the scene, on the selected avatar: lip sync from an audio file (with
the sound in the sequencer for playback in sync), video tracking and Live Link Face takes.
The keys are written by builders/animation.py, through ``api``."""
import os

import bpy

from .. import api, jobs
from ..builders import lookups


class _AnimationJob(jobs.FileJobOperator):
    """A file picked in the browser, then a job on the selected avatar."""
    poll = classmethod(lookups.avatar_poll)

    def rig(self, context):
        return lookups.find_avatar_head(context).parent

    def done(self, context, report):
        for warning in report["warnings"]:
            self.report({"WARNING"}, warning)
        message = f"{self.bl_label}: {report['frames']} frames from {os.path.basename(os.path.normpath(self.filepath))}"
        jobs.status(context).message = message
        self.report({"INFO"}, message)
        return {"FINISHED"}


class LIKENESS_OT_lipsync(_AnimationJob, bpy.types.Operator):
    """Animate the selected avatar's mouth from a speech recording (wav, flac, mp3 or a video's
    sound), from the current frame, and add the sound to the sequencer"""
    bl_idname = "likeness.lipsync"
    bl_label = "Lip Sync From Audio"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Audio", subtype="FILE_PATH")
    from_browser: bpy.props.BoolProperty(options={"HIDDEN", "SKIP_SAVE"})
    filter_sound: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_movie: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    transcript: bpy.props.StringProperty(
        name="Transcript", description="What is said (or the path of a .txt holding it): the phones are "
        "then aligned to these words instead of recognised. Leave empty to recognise them")
    language: bpy.props.EnumProperty(
        name="Language", default="en", description="What is spoken",
        items=[("en", "English", "Recognised English phones shape the mouth; the sound says how far it opens"),
               ("other", "Another Language", "Any other language, or singing: the mouth follows the sound itself "
                "(loudness, vowel formants, hissing and stopped sounds)")])
    expressiveness: bpy.props.FloatProperty(
        name="Expressiveness", default=0.5, min=0.0, max=1.0, subtype="FACTOR",
        description="How much the head nods and turns, the brows lift, the eyes blink and glance with the "
        "voice (0: the lips alone, the head still)")
    emotion: bpy.props.EnumProperty(
        name="Emotion", description="The face and pace the motion takes", default="calm",
        items=[("calm", "Calm", "Small, slow motion"), ("happy", "Happy", "A slight smile, livelier brows"),
               ("serious", "Serious", "Lowered brows, few lifts"), ("excited", "Excited", "Bigger, faster motion, wide eyes")])
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0,
                                description="Another seed gives other blinks, glances and head motion")

    def make_job(self, context):
        return api.lipsync_job(context, self.rig(context), self.filepath, transcript=self.transcript,
                               seed=self.seed, expressiveness=self.expressiveness, emotion=self.emotion,
                               language=self.language)


class LIKENESS_OT_track_video(_AnimationJob, bpy.types.Operator):
    """Animate the selected avatar from a video of a face, or a folder of images (at the scene's
    frame rate): its expression on the ARKit shape keys, the head's rotation on the neck and head
    bones and the gaze on the eye bones, one key per frame"""
    bl_idname = "likeness.track_video"
    bl_label = "Track Video"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Video or Images", subtype="FILE_PATH")
    from_browser: bpy.props.BoolProperty(options={"HIDDEN", "SKIP_SAVE"})
    filter_movie: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_image: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_folder: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    fps: bpy.props.FloatProperty(name="Sequence Frame Rate", min=0.0, default=0.0,
                                 description="Frames per second of an image sequence (0: the scene's)")

    def make_job(self, context):
        return api.track_job(context, self.rig(context), self.filepath, fps=self.fps)


class LIKENESS_OT_import_livelink(bpy.types.Operator):
    """Animate the selected avatar from a Live Link Face take (the iPhone app's CSV): the 52
    ARKit keys and the head and eye rotations, from the current frame at the scene's frame rate"""
    bl_idname = "likeness.import_livelink"
    bl_label = "Import Live Link Face"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="CSV", subtype="FILE_PATH")
    filter_glob: bpy.props.StringProperty(default="*.csv", options={"HIDDEN", "SKIP_SAVE"})

    poll = classmethod(lookups.avatar_poll)

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        try:
            take = api.import_livelink(context, lookups.find_avatar_head(context).parent, self.filepath)
        except Exception as exc:  # noqa: BLE001 - reported; the scene is as it was
            return jobs.report_failure(self, context, exc)
        self.report({"INFO"}, f"Live Link Face: {take['frames']} frames from {os.path.basename(self.filepath)} "
                              f"(timecode at {take['rate']} fps)")
        return {"FINISHED"}


classes = (LIKENESS_OT_lipsync, LIKENESS_OT_track_video, LIKENESS_OT_import_livelink)
register, unregister = bpy.utils.register_classes_factory(classes)
