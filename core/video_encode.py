"""A talking video's file: rendered PNG frames and the speech, encoded as H.264 and AAC in an mp4.

Blender renders the frames (the same way in every supported version, and in the bpy 4.2
module, which has no audio); PyAV, one of the runtime's packages, encodes them with the sound.
It runs on the runtime's Python as a script of its own (Blender's Python has no PyAV), printing
one JSON line per frame encoded: ``{"done": k, "total": n}``.

    python video_encode.py FRAMES_DIR FPS AUDIO OUT.mp4      (FPS as "24" or "30000/1001")
"""
import fractions
import glob
import json
import os
import subprocess
import sys
import tempfile

AUDIO_RATE = 48000
CRF = "20"              # x264's quality: visually clean at a portrait's few colours, small files


def frame_paths(folder):
    """The folder's PNG frames in order (their names are zero-padded frame numbers)."""
    return sorted(glob.glob(os.path.join(folder, "*.png")))


def encode(frames, fps, audio, out_path, on_frame=None):
    """Encode the PNG ``frames`` at ``fps`` (a Fraction) and the sound of ``audio`` (any file
    PyAV reads; cut at the video's end) into ``out_path``; ``on_frame(k, n)`` after each frame."""
    import av
    duration = len(frames) / fps
    with av.open(out_path, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps, options={"crf": CRF, "preset": "medium"})
        video.pix_fmt = "yuv420p"
        sound = out.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        for k, path in enumerate(frames):
            with av.open(path) as png:
                image = next(png.decode(video=0))
            if k == 0:
                video.width, video.height = image.width - image.width % 2, image.height - image.height % 2
            frame = image.reformat(width=video.width, height=video.height, format="yuv420p")
            frame.pts, frame.time_base = k, 1 / fps
            out.mux(video.encode(frame))
            if on_frame:
                on_frame(k + 1, len(frames))
        out.mux(video.encode(None))
        _encode_sound(audio, sound, duration, out)


def _encode_sound(audio, stream, duration, out):
    """The first audio stream of ``audio``, resampled to the AAC stream's rate and layout and cut
    at ``duration`` seconds."""
    import av
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
    fifo = av.AudioFifo()
    limit = int(round(duration * AUDIO_RATE))
    taken = 0
    with av.open(audio) as src:
        for frame in src.decode(audio=0):
            frame.pts = None
            for converted in resampler.resample(frame):
                fifo.write(converted)
        for converted in resampler.resample(None):
            fifo.write(converted)
    size = stream.codec_context.frame_size or 1024
    while taken < limit:
        chunk = fifo.read(min(size, limit - taken), partial=True)
        if chunk is None:
            break
        chunk.pts = taken
        taken += chunk.samples
        out.mux(stream.encode(chunk))
    out.mux(stream.encode(None))


def run(python, frames_dir, fps, audio, out_path, env=None, on_frame=None, should_stop=lambda: False):
    """This script on the runtime's ``python`` (with the worker's clean ``env``); ``on_frame(k, n)``
    as frames are encoded. Raises RuntimeError with the script's last lines when it fails, and
    stops it (no file left) when ``should_stop()`` turns true."""
    errors = tempfile.TemporaryFile("w+")          # (a pipe could fill up and stall the script)
    proc = subprocess.Popen([python, os.path.abspath(__file__), frames_dir, f"{fps.numerator}/{fps.denominator}",
                             audio, out_path], stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    try:
        for line in proc.stdout:
            if should_stop():
                proc.kill()
                break
            if on_frame and line.startswith("{"):
                msg = json.loads(line)
                on_frame(msg["done"], msg["total"])
        if proc.wait() != 0 and not should_stop():
            errors.seek(0)
            raise RuntimeError(f"encoding the video failed: {errors.read().strip()[-600:]}")
    finally:
        errors.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.returncode != 0 and os.path.exists(out_path):
            os.remove(out_path)


def main(argv):
    frames_dir, fps, audio, out_path = argv
    frames = frame_paths(frames_dir)
    encode(frames, fractions.Fraction(fps), audio, out_path,
           on_frame=lambda k, n: print(json.dumps({"done": k, "total": n}), flush=True))


if __name__ == "__main__":
    main(sys.argv[1:])
