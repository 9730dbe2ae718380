"""Photos: checked by content (not by name or declared type), limited in size and pixels, stored
through Django's storage API (so a city can point it at S3-compatible storage) under names made
from their SHA-256, each with a viewing copy and a thumbnail (cases.photo_copies).

Files are written before the transaction that records them, never while it holds the database's
write lock, and a file no committed row uses does not stay behind:

1. `staged(uploads)` makes the copies and writes original, view and thumb under their hash names
   (writing the same content twice is a no-op), then runs the caller's transaction.
2. Inside it, `attach` locks the content's `PhotoContent` row, writes back any file a clean-up
   removed meanwhile, and inserts the `Photo` rows.
3. If that transaction did not commit (refused, rolled back, lost an idempotency race), `staged`
   takes the same lock and deletes each file no committed row names — another case holding the
   same photo keeps it.

The lock makes "attach, then commit" and "check unused, then delete" exclusive for one content,
so neither a lost race nor two cases with one photo can leave a row without its file.

A caller that wraps services in its own transaction (the simulator plays an hour in one) gets
the check after every call, since "committed" is only known at the outermost commit; the rows
it can see keep their files. If that outer transaction then rolls back, its files stay until
`onegrid photos orphans --delete`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from onegrid.core.errors import InvalidInput
from onegrid.org.models import User

from .models import Case, CaseEvent, Photo, PhotoContent
from .photo_copies import make_copies

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
MAX_PHOTOS = 9
DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class Upload:
    content: bytes
    content_type: str
    extension: str
    sha256: str
    name: str = ""  # as sent, for messages


@dataclass
class StagedPhoto:
    """A checked photo whose files (original and copies) are written under their hash names."""

    upload: Upload
    files: dict[str, bytes]  # name in storage → content, original first

    @property
    def sha256(self) -> str:
        return self.upload.sha256

    @property
    def names(self) -> list[str]:
        return list(self.files)


@dataclass
class Staging:
    """The photos of one request, between their writing and their transaction's end."""

    photos: list[StagedPhoto]
    committed: bool = field(default=False)

    def __iter__(self) -> Iterator[StagedPhoto]:
        return iter(self.photos)

    def __len__(self) -> int:
        return len(self.photos)

    def __bool__(self) -> bool:
        return bool(self.photos)


# --- checking ---


def validate_photos(files: Iterable[File[bytes]] | None, field: str = "photos") -> list[Upload]:
    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(_("At most %(n)d photos per action.") % {"n": MAX_PHOTOS}, field=field)
    return [validate_photo(f, field=field) for f in files]


def validate_photo(file: File[bytes], field: str = "photos") -> Upload:
    limit = settings.ONEGRID["PHOTO_MAX_BYTES"]
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise _too_large(file, limit, field)
    content = bytes(file.read())
    if len(content) > limit:
        raise _too_large(file, limit, field)
    name = getattr(file, "name", "") or ""
    max_pixels = settings.ONEGRID["PHOTO_MAX_PIXELS"]
    try:
        # The header gives the size before any pixel is decoded: a small file that would
        # decode to gigabytes (a decompression bomb) is refused here, before the copies decode
        # it (Pillow's own guard only refuses beyond twice its 89-megapixel default).
        with Image.open(io.BytesIO(content)) as image:
            fmt = image.format
            if image.width * image.height > max_pixels:
                raise _too_many_pixels(name, image, max_pixels, field)
            image.verify()
    except InvalidInput:
        raise
    except DECODE_ERRORS:
        raise _not_an_image(name, field) from None
    if fmt not in ACCEPTED_FORMATS:
        raise _not_an_image(name, field)
    content_type, extension = ACCEPTED_FORMATS[fmt]
    return Upload(content, content_type, extension, hashlib.sha256(content).hexdigest(), name)


def _not_an_image(name: str, field: str) -> InvalidInput:
    return InvalidInput(
        _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": name or "?"}, field=field
    )


def _too_large(file: File[bytes], limit: int, field: str) -> InvalidInput:
    return InvalidInput(
        _("%(name)s is larger than %(mb).0f MB.")
        % {"name": getattr(file, "name", "") or "?", "mb": limit / 1024 / 1024},
        field=field,
    )


def _too_many_pixels(name: str, image: Image.Image, limit: int, field: str) -> InvalidInput:
    return InvalidInput(
        _("%(name)s has %(width)d × %(height)d pixels; at most %(mp)d megapixels are accepted.")
        % {
            "name": name or "?",
            "width": image.width,
            "height": image.height,
            "mp": limit // 1_000_000,
        },
        field=field,
    )


# --- names ---


def original_name(sha256: str, extension: str) -> str:
    return f"photos/{sha256[:2]}/{sha256}.{extension}"


def view_name(sha256: str) -> str:
    return f"photos/{sha256[:2]}/{sha256}.view.jpg"


def thumb_name(sha256: str) -> str:
    return f"photos/{sha256[:2]}/{sha256}.thumb.jpg"


# --- storing: before, inside and after the transaction ---


@contextmanager
def staged(uploads: list[Upload]) -> Iterator[Staging]:
    """Write the photos' files, run the caller's transaction, and remove what it did not keep.

    Use it around the transaction (`with staged(u) as s, transaction.atomic(): …attach(s)…`),
    so the files are written before the database's write lock is taken."""
    staging = Staging([])
    try:
        for upload in uploads:
            staging.photos.append(_stage(upload))
        yield staging
    finally:
        if staging and not staging.committed:
            _release(staging)


def attach(
    *,
    case: Case,
    event: CaseEvent,
    staging: Staging,
    kind: str,
    actor: User | None,
    now: dt.datetime,
) -> list[Photo]:
    """The Photo rows of `staging`, inside the transaction that records them."""
    if not staging:
        return []
    lock_contents({p.sha256 for p in staging})
    for photo in staging:
        for name, content in photo.files.items():
            write_file(name, content, locked=True)  # a clean-up may have removed it
    rows = Photo.objects.bulk_create(
        Photo(
            case=case,
            event=event,
            kind=kind,
            file=photo.names[0],
            view=photo.names[1],
            thumb=photo.names[2],
            content_type=photo.upload.content_type,
            size=len(photo.upload.content),
            sha256=photo.sha256,
            uploaded_by=actor,
            created_at=now,
        )
        for photo in staging
    )

    def kept() -> None:
        staging.committed = True

    transaction.on_commit(kept)
    return rows


def _stage(upload: Upload) -> StagedPhoto:
    options = settings.ONEGRID
    try:
        copies = make_copies(
            upload.content, view_px=options["PHOTO_VIEW_PX"], thumb_px=options["PHOTO_THUMB_PX"]
        )
    except DECODE_ERRORS:
        # The header was sound but the pixels are not (cut short, corrupt data).
        raise _not_an_image(upload.name, "photos") from None
    photo = StagedPhoto(
        upload,
        {
            original_name(upload.sha256, upload.extension): upload.content,
            view_name(upload.sha256): copies.view,
            thumb_name(upload.sha256): copies.thumb,
        },
    )
    for name, content in photo.files.items():
        write_file(name, content)
    return photo


def write_file(name: str, content: bytes, *, locked: bool = False, replace: bool = False) -> None:
    """Store `content` under `name` unless a file is there.

    Only a caller holding the content's lock (`locked`) looks closer: it replaces a file of
    another size (one cut short, or copies being remade with `replace`). A writer without the
    lock never deletes, so it cannot remove a file that a locked one is writing."""
    if default_storage.exists(name):
        if not locked:
            return
        try:
            if default_storage.size(name) == len(content) and not replace:
                return
        except FileNotFoundError:
            pass
        default_storage.delete(name)
    try:
        saved = default_storage.save(name, ContentFile(content))
    except FileNotFoundError:
        if locked:
            raise
        return  # a clean-up removed it as it was written; `attach` writes it again
    if saved != name:
        # Another request wrote the same content under `name` at the same moment; the storage
        # gave this copy another name, which nothing will use.
        default_storage.delete(saved)


def lock_contents(hashes: Iterable[str]) -> None:
    """Lock the PhotoContent rows of `hashes` (made if missing) in hash order, until the end of
    the current transaction, in one statement: an upsert whose conflict branch writes the row
    locks it as SELECT … FOR UPDATE would. On PostgreSQL a row another transaction is inserting
    or deleting waits for that transaction; SQLite serialises every writing transaction anyway."""
    ordered = sorted(set(hashes))
    if not ordered:
        return
    table = PhotoContent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (sha256) VALUES {', '.join(['(%s)'] * len(ordered))} "
            "ON CONFLICT (sha256) DO UPDATE SET sha256 = EXCLUDED.sha256",
            ordered,
        )


def _release(staging: Staging) -> None:
    """Delete the staged files that no committed Photo row names."""
    files: dict[str, set[str]] = {}
    for photo in staging:
        files.setdefault(photo.sha256, set()).update(photo.names)
    try:
        remove_unused(files)
    except Exception:  # noqa: BLE001 - never hide the request's own outcome behind a clean-up
        logger.exception("could not remove the files of photos that were not kept")


def remove_unused(files: dict[str, set[str]]) -> list[str]:
    """Delete each file of `files` (content hash → names) that no committed Photo row names,
    judged under the contents' locks; forget the contents no row uses. Returns what it deleted."""
    deleted = []
    with transaction.atomic():
        lock_contents(files)
        used, kept = set(), set()
        rows = Photo.objects.filter(sha256__in=files).values_list("sha256", "file", "view", "thumb")
        for sha, *names in rows:
            kept.add(sha)
            used.update(names)
        for name in sorted(set().union(*files.values()) - used):
            default_storage.delete(name)
            deleted.append(name)
        PhotoContent.objects.filter(sha256__in=set(files) - kept).delete()
    return deleted
