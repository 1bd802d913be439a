"""Preview renders of an avatar (front and three-quarter, side by side), with Cycles on the CPU.

The render setup lives in a temporary scene that is removed afterwards, so
the user's scene and its render settings are untouched.
"""
import math
import os
import shutil
import tempfile

import bpy
import numpy as np
from mathutils import Vector

from . import compat, lookups

SIZE = 512
SAMPLES = 24
VIEWS = (("front", 0.0), ("three_quarter", 35.0))
EXPOSURE = -0.6            # stops: the skin renders at about its albedo


def render(context, rig, path, views=VIEWS, size=SIZE, samples=SAMPLES):
    """Render ``views`` ((name, yaw in degrees about the vertical axis) each; 0 is straight on the
    face) of the avatar at rest, ``size`` px square each with ``samples`` Cycles samples, and write
    them side by side, in that order, to ``path`` (PNG)."""
    head = lookups.avatar_head(rig)
    corners = [head.matrix_world @ Vector(c) for c in head.bound_box]
    centre = sum(corners, Vector()) / 8.0
    height = max(c.z for c in corners) - min(c.z for c in corners)

    scene = bpy.data.scenes.new("Likeness Preview")
    tmp = tempfile.mkdtemp(prefix="likeness-preview-")
    made, objs = [], []
    try:
        scene.collection.children.link(rig.users_collection[0])
        use_cycles_cpu(scene, size, samples)
        made, objs = light_studio(scene, centre)
        cam = bpy.data.cameras.new("Likeness Preview")
        cam.lens = 50.0
        made.append(cam)
        cam_ob = bpy.data.objects.new("Likeness Preview", cam)
        scene.collection.objects.link(cam_ob)
        objs.append(cam_ob)
        scene.camera = cam_ob
        distance = height * 2.6 * cam.lens / 36.0 * 0.5 + 0.15
        tiles = []
        for name, yaw in views:
            a = math.radians(yaw)
            cam_ob.location = centre + Vector((distance * math.sin(a), -distance * math.cos(a), 0.0))
            cam_ob.rotation_euler = (centre - cam_ob.location).to_track_quat("-Z", "Y").to_euler()
            scene.render.filepath = os.path.join(tmp, name + ".png")
            with context.temp_override(scene=scene):
                bpy.ops.render.render(write_still=True, scene=scene.name)
            img = bpy.data.images.load(scene.render.filepath)
            px = np.empty(size * size * 4, np.float32)
            img.pixels.foreach_get(px)
            tiles.append(px.reshape(size, size, 4))
            bpy.data.images.remove(img)
        combined = np.concatenate(tiles, axis=1)
        out = bpy.data.images.new("Likeness Preview", size * len(tiles), size, alpha=False)
        out.pixels.foreach_set(combined.ravel())
        out.filepath_raw = path
        out.file_format = "PNG"
        out.save()
        bpy.data.images.remove(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_studio(scene, made, objs)


def use_cycles_cpu(scene, size, samples):
    """Render ``scene`` with Cycles on the CPU, ``samples`` a pixel and denoised, ``size`` px square."""
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = True          # OpenImageDenoise, on the CPU
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.view_settings.view_transform = "Standard"
    # the key and fill bring a frontal face to about 1.5 x its albedo: without this, a light
    # skin clipped to white (a third of the face's pixels on average), pale and off-hue
    scene.view_settings.exposure = EXPOSURE


def light_studio(scene, centre):
    """A neutral studio around ``centre`` in ``scene``: an even grey world, a key and a fill
    light. Returns (the datablocks made, the objects made), for ``remove_studio``."""
    world = bpy.data.worlds.new("Likeness Studio")
    scene.world = world
    compat.set_world_colour(world, (0.35, 0.35, 0.38))
    key = bpy.data.lights.new("Likeness Key", "AREA")
    key.energy, key.size = 18.0, 0.6
    fill = bpy.data.lights.new("Likeness Fill", "AREA")
    fill.energy, fill.size = 7.0, 0.8
    objs = []
    for light, (x, y, z) in ((key, (0.5, -0.8, 0.4)), (fill, (-0.7, -0.6, 0.1))):
        ob = bpy.data.objects.new(light.name, light)
        ob.location = centre + Vector((x, y, z))
        ob.rotation_euler = (centre - ob.location).to_track_quat("-Z", "Y").to_euler()
        scene.collection.objects.link(ob)
        objs.append(ob)
    return [world, key, fill], objs


def remove_studio(scene, made, objs):
    """Remove a render's temporary ``scene`` with the objects and datablocks made for it."""
    for ob in objs:
        bpy.data.objects.remove(ob)
    for db in made:
        getattr(bpy.data, {"World": "worlds", "Camera": "cameras"}.get(type(db).__name__, "lights")).remove(db)
    bpy.data.scenes.remove(scene)
