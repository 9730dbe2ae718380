"""Spreadsheet output for downloads and the command line (openpyxl)."""

from __future__ import annotations

import io

from .formula_text import keep_text


def xlsx_bytes(header: list[str], rows: list[list], title: str = "vacancies") -> bytes:
    """One sheet: the header (frozen) and the rows. Text stays text, however it starts
    (core.formula_text)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            keep_text(sheet.cell(row=r, column=c, value=value))  # text, never a formula
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
