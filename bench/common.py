"""Small pieces the bench scripts share (run them from the repository: ``bench.common``)."""
import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("LIKENESS_DATA") or os.path.join(os.path.dirname(ROOT), "shared", "data")


def face_photos(data=DATA, limit=None):
    """The LFPW then Helen photos of the shared data, sorted by path."""
    photos = sorted(glob.glob(os.path.join(data, "faces", "lfpw", "*.png")) +
                    glob.glob(os.path.join(data, "faces", "helen_train", "*.jpg")))
    return photos[:limit]


def grid_clips(data=DATA):
    """The GRID speech clips (one speaker, frontal) of the shared data, sorted by path."""
    return sorted(glob.glob(os.path.join(data, "speech", "grid_s1_dev", "*.mpg")))


def white_world(bpy, scene, name):
    """An even white world at strength 1: light from every side, no shading direction."""
    scene.world = bpy.data.worlds.new(name)
    scene.world.color = (1.0, 1.0, 1.0)
    background = scene.world.node_tree.nodes.get("Background") if scene.world.node_tree else None
    if background is not None:                       # Blender 5 worlds use nodes
        background.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
        background.inputs["Strength"].default_value = 1.0
