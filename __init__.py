"""Likeness: one face photo to a rigged, textured 3D head avatar in Blender.

Sub-packages register in order and unregister in reverse; nothing else lives here.
"""
from . import preferences, operators, panels

_modules = (preferences, operators, panels)


def register():
    for module in _modules:
        module.register()


def unregister():
    for module in reversed(_modules):
        module.unregister()
