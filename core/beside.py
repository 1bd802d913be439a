"""Work run beside the worker's main thread. numpy, OpenCV and zlib leave Python's lock while
they compute, so one avatar's independent stages (the hair's segmentation and the fit, the
texture and the hair strands, the result's PNGs) use a second core at once."""
from concurrent.futures import ThreadPoolExecutor

_POOL = ThreadPoolExecutor(2, thread_name_prefix="likeness-beside")


def start(func, *args, **kwargs):
    """``func(*args, **kwargs)`` under way in another thread: a Future (``.result()`` waits for
    it and raises what it raised). A function started here never waits on another one started
    here (two threads: it could wait forever)."""
    return _POOL.submit(func, *args, **kwargs)
