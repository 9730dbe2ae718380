"""Upkeep of stored photos: copies for rows stored before copies existed, and the removal of
files no row names (left behind by versions that wrote photos inside the transaction).

Both follow the locking of cases.photos, so they are safe while reports are being made."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from .models import Photo
from .photo_copies import make_copies
from .photos import (
    DECODE_ERRORS,
    lock_contents,
    remove_unused,
    thumb_name,
    view_name,
    write_file,
)

# photos/ab/<sha256>.jpg, .view.jpg, .thumb.jpg: the names cases.photos gives.
HASH_NAME = re.compile(r"^photos/[0-9a-f]{2}/(?P<sha>[0-9a-f]{64})\.")


def make_missing_copies(photo: Photo, *, again: bool = False) -> Photo:
    """Give `photo` (and every row of the same content) its viewing copy and thumbnail, made
    from the original; with `again`, remake them (after ONEGRID_PHOTO_VIEW_PX changed, say).

    Raises FileNotFoundError when the original is gone, and one of photos.DECODE_ERRORS when
    it cannot be decoded."""
    if photo.view and photo.thumb and not again:
        return photo
    with photo.file.open("rb") as original:
        content = original.read()
    options = settings.ONEGRID
    copies = make_copies(
        content, view_px=options["PHOTO_VIEW_PX"], thumb_px=options["PHOTO_THUMB_PX"]
    )
    sha = photo.sha256
    files = {view_name(sha): copies.view, thumb_name(sha): copies.thumb}
    for name, data in files.items():
        write_file(name, data)  # before the transaction, as for new photos
    with transaction.atomic():
        lock_contents({sha})
        for name, data in files.items():
            # Remade ones replace the old; a clean-up of a failed upload may have removed them.
            write_file(name, data, locked=True, replace=again)
        Photo.objects.filter(sha256=sha).update(view=view_name(sha), thumb=thumb_name(sha))
    photo.view, photo.thumb = view_name(sha), thumb_name(sha)
    return photo


@dataclass
class RebuildResult:
    made: int = 0
    missing: list[str] = field(default_factory=list)  # originals not found in storage
    broken: list[str] = field(default_factory=list)  # originals that do not decode


def rebuild_copies(
    *, again: bool = False, progress: Callable[[int], None] | None = None
) -> RebuildResult:
    """Copies for every content that lacks them (with `again`, for every content)."""
    rows = Photo.objects.all() if again else Photo.objects.filter(Q(view="") | Q(thumb=""))
    result = RebuildResult()
    for sha in rows.order_by("sha256").values_list("sha256", flat=True).distinct():
        photo = rows.filter(sha256=sha).order_by("created_at").first()
        if photo is None:  # its rows got copies from a first view meanwhile
            continue
        try:
            make_missing_copies(photo, again=again)
        except FileNotFoundError:
            result.missing.append(photo.file.name)
            continue
        except DECODE_ERRORS:
            result.broken.append(photo.file.name)
            continue
        result.made += 1
        if progress:
            progress(result.made)
    return result


def orphan_files() -> list[str]:
    """Files under photos/ that no Photo row names."""
    used = _all_names_in_use()
    return sorted(name for name in _stored("photos") if name not in used)


def delete_orphans(batch: int = 200) -> list[str]:
    """Delete the files no Photo row names. Hash-named files are judged again under their
    content's lock, so a report storing the same photo at this moment keeps its files."""
    deleted = []
    by_hash: dict[str, set[str]] = {}
    for name in orphan_files():
        match = HASH_NAME.match(name)
        if match:
            by_hash.setdefault(match["sha"], set()).add(name)
        else:  # an older name (photos/2026/05/…): no new row can come to use it
            default_storage.delete(name)
            deleted.append(name)
    hashes = sorted(by_hash)
    for start in range(0, len(hashes), batch):  # short transactions: reports go on meanwhile
        deleted += remove_unused({h: by_hash[h] for h in hashes[start : start + batch]})
    return deleted


def _all_names_in_use() -> set[str]:
    rows = Photo.objects.values_list("file", "view", "thumb").iterator(chunk_size=5000)
    return set(chain.from_iterable(rows)) - {""}


def _stored(folder: str) -> Iterator[str]:
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored(f"{folder}/{sub}")
