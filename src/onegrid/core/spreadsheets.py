"""Spreadsheets: one sheet written for downloads (openpyxl); a workbook's or a CSV file's rows
read in bounds."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING

from django.utils.translation import gettext as _

from .archives import NotAZip, open_zip
from .errors import InvalidInput
from .formula_text import from_csv, keep_text, starts_like_formula
from .limits import LimitExceeded, inflates_too_far, too_many_rows, upload_limits
from .textfiles import decode_text

if TYPE_CHECKING:
    from openpyxl.cell import _CellSetValue
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet


# What openpyxl refuses in a cell (XML 1.0 cannot hold these control characters) and the text
# it would store as an error value rather than as text (openpyxl.cell.cell's own lists).
_ILLEGAL_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})


def xlsx_bytes(
    header: Sequence[str], rows: Sequence[Sequence[_CellSetValue]], title: str = "vacancies"
) -> bytes:
    """One sheet as bytes, written by write_xlsx: the header (frozen) and the rows. Text
    stays text, however it starts (core.formula_text)."""
    out = io.BytesIO()
    write_xlsx(out, header, rows, title)
    return out.getvalue()


def write_xlsx(
    out: IO[bytes],
    header: Sequence[str],
    rows: Iterable[Sequence[_CellSetValue]],
    title: str = "Sheet1",
) -> None:
    """One sheet written to `out` row by row (openpyxl's write-only mode: rows are not kept,
    so a long list costs a temporary file, not memory): the header (frozen, bold) and the
    rows. Text stays text, however it starts (core.formula_text); characters XML cannot hold
    (control characters) become U+FFFD instead of failing the whole file."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for label in header:
        cell = _text_cell(sheet, label)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for values in rows:
        # Plain values go in as they are (openpyxl reuses one cell for them); only text that
        # openpyxl would store as a formula or an error value needs a cell of its own.
        sheet.append([_xlsx_value(sheet, value) for value in values])
    workbook.save(out)


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    from openpyxl.cell.cell import Cell

    cell = Cell(sheet, row=1, column=1, value=_ILLEGAL_IN_XML.sub("\ufffd", text))
    keep_text(cell)  # text, never a formula
    return cell


def _xlsx_value(sheet: WriteOnlyWorksheet, value: _CellSetValue) -> _CellSetValue | Cell:
    if not isinstance(value, str):
        return value
    if _ILLEGAL_IN_XML.search(value) or starts_like_formula(value) or value in _ERROR_CODES:
        return _text_cell(sheet, value)
    return value


def _sheet_title(title: str) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'")[:31]
    return cleaned or "Sheet1"


# --- reading ---------------------------------------------------------------------------------


def csv_lines(text: str) -> Iterator[str]:
    """The lines of CSV text, line ends kept, for `csv.reader`: unlike io.StringIO, which
    copies the text at four bytes a character, this holds one line at a time. Lines end in
    "\n" (or "\r\n"), or in "\r" alone in a file that has no "\n" (old Mac Excel)."""
    end_of_line = "\n" if "\n" in text or "\r" not in text else "\r"
    start = 0
    while (end := text.find(end_of_line, start)) >= 0:
        yield text[start : end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


def check_csv_rows(text: str, *, max_rows: int, dialect: type[csv.Dialect] | csv.Dialect) -> None:
    """Refuse CSV text of more than `max_rows` rows after the header before its rows are
    kept: a file of millions of short lines costs little text but a dict or list per row.
    Lines are counted first (C speed); only when there are too many, rows (a quoted field may
    hold line breaks) are counted without keeping them."""
    if text.count("\n") <= max_rows + 1:
        return
    for rows, _row in enumerate(csv.reader(csv_lines(text), dialect), start=1):
        if rows > max_rows + 1:
            raise too_many_rows(max_rows)


def read_csv_table(data: bytes | str, *, max_rows: int) -> list[list[str]]:
    """The rows of a CSV file that our exports wrote or an office typed (UTF-8 or GB18030,
    core.textfiles): the header and at most `max_rows` rows after it, refused
    (limits.too_many_rows) before more are kept. An apostrophe our export put before a formula
    start comes off again (core.formula_text.from_csv), so an export reads back as it was.
    Raises InvalidInput(field="file") for a file that is not text or not CSV."""
    text = decode_text(data)
    if text is None:
        raise InvalidInput(_("The file is neither UTF-8 nor GB18030 text."), field="file")
    table: list[list[str]] = []
    try:
        check_csv_rows(text, max_rows=max_rows, dialect=csv.excel)
        for row in csv.reader(csv_lines(text)):
            if len(table) > max_rows:  # the header and max_rows rows read: one more is too many
                raise too_many_rows(max_rows)
            table.append([from_csv(cell) for cell in row])
        return table
    except csv.Error as exc:
        raise InvalidInput(
            _("The file is not valid CSV: %(error)s") % {"error": exc}, field="file"
        ) from None


# Columns read from a row; cells further right are ignored (a layer's WKT continuation columns
# need a few dozen at most).
MAX_COLUMNS = 1024
# openpyxl streams a sheet row by row but builds every cell of a row at once, and reads every
# other part (shared texts, styles) whole, at some microseconds and a hundred bytes per XML
# element. These bound that work, per row and per file, in proportion to the rows allowed.
CELLS_PER_ROW_ON_AVERAGE = 20
ELEMENTS_PER_ROW_ELSEWHERE = 8
_CHUNK = 1024 * 1024
# A row or cell start tag, with an optional namespace prefix (at most 16 characters).
_TOKEN = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?(row|c)[\s>/]")
_LONGEST_TOKEN = 32


class UnreadableWorkbook(InvalidInput):
    code = "bad_workbook"


def _unreadable(reason: object = None) -> UnreadableWorkbook:
    if reason is None:
        return UnreadableWorkbook(_("The file is not a readable XLSX workbook."), field="file")
    return UnreadableWorkbook(
        _("The file is not a readable XLSX workbook (%(reason)s).") % {"reason": reason},
        field="file",
    )


def _census(archive: zipfile.ZipFile, *, max_rows: int, max_inflated: int) -> None:
    """Unpack every part once, counting (never keeping), and refuse a workbook whose reading
    would exceed the bounds: its real unpacked size, rows, cells in a row, cells in a sheet,
    XML elements of the parts read whole."""
    budget = max_inflated
    max_cells = CELLS_PER_ROW_ON_AVERAGE * (max_rows + 1)
    max_elements = ELEMENTS_PER_ROW_ELSEWHERE * (max_rows + 1) + 100_000
    elements = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        streamed = "worksheets/" in info.filename
        rows = cells = row_cells = 0
        tail = b""
        try:
            member = archive.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError):
            raise _unreadable() from None
        with member:
            while True:
                try:
                    chunk = member.read(_CHUNK)
                except (zipfile.BadZipFile, EOFError, OSError, ValueError):
                    raise _unreadable() from None
                budget -= len(chunk)
                if budget < 0:
                    raise inflates_too_far(max_inflated)
                if not streamed:
                    elements += chunk.count(b"<")
                    if elements > max_elements:
                        raise LimitExceeded(
                            _(
                                "The workbook's shared texts and styles hold more than "
                                "%(limit)s XML elements, far more than its rows could need."
                            )
                            % {"limit": f"{max_elements:,}"},
                            field="file",
                            code="too_many_elements",
                        )
                    if not chunk:
                        break
                    continue
                text = tail + chunk
                # A token starting in the last few bytes may be cut: it is counted next time.
                settled = len(text) - _LONGEST_TOKEN if chunk else len(text)
                for match in _TOKEN.finditer(text):
                    if match.start() >= settled:
                        break
                    if match.group(1) == b"row":
                        rows += 1
                        row_cells = 0
                        if rows > max_rows + 1:
                            raise too_many_rows(max_rows)
                        continue
                    row_cells += 1
                    cells += 1
                    if row_cells > MAX_COLUMNS:
                        raise LimitExceeded(
                            _("A row of the sheet has more than %(limit)s cells, the most read.")
                            % {"limit": f"{MAX_COLUMNS:,}"},
                            field="file",
                            code="too_many_columns",
                        )
                    if cells > max_cells:
                        raise LimitExceeded(
                            _("The sheet has more than %(limit)s cells, the most one import reads.")
                            % {"limit": f"{max_cells:,}"},
                            field="file",
                            code="too_many_cells",
                        )
                if not chunk:
                    break
                tail = text[max(settled, 0) :]


def _header_width(sheet: ReadOnlyWorksheet, width: int, max_rows: int) -> int:
    """Columns up to the last filled cell of the first row that has one (the header): the
    rows are read no wider, so a sheet without a declared width costs no more than one with."""
    # types-openpyxl binds ReadOnlyWorksheet.iter_rows to Worksheet, whose method it is.
    rows = sheet.iter_rows(values_only=True, max_col=width, max_row=max_rows + 2)  # type: ignore[misc]
    for row in rows:
        filled = [i for i, value in enumerate(row) if value not in (None, "")]
        if filled:
            return filled[-1] + 1
    return 1


def iter_sheet_rows(data: bytes, *, max_rows: int) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(row number, cell values) of a workbook's active sheet, streamed, blank rows included,
    each as wide as the header (the first row with a value).

    Bounded before openpyxl parses anything (the archive's declared and real unpacked size,
    see core.archives, and `_census`) and while the rows stream: past `max_rows` rows after the
    first the file is refused (limits.LimitExceeded) without reading on. Raises
    UnreadableWorkbook for a file that is not a workbook."""
    import openpyxl

    limits = upload_limits()
    try:
        archive = open_zip(data, max_inflated=limits.max_inflated_bytes)
    except NotAZip:
        raise _unreadable() from None
    with archive:
        _census(archive, max_rows=max_rows, max_inflated=limits.max_inflated_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors alike for a broken file
        raise _unreadable(exc) from None
    try:
        sheet = workbook.active if workbook.active is not None else workbook.worksheets[0]
        # Rows are counted as they come, since a declared dimension can be wrong either way.
        declared = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)
        sheet.reset_dimensions()
        width = _header_width(sheet, declared, max_rows)
        rows = sheet.iter_rows(values_only=True, max_col=width, max_row=max_rows + 2)
        for number, values in enumerate(rows, start=1):
            if number > max_rows + 1:
                raise too_many_rows(max_rows)
            yield number, values
    except (IndexError, KeyError, ValueError, TypeError, SyntaxError) as exc:
        # A sheet that parses badly half-way (openpyxl's XML and value errors).
        raise _unreadable(exc) from None
    finally:
        workbook.close()
