"""Grid layer GeoJSON: export → import round trip, all-or-nothing validation, GCJ-02 input."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
import shapely
from fast_geocn.coord import wgs84_to_gcj02
from shapely.geometry import shape

from onegrid.core.errors import InvalidInput
from onegrid.territory import locator, selectors, services
from onegrid.territory.geometry import projection_for
from onegrid.territory.models import Grid, LayerState

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
    return services.export_grid_layer_geojson()


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


def test_round_trip_changes_nothing_but_the_version(exported):
    before = {g.code: (g.name, g.community_id, bytes(g.geometry_wkb)) for g in Grid.objects.all()}
    version = LayerState.objects.get(name="grids").version
    result = services.import_grid_layer_geojson(json.loads(json.dumps(exported)))
    assert result == {"created": 0, "updated": len(before), "deleted": 0, "version": version + 1}
    after = {g.code: (g.name, g.community_id, g.geometry) for g in Grid.objects.all()}
    assert after.keys() == before.keys()
    for code, (name, community_id, geom) in after.items():
        assert (name, community_id) == before[code][:2]
        assert geom.equals_exact(shapely.from_wkb(before[code][2]), 0), code


def test_import_updates_creates_and_replaces(exported, settings):
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

    result = services.import_grid_layer_geojson(data, replace=True)
    assert (result["created"], result["deleted"]) == (1, 1)
    assert Grid.objects.get(code=a["properties"]["code"]).name == "改名网格"
    assert not Grid.objects.filter(code=b["properties"]["code"]).exists()
    created = Grid.objects.get(code=new["properties"]["code"])
    assert created.street_id == created.community.parent_id
    assert created.area_m2 == pytest.approx(label.area_m2, rel=1e-4)
    # The version bump reaches the locator: the point now lies in the new grid.
    assert locator.locate(label.label_lon, label.label_lat).grid_code == created.code


def _bad(exported, index, mutate):
    data = copy.deepcopy(exported)
    # Earlier features carry valid changes: none of them may be applied either.
    for f in data["features"][:index]:
        f["properties"]["name"] = "不应保存"
    mutate(data["features"][index], data)
    return data


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[117.1, 39.2], [117.2, 39.3], [117.2, 39.2], [117.1, 39.3], [117.1, 39.2]]],
}
TWO_PARTS = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[117.1, 39.2], [117.11, 39.2], [117.11, 39.21], [117.1, 39.2]]],
        [[[117.2, 39.2], [117.21, 39.2], [117.21, 39.21], [117.2, 39.2]]],
    ],
}


def _set(key, value):
    def mutate(feature, _data):
        feature["properties"][key] = value

    return mutate


def _geometry(value):
    def mutate(feature, _data):
        feature["geometry"] = value

    return mutate


def _duplicate(feature, data):
    feature["properties"]["code"] = data["features"][0]["properties"]["code"]


def _nan(feature, _data):
    feature["geometry"]["coordinates"][0][1] = [float("nan"), 39.2]


def _out_of_range(feature, _data):
    feature["geometry"]["coordinates"][0][1] = [190.0, 39.2]


def _wrong_community(feature, _data):
    # A real community, but not the one the grid code starts with.
    feature["properties"]["community_code"] = "120113001001"
    feature["properties"]["code"] = "120113002001" + "001"


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (_set("code", "12011300100100"), "15 digits"),
        (_set("code", "1201130010010AB"), "15 digits"),
        (_duplicate, "more than once"),
        (_set("name", ""), "name"),
        (_set("community_code", "120113001"), "12 digits"),
        (_set("community_code", "120113999999"), "start with"),
        (_wrong_community, "start with"),
        (_geometry(BOWTIE), "invalid"),
        (_geometry(TWO_PARTS), "single Polygon"),
        (_geometry({"type": "Point", "coordinates": [117.1, 39.2]}), "single Polygon"),
        (_geometry(None), "missing"),
        (_geometry({"type": "Polygon", "coordinates": "nonsense"}), "GeoJSON"),
        (_nan, "finite"),
        (_out_of_range, "out of range"),
    ],
)
def test_a_bad_feature_is_named_and_nothing_changes(exported, mutate, words):
    before = state()
    data = _bad(exported, 5, mutate)
    with pytest.raises(InvalidInput) as exc:
        services.import_grid_layer_geojson(data)
    message = str(exc.value.message)
    assert exc.value.field == "features[5]"
    assert message.startswith("Feature 5 (")
    assert words in message
    assert state() == before


def test_an_unknown_community_is_named_and_nothing_changes(exported):
    before = state()

    def mutate(feature, _data):
        feature["properties"]["community_code"] = "120113001099"
        feature["properties"]["code"] = "120113001099001"

    data = _bad(exported, 7, mutate)
    with pytest.raises(InvalidInput) as exc:
        services.import_grid_layer_geojson(data)
    assert "Feature 7 (120113001099001)" in str(exc.value.message)
    assert "does not exist" in str(exc.value.message)
    assert state() == before


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"type": "Feature"},
        [],
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": []},
    ],
)
def test_not_a_feature_collection(data, beichen):
    before = state()
    with pytest.raises(InvalidInput):
        services.import_grid_layer_geojson(data)
    assert state() == before


def test_bad_crs_changes_nothing(exported):
    before = state()
    with pytest.raises(InvalidInput) as exc:
        services.import_grid_layer_geojson(exported, crs="bd09")
    assert exc.value.field == "crs"
    assert state() == before


def test_gcj02_import_is_stored_in_wgs84(exported):
    data = copy.deepcopy(exported)
    data["features"] = data["features"][:20]
    originals = {f["properties"]["code"]: shape(f["geometry"]) for f in data["features"]}
    for f in data["features"]:
        f["geometry"]["coordinates"] = [
            [list(wgs84_to_gcj02(x, y)) for x, y in ring] for ring in f["geometry"]["coordinates"]
        ]
    services.import_grid_layer_geojson(data, crs="gcj02")
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
