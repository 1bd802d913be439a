"""Domain errors: each carries a message written for the person using the tool.

``kind`` travels through the worker protocol so Blender can re-raise the same
class on its side (see ``from_kind``).
"""


class LikenessError(Exception):
    kind = "LikenessError"


class BadImage(LikenessError):
    """The file is missing, unreadable, not an image, or too large to decode."""
    kind = "BadImage"


class NoFaceFound(LikenessError):
    kind = "NoFaceFound"


class FaceTooSmall(LikenessError):
    kind = "FaceTooSmall"


class FitFailed(LikenessError):
    kind = "FitFailed"


class BadAudio(LikenessError):
    """The audio file is missing, unreadable or has no sound track."""
    kind = "BadAudio"


class NoSpeech(LikenessError):
    kind = "NoSpeech"


class BadTranscript(LikenessError):
    """A lip-sync transcript Likeness cannot use (no known word)."""
    kind = "BadTranscript"


class BadRecording(LikenessError):
    """A motion-capture file (a Live Link Face CSV take) that cannot be read as one."""
    kind = "BadRecording"


class InvalidResult(LikenessError):
    """An AvatarResult on disk does not match the schema (shapes, dtypes, NaNs)."""
    kind = "InvalidResult"


class RuntimeMissing(LikenessError):
    kind = "RuntimeMissing"


class WorkerDied(LikenessError):
    kind = "WorkerDied"


class Cancelled(LikenessError):
    kind = "Cancelled"


class BlenderIncompatible(LikenessError):
    """This Blender lacks something Likeness needs (an asset, a node input, an API)."""
    kind = "BlenderIncompatible"


_BY_KIND = {cls.kind: cls for cls in (
    LikenessError, BadImage, NoFaceFound, FaceTooSmall, FitFailed, BadAudio, NoSpeech, BadTranscript,
    BadRecording, InvalidResult, RuntimeMissing, WorkerDied, Cancelled, BlenderIncompatible)}


def from_kind(kind, message):
    """Rebuild a domain error from its protocol ``kind``; unknown kinds become LikenessError."""
    return _BY_KIND.get(kind, LikenessError)(message)
