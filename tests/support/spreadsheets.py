"""Looking inside an XLSX file as a spreadsheet program would read it: which cells are formulas
or error values, which carry the quote-prefix style (core.formula_text)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path


def first_sheet(data: bytes | Path) -> tuple[str, str]:
    """The first worksheet's XML and the styles' XML."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with zipfile.ZipFile(source) as archive:
        return (
            archive.read("xl/worksheets/sheet1.xml").decode(),
            archive.read("xl/styles.xml").decode(),
        )


def runs_anything(sheet: str) -> bool:
    """Whether any cell is a formula or an error value rather than text or a number."""
    return "<f>" in sheet or "<f " in sheet or 't="f"' in sheet or 't="e"' in sheet


def cells(sheet: str, column: str = "[A-Z]+") -> dict[str, tuple[str, str | None]]:
    """{reference: (type, style index or None)} of the sheet's cells in `column`."""
    found = {}
    for reference, attributes in re.findall(rf'<c r="({column}\d+)"([^>]*)>', sheet):
        kind = re.search(r't="(\w+)"', attributes)
        style = re.search(r's="(\d+)"', attributes)
        found[reference] = (kind.group(1) if kind else "n", style.group(1) if style else None)
    return found


def quote_prefixed_styles(styles: str) -> set[str]:
    """Indexes of the cell formats (cellXfs) that carry quotePrefix="1"."""
    cell_xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    formats = re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", cell_xfs, re.S)
    return {str(i) for i, xf in enumerate(formats) if 'quotePrefix="1"' in xf}


def quote_prefixed(data: bytes | Path, column: str = "[A-Z]+") -> set[str]:
    """The references of the cells in `column` that carry the quote prefix."""
    sheet, styles = first_sheet(data)
    prefixed = quote_prefixed_styles(styles)
    return {ref for ref, (_kind, style) in cells(sheet, column).items() if style in prefixed}
