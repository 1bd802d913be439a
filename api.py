"""The front door: everything Likeness does to a Blender scene, as functions.

The operators (the UI) and the ``likeness`` command both come in here. Inputs are
arguments, results are return values, and every failure is a ``core.errors.LikenessError``
with a message for a person and the command line's exit code (``exc.exit_code``). Each long
operation has a ``*_job`` form, a ``jobs.Job`` that the UI drives modally; the plain
function runs it to the end.

    rig, report = api.build_avatar(context, ["face.jpg"], hair="CARDS")
    summary = api.build_crowd(context, variants=20, seed=7)
    api.lipsync(context, rig, "line.wav"); api.export(context, rig, "/out/avatar", glb=True)
"""
import os
import tempfile
import time

import bpy

from . import jobs, preferences
from .builders import animation, lookups, portrait_video, preview, scene_build
from .builders import crowd as crowd_scene
from .core import crowd, errors, result, runtime, voice_motion, worker_client
from .core.image_io import IMAGE_SUFFIXES

HAIR_FORMS = ("CURVES", "CARDS", "NONE")
MAX_AGE_YEARS = 100


def avatar_name(photo):
    return bpy.path.clean_name(os.path.splitext(os.path.basename(photo))[0]) or "avatar"


# -- avatars ---------------------------------------------------------------------------------
def avatar_job(photos, texture_size=2048, hair="CURVES", keep_result="", age_years=0.0):
    """Build an avatar from ``photos`` (of one person) at the 3D cursor, in one collection;
    the job's result is (rig, report). ``age_years`` gives a child's or teenager's age (the
    head's proportions follow it); 0 fits an adult's. ``keep_result`` keeps the worker's result folder
    (arrays, textures, report) there when the build succeeds; otherwise it is removed."""
    photos = [os.path.abspath(bpy.path.abspath(p)) for p in photos if p]
    if not photos:
        raise errors.BadImage("Add a photo first.")
    if hair not in HAIR_FORMS:
        raise errors.BadArguments(f"hair must be one of {', '.join(HAIR_FORMS)}, not {hair}")
    if not 0 <= age_years <= MAX_AGE_YEARS:
        raise errors.BadArguments(f"the age must be from 0 (fit an adult's) to {MAX_AGE_YEARS} years, "
                                  f"not {age_years}")
    made_here = not keep_result or not os.path.exists(keep_result)     # (a folder that was there stays)
    out_dir = keep_result or tempfile.mkdtemp(prefix="likeness-job-")
    job = None

    def finish(data):
        started = time.perf_counter()
        res = result.load(data["out_dir"])
        photo = res.report["input"]["path"]
        rig = scene_build.build(bpy.context, res, avatar_name(photo), photo, hair)
        report = res.report
        report["timings_ms"]["build"] = round((time.perf_counter() - started) * 1000, 1)
        if keep_result:
            job.scratch = None          # kept: removed only when the build failed
        return rig, report

    job = jobs.WorkerJob("avatar", finish, scratch=out_dir if made_here else None, photos=photos,
                         out_dir=out_dir, texture_size=int(texture_size), age_years=float(age_years) or None)
    return job


def build_avatar(context, photos, **options):
    """(rig, report) of an avatar built from ``photos``; options as ``avatar_job``."""
    return jobs.run(avatar_job(photos, **options))


def build_from_result(context, result_dir, photo="", hair="CURVES"):
    """An avatar from a result folder the worker wrote before (no worker job); the rig."""
    try:
        res = result.load(os.path.abspath(bpy.path.abspath(result_dir)))
        return scene_build.build(context, res, avatar_name(photo or result_dir), photo, hair)
    except Exception as exc:  # noqa: BLE001 - leaves as a LikenessError
        raise jobs.as_likeness_error(exc) from exc


# -- crowds ----------------------------------------------------------------------------------
def crowd_job(photos_dir="", variants=0, seed=0, around="", layout="GRID", spacing=0.6,
              full_body=False, texture_size=1024, hair="CURVES", shard="", cluster="", viewport_hair=False,
              workers=0):
    """A crowd under the "Likeness Crowd" collection: one character per photo of
    ``photos_dir`` and ``variants`` seeded ones (relatives of ``around``'s avatar when given);
    ``shard`` "i/N" makes that slice only. The job's result is the summary: each character
    made (with its report) and each one skipped, with why (and the folder's files that are
    not photos, in ``not_photos``). ``cluster``: a Dask scheduler's address (tcp://HOST:PORT)
    or "local:N": the characters are made by that cluster's workers and built here. Hair curves'
    children are shown in the viewport only with ``viewport_hair`` (they render either way):
    growing them for every character costs a crowd most of its build time and memory.
    ``workers``: worker processes making characters side by side on this machine (0: one per
    core, core.crowd.local_workers); not with ``cluster``."""
    if not 0 <= workers <= crowd.MAX_LOCAL_WORKERS:
        raise errors.BadArguments(f"workers must be from 0 (one per core) to {crowd.MAX_LOCAL_WORKERS}, not {workers}")
    photos_dir = os.path.abspath(bpy.path.abspath(photos_dir)) if photos_dir else ""
    photos = crowd.photos_in(photos_dir) if photos_dir else []
    if not photos_dir and not variants:
        raise errors.BadArguments("Nothing to make: choose a photo folder or a number of variants.")
    if photos_dir and not photos and not variants:
        raise errors.BadImage(f"The folder has no photos: {photos_dir}")
    if cluster:
        from .core import cluster as cluster_address
        cluster_address.check_reachable(cluster)      # a wrong address fails now, in seconds
    chars = crowd.plan(photos, variants, os.path.abspath(bpy.path.abspath(around)) if around else None)
    total = len(chars)
    if shard:
        chars = crowd.shard(chars, *crowd.parse_shard(shard))
    return crowd_scene.CrowdJob(chars, total, seed, int(texture_size), layout, spacing, full_body, hair,
                                not_photos=crowd.not_photos(photos_dir) if photos_dir else [], cluster=cluster,
                                viewport_hair=viewport_hair, workers=workers)


def build_crowd(context, **options):
    """The summary of a crowd made now; options as ``crowd_job``. The crowd is kept with the
    scene (a line in the panel, the whole summary on its collection)."""
    summary = jobs.run(crowd_job(**options))
    crowd_scene.keep_summary(context, summary)
    return summary


def merge_crowds(context, blend_files):
    """Append the crowds of ``blend_files`` (the shards of one job) into this scene's crowd,
    with one copy of each shared material."""
    merged = crowd_scene.crowd_collection(context)
    for path in blend_files:
        with bpy.data.libraries.load(path, link=False) as (_, dst):
            dst.collections = [crowd_scene.CROWD_COLLECTION]
        for coll in dst.collections:
            for child in list(coll.children):
                merged.children.link(child)
            bpy.data.collections.remove(coll)
    crowd_scene.merge_shared_materials()


# -- animation ---------------------------------------------------------------------------------
def lipsync_job(context, rig, audio, transcript="", seed=0, expressiveness=0.5, emotion="calm", language="en"):
    """Animate ``rig``'s mouth from a speech recording, from the current frame, and put the
    sound in the sequencer; ``transcript`` is what is said (or a .txt file holding it, English
    only); ``language`` an ISO code (not English: the mouth follows the sound alone). The
    head, brows, lids and eyes move with the voice as much as ``expressiveness`` says (0..1;
    0: the lips alone), with the face and pace of ``emotion`` (one of
    core.voice_motion.EMOTIONS: calm, happy, serious, excited), drawn from ``seed``. The
    job's result is a report: frames, the action's name, warnings."""
    head = lookups.avatar_head(rig)
    scene = context.scene
    voice_motion.check_options(expressiveness, emotion)
    audio = os.path.abspath(bpy.path.abspath(audio))
    path = bpy.path.abspath(transcript) if transcript else ""
    if path and os.path.isfile(path):
        with open(path, encoding="utf-8", errors="replace") as fh:
            transcript = fh.read()
    start = scene.frame_current
    return jobs.WorkerJob("lipsync", lambda data: animation.key_lipsync(bpy.context.scene, rig, head, data, audio, start),
                          arrays=True, audio=audio, fps=animation.scene_fps(scene), transcript=transcript,
                          seed=int(seed), expressiveness=float(expressiveness), emotion=emotion,
                          language=language or "en")


def lipsync(context, rig, audio, **options):
    return jobs.run(lipsync_job(context, rig, audio, **options))


def track_job(context, rig, video, fps=0.0):
    """Animate ``rig`` from a video of a face, or a folder of images (at ``fps``, default the
    scene's): expression keys, head and eye bones, one key per frame from the current one."""
    head = lookups.avatar_head(rig)
    scene = context.scene
    source = os.path.abspath(bpy.path.abspath(video))
    if source.lower().endswith(IMAGE_SUFFIXES):      # one image picked: its folder is the sequence
        source = os.path.dirname(source)
    ident = rig.likeness_identity
    start = scene.frame_current
    return jobs.WorkerJob("track", lambda data: animation.key_tracking(bpy.context.scene, rig, head, data, start),
                          arrays=True, video=source, fps=fps or animation.scene_fps(scene),
                          phenotype=[p.value for p in ident.phenotype],
                          local_changes={it.label: it.value for it in ident.local})


def track(context, rig, video, **options):
    return jobs.run(track_job(context, rig, video, **options))


def talk_video_job(context, rig, path, audio="", size=portrait_video.SIZE, samples=portrait_video.SAMPLES):
    """Render ``rig``'s take (its lip sync) as a square portrait video of ``size`` px with the
    speech: an mp4 (H.264 and AAC) at ``path``. ``audio`` defaults to the scene's sound strip
    (the one lip sync added). The job's result: path, frames, fps, size, engine, samples, seconds
    (of video), render_s, encode_s (see ``portrait_video.TalkVideoJob``)."""
    head = lookups.avatar_head(rig)
    frames = portrait_video.take_frames(head)
    if frames is None:
        raise errors.LikenessError("The avatar has no animation to film: lip-sync it from audio first.")
    audio = os.path.abspath(bpy.path.abspath(audio)) if audio else portrait_video.scene_sound(context.scene, frames[0])
    if not audio:
        raise errors.BadAudio("There is no sound to put in the video: choose the audio file.")
    if not os.path.isfile(audio):
        raise errors.BadAudio(f"Audio file not found: {audio}")
    if not 16 <= size <= 4096:
        raise errors.BadArguments(f"the video's size must be from 16 to 4096 pixels, not {size}")
    return portrait_video.TalkVideoJob(context, rig, audio, os.path.abspath(bpy.path.abspath(path)), *frames,
                                   size=int(size), samples=int(samples))


def talk_video(context, rig, path, on_progress=None, **options):
    """The talking video's summary (see ``talk_video_job``); ``on_progress(fraction, message)``
    as it goes."""
    return jobs.run(talk_video_job(context, rig, path, **options), on_progress=on_progress)


def import_livelink(context, rig, csv_path):
    """Animate ``rig`` from a Live Link Face take (a small table: read here, no worker job)."""
    try:
        return animation.key_livelink(context.scene, rig, lookups.avatar_head(rig),
                                      os.path.abspath(bpy.path.abspath(csv_path)), context.scene.frame_current)
    except Exception as exc:  # noqa: BLE001 - leaves as a LikenessError
        raise jobs.as_likeness_error(exc) from exc


# -- set-up ------------------------------------------------------------------------------------
def install_runtime_job():
    """Make the worker's runtime (a Python 3.11 environment with the pinned packages) in the
    extension's user folder, from the offline packages folder when one is set; the job's
    result is the installer's last lines. The running workers are stopped first."""
    worker_client.stop_all()
    target, wheels = preferences.runtime_dir(), preferences.wheels_dir()
    # uv and pip print about a hundred lines for this set: a rough but honest progress measure
    return jobs.ThreadJob(lambda on_line, should_stop: runtime.install(target, on_line=on_line, wheels_dir=wheels,
                                                                     should_stop=should_stop),
                          expected_lines=120, message="Installing the runtime")


def install_runtime():
    return jobs.run(install_runtime_job())


# -- files -------------------------------------------------------------------------------------
def find_avatar(context):
    """The avatar's rig in this file (the active one when it is an avatar, else the first)."""
    active = context.view_layer.objects.active
    if active is not None and active.get(lookups.AVATAR_TAG) and active.type == "ARMATURE":
        return active
    rig = next((o for o in bpy.data.objects if o.type == "ARMATURE" and o.get(lookups.AVATAR_TAG)), None)
    if rig is None:
        raise errors.LikenessError(f"{bpy.data.filepath or 'This file'} holds no Likeness avatar.")
    return rig


def export(context, rig, base, glb=False, fbx=False):
    """Write the avatar (the rig and its meshes) as BASE.glb and/or BASE.fbx, with the animation its
    shape keys and bones play (the active actions) when they have one."""
    for ob in context.view_layer.objects:
        ob.select_set(False)
    for ob in [rig] + [c for c in rig.children if c.type == "MESH"]:
        ob.select_set(True)
    owners = [rig] + [c.data.shape_keys for c in rig.children if c.type == "MESH" and c.data.shape_keys]
    animated = any(o.animation_data and o.animation_data.action for o in owners)
    try:
        if glb:
            bpy.ops.export_scene.gltf(filepath=base + ".glb", export_format="GLB", use_selection=True,
                                      export_morph=True, export_skins=True, export_yup=True,
                                      export_tangents=True,   # Blender's MikkTSpace for the normal map
                                      export_animations=animated, export_animation_mode="ACTIVE_ACTIONS",
                                      export_nla_strips_merged_animation_name=os.path.basename(base))
        if fbx:
            bpy.ops.export_scene.fbx(filepath=base + ".fbx", use_selection=True, add_leaf_bones=False,
                                     bake_anim=animated, bake_anim_use_all_actions=False,
                                     bake_anim_use_nla_strips=False, path_mode="COPY", embed_textures=True)
    except Exception as exc:  # noqa: BLE001 - leaves as a LikenessError
        raise jobs.as_likeness_error(exc) from exc


def render_preview(context, rig, path):
    """Front and three-quarter renders of the avatar side by side, as a PNG (Cycles, CPU)."""
    try:
        preview.render(context, rig, path)
    except Exception as exc:  # noqa: BLE001 - leaves as a LikenessError
        raise jobs.as_likeness_error(exc) from exc
