"""Lip sync from speech: phonemes with pocketsphinx (its bundled US-English acoustic model
and phone language model, offline), phonemes to visemes to ARKit weights per frame.

With a transcript the phones come from forced alignment of its words (the bundled CMU
dictionary gives their pronunciations) instead of free phone recognition: the labels are
then the words' own phones and only their timing is estimated.

Coarticulation: each frame takes the viseme of the phone sounding a little later (the
mouth moves before the sound starts), then the curves are smoothed over time so
neighbouring visemes blend. Silence closes the mouth.

Above zero ``expressiveness`` the voice also moves the head, brows, lids and eyes
(core.voice_motion), so a long take does not stare.

The recogniser knows US English only, so ``language`` says what is spoken: for English the
phones give the mouth's shapes and the sound itself (core/voice_mouth.py) says when the mouth
is open and how far; any other language is lip-synced from the sound alone. A sung take
(most of its voiced frames in long steady notes) also lifts the inner brows with its pitch.
"""
import os
import re

import numpy as np

from . import voice, voice_motion, voice_mouth
from .errors import BadAudio, BadTranscript, NoSpeech

RATE = 16000
LEAD_S = 0.04            # the mouth shapes a sound this much before it is heard
SMOOTH_S = 0.035         # std of the Gaussian that blends neighbouring visemes
SILENCE_RMS = 100.0      # int16 RMS below which a recording counts as silent

# ARPAbet phone -> ARKit weights (phones not listed, and SIL, keep the mouth closed)
_VISEMES = {
    ("P", "B", "M"): {"mouthPressLeft": 0.5, "mouthPressRight": 0.5, "mouthClose": 0.2},
    ("F", "V"): {"mouthRollLower": 0.5, "mouthUpperUpLeft": 0.2, "mouthUpperUpRight": 0.2, "jawOpen": 0.08},
    ("TH", "DH"): {"tongueOut": 0.35, "jawOpen": 0.15},
    ("T", "D", "N", "L", "S", "Z"): {"jawOpen": 0.12, "mouthStretchLeft": 0.15, "mouthStretchRight": 0.15},
    ("CH", "JH", "SH", "ZH"): {"mouthFunnel": 0.5, "jawOpen": 0.15},
    ("K", "G", "NG", "HH"): {"jawOpen": 0.2},
    ("R", "ER"): {"mouthPucker": 0.3, "mouthFunnel": 0.2, "jawOpen": 0.15},
    ("W",): {"mouthPucker": 0.7, "jawOpen": 0.05},
    ("Y",): {"mouthStretchLeft": 0.3, "mouthStretchRight": 0.3, "jawOpen": 0.1},
    ("AA",): {"jawOpen": 0.6},
    ("AE",): {"jawOpen": 0.45, "mouthStretchLeft": 0.3, "mouthStretchRight": 0.3},
    ("AH",): {"jawOpen": 0.4},
    ("AO",): {"jawOpen": 0.5, "mouthFunnel": 0.3},
    ("AW",): {"jawOpen": 0.45, "mouthPucker": 0.2},
    ("AY",): {"jawOpen": 0.45, "mouthStretchLeft": 0.2, "mouthStretchRight": 0.2},
    ("EH",): {"jawOpen": 0.35, "mouthStretchLeft": 0.25, "mouthStretchRight": 0.25},
    ("EY",): {"jawOpen": 0.3, "mouthStretchLeft": 0.35, "mouthStretchRight": 0.35},
    ("IH",): {"jawOpen": 0.25, "mouthStretchLeft": 0.3, "mouthStretchRight": 0.3},
    ("IY",): {"jawOpen": 0.2, "mouthStretchLeft": 0.45, "mouthStretchRight": 0.45},
    ("OW", "OY"): {"jawOpen": 0.35, "mouthFunnel": 0.4, "mouthPucker": 0.3},
    ("UH",): {"jawOpen": 0.25, "mouthPucker": 0.35},
    ("UW",): {"jawOpen": 0.2, "mouthPucker": 0.7, "mouthFunnel": 0.3},
}
VISEMES = {phone: weights for phones, weights in _VISEMES.items() for phone in phones}
MOUTH_KEYS = sorted({name for weights in _VISEMES.values() for name in weights})
MIN_AUDIO_S = 0.1             # shorter than one syllable: nothing to lip-sync
NOISE_FLATNESS = 0.25         # the louder half of speech measures ~0.001; white noise ~0.56


def load_audio(path):
    """Any audio (or video with sound) as 16 kHz mono int16."""
    import av
    name = os.path.basename(path)
    if os.path.isdir(path):
        raise BadAudio(f"{path} is a folder, not an audio file.")
    if os.path.exists(path) and not os.path.isfile(path):
        raise BadAudio(f"{path} is not a regular file (a pipe or a device), not an audio file.")
    if not os.path.isfile(path):
        raise BadAudio(f"Audio file not found: {path}")
    try:
        with av.open(path) as container:
            if not container.streams.audio:
                raise BadAudio(f"{name} has no sound track.")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            chunks = []
            for frame in container.decode(audio=0):
                chunks += [f.to_ndarray().ravel() for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().ravel() for f in resampler.resample(None)]
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise BadAudio(f"{name} could not be read as audio ({exc}).") from None
    if not chunks:
        raise BadAudio(f"{name} holds no audio samples.")
    return np.concatenate(chunks).astype(np.int16)


FRAME_S = 0.01                # pocketsphinx's 10 ms frames
_ALIGNER = []                 # the aligning decoder, kept: loading the dictionary takes ~0.5 s


def _model(*parts):
    from pocketsphinx import get_model_path
    return os.path.join(get_model_path(), "en-us", *parts)


def _check_speech(pcm):
    if len(pcm) < MIN_AUDIO_S * RATE:
        raise NoSpeech(f"The audio lasts {1000 * len(pcm) / RATE:.0f} ms: too short to lip-sync "
                       f"(at least {1000 * MIN_AUDIO_S:.0f} ms).")
    if np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) < SILENCE_RMS:
        raise NoSpeech("The audio is silent: there is no speech to lip-sync.")


def noise_warning(pcm):
    """A warning when the recording sounds like noise rather than a voice: the median spectral
    flatness (geometric over arithmetic mean of the power spectrum) of its louder 25 ms frames
    is high, as for hiss or white noise, where speech and singing are tonal."""
    n, hop = int(0.025 * RATE), int(0.01 * RATE)
    frames = np.lib.stride_tricks.sliding_window_view(pcm.astype(np.float64), n)[::hop]
    rms = np.sqrt((frames ** 2).mean(1))
    loud = frames[rms >= max(SILENCE_RMS, np.median(rms))]
    if not len(loud):
        return []
    power = np.abs(np.fft.rfft(loud * np.hanning(n), axis=1)) ** 2 + 1e-10
    flatness = float(np.median(np.exp(np.log(power).mean(1)) / power.mean(1)))
    if flatness < NOISE_FLATNESS:
        return []
    return [f"The recording sounds like noise rather than a voice (spectral flatness {flatness:.2f}); "
            "the mouth will move with the noise."]


def _decode(dec, pcm):
    dec.start_utt()
    dec.process_raw(pcm.tobytes(), full_utt=True)
    dec.end_utt()


def phonemes(pcm):
    """[(ARPAbet phone, start s, end s)] recognised in 16 kHz mono int16 audio."""
    from pocketsphinx import Decoder
    _check_speech(pcm)
    dec = Decoder(hmm=_model("en-us"), allphone=_model("en-us-phone.lm.bin"),
                  lw=2.0, pip=0.3, beam=1e-200, pbeam=1e-20, logfn=os.devnull)
    _decode(dec, pcm)
    return [(s.word, s.start_frame * FRAME_S, (s.end_frame + 1) * FRAME_S) for s in dec.seg() or ()]


def transcript_words(text, dec):
    """The transcript's words in the dictionary's spelling, and those it does not know."""
    words = re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))
    words = [w.strip("'") for w in words if w.strip("'")]
    known = [w for w in words if dec.lookup_word(w)]
    return known, [w for w in words if not dec.lookup_word(w)]


def aligned_phonemes(pcm, text):
    """Phones of ``text`` force-aligned to the speech: [(phone, start s, end s)] like
    ``phonemes``, and warnings (words left out, or a failed alignment that fell back to
    recognition)."""
    from pocketsphinx import Decoder
    _check_speech(pcm)
    if not _ALIGNER:
        _ALIGNER.append(Decoder(hmm=_model("en-us"), dict=_model("cmudict-en-us.dict"), logfn=os.devnull))
    dec = _ALIGNER[0]
    known, unknown = transcript_words(text, dec)
    if not known:
        raise BadTranscript("The transcript has no English word Likeness can pronounce"
                            + (f" (unknown: {' '.join(unknown[:8])})." if unknown else "."))
    warnings = []
    if unknown:
        warnings.append(f"Words not in the pronunciation dictionary were left out: {' '.join(unknown[:8])}"
                        + (" ..." if len(unknown) > 8 else ""))
    try:
        dec.set_align_text(" ".join(known))
        _decode(dec, pcm)
        dec.set_alignment()
        _decode(dec, pcm)
        phones = [(p.name, p.start * FRAME_S, (p.start + p.duration) * FRAME_S)
                  for p in dec.get_alignment().phones()]
    except RuntimeError:
        phones = []
    if not phones:
        warnings.append("The transcript could not be aligned with the speech (does it match the "
                        "recording?); the phones were recognised without it.")
        phones = phonemes(pcm)
    return phones, warnings


def weights_per_frame(phones, duration_s, fps, names):
    """(frames, len(names)) ARKit weights at ``fps`` for the phone segments."""
    n = int(np.ceil(duration_s * fps)) + 1
    times = np.arange(n) / fps + LEAD_S
    out = np.zeros((n, len(names)))
    index = {name: i for i, name in enumerate(names)}
    for phone, start, end in phones:
        weights = VISEMES.get(phone.rstrip("012"), {})
        active = (times >= start) & (times < end)
        for name, value in weights.items():
            if name in index:
                out[active, index[name]] = value
    return np.clip(voice.smooth(out, SMOOTH_S * fps), 0.0, 1.0)


def is_english(language):
    return (language or "en").lower().replace("_", "-").split("-")[0] in ("en", "eng")


CLOSING_KEYS = ("mouthPressLeft", "mouthPressRight", "mouthClose", "mouthRollLower")


def blend(phone_weights, acoustic, sounding, names):
    """English: the phones' opening shapes, held open only while the voice sounds (their
    closing shapes as they are: a P, B or M is silent or a murmur); where the phones say
    silence but the voice sounds, or the sound opens the jaw further, the sound's."""
    gate = np.where(np.isin(names, CLOSING_KEYS), 1.0, sounding[:, None])
    out = phone_weights * gate
    silent = phone_weights.max(1) < 0.05
    out[silent] = np.maximum(out[silent], acoustic[silent])
    if "jawOpen" in names:
        jaw = names.index("jawOpen")
        out[:, jaw] = np.maximum(out[:, jaw], acoustic[:, jaw])
    return out


def lipsync(path, fps, names, transcript=None, seed=0, expressiveness=0.5, emotion="calm", language="en"):
    """Per-frame ARKit weights (frames, len(names)) for the speech or song in ``path``, the
    phones, warnings and the head's and eyes' rotations ({bone: (frames, 3, 3)}, see
    core.voice_motion). ``language`` is an ISO code: English ("en", "en-US", ...) blends the
    recognised (or, with ``transcript``, aligned) phones with the sound; any other language
    uses the sound alone, ignores a transcript (English only) with a warning, and returns
    "SPEECH"/"SIL" spans as its phones. A sung take without a transcript uses the sound alone
    in English too (the recogniser hears garbage in song; the formants give the sung vowels).
    The voice_motion.FACE_KEYS among ``names`` get the brows, blinks and ``emotion`` of a
    speaker as expressive as ``expressiveness`` (0: the lips alone, the head still), seeded; above 0
    a sung take lifts browInnerUp with its pitch too (the larger of the two)."""
    pcm = load_audio(path)
    _check_speech(pcm)
    warnings = noise_warning(pcm)
    duration = len(pcm) / RATE
    count = int(np.ceil(duration * fps)) + 1
    sound = voice.analyse(pcm)
    cues = voice_mouth.cues(sound)
    acoustic = voice_mouth.weights_per_frame(sound, fps, names, count, cues)
    sung = voice_mouth.is_sung(sound, cues.notes)
    text = (transcript or "").strip()
    if is_english(language) and (text or not sung):
        phones, told = aligned_phonemes(pcm, text) if text else (phonemes(pcm), [])
        warnings += told
        weights = blend(weights_per_frame(phones, duration, fps, names), acoustic,
                        voice_mouth.sounding(sound, fps, count, cues), names)
    else:
        if text and not is_english(language):
            warnings.append(f"The transcript was ignored: transcripts are English only, and the language is {language}.")
        phones, weights = voice_mouth.segments(cues), acoustic
    moving = voice_motion.motion(sound, duration, fps, phones, seed, expressiveness, emotion)
    for name, curve in moving.face.items():
        if name in names:
            k = names.index(name)
            weights[:, k] = np.clip(weights[:, k] + curve[:len(weights)], 0.0, 1.0)
    if "browInnerUp" in names and sung and expressiveness > 0:
        k = names.index("browInnerUp")
        weights[:, k] = np.maximum(weights[:, k], voice_mouth.brows(sound, fps, count))
    return weights, phones, warnings, moving.bones
