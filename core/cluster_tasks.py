"""What a crowd sends to a Dask cluster: small stand-ins for ``cluster_crowd``'s task functions
and its worker plugin, sent by value (cloudpickle), so the scheduler, which unpickles every
task, needs Dask only, not Likeness. On a worker they import ``core`` when they run (the worker
has Likeness on its path: core/cluster_preload.py)."""
from distributed import WorkerPlugin


def _local(func):
    """``func`` as a function made inside another: Dask pickles a task graph with the standard
    pickle first, which names a module's function by reference (the scheduler would have to
    import core); a nested function is pickled by value (cloudpickle)."""
    def task(*args):
        return func(*args)
    task.__name__ = task.__qualname__ = func.__name__
    return task


def _make_character(spec, photo_bytes=None, base=None):
    from core import cluster_crowd
    return cluster_crowd.make_character(spec, photo_bytes, base)


def _make_base(photo_name, photo_bytes, photo, texture_size):
    from core import cluster_crowd
    return cluster_crowd.make_base(photo_name, photo_bytes, photo, texture_size)


def warm_up():
    from core import cluster_crowd
    cluster_crowd.ensure_warm()


make_character, make_base = _local(_make_character), _local(_make_base)


class WarmUp(WorkerPlugin):
    """Loads the Likeness models once per Dask worker process, in the background as it joins
    (the first task waits for it), so a worker that replaces a dead one is warm too."""
    name = "likeness-warm-up"

    def setup(self, worker):
        import threading
        threading.Thread(target=warm_up, name="likeness-warm-up", daemon=True).start()
