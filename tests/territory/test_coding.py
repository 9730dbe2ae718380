"""Codes for new and split grids from a file: reading order, never a used code, round trip."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from shapely import box
from shapely.geometry import mapping

from onegrid.core.errors import InvalidInput
from onegrid.territory import coding, layerio, layers
from onegrid.territory.models import AdminUnit, Grid

COMMUNITY = "120113001001"
OTHER = "120113002001"


@pytest.fixture
def drawn(world):
    """The small world's two communities with boundaries: 117.10–117.12 and 117.12–117.13."""
    shapes = {
        COMMUNITY: box(117.10, 39.20, 117.12, 39.21),
        OTHER: box(117.12, 39.20, 117.13, 39.21),
    }
    for code, shape in shapes.items():
        AdminUnit.objects.filter(code=code).update(geometry_wkb=shape.wkb)
    return world


def geojson(features) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": props, "geometry": mapping(geom)}
                for props, geom in features
            ],
        }
    ).encode()


def read(features) -> layerio.LayerFile:
    return layerio.read_layer(geojson(features), level="grid", filename="g.geojson", codeless=True)


def by_index(result) -> dict[int, str]:
    return {f.index: f.code for f in result.features}


def test_split_pieces_and_new_grids_get_the_next_serials_in_reading_order(drawn):
    layer = read(
        [
            ({"code": f"{COMMUNITY}001"}, box(117.10, 39.20, 117.11, 39.21)),
            # Grid 002 split east–west: both pieces still carry its code.
            ({"code": f"{COMMUNITY}002"}, box(117.115, 39.20, 117.12, 39.21)),
            ({"code": f"{COMMUNITY}002"}, box(117.11, 39.20, 117.115, 39.21)),
            # A new grid with no code, in the other community (found by its polygon).
            ({"name": "新网格"}, box(117.12, 39.20, 117.13, 39.21)),
        ]
    )
    assert layer.ok, layer.problems
    result = coding.assign_codes(layer)
    assert result.ok, result.problems
    assert by_index(result) == {
        1: f"{COMMUNITY}001",  # kept
        2: f"{COMMUNITY}004",  # the east piece comes second in reading order
        3: f"{COMMUNITY}003",
        4: f"{OTHER}004",  # the other community already used 003
    }
    assert result.counts() == {"new": 1, "split": 2, "renumbered": 0}
    assert {(c.index, c.old_code, c.reason) for c in result.changes} == {
        (2, f"{COMMUNITY}002", "split"),
        (3, f"{COMMUNITY}002", "split"),
        (4, "", "new"),
    }


def test_rows_run_north_to_south_before_west_to_east(drawn):
    layer = read(
        [
            ({}, box(117.10, 39.200, 117.12, 39.205)),  # south
            ({}, box(117.10, 39.205, 117.12, 39.210)),  # north
        ]
    )
    codes = by_index(coding.assign_codes(layer))
    assert codes == {1: f"{COMMUNITY}004", 2: f"{COMMUNITY}003"}


def test_a_retired_code_is_never_given_again(drawn):
    shape = box(117.10, 39.20, 117.101, 39.201)
    Grid.all_objects.create(
        code=f"{COMMUNITY}009",
        name="已撤销",
        community_id=drawn.grids[0].community_id,
        street_id=drawn.grids[0].street_id,
        geometry_wkb=shape.wkb,
        area_m2=1.0,
        label_lon=117.1005,
        label_lat=39.2005,
        retired_in=1,  # retired by grid layer version 1
    )
    result = coding.assign_codes(read([({}, box(117.10, 39.20, 117.11, 39.21))]))
    assert by_index(result) == {1: f"{COMMUNITY}010"}


def test_renumbering_a_community_gives_fresh_codes_in_reading_order(drawn):
    layer = read(
        [
            ({"code": f"{COMMUNITY}001"}, box(117.11, 39.20, 117.12, 39.21)),  # east
            ({"code": f"{COMMUNITY}002"}, box(117.10, 39.20, 117.11, 39.21)),  # west
            ({"code": f"{OTHER}003"}, box(117.12, 39.20, 117.13, 39.21)),
        ]
    )
    result = coding.assign_codes(layer, renumber=[COMMUNITY])
    assert by_index(result) == {1: f"{COMMUNITY}004", 2: f"{COMMUNITY}003", 3: f"{OTHER}003"}
    assert result.counts()["renumbered"] == 2


def test_grids_without_a_community_and_unknown_communities_are_problems(drawn):
    layer = read(
        [
            ({}, box(117.20, 39.20, 117.21, 39.21)),  # beyond both communities
            ({"parent_code": "120113009009"}, box(117.10, 39.20, 117.11, 39.21)),
            ({}, box(117.10, 39.20, 117.11, 39.21)),
        ]
    )
    result = coding.assign_codes(layer)
    assert [(p.index, p.field, p.problem) for p in result.problems] == [
        (1, "geometry", "no_community"),
        (2, "parent_code", "bad_parent"),
    ]
    assert by_index(result) == {3: f"{COMMUNITY}003"}
    with pytest.raises(InvalidInput) as refused:
        coding.assign_codes(layer, renumber=["120113009009"])
    assert refused.value.field == "renumber"


def test_a_codeless_read_is_only_for_grids_and_a_plain_read_still_wants_codes(drawn):
    with pytest.raises(InvalidInput):
        layerio.read_layer(geojson([]), level="beat", filename="b.geojson", codeless=True)
    plain = layerio.read_layer(
        geojson([({}, box(117.10, 39.20, 117.11, 39.21))]), level="grid", filename="g.geojson"
    )
    assert [p.problem for p in plain.problems] == ["missing_code"]


def test_the_coded_file_imports_and_retires_the_split_grid(drawn, tmp_path):
    source = tmp_path / "drawn.geojson"
    source.write_bytes(
        geojson(
            [
                ({"code": f"{COMMUNITY}001"}, box(117.10, 39.20, 117.11, 39.21)),
                ({"code": f"{COMMUNITY}002"}, box(117.11, 39.20, 117.115, 39.21)),
                ({"code": f"{COMMUNITY}002"}, box(117.115, 39.20, 117.12, 39.21)),
                ({"code": f"{OTHER}003"}, box(117.12, 39.20, 117.13, 39.21)),
            ]
        )
    )
    coded = tmp_path / "coded.gpkg"
    out = io.StringIO()
    call_command("layers", "codes", str(source), "--out", str(coded), stdout=out)
    assert "4 grids: 0 new, 2 split, 0 renumbered" in out.getvalue()
    assert f"--retire {COMMUNITY}002" in out.getvalue()

    layer = layerio.read_layer(coded, level="grid")
    assert layer.ok, layer.problems
    report = layers.import_layer(layer=layer, retire=[f"{COMMUNITY}002"], actor="test")
    assert sorted(report.added) == [f"{COMMUNITY}003", f"{COMMUNITY}004"]
    assert report.retired == [f"{COMMUNITY}002"]
    assert not Grid.objects.filter(code=f"{COMMUNITY}002").exists()
    assert Grid.all_objects.get(code=f"{COMMUNITY}002").retired_in is not None


def test_the_command_writes_nothing_when_a_grid_has_a_problem(drawn, tmp_path):
    source = tmp_path / "drawn.geojson"
    source.write_bytes(geojson([({}, box(117.20, 39.20, 117.21, 39.21))]))
    coded = tmp_path / "coded.geojson"
    with pytest.raises(CommandError, match="no file written"):
        call_command("layers", "codes", str(source), "--out", str(coded), stdout=io.StringIO())
    assert not coded.exists()
    with pytest.raises(CommandError, match="--renumber"):
        call_command(
            "layers",
            "codes",
            str(source),
            "--out",
            str(coded),
            "--renumber",
            "999",
            stdout=io.StringIO(),
        )


def test_communities_without_boundaries_are_known_by_code(world):
    layer = read(
        [
            ({"code": f"{COMMUNITY}001"}, box(117.10, 39.20, 117.11, 39.21)),
            ({"parent_code": COMMUNITY}, box(117.11, 39.20, 117.12, 39.21)),
            ({}, box(117.12, 39.20, 117.13, 39.21)),  # no community named, none drawn
        ]
    )
    result = coding.assign_codes(layer)
    assert by_index(result) == {1: f"{COMMUNITY}001", 2: f"{COMMUNITY}003"}
    assert [(p.index, p.problem) for p in result.problems] == [(3, "no_community")]
    assert "no community boundary is loaded" in result.problems[0].message


def test_renumbered_demo_communities_pass_the_serial_order_check(db, beichen):
    from onegrid.territory import coverage, selectors

    grids = selectors.live_units("grid")
    # Three communities of the demo with the most grids, their codes given again from scratch.
    counts = Counter(u.parent_code for u in grids)
    chosen = [code for code, _n in counts.most_common(3)]
    features = [
        layerio.LayerFeature(i, u.code, "", u.parent_code, u.geometry, None, None, {})
        for i, u in enumerate(grids, 1)
        if u.parent_code in chosen
    ]
    layer = layerio.LayerFile(level="grid", crs="wgs84", features=features)
    result = coding.assign_codes(layer, renumber=chosen)
    assert result.ok and result.counts()["renumbered"] == len(features)
    units = [coverage.Unit(f.code, f.geometry, f.parent_code) for f in result.features]
    issues = coverage.check_layer(units, level="grid")
    assert [i for i in issues if i.kind == "serial_order"] == []
