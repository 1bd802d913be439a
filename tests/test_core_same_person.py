"""The same-person check on real photos: one person's photos pass, two people are refused."""
import functools

import numpy as np
import pytest

from conftest import data_path
from core import detect, image_io, same_person
from core.errors import DifferentPeople, LikenessError

LFPW = [f"image_000{i}.png" for i in range(1, 6)]          # one woman
MAN = "1439641049_1.jpg"                                   # a bearded man with glasses
MAN_AGAIN = "1440499238_1.jpg"                             # the same man, another portrait
CHILD = "11329920_1.jpg"                                   # a laughing child


def _path(name):
    return data_path("faces", "lfpw", name) if name.startswith("image_") else data_path("faces", "helen_train", name)


@functools.lru_cache(maxsize=None)
def _descriptor(name, mirrored=False):
    rgb = image_io.read_photo(_path(name))
    if mirrored:
        rgb = np.ascontiguousarray(rgb[:, ::-1])
    det = detect.detect(rgb)
    return same_person.descriptor(rgb, det.landmarks, det.depth)


def test_one_woman_in_five_photos_passes():
    assert same_person.check([_descriptor(n) for n in LFPW], LFPW) == []


def test_one_man_in_two_portraits_passes():
    assert same_person.check([_descriptor(MAN), _descriptor(MAN_AGAIN)], [MAN, MAN_AGAIN]) == []


def test_a_mirrored_photo_is_the_same_person():
    d = same_person.distance(_descriptor(MAN), _descriptor(MAN, mirrored=True))
    assert d < same_person.WARN / 2
    assert same_person.check([_descriptor(MAN), _descriptor(MAN, mirrored=True)], [MAN, "mirrored.jpg"]) == []


def test_two_people_are_refused_naming_both_photos():
    with pytest.raises(DifferentPeople) as info:
        same_person.check([_descriptor(MAN), _descriptor(CHILD)], ["photos/" + MAN, "photos/" + CHILD])
    message = str(info.value)
    assert isinstance(info.value, LikenessError)
    assert MAN in message and CHILD in message and "photos/" not in message
    assert "same person" in message and "one avatar per photo" in message


def test_a_stranger_among_one_persons_photos_is_named():
    names = LFPW[:2] + [CHILD]
    with pytest.raises(DifferentPeople, match=CHILD):
        same_person.check([_descriptor(n) for n in names], names)


def test_descriptor_is_finite_and_distance_symmetric():
    a, b = _descriptor(LFPW[0]), _descriptor(CHILD)
    assert a.shape == b.shape and np.isfinite(a).all()
    assert same_person.distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert same_person.distance(a, b) == pytest.approx(same_person.distance(b, a), rel=0.05)
