"""Make ``mediapipe_anny.npz``: where each of mediapipe's 478 face-mesh points
lies on the anny head's surface.

How: render anny heads (several identities, several head turns) with Cycles
through the bpy module, detect them with the same mediapipe face mesh the
pipeline uses, and cast each detected point back onto the rendered mesh. Each
hit is expressed on the neutral template (same triangle, same barycentric
coordinates); the median over renders is snapped to the template surface.
Every other point is snapped to the skin, never to an eyeball or the tongue.
The ten iris points are placed geometrically on the eyeball (an untextured
render has no iris for mediapipe to see): the centre on the eye's front pole,
the four rim points 5.9 mm from it, in the directions mediapipe reports.

Run from the repository root with the dev environment (needs bpy, anny, mediapipe):

    .venv/bin/python models/build_mediapipe_correspondence.py

It takes about two minutes on two cores.
"""
import math
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import bpy  # noqa: E402
from mathutils import Vector  # noqa: E402
from mathutils.bvhtree import BVHTree  # noqa: E402

from core import head_model, detect  # noqa: E402
from core.image_io import read_photo  # noqa: E402

OUT = os.path.join(ROOT, "models", "mediapipe_anny.npz")
RES = 512
LENS_MM, SENSOR_MM, DISTANCE = 50.0, 36.0, 0.55
IRIS_RADIUS = 0.0059
IRIS = {"right": (468, (469, 470, 471, 472)), "left": (473, (474, 475, 476, 477))}
YAWS = (-25, -12, 0, 12, 25)
PITCHES = (-8, 0, 8)


def identities(hm, rng, n):
    pheno, local, fa = hm.neutral_parameters()
    yield pheno, local, fa
    for _ in range(n - 1):
        p = rng.uniform(0.1, 0.9, size=pheno.shape)
        lc = np.zeros_like(local)
        lc[hm.head_local_change_index] = rng.normal(0, 0.25, size=len(hm.head_local_change_index))
        yield p, lc, fa


def setup_scene():
    bpy.ops.wm.read_homefile(use_empty=True)
    sc = bpy.context.scene
    sc.render.engine = "CYCLES"
    sc.cycles.samples = 8
    sc.cycles.device = "CPU"
    sc.render.resolution_x = sc.render.resolution_y = RES
    cam = bpy.data.cameras.new("cam")
    cam.lens, cam.sensor_width = LENS_MM, SENSOR_MM
    cam_ob = bpy.data.objects.new("cam", cam)
    sc.collection.objects.link(cam_ob)
    sc.camera = cam_ob
    sun = bpy.data.lights.new("sun", "SUN")
    sun.energy = 3.0
    sun_ob = bpy.data.objects.new("sun", sun)
    sun_ob.rotation_euler = (0.8, 0.0, 0.3)
    sc.collection.objects.link(sun_ob)
    world = bpy.data.worlds.new("world")
    sc.world = world
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.3, 0.3, 0.3, 1)
    mat = bpy.data.materials.new("skin")
    mat.use_nodes = True
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.8, 0.6, 0.5, 1)
    return sc, cam_ob, mat


def make_head(sc, mat, verts, faces):
    me = bpy.data.meshes.new("head")
    me.from_pydata(verts.tolist(), [], faces.tolist())
    me.polygons.foreach_set("use_smooth", np.ones(len(faces), dtype=bool))
    me.materials.append(mat)
    ob = bpy.data.objects.new("head", me)
    sc.collection.objects.link(ob)
    return ob


def quad_barycentric(p, quad, verts):
    """Triangle (3 vertex ids) of the quad containing p, and p's barycentric coordinates."""
    a, b, c, d = quad
    best = None
    for tri in ((a, b, c), (a, c, d)):
        x0, x1, x2 = verts[list(tri)]
        m = np.stack([x1 - x0, x2 - x0], 1)
        uv, *_ = np.linalg.lstsq(m, p - x0, rcond=None)
        w = np.array([1 - uv.sum(), uv[0], uv[1]])
        err = -min(w.min(), 0)
        if best is None or err < best[0]:
            best = (err, tri, np.clip(w, 0, 1) / np.clip(w, 0, 1).sum())
    return best[1], best[2]


def main():
    rng = np.random.default_rng(0)
    hm = head_model.load()
    sc, cam_ob, mat = setup_scene()
    template = hm.forward(*hm.neutral_parameters())["vertices"]
    samples = [[] for _ in range(478)]
    iris_dirs = {k: [] for k in IRIS}
    tmp = tempfile.mkdtemp()
    n_renders = n_detected = 0
    for ident, (p, lc, fa) in enumerate(identities(hm, rng, 4)):
        verts = hm.forward(p, lc, fa)["vertices"]
        ob = make_head(sc, mat, verts, hm.faces)
        centre = verts[hm.vertex_part == 0].mean(0)
        for yaw in YAWS:
            for pitch in PITCHES:
                ob.rotation_euler = (math.radians(pitch), 0.0, math.radians(yaw))
                ob.location = (0, 0, 0)
                bpy.context.view_layer.update()
                c_world = ob.matrix_world @ Vector(centre)
                cam_ob.location = c_world + Vector((0, -DISTANCE, 0.0))
                cam_ob.rotation_euler = (math.pi / 2, 0, 0)
                bpy.context.view_layer.update()
                sc.render.filepath = os.path.join(tmp, "r.png")
                bpy.ops.render.render(write_still=True)
                n_renders += 1
                try:
                    det = detect.detect(read_photo(sc.render.filepath))
                except Exception as exc:     # a render mediapipe misses just adds no samples
                    print("no detection", ident, yaw, pitch, exc)
                    continue
                n_detected += 1
                if yaw == 0 and pitch == 0:
                    for side, (centre_id, rim) in IRIS.items():
                        d = det.landmarks[list(rim)] - det.landmarks[centre_id]
                        iris_dirs[side].append(d / np.linalg.norm(d, axis=1, keepdims=True))
                        iris_dirs.setdefault(side + "_x", []).append(det.landmarks[centre_id, 0])
                depsgraph = bpy.context.evaluated_depsgraph_get()
                bvh = BVHTree.FromObject(ob, depsgraph)
                inv = ob.matrix_world.inverted()
                f_px = LENS_MM / SENSOR_MM * RES
                origin_local = inv @ cam_ob.location
                cam_rot = cam_ob.matrix_world.to_3x3()
                for i, (u, v) in enumerate(det.landmarks):
                    ray_cam = Vector(((u + 0.5 - RES / 2) / f_px, -(v + 0.5 - RES / 2) / f_px, -1.0))
                    ray_local = (inv.to_3x3() @ (cam_rot @ ray_cam)).normalized()
                    loc, _, face, _ = bvh.ray_cast(origin_local, ray_local)
                    if face is None:
                        continue
                    tri, w = quad_barycentric(np.array(loc), hm.faces[face], verts)
                    samples[i].append(w @ template[list(tri)])
        bpy.data.objects.remove(ob)
    print(f"{n_detected}/{n_renders} renders detected")

    # Face-mesh points belong on the skin (a ray through the eye opening may hit
    # the eyeball behind a lid point); only the iris points go on the eyeballs.
    skin_faces = np.nonzero(hm.vertex_part[hm.faces].max(1) == 0)[0]
    skin_bvh = BVHTree.FromPolygons(template.tolist(), hm.faces[skin_faces].tolist())
    full_bvh = BVHTree.FromPolygons(template.tolist(), hm.faces.tolist())
    tri_ids = np.zeros((478, 3), np.int32)
    bary = np.zeros((478, 3), np.float32)
    spread = np.zeros(478, np.float32)
    counts = np.array([len(s) for s in samples])

    def embed(i, point, on_skin=True):
        loc, _, face, _ = (skin_bvh if on_skin else full_bvh).find_nearest(Vector(point))
        face = skin_faces[face] if on_skin else face
        tri_ids[i], bary[i] = quad_barycentric(np.array(loc), hm.faces[face], template)

    for i in range(468):
        pts = np.array(samples[i])
        med = np.median(pts, 0)
        spread[i] = np.median(np.linalg.norm(pts - med, axis=1))
        embed(i, med)
    # Irises: mediapipe's points 468-472 are around the eye on the image's left
    # in a frontal view, the subject's right eye ("eye.R").
    sides = sorted(IRIS, key=lambda s: np.mean(iris_dirs[s + "_x"]))
    for side, part in zip(sides, ("eye.R", "eye.L")):
        centre_id, rim = IRIS[side]
        eye = template[hm.vertex_part == head_model.PART_NAMES.index(part)]
        pole = eye[eye[:, 1].argmin()]
        embed(centre_id, pole, on_skin=False)
        for j, d in zip(rim, np.mean(iris_dirs[side], 0)):
            d = d / np.linalg.norm(d)
            embed(j, pole + IRIS_RADIUS * np.array([d[0], 0.0, -d[1]]), on_skin=False)
    np.savez(OUT, triangle_vertices=tri_ids, barycentric=bary,
             sample_count=counts, sample_spread_m=spread,
             renders=np.int32(n_renders), detected=np.int32(n_detected))
    print("wrote", OUT, "median spread mm", float(np.median(spread[:468]) * 1000),
          "min samples", int(counts[:468].min()))


if __name__ == "__main__":
    main()
