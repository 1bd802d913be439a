"""Work run beside the worker's main thread, and how many threads the worker's work uses.

numpy, OpenCV and zlib leave Python's lock while they compute, so one avatar's independent
stages (the hair's segmentation and the fit, the texture and the hair strands, the result's
PNGs) use a second core at once. A crowd's workers, one per core, each keep to one thread:
threads waiting for the same cores only cost (bench/crowd_throughput.py, two workers on two
cores: Helen photos about 50 -> 65 characters per minute)."""
from concurrent.futures import Future, ThreadPoolExecutor

_POOL = ThreadPoolExecutor(2, thread_name_prefix="likeness-beside")
_one_thread = False


def start(func, *args, **kwargs):
    """``func(*args, **kwargs)`` under way in another thread (in this one when the worker keeps
    to one thread): a Future (``.result()`` waits for it and raises what it raised). A function
    started here never waits on another one started here (two threads: it could wait forever)."""
    if not _one_thread:
        return _POOL.submit(func, *args, **kwargs)
    done = Future()
    try:
        done.set_result(func(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - raised again by .result(), as from a thread
        done.set_exception(exc)
    return done


def use_threads(one):
    """One thread for everything (``one``: OpenCV's pool too), or as many as the machine has.
    (BLAS and torch keep to one thread in every worker: core.worker_client.clean_environment.)"""
    global _one_thread
    import cv2                                    # (the worker's side only)
    _one_thread = bool(one)
    cv2.setNumThreads(1 if one else -1)           # (-1: OpenCV's default)
