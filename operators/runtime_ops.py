"""Install the Likeness runtime (the worker's Python environment) from the pinned requirements."""
import bpy

from .. import api, jobs, preferences


class LIKENESS_OT_install_runtime(jobs.JobOperator, bpy.types.Operator):
    """Create the Likeness runtime (PyTorch's CPU build, mediapipe, anny) from the pinned package
    list, on a Python 3.11 found on this computer (or fetched when there is none).
    Downloads the packages (needs online access) unless an offline packages folder is set"""
    bl_idname = "likeness.install_runtime"
    bl_label = "Install Runtime"

    @classmethod
    def poll(cls, context):
        if not bpy.app.online_access and not preferences.get().wheels_dir:
            cls.poll_message_set("Online access is disabled (Preferences > System > Network); "
                                 "enable it, or set an offline packages folder in the preferences")
            return False
        if preferences.get().python_path:
            cls.poll_message_set("A Python interpreter is configured in the preferences; "
                                 "clear it to use the managed runtime")
            return False
        if context.window_manager.likeness_status.running:
            cls.poll_message_set("Wait for the current job to finish")
            return False
        return True

    def make_job(self, context):
        return api.install_runtime_job()

    def stepped(self, context, job):
        jobs.status(context).runtime_log = "\n".join(job.lines)
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()           # every area: the preferences window shows the log too

    def done(self, context, lines):
        st = jobs.status(context)
        st.runtime_log = "\n".join(lines)
        st.message, st.progress = "Runtime installed", 1.0
        self.report({"INFO"}, "Likeness runtime installed")
        return {"FINISHED"}

classes = (LIKENESS_OT_install_runtime,)
register, unregister = bpy.utils.register_classes_factory(classes)
