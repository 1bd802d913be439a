"""Bad input through the installed extension: a message that names the problem, nothing built."""
import os

import numpy as np
import pytest

from conftest import data_path, scene_inventory


def job_folders():
    import glob
    import tempfile
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "likeness-job-*")))


def build(photo):
    """Run the build; in background mode bpy.ops raises the operator's error report. The
    failed job's folder is gone with it."""
    import bpy
    before, jobs = scene_inventory(), job_folders()
    with pytest.raises(RuntimeError) as info:
        bpy.ops.likeness.build_avatar(photo=photo, texture_size=1024)
    assert bpy.context.window_manager.likeness_status.message in str(info.value)
    assert job_folders() <= jobs
    return before, scene_inventory(), str(info.value)


def test_non_image_file(empty_scene, tmp_path):
    path = tmp_path / "holiday.jpg"
    path.write_text("definitely not a jpeg")
    before, after, message = build(str(path))
    assert before == after
    assert "holiday.jpg is not an image" in message


def test_missing_file(empty_scene, tmp_path):
    before, after, message = build(str(tmp_path / "gone.png"))
    assert before == after
    assert "Photo not found" in message


def test_photo_without_face(empty_scene, tmp_path):
    from skimage import data
    from core.image_io import write_png
    path = tmp_path / "coffee.png"
    write_png(str(path), np.asarray(data.coffee()))
    before, after, message = build(str(path))
    assert before == after
    assert "No face was found" in message


def test_huge_image(empty_scene, tmp_path):
    from PIL import Image
    path = tmp_path / "poster.png"
    Image.new("RGB", (11500, 11000), (90, 90, 90)).save(path)
    before, after, message = build(str(path))
    assert before == after
    assert "11500x11000" in message and "limit" in message


def test_damaged_result_leaves_scene_unchanged(empty_scene, tmp_path):
    """A result that fails validation is refused before any datablock is made."""
    import bpy
    (tmp_path / "avatar.npz").write_bytes(b"garbage")
    before = scene_inventory()
    with pytest.raises(RuntimeError, match="cannot be read"):
        bpy.ops.likeness.build_from_result(result_dir=str(tmp_path))
    assert scene_inventory() == before


def test_failure_midway_rolls_back(empty_scene, tmp_path):
    """A result whose mesh is valid but whose texture file is not an image fails inside
    the scene build; everything made up to then is removed again."""
    import bpy
    from core import assembly
    assembly.build_avatar([data_path("faces", "lfpw", "image_0004.png")], str(tmp_path), texture_size=1024)
    (tmp_path / "texture.png").write_bytes(b"not a png")
    before = scene_inventory()
    with pytest.raises(RuntimeError, match="texture cannot be read"):
        bpy.ops.likeness.build_from_result(result_dir=str(tmp_path))
    assert scene_inventory() == before


def test_the_front_door_raises_one_error_family_with_exit_codes(addon, empty_scene, tmp_path):
    """api.build_avatar, as the command line calls it: a photo without a face raises NoFaceFound
    (a LikenessError, exit code 1) and changes nothing; the job's folder is gone."""
    from skimage import data
    from core.image_io import write_png
    path = str(tmp_path / "coffee.png")
    write_png(path, np.asarray(data.coffee()))
    before, folders = scene_inventory(), job_folders()
    with pytest.raises(addon.core.errors.LikenessError) as info:
        addon.api.build_avatar(empty_scene, [path], texture_size=1024, keep_result=str(tmp_path / "kept"))
    assert info.value.kind == "NoFaceFound" and info.value.exit_code == 1
    assert "No face was found" in str(info.value)
    assert scene_inventory() == before and job_folders() <= folders
    assert not (tmp_path / "kept").exists()
