"""Blender operators: thin. Each gathers the panel's inputs, calls ``api`` (through a
``jobs.JobOperator`` for long work) and reports."""
from . import properties, identity, hair_ops, avatar, runtime_ops, expression_ops, animation_ops, video_ops, crowd_ops

_modules = (properties, identity, hair_ops, avatar, runtime_ops, expression_ops, animation_ops, video_ops, crowd_ops)


def register():
    for module in _modules:
        module.register()


def unregister():
    for module in reversed(_modules):
        module.unregister()
