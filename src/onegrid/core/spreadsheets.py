"""Spreadsheet output for downloads and the command line (openpyxl)."""

from __future__ import annotations

import io


def xlsx_bytes(header: list[str], rows: list[list], title: str = "vacancies") -> bytes:
    """One sheet: the header (frozen) and the rows. Text that looks like a formula stays text."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
