"""An avatar built from a real photo through the installed extension, checked as an artist would."""
import json
import math
import os

import numpy as np
import pytest

from conftest import ARKIT_52, data_path, read_glb_json, world_vertices

PHOTO = ("faces", "lfpw", "image_0001.png")
CURSOR = (0.5, -1.0, 0.25)
# mediapipe face-mesh points (see models/mediapipe_anny.npz): chin tip, forehead.
CHIN, FOREHEAD = 152, 10


@pytest.fixture(scope="module")
def avatar(addon, tmp_path_factory):
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.cursor.location = CURSOR
    keep = str(tmp_path_factory.mktemp("result"))
    rig, report = addon.api.build_avatar(bpy.context, [data_path(*PHOTO)], texture_size=1024, keep_result=keep)
    assert rig == bpy.context.view_layer.objects.active
    head = addon.builders.lookups.avatar_head(rig)
    return {"rig": rig, "head": head, "result_dir": keep, "report": report, "addon": addon}


def landmarks(avatar, head=None):
    from core import correspondence
    return correspondence.surface_points(world_vertices(head or avatar["head"]))


def set_key(head, name, value):
    import bpy
    head.data.shape_keys.key_blocks[name].value = value
    bpy.context.view_layer.update()


def test_collection_at_cursor_real_scale(avatar):
    rig, head = avatar["rig"], avatar["head"]
    assert rig.users_collection[0].name.startswith("Likeness ")
    assert head.users_collection[0] == rig.users_collection[0]
    assert tuple(round(v, 4) for v in rig.location) == CURSOR
    height = head.dimensions.z
    assert 0.18 < height < 0.40, f"head+neck is {height:.3f} m tall: not real-world scale"


def test_head_mesh_quads_uvs_smooth(avatar):
    me = avatar["head"].data
    sizes = np.empty(len(me.polygons), np.int32)
    me.polygons.foreach_get("loop_total", sizes)
    assert (sizes == 4).all()
    assert me.uv_layers.active is not None
    smooth = np.empty(len(me.polygons), bool)
    me.polygons.foreach_get("use_smooth", smooth)
    assert smooth.all()
    assert [m.name.rsplit("_", 1)[-1] for m in me.materials] == ["skin", "eyes", "tongue", "teeth", "cornea"]


def test_52_arkit_shape_keys(avatar):
    keys = avatar["head"].data.shape_keys.key_blocks
    assert keys[0].name == "Basis"
    assert [k.name for k in keys[1:]] == ARKIT_52
    for k in keys[1:]:
        assert k.value == 0.0 and k.slider_min == 0.0 and k.slider_max == 1.0, k.name


def teeth_vertices(head):
    slot = [m.name.rsplit("_", 1)[-1] for m in head.data.materials].index("teeth")
    return np.unique([i for p in head.data.polygons if p.material_index == slot for i in p.vertices])


def test_jaw_open_lowers_chin_by_centimetres_and_the_teeth_follow(avatar):
    head = avatar["head"]
    teeth = teeth_vertices(head)
    rest, rest_v = landmarks(avatar)[CHIN], world_vertices(head)
    set_key(head, "jawOpen", 1.0)
    try:
        opened, open_v = landmarks(avatar)[CHIN], world_vertices(head)
    finally:
        set_key(head, "jawOpen", 0.0)
    drop_cm = (rest[2] - opened[2]) * 100
    assert 1.0 <= drop_cm <= 4.0, f"chin drops {drop_cm:.2f} cm"
    teeth_drop = (rest_v[teeth, 2] - open_v[teeth, 2]) * 100
    assert len(teeth) > 100 and teeth_drop.min() < 0.05 and 1.0 < teeth_drop.max() < 4.0
    # the teeth sit inside the mouth, behind the lips
    lips = landmarks(avatar)[[13, 14]].mean(0)
    assert np.linalg.norm(rest_v[teeth].mean(0) - lips) < 0.04
    assert rest_v[teeth, 1].min() > lips[1] - 0.001


def visible_eyeball_rays(head, eye_centre):
    """Rays shot from the front on a grid over the eye: how many reach the eyeball (through
    the clear cornea), and how many hit the cornea first."""
    import bpy
    from mathutils import Vector
    from mathutils.bvhtree import BVHTree
    dg = bpy.context.evaluated_depsgraph_get()
    bvh = BVHTree.FromObject(head, dg)
    inv = head.matrix_world.inverted()
    ev = head.evaluated_get(dg)
    slots = [m.name.rsplit("_", 1)[-1] for m in head.data.materials]
    eyes_slot, cornea_slot = slots.index("eyes"), slots.index("cornea")
    direction = (inv.to_3x3() @ Vector((0, 1, 0))).normalized()
    hits = cornea_first = 0
    for dx in np.linspace(-0.015, 0.015, 31):
        for dz in np.linspace(-0.012, 0.012, 25):
            origin = inv @ Vector((eye_centre[0] + dx, eye_centre[1] - 1.0, eye_centre[2] + dz))
            first = True
            for _ in range(4):                    # pass through the cornea (at most twice)
                loc, _, face, _ = bvh.ray_cast(origin, direction)
                if face is None:
                    break
                slot = ev.data.polygons[face].material_index
                if slot != cornea_slot:
                    hits += slot == eyes_slot
                    break
                cornea_first += first
                first = False
                origin = loc + direction * 1e-5
    return hits, cornea_first


def test_blink_left_closes_only_left_eye(avatar):
    head, rig = avatar["head"], avatar["rig"]
    eye_l = head.matrix_world @ rig.data.bones["eye.L"].head_local
    eye_r = head.matrix_world @ rig.data.bones["eye.R"].head_local
    assert eye_l.x > rig.location.x > eye_r.x       # the subject's left is +X (Blender's .L)
    (open_l, _), (open_r, _) = visible_eyeball_rays(head, eye_l), visible_eyeball_rays(head, eye_r)
    set_key(head, "eyeBlinkLeft", 1.0)
    try:
        (blink_l, cornea_l), (blink_r, _) = visible_eyeball_rays(head, eye_l), visible_eyeball_rays(head, eye_r)
    finally:
        set_key(head, "eyeBlinkLeft", 0.0)
    assert open_l > 50 and open_r > 50
    assert blink_l == 0, f"{blink_l} rays still reach the left eyeball: the lids do not meet"
    assert cornea_l == 0, f"the cornea pokes through the closed lids ({cornea_l} rays)"
    assert blink_r == open_r


def rotate_bone(rig, name, degrees, axis="X"):
    import bpy
    pb = rig.pose.bones[name]
    pb.rotation_mode = "XYZ"
    pb.rotation_euler = [math.radians(degrees) if a == axis else 0.0 for a in "XYZ"]
    bpy.context.view_layer.update()


def test_jaw_bone_moves_chin(avatar):
    rig = avatar["rig"]
    rest = landmarks(avatar)
    rotate_bone(rig, "jaw", 15)
    try:
        posed = landmarks(avatar)
    finally:
        rotate_bone(rig, "jaw", 0)
    assert np.linalg.norm(posed[CHIN] - rest[CHIN]) > 0.008
    assert np.linalg.norm(posed[FOREHEAD] - rest[FOREHEAD]) < 1e-4          # the forehead stays


def test_eye_bone_turns_left_eyeball(avatar):
    rig, head = avatar["rig"], avatar["head"]
    groups = {g.index: g.name for g in head.vertex_groups}
    me = head.data
    eye_l = np.array([v.index for v in me.vertices
                      if max(v.groups, key=lambda g: g.weight, default=None) is not None
                      and groups[max(v.groups, key=lambda g: g.weight).group] == "eye.L"])
    eye_r = np.array([v.index for v in me.vertices
                      if v.groups and groups[max(v.groups, key=lambda g: g.weight).group] == "eye.R"])
    assert len(eye_l) > 20 and len(eye_r) > 20
    rest = world_vertices(head)
    rotate_bone(rig, "eye.L", 20, axis="Z")
    try:
        turned = world_vertices(head)
    finally:
        rotate_bone(rig, "eye.L", 0, axis="Z")
    moved_l = np.linalg.norm(turned[eye_l] - rest[eye_l], axis=1).max()
    moved_r = np.linalg.norm(turned[eye_r] - rest[eye_r], axis=1).max()
    assert moved_l > 0.002 and moved_r < 1e-5


def test_photo_expression_switches_on_and_off(avatar):
    import bpy
    head = avatar["head"]
    keys = head.data.shape_keys
    bpy.context.view_layer.objects.active = avatar["rig"]
    assert bpy.ops.likeness.photo_expression(enable=True) == {"FINISHED"}
    bpy.context.scene.frame_set(1)
    on = [k.value for k in keys.key_blocks[1:]]
    assert bpy.ops.likeness.photo_expression(enable=False) == {"FINISHED"}
    off = [k.value for k in keys.key_blocks[1:]]
    assert max(on) > 0.05 and max(off) == 0.0


def test_texture_matches_photo_from_fitted_camera(avatar, tmp_path):
    """With the photo-lit texture switched on, a render under even white light through the
    fitted camera follows the photo's brightness pattern inside the face."""
    import bpy
    import cv2
    from conftest import read_pts
    rig, head = avatar["rig"], avatar["head"]
    img = next(i for i in bpy.data.images if i.name.endswith("_albedo"))
    assert img.size[0] >= 1024 and img.size[0] == img.size[1]
    mix = head.data.materials[0].node_tree.nodes["Photo Lighting"]
    mix.inputs["Factor"].default_value = 1.0
    cam = next(c for c in rig.children if c.type == "CAMERA")
    scene = bpy.context.scene
    w, h = cam["likeness_resolution"]
    scale = 256 / max(w, h)
    scene.camera = cam
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 16
    scene.cycles.device = "CPU"
    scene.render.resolution_x, scene.render.resolution_y = round(w * scale), round(h * scale)
    scene.view_settings.view_transform = "Standard"
    scene.world = bpy.data.worlds.new("white")
    scene.world.color = (1.0, 1.0, 1.0)
    scene.render.filepath = str(tmp_path / "render.png")
    bpy.ops.render.render(write_still=True)
    render = cv2.imread(scene.render.filepath, cv2.IMREAD_GRAYSCALE).astype(float)
    photo = cv2.imread(data_path(*PHOTO), cv2.IMREAD_GRAYSCALE)
    photo = cv2.resize(photo, (render.shape[1], render.shape[0]), interpolation=cv2.INTER_AREA).astype(float)
    pts = read_pts(data_path(*PHOTO[:-1], PHOTO[-1].replace(".png", ".pts"))) * scale
    mask = np.zeros(render.shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(pts.astype(np.int32)), 1)
    mask = cv2.erode(mask, np.ones((5, 5), np.uint8)).astype(bool)
    mix.inputs["Factor"].default_value = 0.0
    corr = np.corrcoef(render[mask], photo[mask])[0, 1]
    assert corr > 0.7, f"face-region correlation {corr:.2f}"


def test_report_has_every_stage_timing(avatar):
    """The front door returns the report with the scene build's time added; the kept result
    folder holds the worker's own."""
    report = avatar["report"]
    assert set(report["timings_ms"]) >= {"detect", "fit", "texture", "build", "total"}
    assert report["faces_detected"] == 1
    with open(os.path.join(avatar["result_dir"], "report.json")) as fh:
        assert json.load(fh)["input"] == report["input"]


def test_gltf_export_has_52_morph_targets_and_a_skin(avatar, tmp_path):
    import bpy
    rig, head = avatar["rig"], avatar["head"]
    for ob in bpy.context.view_layer.objects:
        ob.select_set(ob in (rig, head))
    path = str(tmp_path / "avatar.glb")
    assert bpy.ops.export_scene.gltf(filepath=path, export_format="GLB", use_selection=True,
                                     export_morph=True, export_skins=True,
                                     export_animations=False) == {"FINISHED"}
    gltf = read_glb_json(path)
    mesh = next(m for m in gltf["meshes"] if m.get("extras", {}).get("targetNames"))
    assert mesh["extras"]["targetNames"] == ARKIT_52
    assert all(len(p["targets"]) == 52 for p in mesh["primitives"])
    joints = {gltf["nodes"][j]["name"] for j in gltf["skins"][0]["joints"]}
    assert {"neck01", "head", "jaw", "eye.L", "eye.R", "tongue00"} <= joints


def test_identity_sliders_reshape_nose_not_ears(avatar):
    """Widening the nose moves the nose, no ear vertex, and the bones follow the new head; the
    face's corrective shape stays on it."""
    from core import head_model
    rig, head = avatar["rig"], avatar["head"]
    hm = head_model.load()
    ears = hm.region_vertices("ear")
    assert ears.sum() > 50
    item = next(it for it in rig.likeness_identity.local if it.label == "nose-scale-horiz-incr")
    fitted = item.value
    rest = world_vertices(head)
    jopen_before = head.data.shape_keys.key_blocks["jawOpen"]
    item.value = min(fitted + 0.8, 1.0)                   # the update runs the worker and reshapes
    try:
        moved = np.linalg.norm(world_vertices(head) - rest, axis=1)
        assert moved.max() > 0.002, "the nose did not change"
        assert moved[:hm.n_vertices][ears].max() < 1e-6, "ear vertices moved"
        ident = rig.likeness_identity
        local = np.zeros(len(hm.local_change_labels))
        for it in ident.local:
            local[hm.local_change_labels.index(it.label)] = it.value
        expected = hm.forward([p.value for p in ident.phenotype], local, np.zeros(52))
        # the face's corrective shape (beyond anny's identity) is kept on the new head
        corrective = avatar["addon"].builders.reshape.corrective_of(head)
        assert corrective is not None and np.linalg.norm(corrective, axis=1).max() > 0.0003
        basis_now = np.empty(len(head.data.vertices) * 3, np.float32)
        head.data.shape_keys.key_blocks[0].points.foreach_get("co", basis_now)
        n = hm.n_vertices
        assert np.abs(basis_now.reshape(-1, 3)[:n] - (expected["vertices"] + corrective[:n])).max() < 1e-5
        jaw = hm.bone_labels.index("jaw")
        got = np.array(rig.data.bones["jaw"].head_local)
        assert np.linalg.norm(got - expected["bone_heads"][jaw]) < 1e-4, "the jaw bone left the jaw"
        # the expression keys follow the new basis
        basis = np.empty(len(head.data.vertices) * 3, np.float32)
        key = np.empty_like(basis)
        head.data.shape_keys.key_blocks[0].points.foreach_get("co", basis)
        jopen_before.points.foreach_get("co", key)
        delta = (key - basis).reshape(-1, 3)
        assert np.abs(delta).max() > 0.005                    # jawOpen still opens the jaw
    finally:
        item.value = fitted
    assert np.abs(world_vertices(head) - rest).max() < 1e-5   # back to the fitted head


class _Layout:
    """Stands in for UILayout (there is no UI in background mode): runs the panels'
    draw code and checks that every property and operator they name exists."""

    def __init__(self, log):
        self.log = log
        self.enabled = True
        self.scale_y = 1.0

    def __getattr__(self, name):
        def call(*args, **kwargs):
            if name == "prop":
                owner, prop = args[0], args[1]
                assert prop in owner.bl_rna.properties, f"{owner} has no property {prop}"
                self.log.append(("prop", prop, kwargs.get("text")))
            elif name == "operator":
                import bpy
                category, op = args[0].split(".")
                assert hasattr(getattr(bpy.ops, category), op), args[0]
                self.log.append(("operator", args[0]))
            return _Layout(self.log)
        return call


def draw_panels(rig):
    """{panel: what its draw code laid out} for the sidebar's panels with ``rig`` active."""
    import bpy
    bpy.context.view_layer.objects.active = rig
    logs = {}
    for name in ("LIKENESS_PT_main", "LIKENESS_PT_crowd", "LIKENESS_PT_runtime", "LIKENESS_PT_expressions",
                 "LIKENESS_PT_identity"):
        cls = getattr(bpy.types, name)
        assert not hasattr(cls, "poll") or cls.poll(bpy.context), name
        logs[name] = []
        cls.draw(type("Panel", (), {"layout": _Layout(logs[name])})(), bpy.context)
    return logs


def test_panels_draw_for_an_avatar(avatar):
    logs = draw_panels(avatar["rig"])
    sliders = [e for e in logs["LIKENESS_PT_expressions"] if e[0] == "prop"]
    assert sorted(e[2] for e in sliders) == sorted(ARKIT_52)
    assert ("operator", "likeness.build_avatar") in logs["LIKENESS_PT_main"]
    assert ("operator", "likeness.build_crowd") in logs["LIKENESS_PT_crowd"]
    identity = [e for e in logs["LIKENESS_PT_identity"] if e[0] == "prop"]
    assert len(identity) > 100 and any(e[2] == "Nose Scale Horiz" for e in identity)


def test_scalp_is_marked_for_hair(avatar):
    """The 'Scalp' vertex group covers the top and back of the head, not the face or ears."""
    head = avatar["head"]
    group = head.vertex_groups["Scalp"].index
    weights = np.zeros(len(head.data.vertices))
    for v in head.data.vertices:
        for g in v.groups:
            if g.group == group:
                weights[v.index] = g.weight
    co = world_vertices(head)
    from core import correspondence
    lm = correspondence.surface_points(co)
    top = co[:, 2].argmax()
    assert weights[top] == 1.0
    face = np.linalg.norm(co - lm[1], axis=1) < 0.04                 # around the nose tip
    assert weights[face].max() == 0.0
    eye_level = lm[159, 2]
    back = (co[:, 1] > co[:, 1].max() - 0.015) & (co[:, 2] > eye_level)  # back of the head
    assert back.sum() > 5 and weights[back].min() == 1.0
    neck = co[:, 2] < lm[152, 2] - 0.02                                  # below the chin
    assert weights[neck].max() == 0.0


def test_expression_presets_and_blink(avatar):
    """The smile preset lifts the mouth corners; a keyed blink closes the eyes mid-way."""
    import bpy
    rig, head = avatar["rig"], avatar["head"]
    key = head.data.shape_keys
    bpy.context.view_layer.objects.active = rig
    scene = bpy.context.scene
    neutral = landmarks(avatar)
    try:
        assert bpy.ops.likeness.apply_expression(preset="smile") == {"FINISHED"}
        smile = landmarks(avatar)
        lift_mm = ((smile[[61, 291], 2] - neutral[[61, 291], 2]) * 1000).min()
        assert lift_mm > 2.0, f"mouth corners rise {lift_mm:.1f} mm"
        assert bpy.ops.likeness.apply_expression(preset="neutral") == {"FINISHED"}
        assert max(kb.value for kb in key.key_blocks[1:]) == 0.0
        scene.frame_set(10)
        assert bpy.ops.likeness.add_blink() == {"FINISHED"}
        fps = scene.render.fps / scene.render.fps_base
        closed = 10 + round(0.10 * fps)
        scene.frame_set(closed)
        assert key.key_blocks["eyeBlinkLeft"].value == pytest.approx(1.0)
        scene.frame_set(closed + round(0.15 * fps) + 2)
        assert key.key_blocks["eyeBlinkRight"].value == pytest.approx(0.0)
    finally:
        if key.animation_data:
            key.animation_data.action = None
        for kb in key.key_blocks[1:]:
            kb.value = 0.0
        scene.frame_set(1)


def test_lipsync_from_a_recording(avatar):
    """A GRID clip's sound animates the avatar's jaw at the scene's frame rate, the mouth is
    closed in the leading silence and open in the words, the head moves with the voice (a
    few degrees), and the sound is in the sequencer."""
    import bpy
    rig, head = avatar["rig"], avatar["head"]
    key = head.data.shape_keys
    scene = bpy.context.scene
    bpy.context.view_layer.objects.active = rig
    scene.frame_set(1)
    clip = data_path("speech", "grid_s1_dev", "bbaf2n.mpg")
    try:
        assert bpy.ops.likeness.lipsync(filepath=clip) == {"FINISHED"}
        assert key.animation_data.action.name.endswith("_lipsync")
        assert rig.animation_data.action.name == key.animation_data.action.name + "_head"
        fps = scene.render.fps / scene.render.fps_base
        jaw, turn = [], []
        for f in range(1, int(3.0 * fps)):
            scene.frame_set(f)
            jaw.append(key.key_blocks["jawOpen"].value)
            turn.append(2 * np.degrees(np.arccos(min(abs(rig.pose.bones["head"].rotation_quaternion[0]), 1.0))))
        assert 0.1 < max(turn) < 10
        jaw = np.array(jaw)
        silence = jaw[: int(0.9 * fps)]                      # "sil" until 0.95 s (a click at 0.45 s)
        assert (silence < 0.1).mean() >= 0.75
        assert jaw[int(0.95 * fps): int(2.1 * fps)].max() > 0.3
        strips = scene.sequence_editor.strips
        assert any(s.type == "SOUND" and s.frame_start == 1 for s in strips)
    finally:
        key.animation_data.action = None
        rig.animation_data.action = None
        for bone in rig.pose.bones:
            bone.rotation_quaternion = (1, 0, 0, 0)
        for kb in key.key_blocks[1:]:
            kb.value = 0.0
        scene.frame_set(1)


def test_lipsync_without_speech_is_refused(avatar, tmp_path):
    import bpy
    import wave
    path = tmp_path / "quiet.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(16000, np.int16).tobytes())
    bpy.context.view_layer.objects.active = avatar["rig"]
    actions = len(bpy.data.actions)
    with pytest.raises(RuntimeError, match="silent"):
        bpy.ops.likeness.lipsync(filepath=str(path))
    assert len(bpy.data.actions) == actions


def test_track_video_onto_the_avatar(avatar):
    """A GRID clip drives the avatar: 52 key curves and the head bone's rotation, one key a frame."""
    import bpy
    rig, head = avatar["rig"], avatar["head"]
    key = head.data.shape_keys
    scene = bpy.context.scene
    bpy.context.view_layer.objects.active = rig
    scene.frame_set(1)
    try:
        assert bpy.ops.likeness.track_video(filepath=data_path("speech", "grid_s1_dev", "bbaf3s.mpg")) == {"FINISHED"}
        assert key.animation_data.action.name.endswith("_track")
        assert rig.animation_data.action.name.endswith("_track_head")
        jaw, quat = [], []
        for f in range(1, 70):
            scene.frame_set(f)
            jaw.append(key.key_blocks["jawOpen"].value)
            quat.append(tuple(rig.pose.bones["head"].rotation_quaternion))
        assert np.ptp(jaw) > 0.08
        angles = [2 * np.degrees(np.arccos(min(abs(q[0]), 1.0))) for q in quat]
        assert max(angles) < 25                                  # a frontal speaker
        assert len({tuple(np.round(q, 4)) for q in quat}) > 10   # but the head moves
    finally:
        key.animation_data.action = None
        rig.animation_data.action = None
        rig.pose.bones["head"].rotation_quaternion = (1, 0, 0, 0)
        for kb in key.key_blocks[1:]:
            kb.value = 0.0
        scene.frame_set(1)


def test_hair_grows_from_the_photo(avatar):
    """image_0001 has long brown hair: a Curves object on the scalp with the Essentials node
    groups making the children, the measured colour, following the head bone."""
    import bpy
    rig, head = avatar["rig"], avatar["head"]
    report = json.load(open(os.path.join(avatar["result_dir"], "report.json")))
    hair = next(c for c in rig.children if c.type == "CURVES")
    assert hair.parent_type == "BONE" and hair.parent_bone == "head"
    assert hair.data.surface == head and len(hair.data.curves) >= 150
    groups = {n.node_tree.name for n in hair.modifiers["Likeness Hair"].node_group.nodes if n.type == "GROUP"}
    assert {"Interpolate Hair Curves", "Clump Hair Curves", "Frizz Hair Curves"} <= groups
    evaluated = hair.evaluated_get(bpy.context.evaluated_depsgraph_get()).data
    assert len(evaluated.curves) > 5 * len(hair.data.curves)          # children between the guides
    shader = hair.data.materials[0].node_tree.nodes["Hair (measured colour)"]
    from core import hair_strands       # the input that renders as the measured colour
    assert np.allclose(shader.inputs["Color"].default_value[:3],
                       hair_strands.bsdf_colour(report["hair"]["colour_linear"]), atol=2e-3)
    roots = np.array([hair.matrix_world @ hair.data.points[c.first_point_index].position for c in hair.data.curves])
    tips = np.array([hair.matrix_world @ hair.data.points[c.first_point_index + c.points_length - 1].position
                     for c in hair.data.curves])
    verts = world_vertices(head)
    group = head.vertex_groups["Scalp"].index
    scalp = verts[[v.index for v in head.data.vertices if any(g.group == group and g.weight > 0.5 for g in v.groups)]]
    gaps = np.min(np.linalg.norm(roots[:, None, :] - scalp[None], axis=2), axis=1)
    assert gaps.max() < 0.01                                             # every guide grows from the scalp
    assert np.median(tips[:, 2]) < np.percentile(verts[:, 2], 10)       # long hair falls below the chin
    rig.pose.bones["head"].rotation_mode = "XYZ"
    rig.pose.bones["head"].rotation_euler = (0.0, 0.0, 0.5)
    bpy.context.view_layer.update()
    turned = np.array([hair.matrix_world @ p.position for p in hair.data.points])
    rig.pose.bones["head"].rotation_euler = (0.0, 0.0, 0.0)
    bpy.context.view_layer.update()
    rest = np.array([hair.matrix_world @ p.position for p in hair.data.points])
    # a 0.5 rad turn of the head moves the hair's points by centimetres (the least, near the
    # bone's axis, by less): every point moves, the median by more than 2 cm
    shift = np.linalg.norm(turned - rest, axis=1)
    assert shift.min() > 0 and np.median(shift) > 0.02, (shift.min(), np.median(shift))


def test_hair_cards_export_to_gltf(avatar, tmp_path):
    """The game-ready choice: hair cards with an alpha strand texture reach the glb."""
    import bpy
    bpy.context.scene.likeness.hair = "CARDS"
    outcome = bpy.ops.likeness.build_avatar(photo=data_path(*PHOTO), texture_size=1024)
    bpy.context.scene.likeness.hair = "CURVES"
    assert outcome == {"FINISHED"}, bpy.context.window_manager.likeness_status.message
    rig = bpy.context.view_layer.objects.active
    coll = rig.users_collection[0]
    try:
        cards = next(c for c in rig.children if c.type == "MESH" and not c.get("likeness_avatar"))
        assert cards.parent_bone == "head" and len(cards.data.polygons) > 1000
        assert not any(c.type == "CURVES" for c in rig.children)
        for ob in bpy.context.view_layer.objects:
            ob.select_set(ob == rig or ob.parent == rig)
        path = str(tmp_path / "cards.glb")
        bpy.ops.export_scene.gltf(filepath=path, use_selection=True, export_format="GLB")
        gltf = read_glb_json(path)
        card_mats = [m for m in gltf["materials"] if m["name"].endswith("_hair_cards")]
        assert card_mats and card_mats[0].get("alphaMode") == "BLEND"
        assert "baseColorTexture" in card_mats[0]["pbrMetallicRoughness"]
    finally:
        for ob in list(coll.objects):
            bpy.data.objects.remove(ob)
        bpy.data.collections.remove(coll)
