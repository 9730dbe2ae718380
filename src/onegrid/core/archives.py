"""Zip archives from uploads (zipped Shapefiles, XLSX workbooks), opened within bounds.

A zip's central directory declares each member's unpacked size, but a declaration is a claim:
`open_zip` refuses an archive whose declared total is over the limit before anything is
unpacked, and `read_member` / `extract_members` count the bytes actually unpacked and stop at
the limit whatever was declared. The directory itself is bounded too (entries and bytes), since
`zipfile` builds an object per entry before any member is read.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _

from .errors import InvalidInput
from .limits import LimitExceeded, inflates_too_far

# Far more members and directory bytes than any Shapefile set or workbook has.
MAX_MEMBERS = 1000
MAX_DIRECTORY_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024
_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"


class NotAZip(InvalidInput):
    code = "bad_zip"


def _directory_size(data: bytes) -> tuple[int, int]:
    """(entries, bytes) the end-of-central-directory record declares."""
    at = data.rfind(_END, max(0, len(data) - 65557))
    if at < 0 or len(data) < at + 22:
        raise NotAZip(_("The file is not a valid .zip archive."), field="file")
    entries, size = struct.unpack_from("<xxxxxxxxxxHI", data, at)
    locator = at - 20
    if locator >= 0 and data[locator : locator + 4] == _END64_LOCATOR:
        (offset,) = struct.unpack_from("<Q", data, locator + 8)
        if data[offset : offset + 4] == b"PK\x06\x06" and len(data) >= offset + 56:
            entries, size = struct.unpack_from("<QQ", data, offset + 32)
    return entries, size


def open_zip(data: bytes, *, max_inflated: int) -> zipfile.ZipFile:
    """The archive, once its directory and its declared unpacked total are within bounds."""
    entries, directory = _directory_size(data)
    if entries > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise LimitExceeded(
            _("The archive holds more than %(limit)s files, the most an upload may hold.")
            % {"limit": MAX_MEMBERS},
            field="file",
            code="too_many_members",
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, NotImplementedError):
        raise NotAZip(_("The file is not a valid .zip archive."), field="file") from None
    if sum(info.file_size for info in archive.infolist()) > max_inflated:
        archive.close()
        raise inflates_too_far(max_inflated)
    return archive


def _copy(archive: zipfile.ZipFile, name: str, out: BinaryIO, budget: int) -> int:
    """Unpack one member into `out`, at most `budget` bytes; the bytes written."""
    written = 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(_CHUNK):
                written += len(chunk)
                if written > budget:
                    raise LimitExceeded("", field="file")
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
        # A damaged, encrypted or lying member (zipfile stops at the declared size and then
        # finds the checksum wrong).
        raise NotAZip(
            _("The file %(name)s in the archive cannot be unpacked.") % {"name": name},
            field="file",
        ) from None
    return written


def read_member(archive: zipfile.ZipFile, name: str, *, limit: int) -> bytes:
    """One member's bytes, refusing it once more than `limit` bytes have come out."""
    out = io.BytesIO()
    try:
        _copy(archive, name, out, limit)
    except LimitExceeded:
        raise inflates_too_far(limit) from None
    return out.getvalue()


def extract_members(
    archive: zipfile.ZipFile, names: list[str], folder: Path, *, limit: int
) -> dict[str, Path]:
    """Unpack `names` flat into `folder`, at most `limit` bytes together; name → path.

    Only each name's last part is kept (a Shapefile's parts stay side by side under their own
    names), so no member can land outside `folder`."""
    paths: dict[str, Path] = {}
    budget = limit
    for name in names:
        base = Path(name).name
        if base in ("", ".", "..") or (folder / base).exists():
            raise NotAZip(
                _("The file %(name)s in the archive cannot be unpacked.") % {"name": name},
                field="file",
            )
        target = folder / base
        with target.open("wb") as out:
            try:
                budget -= _copy(archive, name, out, budget)
            except LimitExceeded:
                raise inflates_too_far(limit) from None
        paths[name] = target
    return paths
