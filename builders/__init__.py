"""Blender-side builders: the code that makes and changes Blender data (the avatar's scene
objects, materials, hair, animation keys, crowds, preview renders), apart from the operators
that call it. ``compat`` holds what differs between Blender versions."""
