"""A city's installation: each district imports and replaces its own layers only."""

from __future__ import annotations

import contextlib

import pytest
from shapely import box

from onegrid.core.errors import InvalidInput
from onegrid.territory import layers
from onegrid.territory.layerio import LayerFeature, LayerFile
from onegrid.territory.models import AdminUnit, Grid

XIQING = "120111000000"


def feature(i, code, geom, parent):
    return LayerFeature(i, code, code, parent, geom, 0, 0, {})


def west(i):
    return box(117.00 + i * 0.01, 39.10, 117.01 + i * 0.01, 39.11)


@pytest.fixture
def city(world, settings):
    """The world's Beichen and a second district, Xiqing, with one street, community, grid."""
    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODES": XIQING}
    district = AdminUnit.objects.create(
        code=XIQING, name="西青区", level="district", parent=world.district.parent
    )
    street = AdminUnit.objects.create(
        code="120111001000", name="西营门街道", level="street", parent=district
    )
    community = AdminUnit.objects.create(
        code="120111001001", name="第1社区", level="community", parent=street
    )
    shape = west(0)
    grid = Grid.objects.create(
        code="120111001001001",
        name="西青第001网格",
        community=community,
        street=street,
        geometry_wkb=shape.wkb,
        area_m2=1e6,
        label_lon=shape.centroid.x,
        label_lat=shape.centroid.y,
    )
    return district, community, grid


def grids(*features):
    return LayerFile(level="grid", crs="wgs84", features=list(features))


def test_a_district_replaces_its_own_grids_and_no_other_districts(world, city):
    district, community, old = city
    beichen = set(Grid.objects.filter(street__parent=world.district).values_list("code", flat=True))
    report = layers.import_layer(
        layer=grids(feature(1, "120111001001002", west(1), community.code)),
        replace=True,
        district=XIQING,
    )
    assert report.added == ["120111001001002"] and report.retired == [old.code]
    assert set(
        Grid.objects.filter(street__parent=world.district).values_list("code", flat=True)
    ) == (beichen)
    assert not Grid.objects.filter(code=old.code).exists()


def test_a_unit_of_another_district_is_a_problem_and_nothing_changes(world, city):
    _district, community, _old = city
    before = Grid.objects.count()
    report = layers.import_layer(
        layer=grids(
            feature(1, "120111001001002", west(1), community.code),
            feature(2, "120113001001009", west(2), world.community.code),
        ),
        district=XIQING,
    )
    assert report.refused
    assert [(p.index, p.field) for p in report.problems] == [(2, "code")]
    assert Grid.objects.count() == before


def test_without_a_district_a_city_takes_it_from_the_codes(world, city):
    _district, community, _old = city
    report = layers.import_layer(
        layer=grids(feature(1, "120111001001002", west(1), community.code))
    )
    assert report.added == ["120111001001002"] and not report.retired


def test_a_file_naming_two_districts_must_name_the_district(world, city):
    _district, community, _old = city
    with pytest.raises(InvalidInput) as error:
        layers.import_layer(
            layer=grids(
                feature(1, "120111001001002", west(1), community.code),
                feature(2, "120113001001009", west(2), world.community.code),
            )
        )
    assert error.value.field == "district"


def test_an_unknown_district_is_refused_by_name(world, city):
    with pytest.raises(InvalidInput) as error:
        layers.import_layer(layer=grids(), district="999999")
    assert error.value.field == "district"


def test_streets_come_in_under_the_named_district(world, city):
    district, _community, _grid = city
    street = LayerFile(
        level="street",
        crs="wgs84",
        features=[feature(1, "120111002000", west(3), "")],
    )
    report = layers.import_layer(layer=street, district=XIQING)
    assert report.added == ["120111002000"]
    assert AdminUnit.objects.get(code="120111002000").parent == district
    foreign = LayerFile(
        level="street", crs="wgs84", features=[feature(1, "120113009000", west(4), "")]
    )
    assert layers.import_layer(layer=foreign, district=XIQING).refused


def test_one_district_keeps_the_old_rules(world):
    """With a single district nothing is filtered and no district needs naming."""
    assert not layers.layer_district_needed()
    report = layers.import_layer(
        layer=grids(
            feature(1, "120113001001009", box(117.10, 39.22, 117.11, 39.23), world.community.code)
        )
    )
    assert report.added == ["120113001001009"]


def test_a_districts_fusion_leaves_the_other_districts_beats(world, city):
    from onegrid.territory.coverage import Fusion, Unit
    from onegrid.territory.models import Beat

    district, _community, grid = city
    east = Beat.objects.create(
        code="BC-01",
        name="北辰警格",
        street=world.street,
        geometry_wkb=box(117.1, 39.2, 117.13, 39.21).wkb,
    )
    old_west = Beat.objects.create(
        code="XQ-01", name="西青警格", street=grid.street, geometry_wkb=west(0).wkb
    )
    Grid.objects.filter(pk=grid.pk).update(beat=old_west)
    fusion = Fusion(
        grids=[Unit(grid.code, west(0))],
        assignment={grid.code: "XQ-02"},
        beats=[Unit("XQ-02", west(0))],
        changes=[],
        snapped_vertices=0,
    )
    summary = layers.apply_fusion(fusion=fusion)
    assert summary["beats_retired"] == ["XQ-01"]
    assert Beat.objects.filter(pk=east.pk).exists()  # Beichen's beat stays live
    made = Beat.objects.get(code="XQ-02")
    assert made.street == grid.street and Grid.objects.get(pk=grid.pk).beat == made


def test_the_check_command_takes_one_district(world, city):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    # Problems are found (a lone grid leaves its district's outline mostly uncovered).
    with contextlib.suppress(CommandError):
        call_command("layers", "check", "--district", "120111", stdout=out)
    assert "1 units," in out.getvalue()  # Xiqing's one grid, not Beichen's three
    with pytest.raises(CommandError, match="--district"):
        call_command("layers", "check", "--district", "999999", stdout=StringIO())


def test_a_district_code_in_other_digits_stops_the_settings(settings):
    from django.core.exceptions import ImproperlyConfigured

    from onegrid.territory import district

    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODE": "１２０１１３", "DISTRICT_CODES": ""}
    with pytest.raises(ImproperlyConfigured):
        district.district_codes()
