"""Text in exported spreadsheets stays text: no formula injection through CSV or XLSX.

A name, description or label that a user or an import set — `=HYPERLINK("http://…","点此")`,
`+cmd|' /C calc'!A0`, `@SUM(1+1)` — becomes a live formula when Excel, WPS or LibreOffice opens
an export that holds it as typed. Every exporter writes its text through here (OWASP, "CSV
Injection"):

- XLSX keeps types: a text cell is stored as text, never as a formula or an error value, and
  text that starts like a formula also carries the quote-prefix style, so that editing the cell
  in Excel keeps it text too. The stored text is unchanged: an import reads back what was
  exported, character for character.
- CSV holds no types: text that starts like a formula goes out behind an apostrophe, which a
  spreadsheet shows and never runs. The importers that read back our own CSV exports (the class
  catalogue, the holiday schedule) take it off again with `from_csv`, so export → import gives
  back the same text.

"Starts like a formula": one of = + - @ tab or carriage return, after any apostrophes. Counting
the apostrophes in keeps the CSV round trip exact for text that itself begins with one: `'=x`
goes out as `''=x`, and `from_csv` removes one apostrophe only where apostrophes stand in front
of a formula start, which `to_csv` never writes without adding its own. Numbers stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = "=+-@\t\r"
_STARTS_LIKE_FORMULA = re.compile("'*[" + re.escape(FORMULA_STARTS) + "]")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula (after any apostrophes)."""
    return _STARTS_LIKE_FORMULA.match(text) is not None


def to_csv(value: Any) -> Any:
    """The CSV field for `value`: text that starts like a formula behind an apostrophe; other
    text, numbers and everything else as they are."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [to_csv(v) for v in values]


def from_csv(text: str) -> str:
    """The text that `to_csv` was given for the field `text` of one of our CSV exports: one
    apostrophe off where apostrophes stand in front of a formula start; anything else as is."""
    if text.startswith("'") and _STARTS_LIKE_FORMULA.match(text, 1) is not None:
        return text[1:]
    return text


def keep_text(cell: Any) -> None:
    """Make an openpyxl cell holding text hold it as text: openpyxl stores text starting with
    "=" as a formula and "#N/A" and the like as error values; text that starts like a formula
    also gets the quote-prefix style. Cells holding numbers, dates or nothing are left alone."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if starts_like_formula(cell.value):
            cell.quotePrefix = True
