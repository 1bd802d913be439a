"""Reading photos: every way a file can be wrong ends in a BadImage with a clear message."""
import os

import numpy as np

from .errors import BadImage

MAX_PIXELS = 120_000_000      # larger photos are refused rather than risk running out of memory
MIN_SIDE = 32
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")   # photo files in a folder


def images_in(folder):
    """The image files of ``folder`` by name (hidden files and other files left out)."""
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_SUFFIXES) and not n.startswith("."))
    return [os.path.join(folder, n) for n in names]


def read_photo(path):
    """The photo as an RGB uint8 array (H, W, 3), EXIF orientation applied."""
    import cv2
    from PIL import Image, UnidentifiedImageError

    path = os.fspath(path)
    name = os.path.basename(path)
    if os.path.isdir(path):
        raise BadImage(f"{path} is a folder, not a photo.")
    if os.path.exists(path) and not os.path.isfile(path):
        raise BadImage(f"{path} is not a regular file (a pipe or a device), not a photo.")
    if not os.path.isfile(path):
        raise BadImage(f"Photo not found: {path}")
    if os.path.getsize(path) == 0:
        raise BadImage(f"{name} is empty (0 bytes).")
    try:
        with Image.open(path) as im:          # reads the header only: cheap size check
            width, height = im.size
    except (UnidentifiedImageError, OSError):
        raise BadImage(f"{name} is not an image Likeness can read (use JPEG, PNG, TIFF or WebP).") from None
    except Image.DecompressionBombError:
        raise BadImage(f"{name} is too large to open safely.") from None
    if width * height > MAX_PIXELS:
        raise BadImage(f"{name} is {width}x{height} pixels ({width * height / 1e6:.0f} MP); "
                       f"the limit is {MAX_PIXELS // 1_000_000} MP. Scale it down and try again.")
    data = np.fromfile(path, dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise BadImage(f"{name} could not be decoded: the file is damaged or in an unsupported format.")
    if min(bgr.shape[:2]) < MIN_SIDE:
        raise BadImage(f"{name} is only {bgr.shape[1]}x{bgr.shape[0]} pixels: too small to hold a face.")
    return np.ascontiguousarray(bgr[:, :, ::-1])


PNG_LEVEL = 1      # zlib level 1 with run-length matches: a 2K texture in about 150 ms, not 220 at the
                   # default level 3, and 20 % smaller


def encode_png(rgb):
    """The PNG file's bytes of an (H, W[, 3]) uint8 image (RGB)."""
    import cv2
    rgb = np.asarray(rgb)
    if rgb.ndim == 3:
        rgb = rgb[:, :, ::-1]
    ok, buf = cv2.imencode(".png", rgb, [cv2.IMWRITE_PNG_COMPRESSION, PNG_LEVEL,
                                         cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE])
    if not ok:
        raise OSError("could not encode a PNG")
    return buf.tobytes()


def write_png(path, rgb):
    data = encode_png(rgb)
    with open(os.fspath(path), "wb") as fh:
        fh.write(data)


def focal_from_exif(path, image_size):
    """Focal length in pixels from the EXIF 35 mm-equivalent focal length, or None.

    The 35 mm equivalent refers to the 36 x 24 mm frame's diagonal (43.27 mm),
    so it scales with the photo's diagonal in pixels whatever the crop.
    """
    from PIL import Image
    try:
        with Image.open(os.fspath(path)) as im:
            exif = im.getexif().get_ifd(0x8769)
    except (OSError, ValueError, SyntaxError):
        return None
    f35 = exif.get(0xA405)           # FocalLengthIn35mmFilm
    if not f35:
        return None
    w, h = image_size
    return float(f35) / 43.27 * float(np.hypot(w, h))
