"""The ``likeness`` command: Likeness for pipelines, with real Blender (the bpy module).

    likeness avatar PHOTO [PHOTO...] --out DIR [--texture-size N] [--glb] [--fbx] [--preview]
    likeness avatar --sample --out DIR ...      (the bundled sample photo)
    likeness fit PHOTO... --report-dir DIR       (fit only, no Blender: DIR/<stem>.json)
    likeness lipsync AVATAR.blend AUDIO --out OUT.blend
    likeness track AVATAR.blend VIDEO|IMAGE_FOLDER --out OUT.blend [--fps N]
    likeness livelink AVATAR.blend CSV --out OUT.blend [--glb] [--fbx]   (a Live Link Face take)

The add-on is enabled the way Blender enables any extension, from a private,
temporary user-resources folder (your own Blender settings are not touched),
and the same operators as in the UI build the avatar. Writes DIR/avatar.blend,
DIR/report.json and, on request, DIR/avatar.glb, DIR/avatar.fbx, DIR/preview.png.
Exit codes: 0 done, 1 the avatar could not be built (the message says why), 2 bad arguments.
"""
import argparse
import json
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
EXTENSION_MODULE = "bl_ext.user_default.likeness"
RESULT_SUBDIR = "data"


class CommandError(Exception):
    pass


def enable_addon():
    """Import bpy with a temporary user-resources folder and enable Likeness from this checkout."""
    if "bpy" not in sys.modules:
        os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="likeness-blender-")
    import bpy
    import addon_utils
    repo = os.path.join(bpy.utils.user_resource("EXTENSIONS"), "user_default")
    os.makedirs(repo, exist_ok=True)
    link = os.path.join(repo, "likeness")
    if not os.path.exists(link):
        os.symlink(ROOT, link)
    if addon_utils.enable(EXTENSION_MODULE, default_set=True, handle_error=None) is None:
        raise CommandError("the Likeness add-on could not be enabled")
    bpy.context.preferences.addons[EXTENSION_MODULE].preferences.python_path = sys.executable
    return bpy


def sample_photo(folder):
    """The bundled sample: scikit-image's astronaut (public-domain NASA portrait)."""
    from skimage import data
    import numpy as np
    sys.path.insert(0, ROOT)
    from core.image_io import write_png
    path = os.path.join(folder, "astronaut.png")
    write_png(path, np.asarray(data.astronaut()))
    return path


def avatar(args):
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    photos = [sample_photo(out)] if args.sample else [os.path.abspath(p) for p in args.photos]
    t0 = time.perf_counter()
    bpy = enable_addon()
    bpy.ops.wm.read_homefile(use_empty=True)
    for path in photos:
        bpy.context.scene.likeness.photos.add().path = path
    bpy.context.scene.likeness.hair = args.hair.upper()
    result_dir = os.path.join(out, RESULT_SUBDIR)
    try:
        outcome = bpy.ops.likeness.build_avatar(texture_size=args.texture_size, keep_job_dir=result_dir)
    except RuntimeError:          # background mode: bpy.ops raises the operator's error report
        outcome = {"CANCELLED"}
    if outcome != {"FINISHED"}:
        raise CommandError(bpy.context.window_manager.likeness_status.message or "the build failed")
    with open(os.path.join(result_dir, "report.json"), encoding="utf-8") as fh:
        report = json.load(fh)
    rig = bpy.context.view_layer.objects.active
    t = time.perf_counter()
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out, "avatar.blend"), compress=True)
    _export(bpy, rig, os.path.join(out, "avatar"), args.glb, args.fbx)
    report["timings_ms"]["export"] = round((time.perf_counter() - t) * 1000, 1)
    if args.preview:
        t = time.perf_counter()
        addon = sys.modules[EXTENSION_MODULE]
        addon.operators.preview.render(bpy.context, rig, os.path.join(out, "preview.png"))
        report["timings_ms"]["preview"] = round((time.perf_counter() - t) * 1000, 1)
    report["timings_ms"]["total"] = round((time.perf_counter() - t0) * 1000, 1)
    with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    for w in report.get("warnings", []):
        print(f"likeness: warning: {w}", file=sys.stderr)
    print(f"likeness: avatar written to {out} (residual {report['fit_residual_px']} px, "
          f"{report['timings_ms']['total'] / 1000:.1f} s)")


def fit(args):
    """Fit each photo on its own, without Blender; one report per photo."""
    from core import pipeline
    from core.errors import LikenessError
    os.makedirs(args.report_dir, exist_ok=True)
    failed = []
    for photo in args.photos:
        stem = os.path.splitext(os.path.basename(photo))[0]
        path = os.path.join(args.report_dir, stem + ".json")
        try:
            report = pipeline.fit_photo(photo)
        except LikenessError as exc:
            failed.append(photo)
            report = {"input": {"path": os.path.abspath(photo)},
                      "error": {"kind": exc.kind, "message": str(exc)}}
            print(f"likeness: error: {photo}: {exc}", file=sys.stderr)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1)
    print(f"likeness: {len(args.photos) - len(failed)} of {len(args.photos)} photos fitted, "
          f"reports in {args.report_dir}")
    if failed:
        raise CommandError(f"{len(failed)} photo(s) could not be fitted")


def _animate(args, operator, source, **options):
    """Open the avatar's .blend, run an animation operator on ``source`` (with ``options``),
    save as --out."""
    bpy = enable_addon()
    bpy.ops.wm.open_mainfile(filepath=os.path.abspath(args.avatar))
    rig = next((o for o in bpy.data.objects if o.type == "ARMATURE" and o.get("likeness_avatar")), None)
    if rig is None:
        raise CommandError(f"{args.avatar} holds no Likeness avatar")
    bpy.context.view_layer.objects.active = rig
    bpy.context.scene.frame_set(bpy.context.scene.frame_start)
    try:
        getattr(bpy.ops.likeness, operator)(filepath=os.path.abspath(source), **options)
    except RuntimeError:          # background mode: bpy.ops raises the operator's error report
        raise CommandError(bpy.context.window_manager.likeness_status.message or f"{operator} failed") from None
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=os.path.abspath(args.out), compress=True)
    _export(bpy, rig, os.path.splitext(os.path.abspath(args.out))[0],
            getattr(args, "glb", False), getattr(args, "fbx", False))
    print(f"likeness: {operator} written to {args.out}")


def livelink(args):
    """Animate the avatar in a .blend from a Live Link Face CSV take; save as another .blend."""
    _animate(args, "import_livelink", args.csv)


def lipsync(args):
    """Lip-sync the avatar in a .blend from an audio file; save the result as another .blend."""
    transcript = args.transcript or ""
    if os.path.isfile(transcript):
        transcript = os.path.abspath(transcript)
    _animate(args, "lipsync", args.audio, transcript=transcript, life=not args.no_life, seed=args.seed)


def track(args):
    """Animate the avatar in a .blend from a video of a face or a folder of images; save as another .blend."""
    _animate(args, "track_video", args.video, **({"fps": args.fps} if os.path.isdir(args.video) else {}))


def _export(bpy, rig, base, glb, fbx):
    """Write the avatar (rig and head) as BASE.glb and/or BASE.fbx, with the animation its
    shape keys and bones play (the active actions) when they have one."""
    _select_avatar(bpy, rig)
    owners = [rig] + [c.data.shape_keys for c in rig.children if c.type == "MESH" and c.data.shape_keys]
    animated = any(o.animation_data and o.animation_data.action for o in owners)
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


def _select_avatar(bpy, rig):
    for ob in bpy.context.view_layer.objects:
        ob.select_set(False)
    rig.select_set(True)
    for child in rig.children:
        if child.type == "MESH":
            child.select_set(True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="likeness", description="Photo to rigged head avatar.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("avatar", help="build an avatar from a photo")
    p.add_argument("photos", nargs="*", metavar="PHOTO",
                   help="photos of one person (one is enough; more angles give a better identity)")
    p.add_argument("--sample", action="store_true", help="use the bundled sample photo")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--texture-size", type=int, default=2048, choices=(1024, 2048, 4096))
    p.add_argument("--glb", action="store_true", help="also write avatar.glb")
    p.add_argument("--fbx", action="store_true", help="also write avatar.fbx")
    p.add_argument("--preview", action="store_true", help="also render preview.png")
    p.add_argument("--hair", default="curves", choices=("curves", "cards", "none"),
                   help="hair curves (for rendering), hair cards (carried by glTF/FBX) or none")
    p = sub.add_parser("fit", help="fit photos without building a scene; one report each")
    p.add_argument("photos", nargs="+", help="photos, each fitted on its own")
    p.add_argument("--report-dir", required=True, help="folder for <photo stem>.json reports")
    p = sub.add_parser("lipsync", help="animate an avatar's mouth from a speech recording")
    p.add_argument("avatar", help="a .blend with a Likeness avatar")
    p.add_argument("audio", help="speech: wav, flac, mp3, or a video with sound")
    p.add_argument("--out", required=True, help="the .blend to write")
    p.add_argument("--transcript", help="what is said, or a .txt file holding it: aligns the phones to it")
    p.add_argument("--no-life", action="store_true", help="no blinks and brow raises")
    p.add_argument("--seed", type=int, default=0, help="seed of the blink and brow timing")
    p.add_argument("--glb", action="store_true", help="also write OUT.glb with the animation")
    p.add_argument("--fbx", action="store_true", help="also write OUT.fbx with the animation")
    p = sub.add_parser("track", help="animate an avatar from a video of a face")
    p.add_argument("avatar", help="a .blend with a Likeness avatar")
    p.add_argument("video", help="a video file with one face, or a folder of images (sorted by name)")
    p.add_argument("--out", required=True, help="the .blend to write")
    p.add_argument("--fps", type=float, default=25.0, help="frame rate of an image sequence (default 25)")
    p = sub.add_parser("livelink", help="animate an avatar from a Live Link Face CSV take")
    p.add_argument("avatar", help="a .blend with a Likeness avatar")
    p.add_argument("csv", help="a take recorded by Epic's Live Link Face iPhone app (.csv)")
    p.add_argument("--out", required=True, help="the .blend to write")
    p.add_argument("--glb", action="store_true", help="also write OUT.glb with the animation")
    p.add_argument("--fbx", action="store_true", help="also write OUT.fbx with the animation")
    args = parser.parse_args(argv)
    if args.command == "avatar" and bool(args.photos) == bool(args.sample):
        parser.error("give either PHOTO(s) or --sample")
    sys.path.insert(0, ROOT)
    try:
        {"avatar": avatar, "fit": fit, "lipsync": lipsync, "track": track,
         "livelink": livelink}[args.command](args)
    except CommandError as exc:
        print(f"likeness: error: {exc}", file=sys.stderr)
        return 1
    finally:
        from core import worker_client
        worker_client.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
