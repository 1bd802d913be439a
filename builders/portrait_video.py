"""A talking video of an animated avatar: its take rendered frame by frame as a portrait (Cycles
on the CPU) and encoded with the speech as an mp4 (H.264 and AAC, by core/video_encode.py on the
runtime's Python).

Cycles on the CPU because it renders headless everywhere: EEVEE and Workbench need an OpenGL
context (on a machine without a GPU, Mesa's software one). Measured with bpy 5.0.1 on 2 loaded
cores: EEVEE spent 90 s on the default cube's first frame and had not finished an avatar's
first 512 px frame after 15 minutes; Workbench, flat-lit, took 5 s a frame without the hair and
10 to 16 s with it, Cycles at 8 samples (before the cuts below) 7 to 13 s and 14 to 24 s: not
enough to give up the preview's look.

Where a 512 px frame's time went (bpy 5.0.1, the sample photo with hair curves, 2 loaded cores,
8 samples denoised with the colour, albedo and normal guides: 17.8 s a frame): 0.8 s evaluating
the scene at the frame (shape keys, armature, the hair's node groups); about 3 s of Cycles'
per-render set-up (a 1-sample render without the denoiser took 4.1 s); about 1.1 s a sample of
path tracing; 6 s denoising, most of it the accurate prefilter that denoises the albedo and
normal guides before the image. The hair curves were 5.6 s of the frame (12.2 s without them).
So 4 samples, denoised with the colour and albedo only: 10.5 s a frame (bench/talk_video.py:
9.7 s), the face and the hair's tips as at 8 samples. And the hair rendered as a static copy
(``_link_avatar``): the render evaluates its own copy of the scene, node groups included, at
every frame, and the hair's children took about 2.3 s to grow: 7.0 s a frame (bench: 8.2 s,
197 s of render per second of video, against 13.3 s and 319 s before; the copy is made once, in
about 2.3 s). Measured and left: persistent data (the frames after the first no faster: the
head's mesh changes every frame anyway), fewer bounces (15.7 s at 2), the fast prefilter (14.4 s
at 8 samples, the hair's tips speckled), the colour alone as guide (8.9 s at 4 samples, the
skin's texture smeared).

The frames are PNGs encoded afterwards, not Blender's own FFMPEG output, because the bpy 4.2
module has no audio and FFMPEG's settings move between versions. The render set-up lives in a
temporary scene, removed afterwards: the user's scene and its settings are untouched.
"""
import fractions
import logging
import math
import os
import shutil
import tempfile
import time

import bpy
from mathutils import Euler, Matrix, Vector

from .. import jobs, preferences
from ..core import errors, video_encode, worker_client
from . import compat, lookups, preview
from .hair_build import HAIR_MODIFIER, PART

log = logging.getLogger(__name__)

SIZE = 512
SAMPLES = 4                  # denoised (OpenImageDenoise): a clean face at few samples
# the denoiser's guides: colour and albedo, not the normals. With the normals too, its accurate
# prefilter (three denoiser runs a frame: image, albedo, normals) took 6 of a frame's 18 s at
# 512 px; the fast prefilter speckles the hair's tips, the colour alone smears the skin's texture
DENOISE_PASSES = "RGB_ALBEDO"
LENS_MM = 85.0               # a portrait lens: no close-up distortion of the nose
FRAME_MARGIN = 1.2           # the frame's height over the head's (hair and neck included)
RENDER_SHARE = 0.95          # of the progress bar (the encoding is quick)


def take_frames(head):
    """(first, last) frame of the take the head's shape keys play (a lip sync, a tracked video,
    a Live Link take), or None when they play none."""
    keys = head.data.shape_keys
    action = keys.animation_data.action if keys and keys.animation_data else None
    if action is None:
        return None
    first, last = action.frame_range
    return int(math.floor(first)), int(math.ceil(last))


def scene_sound(scene, first_frame):
    """The file of the sound strip a lip sync added for the take starting at ``first_frame``
    (the newest, on the highest channel, when the take was redone), else the newest strip's,
    or ""."""
    if scene.sequence_editor is None:
        return ""
    sounds = [s for s in compat.sound_strips(scene) if s.type == "SOUND" and s.sound is not None]
    if not sounds:
        return ""
    strip = max(sounds, key=lambda s: (round(s.frame_start) == first_frame, s.channel))
    return os.path.abspath(bpy.path.abspath(strip.sound.filepath, library=strip.sound.library))


def portrait_camera(scene, rig):
    """A camera in front of the avatar at head height, level, framing the head, hair and neck
    (square); linked into ``scene`` and made its camera. Returns (camera data, object)."""
    to_rig = rig.matrix_world.inverted()
    corners = [to_rig @ ob.matrix_world @ Vector(c) for ob in _framed(rig) for c in ob.bound_box]
    lo = Vector([min(c[i] for c in corners) for i in range(3)])
    hi = Vector([max(c[i] for c in corners) for i in range(3)])
    centre = (lo + hi) / 2.0
    cam = bpy.data.cameras.new("Likeness Talk")
    cam.lens, cam.sensor_fit = LENS_MM, "AUTO"
    half_height = (hi.z - lo.z) * FRAME_MARGIN / 2.0
    distance = half_height * cam.lens / (cam.sensor_width / 2.0) + (centre.y - lo.y)
    ob = bpy.data.objects.new("Likeness Talk", cam)
    # looking along the avatar's forward (+Y of the rig points to the back of the head)
    ob.matrix_world = rig.matrix_world @ (Matrix.Translation(centre - Vector((0.0, distance, 0.0)))
                                          @ Euler((math.pi / 2, 0.0, 0.0)).to_matrix().to_4x4())
    scene.collection.objects.link(ob)
    scene.camera = ob
    return cam, ob


def _framed(rig):
    """The avatar's head with its hair, brows and lashes: what the portrait shows."""
    head = lookups.avatar_head(rig)
    return [head] + [ob for ob in list(rig.children) + list(head.children) if ob.get(PART) is not None]


class TalkVideoJob(jobs.Job):
    """Render the frames ``first``..``last`` of ``scene`` (its avatar's take) as a ``size`` px
    portrait, one frame a step, then encode them with ``audio`` into ``path``. The result:
    {"path", "frames", "fps", "size", "engine", "samples", "seconds" (of video), "render_s", "encode_s"}."""

    def __init__(self, context, rig, audio, path, first, last, size=SIZE, samples=SAMPLES):
        source = context.scene
        self.path, self.audio, self.size, self.samples = path, audio, size, samples
        self.frames = list(range(first, last + 1))
        self.fps = fractions.Fraction(source.render.fps) / fractions.Fraction(source.render.fps_base).limit_denominator(1001)
        self.python = preferences.worker_python()
        self.done_frames, self.encoder = 0, None
        self.render_s = self.encode_s = 0.0
        self.tmp = tempfile.mkdtemp(prefix="likeness-talk-")
        self.scene = bpy.data.scenes.new("Likeness Talk")
        self.made, self.objs = [], []
        try:
            self.scene.frame_current = first
            _link_avatar(self.scene, rig, self.objs)
            self.scene.render.fps, self.scene.render.fps_base = source.render.fps, source.render.fps_base
            preview.use_cycles_cpu(self.scene, size, samples)
            self.scene.cycles.denoising_input_passes = DENOISE_PASSES
            self.scene.render.image_settings.file_format = "PNG"
            self.scene.render.image_settings.color_mode = "RGB"
            cam, cam_ob = portrait_camera(self.scene, rig)
            head = lookups.avatar_head(rig)
            centre = sum((head.matrix_world @ Vector(c) for c in head.bound_box), Vector()) / 8.0
            made, objs = preview.light_studio(self.scene, centre)
            self.made += made + [cam]
            self.objs += objs + [cam_ob]
        except BaseException:
            self.close()
            raise
        self.message = f"Rendering frame 1 of {len(self.frames)}"

    def step(self, timeout):
        if self.done_frames < len(self.frames):
            self._render(self.frames[self.done_frames])
            self.done_frames += 1
            self.fraction = RENDER_SHARE * self.done_frames / len(self.frames)
            self.message = f"Rendered frame {self.done_frames} of {len(self.frames)}"
            return False
        if self.encoder is None:
            self.encode_started = time.perf_counter()
            self.encoder = jobs.ThreadJob(self._encode, expected_lines=len(self.frames), message="Encoding the video")
        finished = self.encoder.step(timeout)
        self.fraction = RENDER_SHARE + (1 - RENDER_SHARE) * self.encoder.fraction
        self.message = self.encoder.message
        if not finished:
            return False
        self.encode_s = time.perf_counter() - self.encode_started
        self.result = {"path": self.path, "frames": len(self.frames), "fps": float(self.fps), "size": self.size,
                       "engine": "Cycles CPU", "samples": self.samples,
                       "seconds": round(len(self.frames) / float(self.fps), 3),
                       "render_s": round(self.render_s, 2), "encode_s": round(self.encode_s, 2)}
        return True

    def _render(self, frame):
        started = time.perf_counter()
        self.scene.frame_current = frame          # (the render evaluates the scene at it)
        self.scene.render.filepath = os.path.join(self.tmp, f"{frame - self.frames[0]:06d}.png")
        with bpy.context.temp_override(scene=self.scene):
            bpy.ops.render.render(write_still=True, scene=self.scene.name)
        if not os.path.isfile(self.scene.render.filepath):
            raise errors.LikenessError(f"Blender rendered no image for frame {frame}.")
        self.render_s += time.perf_counter() - started

    def _encode(self, on_line, should_stop):
        video_encode.run(self.python, self.tmp, self.fps, self.audio, self.path,
                         env=worker_client.clean_environment(),
                         on_frame=lambda k, n: on_line(f"Encoding frame {k} of {n}"), should_stop=should_stop)

    def cancel(self):
        if self.encoder is not None:       # (stopped, the encoder leaves no file)
            self.encoder.cancel()

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.scene is not None:
            for ob in [ob for ob in self.objs if ob.type == "CURVES"]:      # the static hair
                data = ob.data
                self.objs.remove(ob)
                bpy.data.objects.remove(ob)
                bpy.data.hair_curves.remove(data)
            preview.remove_studio(self.scene, self.made, self.objs)
            self.scene = None


def _link_avatar(scene, rig, copies):
    """Link the avatar's collection into the render ``scene``: its objects and sub-collections,
    but each hair-curves object as a static copy with its children made once (its node groups
    applied) on the same head bone. The node groups read the head's mesh, so the render's own
    scene evaluation grew the children again every frame: about 2 s of a 512 px frame on two
    loaded cores (bpy 5.0.1), for strands that do not move with the shape keys (the scalp does
    not) but rigidly with the head bone. The copies go into ``copies`` as they are made (for
    ``close``, even when a later one fails); a hair object whose modifier does not apply is
    linked as it is."""
    coll = rig.users_collection[0]
    for child in coll.children:
        scene.collection.children.link(child)
    for ob in coll.objects:
        if ob.type == "CURVES" and ob.get(PART) == "hair" and HAIR_MODIFIER in ob.modifiers:
            copy = _static_hair(scene, ob)
            if copy is not None:
                copies.append(copy)
                continue
        scene.collection.objects.link(ob)


def _static_hair(scene, ob):
    """A copy of the hair object ``ob`` in ``scene`` with its modifiers applied, or None."""
    copy = ob.copy()
    copy.data = ob.data.copy()
    scene.collection.objects.link(copy)
    try:
        with bpy.context.temp_override(scene=scene, view_layer=scene.view_layers[0], object=copy,
                                       active_object=copy, selected_objects=[copy]):
            for mod in list(copy.modifiers):
                if bpy.ops.object.modifier_apply(modifier=mod.name) != {"FINISHED"}:
                    raise RuntimeError(f"the modifier {mod.name} did not apply")
    except (RuntimeError, TypeError) as exc:
        log.warning("The hair renders as it is (evaluated every frame): %s", exc)
        data = copy.data
        bpy.data.objects.remove(copy)
        bpy.data.hair_curves.remove(data)
        return None
    return copy
