"""Blender operators (thin: gather inputs, run a job, report) and the scene builder."""
from . import properties, identity, avatar, runtime_ops, expression_ops, animation_ops, crowd_ops, preview  # noqa: F401 (preview: used by the CLI)

_modules = (properties, identity, avatar, runtime_ops, expression_ops, animation_ops, crowd_ops)


def register():
    for module in _modules:
        module.register()


def unregister():
    for module in reversed(_modules):
        module.unregister()
