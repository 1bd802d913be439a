"""Dask worker preload: makes this Likeness checkout importable in a Dask worker process, so
the crowd's tasks (``core.cluster_crowd``) run there:

    dask worker tcp://SCHEDULER:8786 --nthreads 1 --preload /path/to/likeness/core/cluster_preload.py

The models are loaded by the client's worker plugin (``cluster_crowd.WarmUp``)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def dask_setup(worker):
    """Called by Dask with the worker; the path is set when the file loads."""
