"""Install the Likeness runtime (the worker's Python environment) from the pinned requirements."""
import collections
import logging
import threading

import bpy

from .. import preferences
from ..core import errors, runtime, worker_client

log = logging.getLogger(__name__)


class LIKENESS_OT_install_runtime(bpy.types.Operator):
    """Create the Likeness runtime (PyTorch's CPU build, mediapipe, anny) from the pinned package
    list, on a Python 3.11 found on this computer (or fetched when there is none).
    Downloads the packages (needs online access) unless an offline packages folder is set"""
    bl_idname = "likeness.install_runtime"
    bl_label = "Install Runtime"

    _thread = None
    _timer = None

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

    def _start(self, context):
        worker_client.stop_all()
        self._lines = collections.deque(maxlen=6)
        self._count = 0
        self._error = None
        self._stop = False
        target = preferences.runtime_dir()
        wheels = preferences.wheels_dir()

        def on_line(line):
            self._count += 1
            self._lines.append(line)
            log.info("runtime install: %s", line)

        def work():
            try:
                runtime.install(target, on_line=on_line, wheels_dir=wheels, should_stop=lambda: self._stop)
            except (errors.LikenessError, OSError) as exc:
                self._error = str(exc)

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def execute(self, context):
        self._start(context)
        self._thread.join()
        return self._done(context)

    def invoke(self, context, event):
        if bpy.app.background:
            return self.execute(context)
        self._start(context)
        status = context.window_manager.likeness_status
        status.running, status.message = True, "Installing the runtime"
        wm = context.window_manager
        wm.progress_begin(0, 100)
        self._timer = wm.event_timer_add(0.25, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        status = context.window_manager.likeness_status
        if event.type == "ESC" or not status.running:
            self._stop = True
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        # uv and pip print about a hundred lines for this set: a rough but honest progress measure
        status.progress = min(self._count / 120.0, 0.99)
        status.runtime_log = "\n".join(self._lines)
        status.message = self._lines[-1][:90] if self._lines else "Installing the runtime"
        context.window_manager.progress_update(int(status.progress * 100))
        for area in context.screen.areas:
            area.tag_redraw()
        if self._thread.is_alive():
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        context.window_manager.progress_end()
        status.running = False
        return self._done(context)

    def _done(self, context):
        status = context.window_manager.likeness_status
        status.runtime_log = "\n".join(self._lines)
        if self._error:
            status.message = self._error
            self.report({"ERROR"}, self._error)
            return {"CANCELLED"}
        status.message = "Runtime installed"
        status.progress = 1.0
        self.report({"INFO"}, "Likeness runtime installed")
        return {"FINISHED"}


classes = (LIKENESS_OT_install_runtime,)
register, unregister = bpy.utils.register_classes_factory(classes)
