"""Likeness' pure pipeline: detection, fitting, texturing, the result schema,
the worker and the runtime manager.

Nothing here imports ``bpy`` or ``mathutils``: this package runs inside the
worker process (the bundled runtime), under plain pytest, and its light parts
(result loading, the worker client, the runtime manager) inside Blender.
Heavy libraries (torch, mediapipe, anny, opencv) are imported inside the
functions that need them, so Blender never loads them.
"""
