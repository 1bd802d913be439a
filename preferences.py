"""Add-on preferences: where the runtime lives, or which Python to use instead."""
import os
import tempfile

import bpy

from .core import runtime


class LikenessPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    python_path: bpy.props.StringProperty(
        name="Python Interpreter",
        description="Use this Python (with Likeness' requirements installed) instead of the "
                    "managed runtime. Leave empty to use the runtime installed from the panel",
        subtype="FILE_PATH", default="")
    wheels_dir: bpy.props.StringProperty(
        name="Offline Packages",
        description="Install the runtime from this folder of wheels (made with 'pip download -r "
                    "requirements/runtime.txt uv'), without going online. Leave empty to download them",
        subtype="DIR_PATH", default="")

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "python_path")
        layout.prop(self, "wheels_dir")
        st = runtime_status()
        layout.label(text=st.message, icon="CHECKMARK" if st.state == "ready" else "ERROR")
        layout.label(text=f"Runtime folder: {runtime_dir()}")


def get():
    return bpy.context.preferences.addons[__package__].preferences


def runtime_dir():
    """The managed runtime's folder: the extension's user directory, or a temp folder
    when Likeness is not running as an installed extension."""
    try:
        return bpy.utils.extension_path_user(__package__, path="runtime", create=True)
    except ValueError:
        path = os.path.join(tempfile.gettempdir(), "likeness-runtime")
        os.makedirs(path, exist_ok=True)
        return path


def runtime_status():
    return runtime.status(runtime_dir(), bpy.path.abspath(get().python_path))


def wheels_dir():
    """The offline packages folder ("" to download), as an absolute path."""
    path = get().wheels_dir
    return bpy.path.abspath(path) if path else ""


def worker_python():
    """The interpreter the worker runs with; raises RuntimeMissing with advice when there is none."""
    return runtime.require(runtime_dir(), bpy.path.abspath(get().python_path))


classes = (LikenessPreferences,)
register, unregister = bpy.utils.register_classes_factory(classes)
