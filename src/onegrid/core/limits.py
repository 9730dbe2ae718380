"""How much an uploaded file may make the server do: the configured bounds and their error.

Every bound is a setting (settings.ONEGRID, from environment variables; README "Configuration")
read when it is checked, so tests and deployments can change it. Each is checked before the
work it bounds: an archive's declared sizes before it is unpacked (and its real size while it
is, since declarations can lie), a sheet's rows while they stream, a boundary's points before
its geometry is checked, JSON's nesting before it is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import InvalidInput

MIB = 1024 * 1024


class LimitExceeded(InvalidInput):
    """An input beyond a configured bound, refused before it is read any further."""

    status = 400
    code = "limit_exceeded"


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int  # a file as uploaded; also a GeoJSON or CSV taken out of a zip
    max_inflated_bytes: int  # all that a zip or XLSX holds, unpacked; a GeoPackage
    max_rows: int  # data rows of a spreadsheet or CSV (addresses, catalogue)
    max_features: int  # features of one layer file
    max_vertices: int  # points of one feature's boundary, all its rings and parts together
    max_points: int  # points of all the features of one layer file together
    max_nesting: int  # depth of JSON (request bodies, GeoJSON) and of WKT


def upload_limits() -> UploadLimits:
    options = settings.ONEGRID
    return UploadLimits(
        max_bytes=int(options["UPLOAD_MAX_BYTES"]),
        max_inflated_bytes=int(options["UPLOAD_MAX_INFLATED_BYTES"]),
        max_rows=int(options["UPLOAD_MAX_ROWS"]),
        max_features=int(options["LAYER_MAX_FEATURES"]),
        max_vertices=int(options["LAYER_MAX_VERTICES"]),
        max_points=int(options["LAYER_MAX_POINTS"]),
        max_nesting=int(options["MAX_NESTING"]),
    )


def size_text(size: int) -> str:
    """A byte count as people read it: "50 MB" (binary megabytes, as Windows shows them)."""
    if size >= MIB:
        return _("%(n)s MB") % {"n": f"{size / MIB:,.0f}"}
    return _("%(n)s KB") % {"n": f"{max(size, 1) / 1024:,.0f}"}


def file_too_large(limit: int) -> LimitExceeded:
    return LimitExceeded(
        _("The file is larger than %(limit)s, the most an upload may be.")
        % {"limit": size_text(limit)},
        field="file",
        code="file_too_large",
    )


def inflates_too_far(limit: int) -> LimitExceeded:
    return LimitExceeded(
        _(
            "The archive unpacks to more than %(limit)s, the most an upload may hold; "
            "split it into smaller files."
        )
        % {"limit": size_text(limit)},
        field="file",
        code="inflated_too_large",
    )


def too_many_rows(limit: int) -> LimitExceeded:
    return LimitExceeded(
        _("The file has more than %(limit)s rows, the most one import may have; split it.")
        % {"limit": f"{limit:,}"},
        field="file",
        code="too_many_rows",
    )


def too_many_features(limit: int) -> LimitExceeded:
    return LimitExceeded(
        _("The file has more than %(limit)s features, the most one layer file may have.")
        % {"limit": f"{limit:,}"},
        field="file",
        code="too_many_features",
    )


def too_many_points(limit: int) -> LimitExceeded:
    return LimitExceeded(
        _(
            "The file's boundaries have more than %(limit)s points together, the most one layer "
            "file may have."
        )
        % {"limit": f"{limit:,}"},
        field="file",
        code="too_many_points",
    )


def nested_too_deep(limit: int, what: str = "JSON", *, field: str = "file") -> LimitExceeded:
    return LimitExceeded(
        _("The %(what)s is nested more than %(limit)s levels deep, the most accepted.")
        % {"what": what, "limit": limit},
        field=field,
        code="nested_too_deep",
    )
