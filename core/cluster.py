"""Where a crowd runs when it runs on a cluster: the address a person gives (``local:N`` or
``tcp://HOST:PORT``), checked before any work. Standard library only, so Blender's side and the
command line's argument checks can use it; the Dask side is ``cluster_crowd``."""
import socket
import urllib.parse

from .errors import BadArguments, ClusterUnreachable

MAX_LOCAL_WORKERS = 64
DEFAULT_PORT = 8786            # Dask's scheduler port
CONNECT_TIMEOUT_S = 5.0


def parse(text):
    """``"local:N"`` -> ("local", N); ``"tcp://HOST:PORT"`` -> ("tcp", "tcp://HOST:PORT")."""
    text = (text or "").strip()
    if text.startswith("local:"):
        n = text[len("local:"):]
        if not n.isdigit() or not 1 <= int(n) <= MAX_LOCAL_WORKERS:
            raise BadArguments(f"A local cluster is written local:N with N from 1 to {MAX_LOCAL_WORKERS}, "
                               f"not {text!r}.")
        return "local", int(n)
    url = urllib.parse.urlsplit(text)
    try:
        port = url.port
    except ValueError:
        port = None
    if url.scheme != "tcp" or not url.hostname or port is None or url.path not in ("", "/"):
        raise BadArguments(f"A cluster is a Dask scheduler's address, tcp://HOST:PORT (such as "
                           f"tcp://10.0.0.5:{DEFAULT_PORT}), or local:N for N local workers; not {text!r}.")
    return "tcp", f"tcp://{url.hostname}:{port}"


def check_reachable(address, timeout=CONNECT_TIMEOUT_S):
    """Raise ClusterUnreachable unless something accepts connections at the scheduler's address
    (a quick socket check, so a wrong address fails in seconds, not at Dask's own timeout)."""
    kind, value = parse(address)
    if kind == "local":
        return
    url = urllib.parse.urlsplit(value)
    try:
        socket.create_connection((url.hostname, url.port), timeout=timeout).close()
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise ClusterUnreachable(f"No Dask scheduler answers at {value} ({why}). Start one with "
                                 f"`dask scheduler` and its workers with `dask worker {value}`, "
                                 f"or check the address.") from None
