"""Layer files: every format round-trips, and every kind of bad feature is named in a report."""

import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pyogrio.raw
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping

from onegrid.core.errors import InvalidInput
from onegrid.territory import geometry as geo
from onegrid.territory.layerio import LayerFeature, orient_ccw, read_layer, write_layer

# A made-up "district" around Beichen, and grids inside it.
OUTLINE = box(117.0, 39.1, 117.3, 39.3)
G1 = "120113001001001"
G2 = "120113001001002"
G3 = "120113001001003"


def cell(i: int, size: float = 0.01) -> Polygon:
    x = 117.05 + i * size
    return box(x, 39.15, x + size, 39.15 + size)


def feature(i: int, geometry) -> dict:
    return {"type": "Feature", "properties": {}, "geometry": mapping(geometry)}


def geojson_file(tmp_path: Path, features: list[dict], name="layer.geojson", **extra) -> Path:
    path = tmp_path / name
    path.write_text(
        json.dumps({"type": "FeatureCollection", **extra, "features": features}), "utf-8"
    )
    return path


def gj(code, geometry, **props) -> dict:
    props = {"code": code, "name": f"网格{code}" if code else "", **props}
    return {
        "type": "Feature",
        "properties": props,
        "geometry": None if geometry is None else mapping(geometry),
    }


def by_index(layer):
    out = {}
    for p in layer.problems:
        out.setdefault(p.index, []).append(p)
    return out


# ---------------------------------------------------------------------------------------------
# Round trips


def sample_features() -> list[LayerFeature]:
    with_hole = Polygon(
        cell(0).exterior.coords, [box(117.053, 39.153, 117.056, 39.156).exterior.coords[::-1]]
    )
    multi = MultiPolygon([cell(1, 0.005), box(117.07, 39.17, 117.073, 39.173)])
    odd = Polygon([(117.1234567891, 39.2), (117.13, 39.2001234), (117.125, 39.21)])
    return [
        LayerFeature(1, G1, "果园新村一网格", "120113001001", with_hole, 1200, 400, {}),
        LayerFeature(2, G2, "Grid two", "120113001001", multi, None, None, {}),
        LayerFeature(3, G3, "", "120113001001", odd, 0, 7, {}),
    ]


@pytest.mark.parametrize("ext", ["geojson", "gpkg", "zip", "xlsx"])
def test_round_trip_every_format(tmp_path, ext):
    written = sample_features()
    path = tmp_path / f"grids.{ext}"
    write_layer(written, path, level="grid")
    layer = read_layer(path, level="grid", outline=OUTLINE)
    assert layer.ok, layer.problems
    assert [f.code for f in layer.features] == [G1, G2, G3]
    for before, after in zip(written, layer.features, strict=True):
        assert after.name == before.name
        assert after.parent_code == before.parent_code
        assert after.population == before.population
        assert after.households == before.households
        assert after.geometry.geom_type == before.geometry.geom_type
        assert after.geometry.equals_exact(orient_ccw(before.geometry), 1e-7)


def test_round_trip_from_bytes_without_a_name(tmp_path):
    for ext in ("geojson", "gpkg", "zip", "xlsx"):
        path = tmp_path / f"g.{ext}"
        write_layer(sample_features(), path, level="grid")
        layer = read_layer(path.read_bytes(), level="grid")
        assert layer.ok, (ext, layer.problems)
        assert [f.code for f in layer.features] == [G1, G2, G3]


def test_write_refuses_an_unknown_extension(tmp_path):
    with pytest.raises(InvalidInput):
        write_layer(sample_features(), tmp_path / "x.kml", level="grid")


# ---------------------------------------------------------------------------------------------
# A bad GeoJSON: every feature named


def test_bad_geojson_names_every_feature_and_problem(tmp_path):
    bowtie = Polygon([(117.10, 39.20), (117.12, 39.22), (117.12, 39.20), (117.10, 39.22)])
    far = box(116.30, 39.85, 116.32, 39.87)  # Beijing, outside the outline
    half_out = box(117.29, 39.2, 117.31, 39.21)  # half of it east of the outline
    nearly_in = box(117.0, 39.2, 117.2, 39.21).union(box(117.29, 39.2, 117.3005, 39.21))
    features = [
        gj(G1, cell(0)),  # 1 ok
        gj(G2, bowtie),  # 2 self-intersection
        gj(G3, cell(2)),  # 3 duplicate of 5
        gj("", cell(3)),  # 4 missing code
        gj(G3, cell(4)),  # 5 duplicate of 3
        gj("120113001001006", Point(117.1, 39.2)),  # 6 point
        gj("120113001001007", far),  # 7 outside
        gj("12345", cell(5)),  # 8 bad code
        gj("120113001001009", None),  # 9 no geometry
        gj("120113001001010", half_out),  # 10 half outside
        gj("120113001001011", nearly_in),  # 11 sticks out by < 1 %: fine
        gj("120113001001012", cell(6), community_code="120113002001"),  # 12 wrong parent
        gj("120113001001013", cell(7), population="many"),  # 13 bad number
    ]
    layer = read_layer(geojson_file(tmp_path, features), level="grid", outline=OUTLINE)
    assert not layer.ok
    problems = by_index(layer)
    assert [f.code for f in layer.features] == [G1, "120113001001011"]
    assert all(f.geometry.is_valid for f in layer.features)

    def only(index):
        assert len(problems[index]) == 1, problems[index]
        return problems[index][0]

    p = only(2)
    assert (p.code, p.field, p.problem) == (G2, "geometry", "self_intersection")
    assert p.message.startswith(f"Feature 2 ({G2}): the boundary crosses itself near 117.11")
    assert "39.21" in p.message
    # A shared code is one problem, at its first feature; every feature using it is left out.
    p = only(3)
    assert (p.code, p.field, p.problem) == (G3, "code", "duplicate_code")
    assert p.message == f"Feature 3 ({G3}): the code is used by 2 features: 3, 5."
    assert 5 not in problems
    p = only(4)
    assert (p.code, p.field, p.problem) == ("", "code", "missing_code")
    assert p.message.startswith("Feature 4 (no code)")
    p = only(6)
    assert (p.problem, p.code) == ("not_polygon", "120113001001006")
    assert "Point" in p.message and "Feature 6 (120113001001006)" in p.message
    p = only(7)
    assert (p.problem, p.field) == ("outside_district", "geometry")
    assert "100.0%" in p.message
    p = only(8)
    assert (p.problem, p.code) == ("bad_code", "12345")
    assert "15 digits" in p.message
    assert only(9).problem == "empty"
    p = only(10)
    assert p.problem == "outside_district" and "50.0%" in p.message
    p = only(12)
    assert (p.field, p.problem) == ("parent_code", "bad_parent")
    p = only(13)
    assert (p.field, p.problem) == ("population", "bad_number")
    assert set(problems) == {2, 3, 4, 6, 7, 8, 9, 10, 12, 13}


def test_several_problems_on_one_feature_are_all_reported(tmp_path):
    bowtie = Polygon([(117.10, 39.20), (117.12, 39.22), (117.12, 39.20), (117.10, 39.22)])
    layer = read_layer(geojson_file(tmp_path, [gj("abc", bowtie)]), level="grid")
    assert {p.problem for p in layer.problems} == {"bad_code", "self_intersection"}
    assert all(p.index == 1 and p.code == "abc" for p in layer.problems)


def test_other_invalid_polygons_are_explained(tmp_path):
    shell = box(117.1, 39.2, 117.2, 39.3)
    hole_outside = Polygon(shell.exterior.coords, [box(117.3, 39.2, 117.31, 39.21).exterior.coords])
    overlapping = MultiPolygon([cell(0), box(117.055, 39.155, 117.07, 39.17)])
    broken = {"type": "Polygon", "coordinates": [[[117.1, 39.2], [117.2]]]}
    features = [
        gj(G1, hole_outside),
        gj(G2, overlapping),
        {"type": "Feature", "properties": {"code": G3}, "geometry": broken},
    ]
    layer = read_layer(geojson_file(tmp_path, features), level="grid")
    problems = by_index(layer)
    assert problems[1][0].problem == "invalid_geometry"
    assert "hole lies outside" in problems[1][0].message
    assert problems[2][0].problem == "self_intersection"  # GEOS's word for overlapping parts
    assert problems[3][0].problem == "invalid_geometry"
    assert layer.features == []


def test_not_geojson_and_empty_files(tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text("{not json", "utf-8")
    layer = read_layer(path, level="grid")
    assert [(p.index, p.field, p.problem) for p in layer.problems] == [(None, "file", "unreadable")]
    layer = read_layer(geojson_file(tmp_path, []), level="grid")
    assert [(p.index, p.problem) for p in layer.problems] == [(None, "empty")]
    layer = read_layer(b"\x00\x01garbage", level="grid", filename="x.gpkg")
    assert layer.problems[0].problem == "unreadable"
    layer = read_layer(b"\x00\x01garbage", level="grid")
    assert layer.problems[0].problem == "unreadable"


def test_bad_level_or_crs_raise():
    with pytest.raises(InvalidInput):
        read_layer(b"{}", level="village")
    with pytest.raises(InvalidInput):
        read_layer(b"{}", level="grid", crs="bd09")


# ---------------------------------------------------------------------------------------------
# Coordinate systems


def to_crs(geom, epsg: int):
    t = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def test_projected_coordinates_without_a_crs_are_a_crs_mismatch(tmp_path):
    features = [gj(G1, to_crs(cell(0), 3857)), gj(G2, to_crs(cell(1), 3857))]
    layer = read_layer(geojson_file(tmp_path, features), level="grid")
    assert layer.features == []
    [p] = layer.problems
    assert (p.index, p.field, p.problem) == (None, "crs", "crs_mismatch")
    assert "projected" in p.message


def test_swapped_lat_lon_is_a_crs_mismatch(tmp_path):
    swapped = shapely.transform(cell(0), lambda c: c[:, ::-1])
    layer = read_layer(geojson_file(tmp_path, [gj(G1, swapped)]), level="grid")
    [p] = layer.problems
    assert p.problem == "crs_mismatch" and "latitude" in p.message


def test_one_feature_not_in_china_is_named(tmp_path):
    features = [gj(G1, cell(0)), gj(G2, box(2.0, 48.0, 2.1, 48.1))]  # Paris
    layer = read_layer(geojson_file(tmp_path, features), level="grid")
    assert [f.code for f in layer.features] == [G1]
    [p] = layer.problems
    assert (p.index, p.code, p.problem) == (2, G2, "crs_mismatch")


def test_layer_entirely_outside_the_outline_is_a_crs_mismatch(tmp_path):
    features = [gj(G1, box(116.30, 39.85, 116.32, 39.87))]
    layer = read_layer(geojson_file(tmp_path, features), level="grid", outline=OUTLINE)
    problems = {(p.index, p.problem) for p in layer.problems}
    assert problems == {(None, "crs_mismatch"), (1, "outside_district")}


def test_geojson_crs_member_is_honoured(tmp_path):
    features = [gj(G1, to_crs(cell(0), 3857))]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    layer = read_layer(geojson_file(tmp_path, features, crs=crs), level="grid")
    assert layer.ok, layer.problems
    assert layer.features[0].geometry.equals_exact(cell(0), 1e-7)
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    layer = read_layer(geojson_file(tmp_path, [gj(G1, cell(0))], crs=crs), level="grid")
    assert layer.ok
    crs = {"type": "name", "properties": {"name": "no such crs"}}
    layer = read_layer(geojson_file(tmp_path, [gj(G1, cell(0))], crs=crs), level="grid")
    assert [(p.field, p.problem) for p in layer.problems] == [("crs", "crs_mismatch")]


def write_shapefile_zip(tmp_path: Path, geoms, codes, *, crs, encoding="UTF-8", keep=None):
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    shp = folder / "grids.shp"
    pyogrio.raw.write(
        str(shp),
        np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
        [np.array(codes, dtype=object), np.array([f"名称{c[-3:]}" for c in codes], dtype=object)],
        ["GRID_CODE", "NAME"],
        driver="ESRI Shapefile",
        geometry_type="Polygon",
        crs=crs,
        encoding=encoding,
    )
    path = tmp_path / "grids.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted(folder.iterdir()):
            if keep is None or part.suffix in keep:
                zf.write(part, f"export/{part.name}")
    return path


def test_zipped_shapefile_in_cgcs2000_gauss_kruger_is_reprojected(tmp_path):
    # EPSG:4527: CGCS2000 / 3-degree Gauss-Kruger zone 39 (central meridian 117°E), metres.
    geoms = [to_crs(cell(0), 4527), to_crs(cell(1), 4527)]
    assert geoms[0].bounds[0] > 39_000_000
    path = write_shapefile_zip(tmp_path, geoms, [G1, G2], crs="EPSG:4527")
    layer = read_layer(path, level="grid", outline=OUTLINE)
    assert layer.ok, layer.problems
    assert [f.code for f in layer.features] == [G1, G2]
    assert [f.name for f in layer.features] == ["名称001", "名称002"]
    for i, f in enumerate(layer.features):
        assert f.geometry.equals_exact(cell(i), 1e-7)


def test_zipped_shapefile_without_prj_in_metres_is_a_crs_mismatch(tmp_path):
    geoms = [to_crs(cell(0), 4527)]
    path = write_shapefile_zip(
        tmp_path, geoms, [G1], crs="EPSG:4527", keep={".shp", ".shx", ".dbf"}
    )
    layer = read_layer(path, level="grid")
    assert [(p.index, p.problem) for p in layer.problems] == [(None, "crs_mismatch")]


def test_zipped_shapefile_in_gbk_without_cpg(tmp_path):
    path = write_shapefile_zip(
        tmp_path,
        [cell(0)],
        [G1],
        crs="EPSG:4326",
        encoding="GBK",
        keep={".shp", ".shx", ".dbf", ".prj"},
    )
    layer = read_layer(path, level="grid")
    assert layer.ok, layer.problems
    assert layer.features[0].name == "名称001"


def test_zip_without_a_shapefile(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    layer = read_layer(path, level="grid")
    assert layer.problems[0].problem == "unreadable"


def test_gcj02_input_is_shifted_to_wgs84(tmp_path):
    path = geojson_file(tmp_path, [gj(G1, cell(0))])
    as_wgs = read_layer(path, level="grid", crs="wgs84").features[0].geometry
    as_gcj = read_layer(path, level="grid", crs="gcj02").features[0].geometry
    a, b = as_wgs.centroid, as_gcj.centroid
    proj = geo.projection_for(as_wgs)
    (x0, y0), (x1, y1) = (proj.forward(a.x, a.y), proj.forward(b.x, b.y))
    shift = float(np.hypot(x1 - x0, y1 - y0))
    assert 300 < shift < 600
    expected = geo.geometry_to_wgs84(cell(0), "gcj02")
    assert as_gcj.equals_exact(orient_ccw(expected), 1e-9)


# ---------------------------------------------------------------------------------------------
# XLSX and GeoPackage by hand


def test_xlsx_with_chinese_headers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编码", "名称", "上级编码", "人口", "户数", "WKT", "备注"])
    ws.append([int(G1), "一网格", "120113001001", 1500, 500, cell(0).wkt, "a"])  # row 2
    ws.append([])  # row 3: blank, skipped
    ws.append([G2, "二网格", None, "2,000", None, "POLYGON ((117 39, 117.1"])  # row 4
    ws.append([G3, "三网格", None, None, None, None])  # row 5: no geometry
    ws.append(["120113001001004", "四网格", None, -5, None, cell(3).wkt])  # row 6
    ws.append(["120113001001005", "五网格", None, None, None, "SRID=4326;" + cell(4).wkt])
    path = tmp_path / "grids.xlsx"
    wb.save(path)
    layer = read_layer(path, level="grid")
    assert [(f.index, f.code) for f in layer.features] == [(2, G1), (7, "120113001001005")]
    first = layer.features[0]
    assert (first.name, first.parent_code, first.population, first.households) == (
        "一网格",
        "120113001001",
        1500,
        500,
    )
    assert first.properties == {"备注": "a"}
    assert first.geometry.equals_exact(cell(0), 1e-12)
    problems = {(p.index, p.code, p.field, p.problem) for p in layer.problems}
    assert problems == {
        (4, G2, "geometry", "invalid_geometry"),
        (5, G3, "geometry", "empty"),
        (6, "120113001001004", "population", "bad_number"),
    }
    assert next(p for p in layer.problems if p.index == 4).message.startswith(f"Feature 4 ({G2})")


def test_xlsx_without_wkt_column(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["code", "name"])
    wb.active.append([G1, "x"])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    layer = read_layer(path, level="grid")
    assert [(p.index, p.field) for p in layer.problems] == [(None, "geometry")]


def test_geopackage_picks_the_polygon_layer_and_finds_fields(tmp_path):
    path = tmp_path / "layers.gpkg"
    pyogrio.raw.write(
        str(path),
        np.array([shapely.to_wkb(Point(117.1, 39.2))], dtype=object),
        [np.array(["p"], dtype=object)],
        ["label"],
        layer="points",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    pyogrio.raw.write(
        str(path),
        np.array([shapely.to_wkb(cell(0)), shapely.to_wkb(cell(1))], dtype=object),
        [
            np.array([G1, G2], dtype=object),
            np.array(["一", "二"], dtype=object),
            np.array([1.0, 2.0]),
        ],
        ["Grid_Code", "名称", "area"],
        layer="grids",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
        append=True,
    )
    layer = read_layer(path, level="grid")
    assert layer.ok, layer.problems
    assert [(f.code, f.name, f.properties) for f in layer.features] == [
        (G1, "一", {"area": 1.0}),
        (G2, "二", {"area": 2.0}),
    ]


def test_field_overrides(tmp_path):
    features = [
        {"type": "Feature", "properties": {"BM": G1, "MC": "x"}, "geometry": mapping(cell(0))}
    ]
    path = geojson_file(tmp_path, features)
    layer = read_layer(path, level="grid", code_field="bm", name_field="MC")
    assert layer.ok and layer.features[0].name == "x"
    layer = read_layer(path, level="grid")
    assert [(p.index, p.problem) for p in layer.problems] == [(None, "missing_code")]
    layer = read_layer(path, level="grid", code_field="nope")
    assert [(p.index, p.field) for p in layer.problems] == [(None, "code")]


# ---------------------------------------------------------------------------------------------
# Codes per level


def test_codes_and_parents_per_level(tmp_path):
    streets = [gj("120113001000", cell(0)), gj("120113001001", cell(1))]
    layer = read_layer(geojson_file(tmp_path, streets), level="street")
    assert [f.code for f in layer.features] == ["120113001000"]
    assert [(p.index, p.problem) for p in layer.problems] == [(2, "bad_code")]

    communities = [
        gj("120113001001", cell(0)),
        gj("120113001002", cell(1), street_code="120113002000"),
    ]
    layer = read_layer(geojson_file(tmp_path, communities), level="community")
    assert [(f.code, f.parent_code) for f in layer.features] == [("120113001001", "120113001000")]
    assert [(p.index, p.field, p.problem) for p in layer.problems] == [
        (2, "parent_code", "bad_parent")
    ]

    beats = [
        gj("北辰-警格 01", cell(0), street_code="120113001000"),
        gj("x" * 41, cell(1)),
        gj("B2", cell(2)),
    ]
    layer = read_layer(geojson_file(tmp_path, beats), level="beat")
    assert [(f.code, f.parent_code) for f in layer.features] == [
        ("北辰-警格 01", "120113001000"),
        ("B2", ""),
    ]
    assert [(p.index, p.problem) for p in layer.problems] == [(2, "bad_code")]

    grids = [gj(G1, cell(0))]
    layer = read_layer(geojson_file(tmp_path, grids), level="grid")
    assert layer.features[0].parent_code == G1[:12]
