"""Layer files within bounds (territory.layerio with core.limits): a file beyond a limit is one
file problem found before it is read on, a boundary with too many points is its feature's
problem, a shared code is named once, and odd codes and huge polygons are handled."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile

import numpy as np
import openpyxl
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import Polygon, box, mapping

from onegrid.territory.layerio import LayerFeature, read_layer, read_outline, write_layer
from support import bombs

OUTLINE = box(117.0, 39.1, 117.3, 39.3)


def cell(i: int) -> Polygon:
    x = 117.05 + i * 0.01
    return box(x, 39.15, x + 0.01, 39.16)


def ring(points: int, i: int = 0) -> Polygon:
    """A square cell whose boundary has `points` points (its lower edge subdivided)."""
    x0, y0 = 117.05 + i * 0.01, 39.15
    xs = np.linspace(x0, x0 + 0.01, points - 3)
    return Polygon([(x, y0) for x in xs] + [(x0 + 0.01, y0 + 0.01), (x0, y0 + 0.01)])


def geojson(features: list[tuple[str, Polygon]]) -> bytes:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)}
            for code, geom in features
        ],
    }
    return json.dumps(doc).encode()


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def shapefile_zip(tmp_path, geoms, codes) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.raw.write(
        str(folder / "grids.shp"),
        np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
        [np.array(codes, dtype=object)],
        ["code"],
        driver="ESRI Shapefile",
        geometry_type="Polygon",
        crs="EPSG:4326",
        encoding="UTF-8",
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    return out.getvalue()


def file_problem(layer):
    [problem] = layer.problems
    assert (problem.index, problem.field) == (None, "file")
    assert not layer.features
    return problem


def code(i: int) -> str:
    return f"120113001001{i:03d}"


def test_a_shared_code_is_named_once_with_its_count_and_first_features():
    # 2,000 features over four codes: before, each named the other 499 (a million numbers).
    features = [(code(i % 4 + 1), cell(i % 20)) for i in range(2000)]
    layer = read_layer(geojson(features), level="grid", filename="x.geojson")
    assert not layer.features
    shared = [p for p in layer.problems if p.problem == "duplicate_code"]
    assert [(p.index, p.code) for p in shared] == [(i + 1, code(i + 1)) for i in range(4)]
    assert shared[0].message == (
        f"Feature 1 ({code(1)}): the code is used by 500 features: 1, 5, 9, 13, 17 and 495 more."
    )
    assert sum(len(p.message) for p in layer.problems) < 400


def test_too_many_features_is_refused_in_every_format(settings, tmp_path):
    settings.ONEGRID = settings.ONEGRID | {"LAYER_MAX_FEATURES": 3}
    four = [(code(i + 1), cell(i)) for i in range(4)]
    files = {
        "x.geojson": geojson(four),
        "x.xlsx": xlsx([["code", "wkt"]] + [[c, g.wkt] for c, g in four]),
        "x.zip": shapefile_zip(tmp_path, [g for _c, g in four], [c for c, _g in four]),
    }
    for name, data in files.items():
        problem = file_problem(read_layer(data, level="grid", filename=name))
        assert problem.problem == "too_many_features", name
        assert "more than 3 features" in problem.message
    assert len(read_layer(geojson(four[:3]), level="grid", filename="x.geojson").features) == 3


def test_a_boundary_with_too_many_points_is_its_features_problem(settings, tmp_path):
    settings.ONEGRID = settings.ONEGRID | {"LAYER_MAX_VERTICES": 100}
    fine, dense, denser = ring(100, 0), ring(150, 1), ring(2000, 2)
    features = [(code(1), fine), (code(2), dense), (code(3), denser)]
    files = {
        "x.geojson": geojson(features),
        # 2,000 points take 32 KB of WKB: refused without being decoded.
        "x.zip": shapefile_zip(tmp_path, [g for _c, g in features], [c for c, _g in features]),
    }
    # The way the XLSX export writes a long WKT (over several cells).
    path = tmp_path / "x.xlsx"
    write_layer(
        [LayerFeature(i, c, "", c[:12], g, None, None, {}) for i, (c, g) in enumerate(features)],
        path,
        level="grid",
    )
    files["x.xlsx"] = path.read_bytes()
    for name, data in files.items():
        layer = read_layer(data, level="grid", filename=name, outline=OUTLINE)
        assert [f.code for f in layer.features] == [code(1)], name
        problems = {p.code: p for p in layer.problems}
        assert set(problems) == {code(2), code(3)}, name
        assert all(p.problem == "too_many_vertices" for p in problems.values()), problems
        assert "the boundary has 150 points; at most 100" in problems[code(2)].message


def test_too_many_points_together_is_refused(settings):
    settings.ONEGRID = settings.ONEGRID | {"LAYER_MAX_POINTS": 100}
    features = [(code(i + 1), ring(40, i)) for i in range(3)]
    for name, data in {
        "x.geojson": geojson(features),  # counted before parsing
        "x.xlsx": xlsx([["code", "wkt"]] + [[c, g.wkt] for c, g in features]),
    }.items():
        problem = file_problem(read_layer(data, level="grid", filename=name))
        assert problem.problem == "too_many_points", name


def test_an_outline_is_read_within_the_same_bounds_as_a_layer(settings):
    # The district's outline file opens as a layer file does: every bound, with its own word.
    settings.ONEGRID = settings.ONEGRID | {"LAYER_MAX_POINTS": 100}
    many_points = xlsx([["wkt"]] + [[ring(40, i).wkt] for i in range(3)])
    outline, [problem] = read_outline(many_points, filename="x.xlsx")
    assert outline is None and problem.problem == "too_many_points"
    outline, [problem] = read_outline(bombs.zip_bomb(), filename="x.zip")
    assert outline is None and problem.problem == "inflated_too_large"


def test_deep_geojson_is_refused_not_a_recursion_error():
    problem = file_problem(read_layer(bombs.deep_json(), level="grid", filename="x.geojson"))
    assert problem.problem == "nested_too_deep"
    assert "more than 32 levels deep" in problem.message


def test_deep_wkt_is_refused_before_geos_parses_it():
    # GEOS recurses per level (and crashes the process past some ten thousand).
    nested = "GEOMETRYCOLLECTION (" * 100 + cell(0).wkt + ")" * 100
    data = xlsx([["code", "wkt"], [code(1), nested], [code(2), cell(1).wkt]])
    layer = read_layer(data, level="grid", filename="x.xlsx")
    assert [f.code for f in layer.features] == [code(2)]
    [problem] = layer.problems
    assert problem.code == code(1) and "WKT is nested more than 32 levels" in problem.message


def test_archives_and_files_beyond_their_size_are_refused(settings):
    problem = file_problem(read_layer(bombs.zip_bomb(), level="grid", filename="x.zip"))
    assert problem.problem == "inflated_too_large" and "100 MB" in problem.message
    problem = file_problem(read_layer(bombs.xlsx_bomb(), level="grid", filename="x.xlsx"))
    assert problem.problem == "inflated_too_large"
    settings.ONEGRID = settings.ONEGRID | {"UPLOAD_MAX_BYTES": 1000}
    data = geojson([(code(i + 1), ring(50, i)) for i in range(3)])
    problem = file_problem(read_layer(data, level="grid", filename="x.geojson"))
    assert problem.problem == "file_too_large"


def test_codes_of_other_scripts_digits_are_not_codes():
    arabic = "١٢٠١١٣٠٠١٠٠١٠٠١"  # int() reads it as 120113001001001
    layer = read_layer(
        geojson([(arabic, cell(0)), (code(2), cell(1))]), level="grid", filename="x.geojson"
    )
    assert [f.code for f in layer.features] == [code(2)]
    assert [p.problem for p in layer.problems] == ["bad_code"]
    beats = read_layer(
        geojson([("B\n1", cell(0)), ("B\u202e2", cell(1)), ("北辰-警格 03", cell(2))]),
        level="beat",
        filename="x.geojson",
    )
    assert [f.code for f in beats.features] == ["北辰-警格 03"]
    # A code that breaks lines or reorders text is shown escaped in the message.
    assert [p.message.split(":")[0] for p in beats.problems] == [
        "Feature 1 (B\\u000a1)",
        "Feature 2 (B\\u202e2)",
    ]


def test_a_polygon_too_large_for_one_excel_cell_goes_on_in_the_next_columns(tmp_path):
    big = ring(6000, 0)  # about 230,000 characters of WKT
    features = [
        LayerFeature(1, code(1), "大", code(1)[:12], big, None, None, {}),
        LayerFeature(2, code(2), "=HYPERLINK(1)", code(2)[:12], cell(1), 10, 3, {}),
    ]
    path = tmp_path / "grids.xlsx"
    write_layer(features, path, level="grid")
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[5:] == ["wkt", *(f"wkt_{k}" for k in range(2, len(header) - 4))]
    assert all(len(str(c.value or "")) <= 32767 for row in sheet.iter_rows() for c in row)
    assert sheet["B3"].data_type == "s"  # a name that looks like a formula stays text
    layer = read_layer(path, level="grid")
    assert layer.ok, layer.problems
    back = {f.code: f for f in layer.features}
    assert back[code(1)].geometry.equals_exact(big, 0)
    assert back[code(2)].name == "=HYPERLINK(1)" and back[code(2)].population == 10


def test_a_geopackage_layer_that_is_a_view_is_not_run(tmp_path):
    # A view is a query, and a query can run for ever: this one never yields a row.
    path = tmp_path / "grids.gpkg"
    feature = LayerFeature(1, code(1), "", code(1)[:12], cell(0), None, None, {})
    write_layer([feature], path, level="grid")
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE VIEW endless AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
            "FROM n) SELECT g.* FROM grid g, n WHERE n.i < 0"
        )
        for table in ("gpkg_contents", "gpkg_geometry_columns"):
            db.execute(f"UPDATE {table} SET table_name = 'endless' WHERE table_name = 'grid'")
    problem = file_problem(read_layer(path, level="grid"))
    assert problem.problem == "unreadable" and "is a view" in problem.message


def test_the_command_line_refuses_a_bomb_with_the_reason(world, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "grids.zip"
    path.write_bytes(bombs.zip_bomb())
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("layers", "import", str(path), "--level", "grid", "--dry-run", stdout=out)
    assert "unpacks to more than 100 MB" in out.getvalue()
    path = tmp_path / "addresses.xlsx"
    path.write_bytes(bombs.xlsx_bomb())
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("addresses", "import", str(path), stdout=out)
    assert "unpacks to more than 100 MB" in out.getvalue()
