"""An AvatarResult folder as bytes, so a result can travel from a cluster's worker to the
client without a shared disk: a tar of the folder's files, the arrays and the report deflated
(zlib level 1: a 1K character's 3.8 MB of arrays become about 0.5 MB for some 40 ms; the PNGs are
compressed already and go as they are). ``unpack`` writes plain files only, never outside the
folder it is given."""
import io
import os
import tarfile
import zlib

DEFLATED = ".zlib"             # suffix of a member stored deflated
STORED_AS_IS = (".png",)

from .errors import InvalidResult


def pack(folder):
    """The files directly in ``folder`` (an AvatarResult: avatar.npz, PNGs, report.json) as bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                data = fh.read()
            if not name.lower().endswith(STORED_AS_IS):
                data, name = zlib.compress(data, 1), name + DEFLATED
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
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
                with tar.extractfile(member) as src:
                    data = src.read()
                if name.endswith(DEFLATED):
                    data, name = zlib.decompress(data), name[:-len(DEFLATED)]
                with open(os.path.join(folder, name), "wb") as dst:
                    dst.write(data)
    except (tarfile.TarError, zlib.error) as exc:
        raise InvalidResult(f"A packed result cannot be read: {exc}") from None
    return folder
