"""`likeness talk --video` on the bundled sample photo and a speech clip: seconds of render per
second of video at the chosen size (512 px by default), and the avatar's build and lip-sync times.

    .venv/bin/python bench/talk_video.py [--clip WAV|MPG] [--seconds S] [--size PX] [--hair curves|none]

The clip defaults to ../shared/data/speech/praatio/bobby.wav; --seconds cuts it shorter. It runs
this checkout's command in its own process and reads the timings from its report.json.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import av
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import DATA  # noqa: E402
from core.image_io import write_png  # noqa: E402

RATE = 16000


def sample_photo(folder):
    """The sample photo the command's ``--sample`` uses (scikit-image's astronaut)."""
    from skimage import data
    path = os.path.join(folder, "astronaut.png")
    write_png(path, np.asarray(data.astronaut()))
    return path


def cut_clip(src, seconds, path):
    """The first ``seconds`` of ``src``'s sound as a mono 16 kHz wav (all of it with None)."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    with av.open(src) as clip:
        pcm = np.concatenate([f.to_ndarray().ravel() for frame in clip.decode(audio=0)
                              for f in resampler.resample(frame)])
    if seconds:
        pcm = pcm[:int(seconds * RATE)]
    with av.open(path, "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = RATE
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default=os.path.join(DATA, "speech", "praatio", "bobby.wav"))
    parser.add_argument("--seconds", type=float, help="cut the clip to its first S seconds")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--hair", default="curves", choices=("curves", "cards", "none"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="likeness-bench-talk-") as tmp:
        photo = sample_photo(tmp)
        audio = cut_clip(args.clip, args.seconds, os.path.join(tmp, "speech.wav"))
        out = os.path.join(tmp, "out")
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "talk", photo, audio, "--out", out,
                               "--video", "--size", str(args.size), "--hair", args.hair],
                              capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            sys.exit(f"likeness talk failed ({proc.returncode}): {proc.stderr[-2000:]}")
        with open(os.path.join(out, "report.json"), encoding="utf-8") as fh:
            report = json.load(fh)
    ms, video = report["timings_ms"], report["talk"]["video"]
    build_s = (ms["total"] - ms["lipsync"] - ms["video"]) / 1000
    print(f"clip {os.path.basename(args.clip)}: {video['seconds']:.2f} s of video, {video['frames']} frames at "
          f"{video['fps']:g} fps, {video['size']} px, hair {args.hair}, {video['engine']} at {video['samples']} samples")
    print(f"avatar build (incl. Blender start-up) {build_s:.1f} s, lip sync {ms['lipsync'] / 1000:.1f} s")
    print(f"render {video['render_s']:.1f} s = {video['render_s'] / video['frames']:.2f} s a frame = "
          f"{video['render_s'] / video['seconds']:.1f} s of render per second of video; "
          f"encoding {video['encode_s']:.1f} s")
    print(f"whole command {wall:.1f} s; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
