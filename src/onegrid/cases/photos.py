"""Photos: checked by content (not by name or declared type), limited in size, stored through
Django's storage API so a city can point it at S3-compatible storage."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from onegrid.core.errors import InvalidInput

from .models import Photo

ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
MAX_PHOTOS = 9
MAX_PIXELS = 60_000_000  # a 60-megapixel photo is the largest a phone takes


@dataclass(frozen=True)
class Upload:
    content: bytes
    content_type: str
    extension: str
    sha256: str


def validate_photos(files, field: str = "photos") -> list[Upload]:
    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(_("At most %(n)d photos per action.") % {"n": MAX_PHOTOS}, field=field)
    return [validate_photo(f, field=field) for f in files]


def validate_photo(file, field: str = "photos") -> Upload:
    limit = settings.ONEGRID["PHOTO_MAX_BYTES"]
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise _too_large(file, limit, field)
    content = file.read() if hasattr(file, "read") else bytes(file)
    if len(content) > limit:
        raise _too_large(file, limit, field)
    name = getattr(file, "name", "") or ""
    try:
        with Image.open(io.BytesIO(content)) as image:
            fmt = image.format
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(_("%(name)s has too many pixels.") % {"name": name}, field=field)
            image.verify()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(
            _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": name or "?"}, field=field
        ) from None
    if fmt not in ACCEPTED_FORMATS:
        raise InvalidInput(
            _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": name or "?"}, field=field
        )
    content_type, extension = ACCEPTED_FORMATS[fmt]
    return Upload(content, content_type, extension, hashlib.sha256(content).hexdigest())


def _too_large(file, limit: int, field: str) -> InvalidInput:
    return InvalidInput(
        _("%(name)s is larger than %(mb).0f MB.")
        % {"name": getattr(file, "name", "") or "?", "mb": limit / 1024 / 1024},
        field=field,
    )


def store_photos(*, case, event, uploads: list[Upload], kind: str, actor, now) -> list[Photo]:
    stored = []
    for upload in uploads:
        photo = Photo(
            case=case,
            event=event,
            kind=kind,
            content_type=upload.content_type,
            size=len(upload.content),
            sha256=upload.sha256,
            uploaded_by=actor,
            created_at=now,
        )
        photo.file.save(
            f"{upload.sha256[:32]}.{upload.extension}", ContentFile(upload.content), save=False
        )
        photo.save()
        stored.append(photo)
    return stored
