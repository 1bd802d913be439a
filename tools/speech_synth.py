"""Test speech and song with known timing, made here rather than recorded.

Speech comes from espeak-ng (the Debian package: ``libespeak-ng.so.1``), driven through its C
API so that its phoneme events give each phone's sample position and IPA name: phrases are
synthesised one by one and joined with silences of chosen length, so the pause frames and the
vowel spans of the result are known exactly.

Song is synthesised in numpy: Rosenberg glottal pulses at a pitch contour (notes with
vibrato) through the formant resonators of a vowel, each note a "la"-like syllable (a short
/l/ then the vowel), phrases separated by silences.
"""
import ctypes
import threading
import unicodedata
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import lfilter, resample_poly

RATE = 16000
_PHONEME_EVENTS, _IPA = 0x0001, 0x0002        # espeakINITIALIZE_PHONEME_EVENTS, _PHONEME_IPA
_SYNCHRONOUS = 2                               # AUDIO_OUTPUT_SYNCHRONOUS
_EVENT_PHONEME, _EVENT_LIST_TERMINATED = 7, 0
IPA_VOWELS = set("aeiouyɑɐɒæɛɜɞəɘɵɨʉɯɤøœɶɔʊʏɪʌɚɝ")

# Three short phrases a language, in its own script (Japanese in kana: this espeak-ng reads
# kanji as English), keyed by ISO code.
# espeak-ng's voice of a code where the plain one falls short: its "cmn" reads the pinyin of
# characters with English letter sounds.
VOICES = {"cmn": "cmn-latn-pinyin"}
PHRASES = {
    "vi": ["Xin chào các bạn", "Hôm nay trời đẹp lắm", "Tôi muốn đi chơi"],
    "cmn": ["你好朋友", "今天天气很好", "我们一起去吃饭吧"],
    "es": ["Buenos días a todos", "Hoy hace muy buen tiempo", "Vamos a la playa"],
    "hi": ["नमस्ते दोस्तों", "आज मौसम बहुत अच्छा है", "चलो बाहर घूमने चलें"],
    "ar": ["مرحبا يا أصدقائي", "الجو جميل اليوم", "هيا نذهب إلى البحر"],
    "ja": ["こんにちは みなさん", "きょうは とても いい てんきです", "いっしょに うみへ いきましょう"],
    "en-us": ["Good morning everyone", "The weather is lovely today", "Let us go to the sea"],
}


class _Event(ctypes.Structure):
    class _Id(ctypes.Union):
        _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _Id)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_ENGINE = {}
_LOCK = threading.Lock()


def _engine():
    """The library, its output rate and the buffers its callback fills (one engine a process)."""
    if not _ENGINE:
        try:
            lib = ctypes.CDLL("libespeak-ng.so.1")
        except OSError:
            raise RuntimeError("espeak-ng is not installed (make setup installs it: apt-get install espeak-ng)") from None
        rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, None, _PHONEME_EVENTS | _IPA)
        if rate <= 0:
            raise RuntimeError("espeak-ng could not start (is its data installed?)")
        samples, events = [], []

        def callback(wav, count, event):
            if count > 0:
                samples.append(np.ctypeslib.as_array(wav, (count,)).copy())
            k = 0
            while event[k].type != _EVENT_LIST_TERMINATED:
                if event[k].type == _EVENT_PHONEME:
                    events.append((event[k].sample, event[k].id.string.decode("utf-8", "replace")))
                k += 1
            return 0

        _ENGINE.update(lib=lib, rate=rate, samples=samples, events=events, callback=_CALLBACK(callback))
        lib.espeak_SetSynthCallback(_ENGINE["callback"])
    return _ENGINE


def speak(text, voice):
    """One phrase: 16 kHz int16 samples and its phones [(IPA name, start s, end s)]."""
    with _LOCK:
        eng = _engine()
        lib = eng["lib"]
        if lib.espeak_SetVoiceByName(VOICES.get(voice, voice).encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        eng["samples"].clear()
        eng["events"].clear()
        data = text.encode("utf-8")
        lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 1, None, None)   # POS_CHARACTER, espeakCHARS_UTF8
        lib.espeak_Synchronize()
        wav = np.concatenate(eng["samples"]) if eng["samples"] else np.zeros(0, np.int16)
        events = list(eng["events"])
    pcm = np.clip(resample_poly(wav.astype(np.float64), RATE, eng["rate"]), -32768, 32767).astype(np.int16)
    starts = [s / eng["rate"] for s, _ in events] + [len(wav) / eng["rate"]]
    phones = [(name, starts[k], starts[k + 1]) for k, (_, name) in enumerate(events) if starts[k + 1] > starts[k]]
    return pcm, phones


def is_vowel(ipa):
    name = unicodedata.normalize("NFD", ipa.lstrip("ˈˌ'"))
    return bool(name) and name[0] in IPA_VOWELS


@dataclass
class Take:
    """Audio with the spans (start s, end s) of its pauses and vowels (or sung notes)."""
    pcm: np.ndarray
    pauses: list = field(default_factory=list)
    vowels: list = field(default_factory=list)
    phones: list = field(default_factory=list)

    @property
    def duration(self):
        return len(self.pcm) / RATE


def _trim(pcm, phones, level=64):
    """The phrase without espeak-ng's own leading and trailing quiet (so a pause is only ours)."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > level)
    if not len(loud):
        return pcm, phones
    a, b = loud[0], loud[-1] + 1
    shift = a / RATE
    return pcm[a:b], [(p, s - shift, e - shift) for p, s, e in phones if e - shift > 0 and s - shift < (b - a) / RATE]


def speech(voice, pauses_s=(0.6, 0.9), lead_s=0.5, phrases=None):
    """The language's phrases joined by silences of ``pauses_s`` (cycled), with ``lead_s`` of
    silence before the first and after the last."""
    phrases = phrases or PHRASES[voice]
    parts, take, t = [np.zeros(int(lead_s * RATE), np.int16)], Take(np.zeros(0, np.int16)), lead_s
    take.pauses.append((0.0, lead_s))
    for k, text in enumerate(phrases):
        pcm, phones = _trim(*speak(text, voice))
        take.phones += [(p, s + t, e + t) for p, s, e in phones]
        take.vowels += [(s + t, e + t) for p, s, e in phones if is_vowel(p)]
        parts.append(pcm)
        t += len(pcm) / RATE
        gap = lead_s if k == len(phrases) - 1 else pauses_s[k % len(pauses_s)]
        parts.append(np.zeros(int(round(gap * RATE)), np.int16))
        take.pauses.append((t, t + gap))
        t += gap
    take.pcm = np.concatenate(parts)
    return take


# Formant frequencies and bandwidths (Hz) of sung vowels (Peterson and Barney's averages).
VOWEL_FORMANTS = {
    "a": ((730, 1090, 2440), (90, 110, 160)),
    "i": ((270, 2290, 3010), (60, 90, 150)),
    "u": ((300, 870, 2240), (60, 90, 150)),
    "e": ((530, 1840, 2480), (70, 100, 150)),
    "o": ((570, 840, 2410), (70, 100, 150)),
}


def _glottal(f0, rate=RATE, open_q=0.6, close_q=0.15):
    """Rosenberg glottal flow pulses following the per-sample pitch ``f0`` (Hz), differentiated
    (lip radiation)."""
    phase = np.cumsum(f0 / rate) % 1.0
    rise = np.where(phase < open_q, 0.5 * (1 - np.cos(np.pi * phase / open_q)), 0.0)
    fall_phase = (phase - open_q) / close_q
    fall = np.where((phase >= open_q) & (fall_phase < 1), np.cos(0.5 * np.pi * fall_phase), 0.0)
    return np.diff(rise + fall, prepend=0.0)


def _resonate(x, freqs, bws, rate=RATE):
    for f, bw in zip(freqs, bws):
        r = np.exp(-np.pi * bw / rate)
        a = [1.0, -2 * r * np.cos(2 * np.pi * f / rate), r * r]
        x = lfilter([sum(a)], a, x)
    return x


def _note(midi, dur_s, vowel, rng, vibrato_st=0.5, vibrato_hz=5.5, tremolo=0.1, consonant_s=0.07, level=6000.0):
    """One sung syllable: a brief /l/ (low, closed formants at a lower level) gliding into the
    vowel, then the vowel held at the note's pitch with vibrato: ±``vibrato_st`` semitones of
    pitch and ±``tremolo`` of amplitude at ``vibrato_hz``."""
    n = int(dur_s * RATE)
    t = np.arange(n) / RATE
    depth = np.clip(t / 0.3, 0, 1) * vibrato_st           # vibrato grows after the onset, as sung
    wobble = np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 2 * np.pi))
    f0 = 440.0 * 2 ** ((midi - 69 + depth * wobble) / 12)
    source = _glottal(f0) + rng.normal(0, 0.002, n)
    c = int(consonant_s * RATE)
    vowel_part = _resonate(source, *VOWEL_FORMANTS[vowel])
    l_part = _resonate(source, (360, 1300, 2700), (80, 150, 200))
    mix = np.clip((np.arange(n) - c) / (0.03 * RATE), 0, 1)
    voice = (1 - mix) * 0.3 * l_part + mix * vowel_part
    envelope = np.minimum(np.clip(t / 0.02, 0, 1), np.clip((dur_s - t) / 0.06, 0, 1))
    envelope *= 1 + tremolo * np.clip(t / 0.3, 0, 1) * wobble
    voice *= envelope
    return voice / (np.abs(vowel_part).max() + 1e-9) * level, c / RATE


def song(phrases=None, gap_s=0.8, lead_s=0.5, seed=0, **vibrato):
    """Sung phrases [[(midi note, seconds, vowel), ...], ...] (a default tune of 0.5-2 s notes)
    with ``gap_s`` of silence between phrases; ``vibrato`` as ``_note`` takes it. ``Take.vowels`` holds each note's vowel span
    (after its consonant), ``Take.pauses`` the silences."""
    phrases = phrases or [[(60, 0.6, "a"), (62, 0.6, "a"), (64, 1.2, "o"), (67, 2.0, "a")],
                          [(69, 0.8, "e"), (67, 0.5, "i"), (65, 1.5, "u"), (64, 1.0, "a")],
                          [(57, 1.0, "o"), (60, 0.7, "a"), (72, 1.8, "a")]]
    rng = np.random.default_rng(seed)
    parts, take, t = [np.zeros(int(lead_s * RATE))], Take(np.zeros(0, np.int16)), lead_s
    take.pauses.append((0.0, lead_s))
    for k, notes in enumerate(phrases):
        for midi, dur, vowel in notes:
            audio, consonant = _note(midi, dur, vowel, rng, **vibrato)
            take.vowels.append((t + consonant, t + dur))
            take.phones.append((vowel, t + consonant, t + dur))
            parts.append(audio)
            t += dur
        gap = lead_s if k == len(phrases) - 1 else gap_s
        parts.append(np.zeros(int(round(gap * RATE))))
        take.pauses.append((t, t + gap))
        t += gap
    take.pcm = np.clip(np.concatenate(parts), -32768, 32767).astype(np.int16)
    return take


def write_wav(path, pcm, rate=RATE):
    import wave
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, np.int16).tobytes())
    return str(path)
