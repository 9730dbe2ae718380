"""The console's file uploads (layers, coded grids, standard addresses, the holiday
schedule): one set of checks.

Only the size is known before a file is read; what it unpacks to, its rows, features, points
and nesting are bounded by the readers themselves (core.limits), which answer with a file
problem that the page shows like any other.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.core.limits import file_too_large, upload_limits

CRS_CHOICES = [("wgs84", gettext_lazy("WGS-84 (GPS)")), ("gcj02", gettext_lazy("GCJ-02"))]


def file_error(upload, max_bytes: int | None = None) -> str | None:
    """The translated error for an uploaded file, or None when it will do: none chosen, or
    larger than `max_bytes` (default: the upload limit, ONEGRID_UPLOAD_MAX_BYTES), refused
    before it is read."""
    limit = upload_limits().max_bytes if max_bytes is None else max_bytes
    if upload is None:
        return _("Choose a file to upload.")
    if upload.size > limit:
        return str(file_too_large(limit).message)
    return None


def upload_errors(upload, crs: str) -> dict[str, str]:
    """Translated errors by form field ("crs", "file") for an uploaded file and its declared
    coordinate system; empty when both will do."""
    errors = {}
    if crs not in dict(CRS_CHOICES):
        errors["crs"] = _("Choose the coordinate system of the file.")
    if error := file_error(upload):
        errors["file"] = error
    return errors
