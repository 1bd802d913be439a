"""The worker protocol: one JSON object per line.

Blender -> worker (stdin):  {"type": "job", "id", "kind", "args"}, {"type": "cancel", "id"},
                            {"type": "shutdown"}
worker -> Blender (stdout): {"type": "ready", "pid"}, {"type": "progress", "id", "fraction",
                            "stage", "message"}, {"type": "log", "id", "level", "message"},
                            {"type": "error", "id", "kind", "message"}, {"type": "result", "id", "data"}
Bulk data never goes through the pipes: jobs name files and folders.
"""
import json

INTERNAL_ERROR = "InternalError"     # an error's kind when the worker itself failed (a bug, not the input)


def encode(**msg):
    return (json.dumps(msg, separators=(",", ":")) + "\n").encode("utf-8")


def decode(line):
    msg = json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
    if not isinstance(msg, dict) or "type" not in msg:
        raise ValueError(f"not a protocol message: {line!r}")
    return msg
