"""Lip sync from the sound itself (core/voice_mouth.py) on speech in six languages and on song,
both made here (tools/speech_synth.py: espeak-ng phrases joined by silences of known length,
vowels timed by its phoneme events; a synthesised singer with vibrato)."""
import numpy as np
import pytest

from core import lipsync, voice, voice_mouth
from tools import speech_synth

FPS = 30.0
NAMES = lipsync.MOUTH_KEYS + ["browInnerUp"]
JAW, PUCKER, STRETCH, BROW = (NAMES.index(n) for n in ("jawOpen", "mouthPucker", "mouthStretchLeft", "browInnerUp"))


def frames(span, count):
    return np.arange(int(np.ceil(span[0] * FPS)), min(int(np.ceil(span[1] * FPS)), count))


@pytest.fixture(scope="module", params=[{}, {"vibrato_st": 1.0, "vibrato_hz": 7.0, "tremolo": 0.3}],
                ids=["vibrato 5.5 Hz", "wide vibrato 7 Hz"])
def song(request, tmp_path_factory):
    take = speech_synth.song(**request.param)
    path = speech_synth.write_wav(tmp_path_factory.mktemp("song") / "la.wav", take.pcm)
    return take, lipsync.lipsync(path, FPS, NAMES, expressiveness=0.0, language="it")[:3]


@pytest.mark.parametrize("language", ["vi", "cmn", "es", "hi", "ar", "ja", "en"])
def test_closed_in_pauses_open_in_vowels(language, tmp_path):
    """bench/lipsync_languages.py: 96-100 % of pause frames closed and every vowel opening the
    mouth in each language (English through the blend with its phones)."""
    take = speech_synth.speech("en-us" if language == "en" else language)
    weights, phones, warnings, _ = lipsync.lipsync(speech_synth.write_wav(tmp_path / "take.wav", take.pcm), FPS,
                                                   NAMES, expressiveness=0.0, language=language)
    assert not warnings and phones
    jaw = weights[:, JAW]
    assert abs(len(jaw) - take.duration * FPS) <= 2
    pause = np.concatenate([frames(p, len(jaw)) for p in take.pauses])
    assert (jaw[pause] < 0.1).mean() >= 0.9, f"{(jaw[pause] < 0.1).mean():.2f} of pause frames closed"
    vowels = [frames(v, len(jaw)) for v in take.vowels]
    opened = np.mean([jaw[f].max() > 0.15 for f in vowels if len(f)])
    assert opened >= 0.9, f"{opened:.2f} of vowels open the mouth"
    assert (weights[:, BROW] == 0).all()                      # the lips alone


def test_a_transcript_with_another_language_is_ignored_with_a_warning(tmp_path):
    take = speech_synth.speech("es")
    path = speech_synth.write_wav(tmp_path / "es.wav", take.pcm)
    weights, phones, warnings, _ = lipsync.lipsync(path, FPS, NAMES, transcript="buenos dias", language="es")
    assert len(warnings) == 1 and "English only" in warnings[0]
    assert {p for p, _, _ in phones} == {"SIL", "SPEECH"}
    assert np.array_equal(weights, lipsync.lipsync(path, FPS, NAMES, language="es")[0])


def test_sung_notes_hold_the_mouth_open_without_flutter(song):
    """bench/lipsync_singing.py: every note open through 100 % of its vowel, no open/close
    transition inside a note (the recogniser's phones: 0-100 %, most notes closed); the held
    part of a note moves the jaw by at most 0.06 here."""
    take, (weights, _, _) = song
    jaw = weights[:, JAW]
    for span in take.vowels:
        f = frames(span, len(jaw))
        assert (jaw[f] > 0.15).mean() >= 0.9, f"note at {span[0]:.2f} s open in {(jaw[f] > 0.15).mean():.2f} of frames"
        held = jaw[f][int(0.15 * FPS):-int(0.15 * FPS)]            # the vibrato (5.5 Hz) must not move the jaw
        assert np.ptp(held) < 0.1, f"note at {span[0]:.2f} s: jawOpen {held.min():.2f}..{held.max():.2f}"
    pause = np.concatenate([frames(p, len(jaw)) for p in take.pauses])
    assert (jaw[pause] < 0.1).mean() >= 0.9


def test_english_song_is_lip_synced_from_the_sound(song, tmp_path):
    """Without a transcript an English song skips the phone recogniser (garbage on song)."""
    take, (weights, _, _) = song
    english, phones = lipsync.lipsync(speech_synth.write_wav(tmp_path / "la.wav", take.pcm), FPS, NAMES,
                                      expressiveness=0.0)[:2]
    assert {p for p, _, _ in phones} == {"SIL", "SPEECH"} and np.array_equal(english, weights)


def test_sung_vowels_keep_their_shape(song):
    take, (weights, _, _) = song
    mean = {}
    for (vowel, a, b) in take.phones:
        f = frames((a, b), len(weights))
        mean.setdefault(vowel, []).append(weights[f].mean(0))
    mean = {v: np.mean(m, 0) for v, m in mean.items()}
    assert mean["a"][JAW] > mean["u"][JAW] and mean["a"][JAW] > mean["i"][JAW]       # open a
    assert mean["u"][PUCKER] > 0.1 > mean["a"][PUCKER] and mean["o"][PUCKER] > 0.1   # rounded u, o
    assert mean["i"][STRETCH] > 0.2 > mean["u"][STRETCH]                              # spread i


def test_pitch_lifts_the_brows_of_a_sung_take(song, tmp_path):
    """Above expressiveness 0 (the lips alone: brows still) the brows follow the pitch, under the
    voice's own brow lifts (the larger of the two)."""
    take, (still, _, _) = song
    assert (still[:, BROW] == 0).all()
    weights = lipsync.lipsync(speech_synth.write_wav(tmp_path / "la.wav", take.pcm), FPS, NAMES,
                              expressiveness=0.5, language="it")[0]
    sound = voice.analyse(take.pcm)
    assert voice_mouth.is_sung(sound)
    brow = voice_mouth.brows(sound, FPS, len(weights))
    assert (weights[:, BROW] >= brow - 1e-6).all()
    assert brow.max() <= voice_mouth.BROW_MAX + 1e-9
    pitch = [np.median(sound.f0[int(a * 100):int(b * 100)]) for a, b in take.vowels]
    lift = [brow[frames(span, len(brow))].mean() for span in take.vowels]
    assert lift[int(np.argmax(pitch))] > 0.15 and lift[int(np.argmin(pitch))] < 0.02   # high notes up, low down
