"""Small pieces the bench scripts share (run them from the repository: ``bench.common``)."""
import glob
import os

from tools.measures import DATA  # noqa: F401 (the benches' data folder)


def face_photos(data=DATA, limit=None, folders=("helen_train", "lfpw")):
    """The photos of the shared data's face ``folders``, folder by folder, each sorted by name."""
    photos = []
    for folder in folders:
        photos += sorted(glob.glob(os.path.join(data, "faces", folder, "*.png")) +
                         glob.glob(os.path.join(data, "faces", folder, "*.jpg")))
    return photos[:limit]


def grid_clips(data=DATA):
    """The GRID speech clips (one speaker, frontal) of the shared data, sorted by path."""
    return sorted(glob.glob(os.path.join(data, "speech", "grid_s1_dev", "*.mpg")))
