"""An AvatarResult folder as bytes, so a result can travel from a cluster's worker to the
client without a shared disk: an uncompressed tar of the folder's files (the PNGs are already
compressed). ``unpack`` writes plain files only, never outside the folder it is given."""
import io
import os
import tarfile

from .errors import InvalidResult


def pack(folder):
    """The files directly in ``folder`` (an AvatarResult: avatar.npz, PNGs, report.json) as bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                tar.add(path, arcname=name, recursive=False)
    return buf.getvalue()


def unpack(data, folder):
    """Write the files packed in ``data`` into ``folder`` (made if needed); returns ``folder``."""
    os.makedirs(folder, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar.getmembers():
                name = member.name
                if not member.isfile() or os.path.basename(name) != name or name in ("", ".", ".."):
                    raise InvalidResult(f"A packed result holds an unexpected entry: {name!r}")
                with tar.extractfile(member) as src, open(os.path.join(folder, name), "wb") as dst:
                    dst.write(src.read())
    except tarfile.TarError as exc:
        raise InvalidResult(f"A packed result cannot be read: {exc}") from None
    return folder
