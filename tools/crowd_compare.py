"""Two crowds compared character by character (not part of the extension): the summaries'
characters and skipped ones (timings aside), and in the saved crowd.blend files each character's
objects, placement, mesh vertices and the pixels of its images. Used by the cluster tests.

    from tools import crowd_compare
    assert crowd_compare.differences(out_a, out_b) == []
"""
import hashlib
import json
import os

import numpy as np

TIMING_KEYS = ("timings_ms", "seconds",
               "head_folder")     # (a full body's report names its head's scratch folder, removed after the build)


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def summary_entries(out):
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as fh:
        summary = json.load(fh)
    return {"characters": _strip(summary["characters"]),
            "failed": [{k: v for k, v in f.items()} for f in summary["failed"]], "total": summary["total"]}


def scene_fingerprint(blend):
    """{object name: what it is} for every object of the crowd in ``blend`` (opened in this
    process's bpy; the empty scene is read back afterwards)."""
    import bpy
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    out = {}
    crowd = bpy.data.collections["Likeness Crowd"]
    for coll in crowd.children:
        for ob in coll.all_objects:
            entry = {"collection": coll.name, "type": ob.type, "parent": ob.parent.name if ob.parent else None,
                     "location": [round(v, 6) for v in ob.matrix_world.translation],
                     "rotation": [round(v, 6) for v in ob.rotation_euler],
                     "modifiers": [[m.name, m.show_viewport, m.show_render] for m in ob.modifiers]}
            if ob.type == "MESH":
                co = np.zeros(len(ob.data.vertices) * 3, np.float32)
                ob.data.vertices.foreach_get("co", co)
                entry["vertices"] = hashlib.sha1(co.tobytes()).hexdigest()
                entry["shape_keys"] = len(ob.data.shape_keys.key_blocks) if ob.data.shape_keys else 0
                entry["images"] = sorted(_image_hash(n.image) for m in ob.data.materials if m and m.node_tree
                                         for n in m.node_tree.nodes if n.type == "TEX_IMAGE" and n.image)
            elif ob.type == "CURVES":
                co = np.zeros(len(ob.data.points) * 3, np.float32)
                ob.data.points.foreach_get("position", co)
                entry["points"] = hashlib.sha1(co.tobytes()).hexdigest()
            out[ob.name] = entry
    bpy.ops.wm.read_homefile(use_empty=True)
    return out


def _image_hash(image):
    if image.packed_file is not None:
        return hashlib.sha1(image.packed_file.data).hexdigest()
    px = np.zeros(image.size[0] * image.size[1] * image.channels, np.float32)
    image.pixels.foreach_get(px)
    return hashlib.sha1(px.tobytes()).hexdigest()


def differences(out_a, out_b):
    """What differs between the crowds written to the folders ``out_a`` and ``out_b``, as lines
    (empty when they are the same, character for character)."""
    problems = []
    sa, sb = summary_entries(out_a), summary_entries(out_b)
    for key in ("total", "failed"):
        if sa[key] != sb[key]:
            problems.append(f"summary {key}: {sa[key]} != {sb[key]}")
    ca = {c["index"]: c for c in sa["characters"]}
    cb = {c["index"]: c for c in sb["characters"]}
    if sorted(ca) != sorted(cb):
        problems.append(f"characters made: {sorted(ca)} != {sorted(cb)}")
    for i in sorted(set(ca) & set(cb)):
        if ca[i] != cb[i]:
            keys = sorted(k for k in set(ca[i]) | set(cb[i]) if ca[i].get(k) != cb[i].get(k))
            problems.append(f"character {i} summary differs in {keys}")
    fa = scene_fingerprint(os.path.join(out_a, "crowd.blend"))
    fb = scene_fingerprint(os.path.join(out_b, "crowd.blend"))
    if sorted(fa) != sorted(fb):
        problems.append(f"objects: {sorted(set(fa) ^ set(fb))[:10]} in one crowd only")
    for name in sorted(set(fa) & set(fb)):
        if fa[name] != fb[name]:
            keys = sorted(k for k in fa[name] if fa[name][k] != fb[name].get(k))
            problems.append(f"object {name} differs in {keys}")
    return problems
