"""The worker's jobs: what each ``kind`` of job sent by Blender runs (see worker.py), as a
table: kind -> (its first progress (stage, message) or None, run(args, progress) -> result data)."""
import itertools
import os

import numpy as np

from . import assembly, detect, fit, head_model


def warm_up():
    """Load the head model, the landmark basis and mediapipe once per process."""
    import numpy as np
    head_model.load()
    fit.basis()
    detect.detect_or_none(np.zeros((64, 64, 3), np.uint8))


def is_warm():
    return head_model.load.cache_info().currsize > 0


def reshape(phenotype, local_changes, out_path, corrective=None):
    """The head for new identity values (the artist's sliders), written to ``out_path`` (.npz):
    neutral vertices and bones in the result's frame. ``local_changes``: {anny label: value};
    ``corrective``: the avatar's corrective face offsets (rows of the mesh's vertices; the anny
    head's first ones count), kept on the new head."""
    from . import corrective as corr
    hm = head_model.load()
    local = np.zeros(len(hm.local_change_labels))
    for label, value in local_changes.items():
        local[hm.local_change_labels.index(label)] = value
    out = hm.forward(np.asarray(phenotype, np.float64), local, np.zeros(len(hm.facial_action_labels)))
    if corrective is not None and len(corrective):
        out = corr.apply(hm, out, np.asarray(corrective, np.float64)[:hm.n_vertices])
    np.savez(out_path, vertices=assembly.head_mesh(hm, out)["vertices"], bone_names=np.array(hm.bone_labels),
             bone_heads=out["bone_heads"].astype(np.float32), bone_tails=out["bone_tails"].astype(np.float32),
             bone_matrices=out["bone_matrices"].astype(np.float32))
    return {"path": out_path}


def hair_style(in_path, name, parting, fringe, out_path, seed=0):
    """Guide strands of the library's style ``name`` (core.hair_styles) with a ``parting`` and
    a ``fringe`` on the head in ``in_path`` (.npz: its mesh's "vertices" and "scalp" weights,
    the anny head's first), written to ``out_path`` (.npz: "hair_guides", "hair_style")."""
    from . import hair_strands, hair_styles
    hm = head_model.load()
    data = np.load(in_path)
    verts, scalp = data["vertices"][:hm.n_vertices].astype(np.float64), data["scalp"][:hm.n_vertices]
    chosen = hair_styles.style(name, parting, fringe, int(seed))
    guides = hair_strands.guides(verts, hm.faces, hm.vertex_part == 0, scalp, chosen)
    np.savez(out_path, hair_guides=guides.astype(np.float32), hair_style=np.array(hair_styles.describe(chosen)))
    return {"path": out_path, "guides": int(len(guides))}


def lipsync(audio, fps, out_path, transcript=None, seed=0, expressiveness=0.5, emotion="calm", language="en"):
    """Per-frame ARKit weights for the speech or song in ``audio``, spoken in ``language`` (an
    ISO code; English is aligned to ``transcript`` when given), and the head's and eyes'
    rotations moving with the voice (core.voice_motion), written to ``out_path`` (.npz:
    "bone_names" and their "bone_rotations" (bones, frames, 3, 3))."""
    from . import lipsync as lip, voice_motion
    names = lip.MOUTH_KEYS + (voice_motion.FACE_KEYS if expressiveness > 0 else [])
    weights, phones, warnings, bones = lip.lipsync(audio, fps, names, transcript, seed=int(seed),
                                                   expressiveness=float(expressiveness), emotion=emotion,
                                                   language=language)
    np.savez(out_path, weights=weights.astype(np.float32), names=np.array(names),
             phones=np.array([p for p, _, _ in phones]),
             phone_times=np.array([(a, b) for _, a, b in phones], np.float32).reshape(-1, 2),
             warnings=np.array(warnings, dtype=str), bone_names=np.array(list(bones)),
             bone_rotations=np.array(list(bones.values()), np.float32))
    return {"path": out_path, "frames": int(len(weights)), "phones": len(phones)}


def track_video(video, phenotype, local_changes, out_path, fps=None):
    """Performance capture of ``video`` (a video file, or a folder of images at ``fps``) for
    the identity (phenotype, {anny label: value}), written to ``out_path`` (.npz): per-frame
    ARKit weights, head rotation and eye rotations (gaze is on the eyes, not the eyeLook* keys)."""
    from . import track
    hm = head_model.load()
    local = np.zeros(len(hm.local_change_labels))
    for label, value in local_changes.items():
        local[hm.local_change_labels.index(label)] = value
    images, fps = track.frames(video, fps)
    first = next(images, None)
    if first is None:
        from .errors import BadImage
        what = "images" if os.path.isdir(video) else "video frames"
        raise BadImage(f"{os.path.basename(os.path.normpath(video))} holds no {what} Likeness can read.")
    tr = track.track(itertools.chain([first], images), fps, np.asarray(phenotype, np.float64), local)
    names = list(hm.facial_action_labels)
    head_rotation = np.einsum("ij,njk->nik", fit.FRONTAL.T, tr.rotations)    # in the head's world frame
    gaze = track.gaze_rotations(tr.weights, names)
    weights = tr.weights.copy()
    weights[:, [names.index(n) for keys in track.GAZE_KEYS.values() for n in keys]] = 0.0
    np.savez(out_path, weights=weights.astype(np.float32), names=np.array(names),
             head_rotation=head_rotation.astype(np.float32), found=tr.found, fps=np.float32(fps),
             **{f"rotation_{eye}": gaze[eye].astype(np.float32) for eye in track.EYES})
    return {"path": out_path, "frames": len(tr.found), "found": int(tr.found.sum())}


def full_body(head_dir, out_dir, seed=0, outfit=True):
    """The full-body character (see core.body.full_body) for the head avatar result in
    ``head_dir``, written to ``out_dir``; the outfit drawn from ``seed``."""
    from . import body
    return {"out_dir": out_dir, "report": body.full_body(head_dir, out_dir, int(seed), bool(outfit))}


def _avatar(args, progress):
    report = assembly.build_avatar(args["photos"], args["out_dir"], texture_size=int(args.get("texture_size", 2048)),
                                   progress=progress, age_years=args.get("age_years"))
    return {"out_dir": args["out_dir"], "report": report}


def _variant(args, progress):
    from . import variant
    report = variant.build_variant(int(args["seed"]), int(args["index"]), args["out_dir"],
                                   texture_size=int(args.get("texture_size", 1024)),
                                   base_dir=args.get("base_dir"), name=args.get("name", ""))
    return {"out_dir": args["out_dir"], "report": report}


def _lipsync_job(args, progress):
    return lipsync(args["audio"], float(args["fps"]), args["out_path"], args.get("transcript"),
                   seed=args.get("seed", 0), expressiveness=args.get("expressiveness", 0.5),
                   emotion=args.get("emotion", "calm"), language=args.get("language") or "en")


def _track(args, progress):
    return track_video(args["video"], args["phenotype"], args["local_changes"], args["out_path"],
                                args.get("fps"))


def _full_body_job(args, progress):
    return full_body(args["head_dir"], args["out_dir"], args.get("seed", 0), args.get("outfit", True))


def _reshape_job(args, progress):
    return reshape(args["phenotype"], args["local_changes"], args["out_path"], args.get("corrective"))


def _hair_style_job(args, progress):
    return hair_style(args["in_path"], args["name"], args["parting"], args["fringe"], args["out_path"],
                      args.get("seed", 0))


def _cluster_crowd(args, progress):
    from . import cluster_crowd          # (Dask is imported only by crowds on a cluster)
    return cluster_crowd.run_crowd(args, progress)


def _warmup(args, progress):
    warm_up()
    return {"pid": os.getpid()}


def _ping(args, progress):
    return {"pid": os.getpid(), "models_loaded": is_warm()}


def _threads(args, progress):
    from . import beside
    beside.use_threads(args["one"])
    return {}


JOBS = {
    "avatar": (None, _avatar),
    "variant": (("variant", "Making a crowd variant"), _variant),
    "lipsync": (("lipsync", "Recognising the speech"), _lipsync_job),
    "track": (("track", "Tracking the face"), _track),
    "full_body": (("full_body", "Building the full body"), _full_body_job),
    "reshape": (None, _reshape_job),
    "hair_style": (None, _hair_style_job),
    "cluster_crowd": (None, _cluster_crowd),
    "warmup": (("warmup", "Loading models"), _warmup),
    "ping": (None, _ping),
    "threads": (None, _threads),
}
