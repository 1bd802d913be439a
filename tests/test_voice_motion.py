"""The head, brows, lids and eyes that move with the voice (core.voice_motion), on real speech
(a GRID clip in ../shared/data). Figures from bench/lipsync_alive.py and these takes."""
import numpy as np
import pytest

from conftest import data_path
from core import lipsync, voice, voice_motion
from core.errors import BadArguments

FPS = 25.0
CLIP = ("speech", "grid_s1_dev", "bbaf2n.mpg")
NAMES = lipsync.MOUTH_KEYS + voice_motion.FACE_KEYS


@pytest.fixture(scope="module")
def minute():
    """A minute of speech: one GRID clip (3 s) said twenty times; its voice, phones and length."""
    pcm = lipsync.load_audio(data_path(*CLIP))
    phones = lipsync.phonemes(pcm)
    step = len(pcm) / lipsync.RATE
    take = [(p, a + k * step, b + k * step) for k in range(20) for p, a, b in phones]
    return voice.analyse(np.tile(pcm, 20)), take, 20 * step


def angles(rotations):
    """Degrees each (3, 3) rotation turns."""
    return np.degrees(np.arccos(np.clip((np.trace(rotations, axis1=1, axis2=2) - 1) / 2, -1, 1)))


def steps(rotations):
    """Degrees turned from each frame to the next."""
    return angles(np.einsum("nji,njk->nik", rotations[:-1], rotations[1:]))


def risings(curve, level):
    return int(np.sum((curve[1:] > level) & (curve[:-1] <= level)))


def column(weights, name):
    return weights[:, NAMES.index(name)]


def test_expressiveness_zero_moves_the_lips_alone():
    """No head or eye bone keyed at all (the rig keeps its own action), no brow, lid or emotion
    key; the mouth as at any other expressiveness."""
    clip = data_path(*CLIP)
    still, _, _, bones = lipsync.lipsync(clip, FPS, NAMES, expressiveness=0.0)
    assert bones == {}
    assert (still[:, [NAMES.index(n) for n in voice_motion.FACE_KEYS]] == 0).all()
    lively, _, _, bones = lipsync.lipsync(clip, FPS, NAMES, expressiveness=1.0)
    mouth = [NAMES.index(n) for n in lipsync.MOUTH_KEYS]
    assert np.array_equal(still[:, mouth], lively[:, mouth])
    assert angles(bones["head"]).max() > 0.2


def test_a_minute_of_speech_moves_the_head_blinks_and_looks_around(minute):
    """Measured (seeds 0-2, expressiveness 0.5, calm): head range 2.6-3.0 degrees, at most 0.31
    degree a frame; 19-23 blinks, 21-23 saccades and 17-18 brow lifts a minute."""
    v, phones, duration = minute
    moving = voice_motion.motion(v, duration, FPS, phones, seed=0)
    minutes = duration / 60
    head = np.ptp(moving.head_degrees, 0)
    assert 0.5 < head.max() < 15, f"the head moves over {head} degrees"
    total = moving.bones["head"]
    for bone in ("neck01", "neck02", "neck03"):
        total = np.einsum("nij,njk->nik", moving.bones[bone], total)
    assert np.allclose(angles(total), np.linalg.norm(moving.head_degrees, axis=1), atol=1e-6)
    assert steps(total).max() < 1.0                    # smooth: under 25 degrees a second
    blink = moving.face["eyeBlinkLeft"]
    assert 10 <= risings(blink, 0.5) / minutes <= 30 and blink.max() == pytest.approx(1.0)
    assert ((blink > 0.5).sum() / risings(blink, 0.5)) <= 0.3 * FPS          # each blink is short
    assert np.array_equal(blink, moving.face["eyeBlinkRight"])
    brow = moving.face["browInnerUp"]
    assert 0.05 < brow.max() <= 0.35 and (brow > 0.05).mean() < 0.5 and risings(brow, 0.05) / minutes >= 3
    eye = moving.bones["eye.L"]
    assert np.array_equal(eye, moving.bones["eye.R"])
    step = steps(eye)
    saccades = risings(step, 0.3)
    assert 10 <= saccades / minutes <= 60 and angles(eye).max() < 10
    assert (step < 0.01).mean() > 0.8                    # held between the saccades


def test_nods_follow_the_pitch_accents(minute):
    """The nod's speed against the accents' strength, frame by frame: r 0.66-0.68 here (seeds
    0-2; 0.58 over the bench's 24 takes), -0.23 against the accents a second later."""
    v, phones, duration = minute
    moving = voice_motion.motion(v, duration, FPS, phones, seed=0)
    assert 20 <= len(moving.accents) <= 120                 # two or three a clip
    speed = np.abs(np.gradient(moving.head_degrees[:, 0]))
    on_time = voice_motion.accent_signal(moving.accents, len(speed), FPS)
    late = voice_motion.accent_signal([(t + 1.0, s) for t, s in moving.accents], len(speed), FPS)
    assert np.corrcoef(speed, on_time)[0, 1] > 0.35
    assert np.corrcoef(speed, late)[0, 1] < 0.15


def test_the_same_seed_the_same_motion(minute):
    v, phones, duration = minute
    one, again, other = (voice_motion.motion(v, 20.0, FPS, phones, seed=s) for s in (7, 7, 8))
    assert all(np.array_equal(one.face[k], again.face[k]) for k in one.face)
    assert all(np.array_equal(one.bones[b], again.bones[b]) for b in one.bones)
    assert not np.array_equal(one.face["eyeBlinkLeft"], other.face["eyeBlinkLeft"])
    assert not np.allclose(one.head_degrees, other.head_degrees, atol=0.1)


def test_emotions_bias_the_face_and_the_motion(minute):
    """Happy smiles, serious lowers the brows, excited moves more than calm, and stays in a
    speaker's range at full expressiveness (head range 5.2 degrees calm, 11.0 excited)."""
    clip = data_path(*CLIP)
    calm = lipsync.lipsync(clip, FPS, NAMES, emotion="calm")[0]
    happy = lipsync.lipsync(clip, FPS, NAMES, emotion="happy")[0]
    serious = lipsync.lipsync(clip, FPS, NAMES, emotion="serious")[0]
    assert column(calm, "mouthSmileLeft").max() == 0
    assert column(happy, "mouthSmileLeft").min() > 0.1 and column(happy, "cheekSquintRight").min() > 0.05
    assert column(serious, "browDownLeft").min() > 0.1 and column(calm, "browDownLeft").max() == 0
    v, phones, duration = minute
    ranges = {e: np.ptp(voice_motion.motion(v, duration, FPS, phones, 0, 1.0, e).head_degrees, 0).max()
              for e in ("calm", "excited")}
    assert ranges["calm"] * 1.5 < ranges["excited"] < 15


def test_unknown_options_are_refused_with_the_choices(minute):
    v, phones, duration = minute
    with pytest.raises(BadArguments, match="calm, happy, serious, excited"):
        voice_motion.motion(v, 3.0, FPS, phones, emotion="angry")
    with pytest.raises(BadArguments, match="from 0 to 1"):
        voice_motion.motion(v, 3.0, FPS, phones, expressiveness=2.0)
    import cli                                    # the command line offers the same emotions
    assert cli.EMOTIONS == tuple(voice_motion.EMOTIONS)
