"""The ``likeness`` command: Likeness for pipelines, with real Blender (the bpy module).

    likeness avatar PHOTO [PHOTO...] --out DIR [--texture-size N] [--glb] [--fbx] [--preview]
    likeness avatar --sample --out DIR ...      (the bundled sample photo)
    likeness fit PHOTO... --report-dir DIR       (fit only, no Blender: DIR/<stem>.json)
    likeness lipsync AVATAR.blend AUDIO --out OUT.blend [--glb] [--fbx]
    likeness talk PHOTO AUDIO --out DIR [--video] [--size PX]   (avatar, lip sync and its video)
    likeness track AVATAR.blend VIDEO|IMAGE_FOLDER --out OUT.blend [--fps N]
    likeness livelink AVATAR.blend CSV --out OUT.blend [--glb] [--fbx]   (a Live Link Face take)
    likeness crowd [--photos DIR] [--variants N] [--seed S] [--full-body] [--shard i/N | --cluster ADDRESS] --out DIR [--glb]
    likeness crowd-merge SHARD_DIR... --out DIR   (join the shards of one crowd job)

The add-on is enabled the way Blender enables any extension, from a private,
temporary user-resources folder (your own Blender settings are not touched),
and its front door (api.py), the one the UI's operators use, does the work. Writes DIR/avatar.blend,
DIR/report.json and, on request, DIR/avatar.glb, DIR/avatar.fbx, DIR/preview.png.
Exit codes: 0 done, 1 the input cannot make the result (the message says why), 2 bad arguments
(found before any work), 3 Likeness itself failed (the message names the log with the details).
"""
import argparse
import atexit
import contextlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
EXTENSION_MODULE = "bl_ext.user_default.likeness"
RESULT_SUBDIR = "data"
CROWD_BLEND, SUMMARY_JSON = "crowd.blend", "summary.json"


PROFILE = [""]       # the private Blender profile this command made (removed when it ends)


class CommandError(Exception):
    """A failure the command itself finds (the add-on's own are LikenessErrors)."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


def enable_addon():
    """Import bpy with a temporary user-resources folder and enable Likeness: this checkout, or
    the extension zip that LIKENESS_EXTENSION names, installed as Blender installs one from disk.
    The worker runs on LIKENESS_PYTHON (default: this Python). Returns (bpy, the add-on's api)."""
    if "bpy" not in sys.modules:
        os.environ["BLENDER_USER_RESOURCES"] = PROFILE[0] = tempfile.mkdtemp(prefix="likeness-blender-")
        atexit.register(shutil.rmtree, PROFILE[0], True)     # scripts that enable it (benches) too
    import bpy
    import addon_utils
    package = os.environ.get("LIKENESS_EXTENSION")
    if package and EXTENSION_MODULE not in sys.modules:
        if bpy.ops.extensions.package_install_files(filepath=os.path.abspath(package), repo="user_default",
                                                    enable_on_install=True) != {"FINISHED"}:
            raise CommandError(f"the extension {package} could not be installed", 3)
    elif not package:
        repo = os.path.join(bpy.utils.user_resource("EXTENSIONS"), "user_default")
        os.makedirs(repo, exist_ok=True)
        link = os.path.join(repo, "likeness")
        if not os.path.exists(link):
            os.symlink(ROOT, link)
        if addon_utils.enable(EXTENSION_MODULE, default_set=True, handle_error=None) is None:
            raise CommandError("the Likeness add-on could not be enabled", 3)
    bpy.context.preferences.addons[EXTENSION_MODULE].preferences.python_path = (
        os.environ.get("LIKENESS_PYTHON") or sys.executable)
    return bpy, importlib.import_module(EXTENSION_MODULE + ".api")


def sample_photo(folder, api):
    """The bundled sample: scikit-image's astronaut (public-domain NASA portrait)."""
    from skimage import data
    import numpy as np
    image_io = importlib.import_module(api.__package__ + ".core.image_io")
    path = os.path.join(folder, "astronaut.png")
    image_io.write_png(path, np.asarray(data.astronaut()))
    return path


@contextlib.contextmanager
def output_folder(path):
    """Make the output folder; when the command fails, remove it again if this made it."""
    made = not os.path.exists(path)
    os.makedirs(path, exist_ok=True)
    try:
        yield path
    except BaseException:
        if made:
            shutil.rmtree(path, ignore_errors=True)
        raise


def avatar(args):
    t0 = time.perf_counter()
    bpy, api = enable_addon()
    with output_folder(os.path.abspath(args.out)) as out:
        _avatar(args, bpy, api, out, t0)


def _avatar(args, bpy, api, out, t0):
    photos = [sample_photo(out, api)] if args.sample else [os.path.abspath(p) for p in args.photos]
    bpy.ops.wm.read_homefile(use_empty=True)
    context = bpy.context
    rig, report = api.build_avatar(context, photos, texture_size=args.texture_size, hair=args.hair.upper(),
                                   keep_result=os.path.join(out, RESULT_SUBDIR), age_years=args.age or 0.0)
    t = time.perf_counter()
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out, "avatar.blend"), compress=True)
    api.export(context, rig, os.path.join(out, "avatar"), args.glb, args.fbx)
    report["timings_ms"]["export"] = round((time.perf_counter() - t) * 1000, 1)
    if args.preview:
        t = time.perf_counter()
        api.render_preview(context, rig, os.path.join(out, "preview.png"))
        report["timings_ms"]["preview"] = round((time.perf_counter() - t) * 1000, 1)
    report["timings_ms"]["total"] = round((time.perf_counter() - t0) * 1000, 1)
    with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    for w in report.get("warnings", []):
        print(f"likeness: warning: {w}", file=sys.stderr)
    print(f"likeness: avatar written to {out} (residual {report['fit_residual_px']} px, "
          f"{report['timings_ms']['total'] / 1000:.1f} s)")


def fit(args):
    """Fit each photo on its own, without Blender (this command's only use of ``core`` as
    itself); one report per photo."""
    sys.path.insert(0, ROOT)
    from core import worker_client
    from core.report import fit_photo
    from core.errors import LikenessError
    os.environ.update(worker_client.cache_environment())      # torch's caches: not the temp folder
    os.makedirs(args.report_dir, exist_ok=True)
    failed, stems = [], set()
    for photo in args.photos:
        stem = base = os.path.splitext(os.path.basename(photo))[0]
        for k in range(2, len(args.photos) + 2):       # photos of the same name, in other folders
            if stem not in stems:
                break
            stem = f"{base}-{k}"
        stems.add(stem)
        path = os.path.join(args.report_dir, stem + ".json")
        try:
            report = fit_photo(photo)
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


def _animate(args, animate):
    """Open the avatar's .blend, ``animate(api, context, rig)`` from its first frame, save as
    --out (and export, on request)."""
    bpy, api = enable_addon()
    try:
        bpy.ops.wm.open_mainfile(filepath=os.path.abspath(args.avatar))
    except RuntimeError as exc:          # (bpy.ops raises Blender's error report)
        reason = str(exc).strip().removeprefix("Error:").strip()
        raise CommandError(f"{args.avatar} cannot be opened as a Blender file: {reason}") from None
    context = bpy.context
    rig = api.find_avatar(context)
    context.scene.frame_set(context.scene.frame_start)
    report = animate(api, context, rig)
    for w in report.get("warnings", []):
        print(f"likeness: warning: {w}", file=sys.stderr)
    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=out, compress=True)
    api.export(context, rig, os.path.splitext(out)[0], getattr(args, "glb", False), getattr(args, "fbx", False))
    print(f"likeness: {args.command}: {report['frames']} frames, written to {args.out}")


def livelink(args):
    """Animate the avatar in a .blend from a Live Link Face CSV take; save as another .blend."""
    _animate(args, lambda api, context, rig: api.import_livelink(context, rig, os.path.abspath(args.csv)))


def lipsync(args):
    """Lip-sync the avatar in a .blend from an audio file; save the result as another .blend."""
    _animate(args, lambda api, context, rig: api.lipsync(context, rig, os.path.abspath(args.audio),
                                                          **_lipsync_options(args)))


def track(args):
    """Animate the avatar in a .blend from a video of a face or a folder of images; save as another .blend."""
    _animate(args, lambda api, context, rig: api.track(
        context, rig, os.path.abspath(args.video), fps=args.fps if os.path.isdir(args.video) else 0.0))


EMOTIONS = ("calm", "happy", "serious", "excited")     # core.voice_motion.EMOTIONS


def _lipsync_arguments(p):
    """The lip-sync options, the same for `lipsync` and `talk`."""
    p.add_argument("--transcript", help="what is said, or a .txt file holding it: aligns the phones to it (English only)")
    p.add_argument("--language", default="en", metavar="CODE",
                   help="what is spoken, an ISO code (default en); other than English, and songs, the mouth follows the sound itself")
    p.add_argument("--expressiveness", type=float, default=0.5, metavar="0..1",
                   help="how much the head, brows, lids and eyes move with the voice (0: the lips alone; default 0.5)")
    p.add_argument("--emotion", default="calm", choices=EMOTIONS, help="the face and pace of the motion (default calm)")
    p.add_argument("--seed", type=int, default=0, help="seed of the blinks, glances and head motion")


def _lipsync_options(args):
    return {"transcript": args.transcript or "", "language": args.language, "seed": args.seed,
            "expressiveness": args.expressiveness, "emotion": args.emotion}


def talk(args):
    """Photo and speech in, a talking avatar out: DIR/avatar.blend (lip-synced, the sound in the
    sequencer), DIR/report.json and, with --video, DIR/talk.mp4."""
    t0 = time.perf_counter()
    bpy, api = enable_addon()
    with output_folder(os.path.abspath(args.out)) as out:
        _talk(args, bpy, api, out, t0)


def _talk(args, bpy, api, out, t0):
    bpy.ops.wm.read_homefile(use_empty=True)
    context = bpy.context
    audio = os.path.abspath(args.audio)
    rig, report = api.build_avatar(context, [os.path.abspath(args.photo)], texture_size=args.texture_size,
                                   hair=args.hair.upper())
    t = time.perf_counter()
    scene = context.scene
    scene.frame_set(scene.frame_start)
    style = _lipsync_options(args)
    lip = api.lipsync(context, rig, audio, **style)
    scene.frame_end = scene.frame_start + lip["frames"] - 1        # the scene plays the speech, no more
    report["timings_ms"]["lipsync"] = round((time.perf_counter() - t) * 1000, 1)
    report["warnings"] = report.get("warnings", []) + lip["warnings"]
    report["talk"] = {"audio": audio, "frames": lip["frames"], "action": lip["action"],
                      "lipsync_style": style}
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out, "avatar.blend"), compress=True)
    if args.video:
        def on_progress(fraction, message):
            print(f"likeness: talk: {message} ({100 * fraction:.0f} %)", flush=True)

        t = time.perf_counter()
        video = api.talk_video(context, rig, os.path.join(out, "talk.mp4"), audio=audio, size=args.size,
                               on_progress=on_progress)
        report["timings_ms"]["video"] = round((time.perf_counter() - t) * 1000, 1)
        report["talk"]["video"] = {**video, "path": "talk.mp4"}
    report["timings_ms"]["total"] = round((time.perf_counter() - t0) * 1000, 1)
    with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    for w in report["warnings"]:
        print(f"likeness: warning: {w}", file=sys.stderr)
    made = "avatar.blend and talk.mp4" if args.video else "avatar.blend"
    print(f"likeness: talk: {lip['frames']} frames, {made} written to {out} "
          f"({report['timings_ms']['total'] / 1000:.1f} s)")


def crowd(args):
    """A crowd into OUT/crowd.blend and OUT/summary.json (each character's report, the skipped
    photos); with --shard i/N only that slice, for ``likeness crowd-merge`` to join."""
    out = os.path.abspath(args.out)
    bpy, api = enable_addon()
    os.makedirs(out, exist_ok=True)          # (a crowd that fails still writes why: summary.json)
    bpy.ops.wm.read_homefile(use_empty=True)
    job = {"photos": os.path.abspath(args.photos) if args.photos else "", "variants": args.variants,
           "seed": args.seed, "around": os.path.abspath(args.around) if args.around else "",
           "layout": args.layout, "spacing": args.spacing or (1.0 if args.full_body else 0.6),
           "full_body": args.full_body, "texture_size": args.texture_size, "hair": args.hair,
           "shard": args.shard or "1/1", "cluster": args.cluster or ""}
    summary = api.build_crowd(bpy.context, photos_dir=job["photos"], variants=args.variants, seed=args.seed,
                              around=job["around"], layout=args.layout.upper(), spacing=job["spacing"],
                              full_body=args.full_body, texture_size=args.texture_size,
                              hair=args.hair.upper(), shard=args.shard or "", cluster=args.cluster or "",
                              workers=args.workers or 0)
    summary["job"] = job
    for f in summary["failed"]:
        print(f"likeness: skipped {f['photo'] or f['name']}: {f['error']}", file=sys.stderr)
    for f in summary["not_photos"]:
        print(f"likeness: skipped {f['file']}: {f['error']}", file=sys.stderr)
    if not summary["characters"]:                 # the summary says why; no empty crowd.blend
        _write_summary(out, summary)
        raise CommandError("no character could be made")
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out, CROWD_BLEND), compress=True)
    if args.glb or args.fbx:
        for char in summary["characters"]:
            base = os.path.join(out, "characters", char["name"])
            os.makedirs(os.path.dirname(base), exist_ok=True)
            api.export(bpy.context, bpy.data.objects[char["rig"]], base, args.glb, args.fbx)
            char["files"] = [os.path.relpath(base + ext, out) for ext, on in ((".glb", args.glb), (".fbx", args.fbx))
                             if on]
    if args.glb:
        _validate_glbs(out, summary["characters"])
    _write_summary(out, summary)
    print(f"likeness: crowd written to {out}: {len(summary['characters'])} characters, "
          f"{len(summary['failed'])} skipped, {summary['characters_per_minute']} per minute")


SHARD_KEYS = ("job", "seed", "total", "characters", "failed", "cancelled", "seconds")


def _read_shard(folder):
    """A shard folder's summary, checked: what ``likeness crowd --shard`` wrote there."""
    path = os.path.join(folder, SUMMARY_JSON)
    if not os.path.isfile(path):
        raise CommandError(f"not a crowd shard (no {SUMMARY_JSON}): {folder}")
    try:
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path} cannot be read as a crowd summary ({exc})") from None
    if not isinstance(summary, dict) or any(k not in summary for k in SHARD_KEYS) \
            or not isinstance(summary["job"], dict) or "shard" not in summary["job"]:
        raise CommandError(f"{path} is not a crowd shard's summary (it lacks "
                           f"{', '.join(k for k in SHARD_KEYS if k not in summary) or 'the job'})")
    if summary["characters"] and not os.path.isfile(os.path.join(folder, CROWD_BLEND)):
        raise CommandError(f"the shard {folder} lists characters but has no {CROWD_BLEND}")
    return summary


def crowd_merge(args):
    """Join the shards' crowd.blend files and summaries into one crowd; refused, with nothing
    written, when a shard is missing, given twice or from another job."""
    summaries = [_read_shard(folder) for folder in args.shards]
    job = {k: v for k, v in summaries[0]["job"].items() if k != "shard"}
    for folder, s in zip(args.shards, summaries):
        if {k: v for k, v in s["job"].items() if k != "shard"} != job:
            raise CommandError(f"{folder} belongs to another crowd job (its seed, photos or options differ)")
    shards = sorted(s["job"]["shard"] for s in summaries)
    if len(set(shards)) != len(shards):
        raise CommandError(f"a shard is given twice: {', '.join(shards)}")
    chars = sorted((c for s in summaries for c in s["characters"]), key=lambda c: c["index"])
    failed = sorted((f for s in summaries for f in s["failed"]), key=lambda c: c["index"])
    total = summaries[0]["total"]
    missing = sorted(set(range(total)) - {c["index"] for c in chars} - {f["index"] for f in failed})
    if missing:
        raise CommandError(f"characters missing (a shard was not given?): {missing[:10]}; "
                           f"the shards given: {', '.join(shards)}")
    bpy, api = enable_addon()
    with output_folder(os.path.abspath(args.out)) as out:
        api.merge_crowds(bpy.context, [os.path.join(folder, CROWD_BLEND)
                                       for folder, s in zip(args.shards, summaries) if s["characters"]])
        summary = {"seed": summaries[0]["seed"], "total": total, "characters": chars, "failed": failed,
                   "not_photos": summaries[0].get("not_photos", []),
                   "cancelled": any(s["cancelled"] for s in summaries), "missing": [], "shards": shards,
                   "seconds": round(sum(s["seconds"] for s in summaries), 2), "job": {**job, "shard": "merged"}}
        for folder, s in zip(args.shards, summaries):
            for c in s["characters"]:
                c["files"] = [os.path.relpath(os.path.join(os.path.abspath(folder), f), out)
                              for f in c.get("files", [])]
        bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out, CROWD_BLEND), compress=True)
        _write_summary(out, summary)
    print(f"likeness: {len(shards)} shards merged into {out}: {len(chars)} characters, {len(failed)} skipped")


def _validate_glbs(out, chars):
    """Each character's glb through the Khronos glTF validator (tools/web, installed by make
    setup); its counts go into the summary, and a glb with errors is named on stderr."""
    from tools import webcheck
    problem = webcheck.missing(browser=False)
    if problem:
        print(f"likeness: warning: the glb files were not validated: {problem}", file=sys.stderr)
        return
    glbs = [(c, os.path.join(out, next(f for f in c["files"] if f.endswith(".glb")))) for c in chars]
    for (char, path), report in zip(glbs, webcheck.validate_glbs([p for _, p in glbs])):
        char["gltf_validator"] = {k: report[k] for k in ("errors", "warnings", "infos")}
        if report["errors"]:
            print(f"likeness: warning: {path}: {report['errors']} glTF validation errors", file=sys.stderr)


def _write_summary(out, summary):
    with open(os.path.join(out, SUMMARY_JSON), "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=1)


def _unwritable(path, folder=True):
    """Why ``path`` (an output folder, or a file when not ``folder``) cannot be written, or None.
    Nothing is created: a temporary file is opened (and gone at once) in the nearest existing
    folder, which catches read-only mounts, /proc and missing permissions alike."""
    if not path:
        return "is empty"
    path = os.path.abspath(path)
    if folder and os.path.exists(path) and not os.path.isdir(path):
        return f"{path} is a file, not a folder"
    if not folder and os.path.isdir(path):
        return f"{path} is a folder, not a file"
    existing = path if folder else os.path.dirname(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{existing} is a file, not a folder"
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as exc:
        return f"cannot write in {existing} ({exc.strerror or exc})"
    return None


def _cluster_problem(args):
    """--cluster: a local:N or a scheduler that answers (checked in seconds, before any work)."""
    sys.path.insert(0, ROOT)
    from core import cluster, errors
    if args.shard:
        return "--cluster and --shard do not go together: the cluster schedules the whole crowd"
    try:
        cluster.check_reachable(args.cluster)
    except errors.LikenessError as exc:
        return f"--cluster: {exc}"
    return None


def argument_problem(args):
    """What is wrong with the arguments, as a message, or None: checked before any work."""
    import math
    outs = {"avatar": ("out", True), "fit": ("report_dir", True), "lipsync": ("out", False), "talk": ("out", True),
            "track": ("out", False), "livelink": ("out", False), "crowd": ("out", True),
            "crowd-merge": ("out", True)}
    name, folder = outs[args.command]
    why = _unwritable(getattr(args, name), folder)
    if why:
        return f"--{name.replace('_', '-')} {why}"
    if args.command == "avatar" and bool(args.photos) == bool(args.sample):
        return "give either PHOTO(s) or --sample"
    if args.command == "avatar" and args.age is not None and not (math.isfinite(args.age) and 0 < args.age <= 100):
        return f"--age must be a number of years from above 0 to 100, not {args.age}"
    if args.command in ("lipsync", "track", "livelink"):
        if not (os.path.isfile(args.avatar) and args.avatar.lower().endswith(".blend")):
            return f"AVATAR.blend: {args.avatar} is not a .blend file"
        if not args.out.lower().endswith(".blend"):
            return f"--out must name a .blend file, not {args.out}"
        source = {"lipsync": "audio", "track": "video", "livelink": "csv"}[args.command]
        if not os.path.exists(getattr(args, source)):
            return f"{source}: {getattr(args, source)} does not exist"
    if args.command == "talk":
        for name in ("photo", "audio"):
            if not os.path.isfile(getattr(args, name)):
                return f"{name.upper()}: {getattr(args, name)} is not a file"
        if not 16 <= args.size <= 4096:
            return f"--size must be from 16 to 4096 pixels, not {args.size}"
    if args.command in ("lipsync", "talk") and not (math.isfinite(args.expressiveness) and 0 <= args.expressiveness <= 1):
        return f"--expressiveness must be from 0 to 1, not {args.expressiveness}"
    if args.command == "track" and not (math.isfinite(args.fps) and 0 < args.fps <= 1000):
        return f"--fps must be a frame rate above 0, not {args.fps}"
    if getattr(args, "seed", 0) is not None and not 0 <= getattr(args, "seed", 0) < 2 ** 31:
        return f"--seed must be from 0 to {2 ** 31 - 1}, not {args.seed}"
    if args.command == "crowd":
        if args.variants < 0:
            return f"--variants must be 0 or more, not {args.variants}"
        if not args.photos and not args.variants:
            return "nothing to make: give --photos DIR and/or --variants N"
        if args.photos and not os.path.isdir(args.photos):
            return f"--photos: {args.photos} is not a folder"
        if args.around and not os.path.isfile(args.around):
            return f"--around: {args.around} is not a file"
        if args.spacing is not None and not (math.isfinite(args.spacing) and args.spacing > 0):
            return f"--spacing must be a distance above 0, not {args.spacing}"
        if args.shard:
            i, _, n = args.shard.partition("/")
            if not (i.isdigit() and n.isdigit() and 1 <= int(i) <= int(n)):
                return f"--shard must be i/N with 1 <= i <= N, not {args.shard}"
        if args.workers is not None:
            from core import crowd
            if not 1 <= args.workers <= crowd.MAX_LOCAL_WORKERS:
                return f"--workers must be from 1 to {crowd.MAX_LOCAL_WORKERS}, not {args.workers}"
            if args.cluster is not None:
                return "--workers and --cluster do not go together: the cluster's workers make the characters"
        if args.cluster is not None:
            return _cluster_problem(args)
    return None


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
    p.add_argument("--age", type=float, metavar="YEARS",
                   help="the person's age (the head's proportions follow it); default: from the photo, "
                        "a young child's when the face's proportions say so, otherwise an adult's")
    p = sub.add_parser("fit", help="fit photos without building a scene; one report each")
    p.add_argument("photos", nargs="+", help="photos, each fitted on its own")
    p.add_argument("--report-dir", required=True, help="folder for <photo stem>.json reports")
    p = sub.add_parser("lipsync", help="animate an avatar's mouth from a speech recording")
    p.add_argument("avatar", help="a .blend with a Likeness avatar")
    p.add_argument("audio", help="speech: wav, flac, mp3, or a video with sound")
    p.add_argument("--out", required=True, help="the .blend to write")
    _lipsync_arguments(p)
    p.add_argument("--glb", action="store_true", help="also write OUT.glb with the animation")
    p.add_argument("--fbx", action="store_true", help="also write OUT.fbx with the animation")
    p = sub.add_parser("talk", help="a talking avatar from a photo and a speech recording (and its video)")
    p.add_argument("photo", help="a photo of the person's face")
    p.add_argument("audio", help="speech: wav, flac, mp3, or a video with sound")
    p.add_argument("--out", required=True, help="output folder (avatar.blend, report.json, talk.mp4)")
    p.add_argument("--video", action="store_true", help="also render talk.mp4 (H.264 and AAC) with the speech")
    p.add_argument("--size", type=int, default=512, help="the video's width and height in pixels (default 512)")
    _lipsync_arguments(p)
    p.add_argument("--texture-size", type=int, default=2048, choices=(1024, 2048, 4096))
    p.add_argument("--hair", default="curves", choices=("curves", "cards", "none"))
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
    p = sub.add_parser("crowd", help="make a crowd from a folder of photos and/or seeded variants")
    p.add_argument("--photos", metavar="DIR", help="one character per photo of this folder")
    p.add_argument("--variants", type=int, default=0, metavar="N", help="N random characters (or variants of --around)")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same crowd")
    p.add_argument("--around", metavar="PHOTO", help="variants around this photo's identity, not random ones")
    p.add_argument("--full-body", action="store_true", help="bodies with an outfit and a game-engine skeleton")
    p.add_argument("--layout", default="grid", choices=("grid", "scatter"))
    p.add_argument("--spacing", type=float, metavar="M", help="metres between characters (0.6, full bodies 1.0)")
    p.add_argument("--texture-size", type=int, default=1024, choices=(1024, 2048, 4096))
    p.add_argument("--hair", default="curves", choices=("curves", "cards", "none"))
    p.add_argument("--shard", metavar="i/N", help="make only slice i of N (1-based), for a render farm")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="make the characters on a Dask cluster: its scheduler's tcp://HOST:PORT, "
                        "or local:N for N worker processes on this machine")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes making characters side by side here (default: one per core, at most 4)")
    p.add_argument("--glb", action="store_true", help="also write characters/NAME.glb")
    p.add_argument("--fbx", action="store_true", help="also write characters/NAME.fbx")
    p.add_argument("--out", required=True, help="output folder (crowd.blend, summary.json)")
    p = sub.add_parser("crowd-merge", help="join crowd shards into one crowd.blend and summary.json")
    p.add_argument("shards", nargs="+", metavar="SHARD_DIR", help="the --out folders of the shards")
    p.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args(argv)
    problem = argument_problem(args)
    if problem:
        parser.error(problem)          # exit 2, before any work
    sys.path.insert(0, ROOT)
    try:
        {"avatar": avatar, "fit": fit, "lipsync": lipsync, "talk": talk, "track": track,
         "livelink": livelink, "crowd": crowd, "crowd-merge": crowd_merge}[args.command](args)
    except Exception as exc:  # noqa: BLE001 - every failure: a message and its exit code
        code = getattr(exc, "exit_code", None)
        if code is None:
            code, exc = 3, f"unexpected {type(exc).__name__}: {exc}. The traceback is in {_log_traceback()}"
        print(f"likeness: error: {exc}", file=sys.stderr)
        return code
    finally:
        addon = sys.modules.get(EXTENSION_MODULE)      # the extension's workers (the fit runs none)
        if addon is not None:
            addon.core.worker_client.stop_all()
        if PROFILE[0]:
            shutil.rmtree(PROFILE[0], ignore_errors=True)
    return 0


def _log_traceback():
    """Write the traceback being handled to the logs folder; its path."""
    import traceback
    folder = os.path.join(tempfile.gettempdir(), "likeness-logs")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"command-{os.getpid()}.log")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(" ".join(sys.argv) + "\n" + traceback.format_exc() + "\n")
    return path


def exit_now(code):
    """Leave without Blender's own teardown: bpy 4.2 as a module crashes there (it frees Python
    classes after Python has stopped) once a glb with hair curves was written, turning a
    finished job's exit code 0 into 139. Everything was written and closed before this; the
    one thing the teardown would still do, removing Blender's temp folder, is done here."""
    bpy = sys.modules.get("bpy")
    if bpy is not None and os.path.isdir(bpy.app.tempdir):
        shutil.rmtree(bpy.app.tempdir, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
