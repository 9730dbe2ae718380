"""Lists as downloads: one table written as CSV or XLSX, the way every list page offers it.

A page builds the rows it shows, from the same scoped selectors and with the same filters and
masking, and hands them here: the download never holds more than the page (issue 10 §3). This
module only writes them:

- CSV is UTF-8 with a byte-order mark, so that Excel and WPS open Chinese text as Chinese, and
  is streamed a block of rows at a time (StreamingHttpResponse): a long list never sits in
  memory as one string.
- XLSX goes through core.spreadsheets.write_xlsx (openpyxl's write-only mode, into a temporary
  file that is then streamed): text stays text.
- Text that a spreadsheet would take for a formula is neutralised as core.formula_text does
  (CSV: an apostrophe before it; XLSX: a text cell with the quote prefix).
- Times are written in Asia/Shanghai (settings.TIME_ZONE), as the pages show them.
- The file name travels both as an ASCII fallback and as RFC 5987 `filename*=UTF-8''…`, so
  a Chinese name reaches the browser intact.

How many rows a download may hold is ONEGRID["EXPORT_MAX_ROWS"]; a longer list is refused
(400, with the count and the bound) before anything is written: `too_many_rows` lets a page
check a count first, and `table_download` checks the rows it is given.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from itertools import chain, islice
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from onegrid.core import clock
from onegrid.core.formula_text import to_csv
from onegrid.core.spreadsheets import write_xlsx

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The query parameter a list page reads its download format from (`?format=csv`).
FORMAT_PARAM = "format"
BOM = "\ufeff"
# CSV rows written per streamed block.
_BLOCK_ROWS = 500
# Characters kept out of a file name: path separators, quotes, control characters.
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\"<>:|?*;]+')
_MAX_NAME_CHARS = 120


class DownloadRefused(Exception):
    """A download that cannot be written: `field` names the query parameter at fault."""

    def __init__(self, message: str, *, field: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def max_rows() -> int:
    return int(settings.ONEGRID["EXPORT_MAX_ROWS"])


def stamp() -> str:
    """Now in Asia/Shanghai as a file name's time stamp: 20261205-1930."""
    return timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")


def wanted_format(request: HttpRequest) -> str | None:
    """The format asked for with `?format=`, or None when the page itself is wanted. An
    unknown format is refused (DownloadRefused naming `format`)."""
    if FORMAT_PARAM not in request.GET:
        return None
    return check_format(request.GET[FORMAT_PARAM])


def check_format(fmt: object) -> str:
    if isinstance(fmt, str) and fmt in FORMATS:
        return fmt
    raise DownloadRefused(
        _("Unknown download format; choose csv or xlsx."), field=FORMAT_PARAM, status=400
    )


def too_many_rows(count: int, limit: int | None = None) -> DownloadRefused | None:
    """The refusal for a list of `count` rows when downloads hold fewer, else None."""
    limit = max_rows() if limit is None else limit
    if count <= limit:
        return None
    return DownloadRefused(
        _(
            "This list holds %(count)s rows; a download holds at most %(limit)s. "
            "Narrow the filters and download again."
        )
        % {"count": count, "limit": limit},
        field="filters",
    )


def refusal_response(request: HttpRequest, refusal: DownloadRefused) -> HttpResponse:
    """The page that tells why a download was refused, with the field at fault."""
    query = request.GET.copy()
    query.pop(FORMAT_PARAM, None)
    back = request.path + ("?" + query.urlencode() if query else "")
    context = {"message": refusal.message, "field": refusal.field, "back": back}
    return render(request, "web/download_refused.html", context, status=refusal.status)


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the full name in RFC 5987 form."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    ascii_name = re.sub(r"\s+", " ", ascii_name).strip() or "download"
    if ascii_name.startswith(".") or ascii_name.rsplit(".", 1)[0] in ("", "-", "_"):
        ascii_name = "download" + ascii_name[ascii_name.rfind(".") :]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def clean_filename(filename: str, fmt: str) -> str:
    """`filename` made safe for a header and a file system, with `.csv`/`.xlsx` after it."""
    name = _UNSAFE_IN_NAME.sub("-", filename).strip(" .-") or "download"
    name = name[:_MAX_NAME_CHARS]
    suffix = f".{fmt}"
    if not name.lower().endswith(suffix):
        name += suffix
    return name


def cell_value(value: object) -> str | int | float | decimal.Decimal | dt.date:
    """A value as a spreadsheet cell holds it: numbers stay numbers, times in Asia/Shanghai
    (without the zone, which neither format keeps), lazy translations as their text, None as
    empty, anything else as its text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return value
    return str(value)  # a lazy translation (Promise), a code, a model


def _csv_text(value: object) -> object:
    value = cell_value(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return to_csv(value)


class _Lines:
    """A file-like sink for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def _csv_chunks(
    labels: Sequence[str], keys: Sequence[str], rows: Iterable[Mapping[str, object]]
) -> Iterator[bytes]:
    sink = _Lines()
    writer = csv.writer(sink)
    writer.writerow([to_csv(label) for label in labels])
    yield (BOM + sink.take()).encode("utf-8")
    iterator = iter(rows)
    while block := list(islice(iterator, _BLOCK_ROWS)):
        for row in block:
            writer.writerow([_csv_text(row.get(key)) for key in keys])
        yield sink.take().encode("utf-8")


def _checked_rows(
    rows: Iterable[Mapping[str, object]], total: int | None, limit: int
) -> Iterable[Mapping[str, object]]:
    """The rows, refused (DownloadRefused) when more than `limit`: counted from `total`, from
    len() where the rows have one, else by reading at most limit + 1 of them first."""
    if total is None and isinstance(rows, Sized):
        total = len(rows)
    if total is not None:
        if refusal := too_many_rows(total, limit):
            raise refusal
        return rows
    iterator = iter(rows)
    head = list(islice(iterator, limit + 1))
    if len(head) > limit:
        # How many there are in all is not known without reading them: say "more than".
        raise DownloadRefused(
            _(
                "This list holds more than %(limit)s rows; a download holds at most %(limit)s. "
                "Narrow the filters and download again."
            )
            % {"limit": limit},
            field="filters",
        )
    return chain(head, iterator)


def table_download(
    request: HttpRequest,
    *,
    fmt: str,
    filename: str,
    columns: Sequence[tuple[str, StrOrPromise]],
    rows: Iterable[Mapping[str, object]],
    total: int | None = None,
    sheet_title: str | None = None,
) -> HttpResponseBase:
    """The rows as a CSV or XLSX download named `filename` (the extension is added).

    `columns` are (key, label) pairs: the label heads the column, the key picks each row's
    value. `rows` may be a lazy iterable (e.g. a queryset's iterator mapped to dicts): give
    `total` (its count) and it is streamed without being held; without `total`, rows without
    len() are read ahead up to the bound. A bad `fmt` or too many rows gives a 400 page naming
    the field at fault (`format`, `filters`)."""
    try:
        fmt = check_format(fmt)
        rows = _checked_rows(rows, total, max_rows())
    except DownloadRefused as refusal:
        return refusal_response(request, refusal)
    name = clean_filename(filename, fmt)
    keys = [key for key, _label in columns]
    labels = [str(label) for _key, label in columns]
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_chunks(labels, keys, rows), content_type=FORMATS[fmt])
    else:
        out = tempfile.TemporaryFile()  # noqa: SIM115 — closed by FileResponse when sent
        title = sheet_title or name.rsplit(".", 1)[0]
        values = ([cell_value(row.get(key)) for key in keys] for row in rows)
        write_xlsx(out, labels, values, title)
        out.seek(0)
        response = FileResponse(out, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition(name)
    response["Cache-Control"] = "no-store"
    return response


def download_or_page(
    request: HttpRequest,
    page: Callable[[], HttpResponseBase],
    download: Callable[[str], HttpResponseBase],
) -> HttpResponseBase:
    """A list view's two answers: the page, or with `?format=` its download (a bad format is
    a 400 naming `format`)."""
    try:
        fmt = wanted_format(request)
    except DownloadRefused as refusal:
        return refusal_response(request, refusal)
    return page() if fmt is None else download(fmt)


def download_links(request: HttpRequest) -> dict[str, str]:
    """The page's own query with `format=csv` / `format=xlsx`, for its download links: the
    same filters (without `page`, since a download holds every page)."""
    links = {}
    for fmt in FORMATS:
        query = request.GET.copy()
        query.pop("page", None)
        query[FORMAT_PARAM] = fmt
        links[fmt] = "?" + query.urlencode()
    return links
