"""The head, brows, lids and eyes that move with the voice (core.voice_motion), on the praatio
recordings and GRID clips in ../shared/data, a minute of GRID speech end to end, and a
minute of espeak-ng speech when espeak-ng is installed.

Prints:
* how the nods follow the pitch accents: the Pearson correlation, per frame, of the head's
  nod speed (|d nod / dt|, degrees a second) with the accent strength (each accent found in
  the voice a Gaussian of 50 ms std, its height its strength 0..1), pooled over the clips;
  and the same against the accent signal moved 1 s later, as a chance level;
* the head's motion range (the largest of its nod, tilt and turn max - min, degrees; mean
  over the clips) per expressiveness (0, 0.5, 1) and emotion;
* blinks, saccades and brow lifts a minute on the minute of speech;
* the time of the whole lip sync (phones, voice, motion) for that minute, of the voice
  analysis and of the motion alone, wall and CPU (the machine may be shared).

    .venv/bin/python bench/lipsync_alive.py
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import DATA, grid_clips  # noqa: E402
from core import lipsync, voice, voice_motion  # noqa: E402

FPS = 25.0
SEED = 3
ESPEAK_TEXT = ("The old lighthouse keeper climbed the stairs every evening. He lit the lamp, wound the clock, "
               "and looked out over the grey water. Some nights the fog came in so thick that he could not see "
               "the rocks below. On those nights he rang the bell, again and again, until his arms were tired. "
               "Ships passed, and he never knew their names. But in the morning, when the sun came up, he "
               "would write in his book: another night, and nobody lost. Years went by like that. The town "
               "grew, the harbour filled with boats, and one day a letter came. They were building a new "
               "light, electric, that would run itself. Did he want to stay on anyway? He thought about it "
               "for a long time. Then he said yes, of course, because who else would listen to the sea?")


def write_wav(path, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(lipsync.RATE)
        w.writeframes(pcm.astype(np.int16).tobytes())
    return path


def takes(folder):
    """[(name, wav path)]: the praatio recordings, the GRID clips, a minute of GRID clips end
    to end, and a minute of espeak-ng speech."""
    out = [(n, os.path.join(DATA, "speech", "praatio", f"{n}.wav")) for n in ("bobby", "mary")]
    out += [(os.path.basename(c)[:-4], c) for c in grid_clips()]
    minute = np.concatenate([lipsync.load_audio(c) for c in grid_clips()])[:60 * lipsync.RATE]
    out.append(("grid_minute", write_wav(os.path.join(folder, "grid_minute.wav"), minute)))
    if shutil.which("espeak-ng"):
        path = os.path.join(folder, "espeak.wav")
        subprocess.run(["espeak-ng", "-s", "150", "-w", path, ESPEAK_TEXT], check=True)
        out.append(("espeak_minute", path))
    return out


def counts_per_minute(moving, fps):
    """Blinks (lids past half closed), saccades (eye turns of 0.3 degree or more from one frame
    to the next) and brow lifts (browInnerUp 0.05 above its least) a minute."""
    minutes = len(moving.face["eyeBlinkLeft"]) / fps / 60.0
    rising = lambda x, level: int(np.sum((x[1:] > level) & (x[:-1] <= level)))
    eye = moving.bones["eye.L"]
    step = np.degrees(np.arccos(np.clip((np.einsum("nij,nij->n", eye[1:], eye[:-1]) - 1) / 2, -1, 1)))
    saccades = int(np.sum((step >= 0.3) & ~np.r_[False, step[:-1] >= 0.3]))
    brow = moving.face["browInnerUp"]
    return (rising(moving.face["eyeBlinkLeft"], 0.5) / minutes, saccades / minutes,
            rising(brow - brow.min(), 0.05) / minutes)


def main():
    folder = tempfile.mkdtemp(prefix="likeness-alive-")
    try:
        run(takes(folder))
    finally:
        shutil.rmtree(folder)


def run(all_takes):
    analysed = []
    for name, path in all_takes:
        pcm = lipsync.load_audio(path)
        analysed.append((name, path, voice.analyse(pcm), lipsync.phonemes(pcm), len(pcm) / lipsync.RATE))

    speeds, signals, late = [], [], []
    for name, _, v, phones, duration in analysed:
        moving = voice_motion.motion(v, duration, FPS, phones, SEED, 0.5, "calm")
        speed = np.abs(np.gradient(moving.head_degrees[:, 0])) * FPS
        n = len(speed)
        speeds.append(speed)
        signals.append(voice_motion.accent_signal(moving.accents, n, FPS))
        late.append(voice_motion.accent_signal([(t + 1.0, s) for t, s in moving.accents], n, FPS))
    speed = np.concatenate(speeds)
    r = np.corrcoef(speed, np.concatenate(signals))[0, 1]
    r_late = np.corrcoef(speed, np.concatenate(late))[0, 1]
    accents = sum(len(voice_motion.accents(v)) for _, _, v, _, _ in analysed)
    seconds = sum(d for *_, d in analysed)
    print(f"{len(analysed)} takes, {seconds:.0f} s of speech, {accents} accents ({accents / seconds * 60:.0f} a minute)")
    print(f"nod speed vs accent strength (expressiveness 0.5, calm): r = {r:.2f}; "
          f"against the accents moved 1 s later (chance): r = {r_late:.2f}")

    print("head motion range, degrees (the largest of nod, tilt, turn max - min; mean over takes / largest):")
    print("  emotion   " + "".join(f"  expr {e:<12}" for e in (0.0, 0.5, 1.0)))
    for emotion in voice_motion.EMOTIONS:
        cells = []
        for expressiveness in (0.0, 0.5, 1.0):
            ranges = [np.ptp(voice_motion.motion(v, d, FPS, ph, SEED, expressiveness, emotion).head_degrees, 0).max()
                      for _, _, v, ph, d in analysed]
            cells.append(f"  {np.mean(ranges):5.2f} / {np.max(ranges):5.2f}  ")
        print(f"  {emotion:<9}" + "".join(cells))

    for name, path, v, phones, duration in analysed:
        if not name.endswith("_minute"):
            continue
        print(f"{name} ({duration:.1f} s):")
        for emotion in voice_motion.EMOTIONS:
            moving = voice_motion.motion(v, duration, FPS, phones, SEED, 0.5, emotion)
            blinks, saccades, brows = counts_per_minute(moving, FPS)
            print(f"  {emotion:<8} blinks {blinks:4.1f}/min, saccades {saccades:4.1f}/min, brow lifts {brows:4.1f}/min")
        for expressiveness in (0.0, 0.5):
            t0, c0 = time.perf_counter(), time.process_time()
            lipsync.lipsync(path, FPS, lipsync.MOUTH_KEYS + voice_motion.FACE_KEYS, expressiveness=expressiveness)
            report(f"whole lip sync at expressiveness {expressiveness}", t0, c0, duration)
        pcm = lipsync.load_audio(path)
        t0, c0 = time.perf_counter(), time.process_time()
        v = voice.analyse(pcm)
        report("voice analysis", t0, c0, duration)
        t0, c0 = time.perf_counter(), time.process_time()
        voice_motion.motion(v, duration, FPS, phones, SEED, 0.5, "calm")
        report("motion", t0, c0, duration)


def report(what, wall_start, cpu_start, duration):
    """Wall and CPU seconds (CPU: what an idle machine's wall would be, these steps use one core)."""
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    print(f"  {what}: {wall:.2f} s wall, {cpu:.2f} s CPU ({cpu / duration * 60:.2f} s CPU per 60 s of audio)")


if __name__ == "__main__":
    main()
