"""Upkeep of stored photos: copies for rows stored before copies existed, and the removal of
files no row names (left behind by versions that wrote photos inside the transaction).

Both follow the locking of cases.photos, so they are safe while reports are being made."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet

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

ROOT = "photos"
# photos/ab/<sha256>.jpg, .view.jpg, .thumb.jpg: the names cases.photos gives.
HASH_NAME = re.compile(r"^photos/[0-9a-f]{2}/(?P<sha>[0-9a-f]{64})\.")
HASH_FOLDER = re.compile(r"^photos/(?P<prefix>[0-9a-f]{2})$")
# Rows and names are read this many at a time: the upkeep's memory follows a batch or one
# folder, never the whole table (a city keeps tens of millions of photos).
BATCH = 500


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
    for sha in _distinct_hashes(rows):
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


def _distinct_hashes(rows: QuerySet[Photo]) -> Iterator[str]:
    """The contents of `rows`, in hash order, BATCH at a time (keyset: each batch starts after
    the last hash of the one before, so rows changed meanwhile are neither missed nor repeated)."""
    last = ""
    while True:
        hashes = list(
            rows.filter(sha256__gt=last)
            .order_by("sha256")
            .values_list("sha256", flat=True)
            .distinct()[:BATCH]
        )
        yield from hashes
        if len(hashes) < BATCH:
            return
        last = hashes[-1]


def orphan_files() -> list[str]:
    """Files under photos/ that no Photo row names."""
    return [name for _folder, orphans in _orphans_by_folder() for name in orphans]


def delete_orphans(batch: int = 200) -> list[str]:
    """Delete the files no Photo row names. Hash-named files are judged again under their
    content's lock, so a report storing the same photo at this moment keeps its files."""
    deleted = []
    for _folder, orphans in _orphans_by_folder():
        by_hash: dict[str, set[str]] = {}
        for name in orphans:
            match = HASH_NAME.match(name)
            if match:
                by_hash.setdefault(match["sha"], set()).add(name)
            else:  # an older name (photos/2026/05/…): no new row can come to use it
                default_storage.delete(name)
                deleted.append(name)
        hashes = sorted(by_hash)
        for start in range(0, len(hashes), batch):  # short transactions: reports go on
            deleted += remove_unused({h: by_hash[h] for h in hashes[start : start + batch]})
    return deleted


def _orphans_by_folder() -> Iterator[tuple[str, list[str]]]:
    """(folder, the names of its files that no row names) for each folder under photos/, in
    name order: one folder's files and rows at a time."""
    for folder, names in _folders(ROOT):
        used = _names_in_use(folder, names)
        yield folder, [name for name in names if name not in used]


def _names_in_use(folder: str, names: list[str]) -> set[str]:
    """The names among `names` (the files of `folder`) that Photo rows give."""
    match = HASH_FOLDER.match(folder)
    found: Iterable[str]
    if match:
        # photos/ab holds the files of the contents whose hash starts with "ab" (hex, so every
        # such hash lies below "ab" + "g"): a range of the sha256 index.
        prefix = match["prefix"]
        rows = Photo.objects.filter(sha256__gte=prefix, sha256__lt=prefix + "g")
        found = chain.from_iterable(rows.values_list("file", "view", "thumb"))
    elif folder == ROOT:  # the platform stores nothing here: ask for these few names alone
        found = chain.from_iterable(
            Photo.objects.filter(file__in=names[start : start + BATCH]).values_list(
                "file", flat=True
            )
            for start in range(0, len(names), BATCH)
        )
    else:  # photos/2026/05, before names were hashes: only originals were stored there
        found = Photo.objects.filter(file__startswith=f"{folder}/").values_list("file", flat=True)
    return set(found) & set(names)


def _folders(folder: str) -> Iterator[tuple[str, list[str]]]:
    """(folder, its files' names) for `folder` and every folder below it, in name order."""
    try:
        subfolders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    if files:
        yield folder, sorted(f"{folder}/{name}" for name in files)
    for sub in sorted(subfolders):
        yield from _folders(f"{folder}/{sub}")
