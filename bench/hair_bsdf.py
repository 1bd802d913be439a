"""How bright the hair's Principled Hair BSDF renders against the colour it is given: the table
behind core.hair.bsdf_colour.

A few avatars are built with hair curves; their hair is rendered alone through the fitted camera
under an even white world (as bench/hair_check.py does) with grey inputs swept from 0 to 1, and the
median of the rendered hair pixels (linear) is printed per avatar and averaged. Several strands
deep, light scattered through the hair adds up, so the hair renders lighter than its input
(about 2.5 times at 0.05); bsdf_colour inverts the averaged curve.

    .venv/bin/python bench/hair_bsdf.py [PHOTO_STEM ...]
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tools.measures import photo_for  # noqa: E402
from tools.renders import build, render_hair  # noqa: E402

GREYS = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0)


def main():
    stems = sys.argv[1:] or ["1439641049_1", "image_0001", "109209934_1"]
    import tempfile
    import cli
    from core import texture
    bpy, _ = cli.enable_addon()
    path = os.path.join(tempfile.mkdtemp(prefix="likeness-hair-bsdf-"), "hair.png")
    print(f"{'input':14}", " ".join(f"{c:6.3f}" for c in GREYS))
    rows = []
    for stem in stems:
        rig = build(bpy, photo_for(stem))
        hair = next(o for o in rig.children_recursive if o.get("likeness_part") == "hair")
        node = hair.data.materials[0].node_tree.nodes["Hair (measured colour)"]
        row = []
        for c in GREYS:
            node.inputs["Color"].default_value = (c, c, c, 1.0)
            r = render_hair(bpy, rig, path, 240, 8)
            row.append(float(np.median(texture.srgb_to_linear(r[r[..., 3] > 0.9][:, 0]))))
        rows.append(row)
        print(f"{stem:14}", " ".join(f"{v:6.4f}" for v in row), flush=True)
    print(f"{'mean':14}", " ".join(f"{v:6.4f}" for v in np.mean(rows, 0)))
    print(f"model {node.model}, IOR {node.inputs['IOR'].default_value:.2f}, "
          f"roughness {node.inputs['Roughness'].default_value:.2f}")


if __name__ == "__main__":
    main()
