"""Performance capture on a real talking clip (GRID) and on frames without a face."""
import numpy as np
import pytest

from conftest import data_path
from core import detect, errors, fit, track


@pytest.fixture(scope="module")
def clip():
    images, fps = track.frames(data_path("speech", "grid_s1_dev", "bbaf2n.mpg"))
    ident = fit.fit(detect.detect(images[0]).landmarks, (images[0].shape[1], images[0].shape[0]))
    return images, fps, ident


def test_tracks_every_frame_of_a_talking_clip(clip):
    """bench/track_grid.py measured 0.84 px reprojection error on this clip, 80 fps."""
    images, fps, ident = clip
    tr = track.track(images, fps, ident.phenotype, ident.local_changes)
    assert tr.weights.shape == (len(images), 52) and tr.found.all()
    assert np.nanmean(tr.residual_px) < 2.0
    jaw = tr.weights[:, fit.basis().hm.facial_action_labels.index("jawOpen")]
    assert jaw.max() - jaw.min() > 0.08                 # the jaw moves with the speech
    yaws = [fit.head_pose_degrees(r)[0] for r in tr.rotations]
    assert np.ptp(yaws) < 15                            # a frontal speaker, steady head


def test_frames_without_a_face_are_bridged_or_refused(clip):
    from skimage import data
    images, fps, ident = clip
    blank = np.ascontiguousarray(data.coffee()[:288, :360])
    tr = track.track(images[:10] + [blank] * 3 + images[10:20], fps, ident.phenotype, ident.local_changes)
    assert not tr.found[10:13].any() and tr.found[13:].all()
    assert np.allclose(tr.weights[10:13], tr.weights[9])          # held through the dropout
    with pytest.raises(errors.NoFaceFound, match="any frame"):
        track.track([blank] * 3, fps, ident.phenotype, ident.local_changes)
