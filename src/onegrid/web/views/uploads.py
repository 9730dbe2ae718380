"""The console's file uploads (layers, coded grids, standard addresses): one set of checks."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CRS_CHOICES = [("wgs84", gettext_lazy("WGS-84 (GPS)")), ("gcj02", gettext_lazy("GCJ-02"))]
# A larger file is refused before it is read (the demo district's grids are ~2 MB of GeoJSON).
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


def upload_errors(upload, crs: str) -> dict[str, str]:
    """Translated errors by form field ("crs", "file") for an uploaded file and its declared
    coordinate system; empty when both will do."""
    errors = {}
    if crs not in dict(CRS_CHOICES):
        errors["crs"] = _("Choose the coordinate system of the file.")
    if upload is None:
        errors["file"] = _("Choose a file to upload.")
    elif upload.size > MAX_UPLOAD_BYTES:
        errors["file"] = _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
    return errors
