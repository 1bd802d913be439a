"""The extension package: Blender's own validator and builder, and the installed copy."""
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO, USER_RESOURCES, blender_ext_script


def test_manifest_passes_blenders_validator():
    out = subprocess.run([sys.executable, blender_ext_script(), "validate", REPO],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_zip_holds_the_addon_not_the_dev_files(extension_zip):
    names = zipfile.ZipFile(extension_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert "models/mediapipe_anny.npz" in names and "requirements/runtime.txt" in names
    assert {"api.py", "jobs.py", "builders/scene_build.py", "operators/avatar.py"} <= set(names)
    assert not any(n.startswith(("tests/", ".venv/", "bench/", "tools/")) for n in names)


def test_installed_from_the_zip(addon):
    import bpy
    assert addon.__file__.startswith(USER_RESOURCES)
    assert not addon.__file__.startswith(REPO)
    assert hasattr(bpy.types, "LIKENESS_PT_main")
    assert bpy.types.LIKENESS_PT_main.bl_category == "Likeness"


def test_runtime_dir_is_the_extensions_user_folder(addon):
    path = addon.preferences.runtime_dir()
    assert path.startswith(USER_RESOURCES) and os.path.isdir(path)


def test_build_poll_explains_itself(addon, empty_scene):
    import bpy
    status = bpy.context.window_manager.likeness_status
    status.running = True
    try:
        assert not bpy.ops.likeness.build_avatar.poll()
    finally:
        status.running = False
    assert not bpy.ops.likeness.photo_expression.poll()      # no avatar selected
    assert not bpy.ops.likeness.cancel.poll()                # nothing running


def test_a_missing_blender_feature_names_the_version_and_what_is_missing(addon, empty_scene):
    """What a future Blender may drop reads as one sentence, never a bare StopIteration."""
    import bpy
    compat = addon.builders.compat
    group = bpy.data.node_groups.new("Likeness probe group", "GeometryNodeTree")
    tree = bpy.data.node_groups.new("probe", "GeometryNodeTree")
    node = tree.nodes.new("GeometryNodeGroup")
    node.node_tree = group
    for ask in (lambda: compat.role_input(node, "surface_object"), lambda: compat.group_input(node, "Density")):
        with pytest.raises(addon.core.errors.BlenderIncompatible) as err:
            ask()
        assert f"Blender {bpy.app.version_string}" in str(err.value)
        assert "Likeness probe group" in str(err.value)
    assert "Surface Object or Surface" in str(pytest.raises(addon.core.errors.BlenderIncompatible,
                                                             compat.role_input, node, "surface_object").value)
    assert compat.role_input(node, "surface_uv", required=False) is None
    assert compat.hair_assets_path().endswith("procedural_hair_node_assets.blend")
    bpy.data.node_groups.remove(tree)
    bpy.data.node_groups.remove(group)
