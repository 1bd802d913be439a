"""Domain errors: each carries a message written for the person using the tool, and the
command line's exit code for it.

``kind`` travels through the worker protocol so Blender can re-raise the same
class on its side (see ``from_kind``).
"""

EXIT_INPUT = 1          # the input cannot make the result (the message says why)
EXIT_ARGUMENTS = 2      # wrong arguments, found before any work
EXIT_LIKENESS = 3       # Likeness itself failed: set-up, a worker that died, an unexpected error


class LikenessError(Exception):
    kind = "LikenessError"
    exit_code = EXIT_INPUT


class BadImage(LikenessError):
    """The file is missing, unreadable, not an image, or too large to decode."""
    kind = "BadImage"


class NoFaceFound(LikenessError):
    kind = "NoFaceFound"


class FaceTooSmall(LikenessError):
    kind = "FaceTooSmall"


class FitFailed(LikenessError):
    kind = "FitFailed"


class DifferentPeople(LikenessError):
    """The photos given as one person look like two or more people."""
    kind = "DifferentPeople"


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


class BadArguments(LikenessError):
    kind = "BadArguments"
    exit_code = EXIT_ARGUMENTS


class ClusterUnreachable(BadArguments):
    """No Dask scheduler answers at the address given for a crowd on a cluster."""
    kind = "ClusterUnreachable"


class RuntimeMissing(LikenessError):
    kind = "RuntimeMissing"
    exit_code = EXIT_LIKENESS


class WorkerDied(LikenessError):
    kind = "WorkerDied"
    exit_code = EXIT_LIKENESS


class Unexpected(LikenessError):
    """A bug rather than the input: the message names the log that holds the traceback."""
    kind = "InternalError"       # protocol.INTERNAL_ERROR
    exit_code = EXIT_LIKENESS


class Cancelled(LikenessError):
    kind = "Cancelled"


class BlenderIncompatible(LikenessError):
    """This Blender lacks something Likeness needs (an asset, a node input, an API)."""
    kind = "BlenderIncompatible"
    exit_code = EXIT_LIKENESS


_BY_KIND = {cls.kind: cls for cls in (
    LikenessError, BadImage, NoFaceFound, FaceTooSmall, FitFailed, DifferentPeople, BadAudio, NoSpeech,
    BadTranscript, BadRecording, InvalidResult, BadArguments, ClusterUnreachable, RuntimeMissing, WorkerDied, Unexpected, Cancelled,
    BlenderIncompatible)}


def from_kind(kind, message):
    """Rebuild a domain error from its protocol ``kind``; unknown kinds become LikenessError."""
    return _BY_KIND.get(kind, LikenessError)(message)
