"""Grid layer GeoJSON: export → import round trip through the one write path (territory.layers),
all-or-nothing validation, GCJ-02 input, the cached GeoJSON."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
import shapely
from fast_geocn.coord import wgs84_to_gcj02
from shapely.geometry import shape

from onegrid.territory import layers, locator, selectors, services
from onegrid.territory.geometry import projection_for
from onegrid.territory.models import Grid, LayerState, LayerVersion

pytestmark = pytest.mark.usefixtures("db", "fresh_locator")


def state() -> str:
    """A digest of everything an import may change: every grid row and the layer version."""
    h = hashlib.sha256()
    for row in Grid.objects.order_by("code").values_list(
        "code", "name", "community_id", "street_id", "geometry_wkb", "area_m2"
    ):
        h.update(repr(row[:4]).encode() + bytes(row[4]) + repr(row[5]).encode())
    h.update(repr(LayerState.objects.filter(name="grids").values_list("version")[0]).encode())
    return h.hexdigest()


@pytest.fixture
def exported(beichen):
    return {"type": "FeatureCollection", "features": selectors.grid_features()}


def test_export_is_a_feature_collection_of_every_grid(exported):
    assert exported["type"] == "FeatureCollection"
    assert len(exported["features"]) == Grid.objects.count()
    first = exported["features"][0]
    grid = Grid.objects.select_related("community", "street").order_by("code").first()
    props = first["properties"]
    assert (props["code"], props["name"]) == (grid.code, grid.name)
    assert (props["community_code"], props["street_code"]) == (
        grid.community.code,
        grid.street.code,
    )
    assert shape(first["geometry"]).equals_exact(grid.geometry, 0)
    json.dumps(exported)  # serialisable as is


def _import(data, **options):
    """The grid layer's one write path, as `onegrid grids import` takes a GeoJSON file."""
    return layers.import_layer_file(
        file=json.dumps(data).encode(), filename="grids.geojson", level="grid", **options
    )


def test_round_trip_changes_nothing(exported):
    before = state()
    report = _import(json.loads(json.dumps(exported)))
    assert not report.refused and report.version is None
    assert len(report.unchanged) == Grid.objects.count()
    assert state() == before


def test_import_changes_adds_and_retires_as_a_new_version(exported, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LOCATOR_RECHECK_SECONDS": 0}
    data = copy.deepcopy(exported)
    a, b = data["features"][0], data["features"][1]
    a["properties"]["name"] = "改名网格"
    # Give grid b's area to a new grid 999 in the same community; drop b.
    new = copy.deepcopy(b)
    new["properties"]["code"] = b["properties"]["community_code"] + "999"
    new["properties"]["name"] = "第999网格"
    data["features"] = [f for f in data["features"] if f is not b] + [new]
    label = Grid.objects.get(code=b["properties"]["code"])
    assert locator.locate(label.label_lon, label.label_lat).grid_code == label.code

    report = _import(data, replace=True)
    assert (report.added, report.retired) == ([new["properties"]["code"]], [label.code])
    # The demo's own layer is version 1 (demo.district imports it); this import makes 2.
    assert report.version == 2 and LayerVersion.objects.filter(kind="grids").count() == 2
    assert Grid.objects.get(code=a["properties"]["code"]).name == "改名网格"
    # Retired, not deleted: cases keep it, and its code is never given out again.
    assert Grid.all_objects.get(code=label.code).retired_in == 2
    created = Grid.objects.get(code=new["properties"]["code"])
    assert created.street_id == created.community.parent_id
    assert created.area_m2 == pytest.approx(label.area_m2, rel=1e-4)
    # The version bump reaches the locator: the point now lies in the new grid.
    assert locator.locate(label.label_lon, label.label_lat).grid_code == created.code


def test_a_bad_feature_is_named_and_nothing_changes(exported):
    before = state()
    data = copy.deepcopy(exported)
    for f in data["features"][:5]:
        f["properties"]["name"] = "不应保存"
    data["features"][5]["properties"]["code"] = "12011300100100"
    report = _import(data)
    assert report.refused
    assert [(p.index, p.problem) for p in report.problems] == [(6, "bad_code")]
    assert state() == before


def test_gcj02_import_is_stored_in_wgs84(exported):
    data = copy.deepcopy(exported)
    data["features"] = data["features"][:20]
    originals = {f["properties"]["code"]: shape(f["geometry"]) for f in data["features"]}
    for f in data["features"]:
        f["geometry"]["coordinates"] = [
            [list(wgs84_to_gcj02(x, y)) for x, y in ring] for ring in f["geometry"]["coordinates"]
        ]
    _import(data, crs="gcj02")
    proj = projection_for(next(iter(originals.values())))
    for code, original in originals.items():
        stored = Grid.objects.get(code=code).geometry
        shifted = shapely.hausdorff_distance(proj.to_metric(stored), proj.to_metric(original))
        assert shifted < 1.0, code  # back where it was, to within a metre


def test_grids_geojson_is_cached_per_version(beichen, django_assert_max_num_queries):
    body = selectors.grids_geojson_bytes()
    with django_assert_max_num_queries(1):  # the version check only
        assert selectors.grids_geojson_bytes() is body
    services.bump_layer_version()
    assert selectors.grids_geojson_bytes() is not body
    data = selectors.grids_geojson()
    assert len(data["features"]) == Grid.objects.count()
    street = Grid.objects.first().street
    only = selectors.grids_geojson(street_id=street.id)
    assert {f["properties"]["street_code"] for f in only["features"]} == {street.code}
    assert len(only["features"]) == Grid.objects.filter(street=street).count()
