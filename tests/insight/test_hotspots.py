"""Hotspots, heat map and repeat-problem places from cases in the database: what is counted,
over whose area, and that a planted pattern is found where it was planted."""

from __future__ import annotations

import base64
import datetime as dt

import numpy as np
import pytest
from shapely import box

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.insight import hotspots, spatial_weights
from onegrid.territory.models import Grid
from support.hotspots import STEP, WEST, build_lattice, place_cases, set_cache_seconds

TODAY = dt.date(2026, 3, 10)
START = dt.date(2026, 2, 1)
END = dt.date(2026, 3, 1)
IN_PERIOD = dt.datetime(2026, 2, 20, 12, tzinfo=hotspots.TZ)


@pytest.fixture(autouse=True)
def _no_cache(settings):
    set_cache_seconds(settings, 0)


@pytest.fixture
def lattice(world, fresh_locator):
    return build_lattice(world)


def background(lattice, case_class, mean=3.0, seed=1, at=IN_PERIOD):
    rng = np.random.default_rng(seed)
    for grid in lattice.grids:
        place_cases(grid, int(rng.poisson(mean)), case_class, at=at, spread_days=10, rng=rng)


def plant(lattice, case_class, rows, cols, n=18, at=IN_PERIOD):
    for r in rows:
        for c in cols:
            place_cases(lattice.at(r, c), n, case_class, at=at, spread_days=10)


def run(world, who="command", **kwargs):
    return hotspots.hotspot_grids(
        getattr(world.people, who), start=START, end=END, **{"class_prefix": "", **kwargs}
    )


# --- Gi* -------------------------------------------------------------------------------------


def test_a_planted_cluster_is_hot_and_the_figures_are_gi_star_of_the_counts(world, lattice):
    background(lattice, world.rubbish)
    plant(lattice, world.rubbish, rows=(2, 3, 4), cols=(1, 2, 3))
    result = run(world)
    by_code = {g.code: g for g in result.grids}
    centre = by_code[lattice.at(3, 2).code]
    assert centre.bin == 3 and centre.kind == "hot" and centre.confidence == 99
    hot = {g.code for g in result.hot}
    block = {lattice.at(r, c).code for r in range(1, 6) for c in range(0, 5)}
    assert hot and hot <= block
    assert result.total == sum(g.count for g in result.grids)
    assert result.total == Case.objects.count()
    # The figures are Gi* of the per-grid counts over the area's grids (lattice + world's 3).
    layer = hotspots.current_layer()
    codes = sorted(by_code)
    ids = dict(Grid.objects.values_list("code", "pk"))
    positions = [layer.position[ids[c]] for c in codes]
    w = layer.weights("queen", 0)[positions][:, positions]
    z = hotspots.gi_star(
        np.array([by_code[c].count for c in codes], float), spatial_weights.with_self(w)
    )
    assert np.allclose([by_code[c].z for c in codes], np.round(z, 4))
    assert result.grids == sorted(result.grids, key=lambda g: (-g.z, g.code))


def test_a_street_desk_gets_its_streets_grids_and_cases_only(world, lattice):
    background(lattice, world.rubbish)
    # The cluster lies in the east half: the other street's.
    plant(lattice, world.rubbish, rows=(2, 3, 4), cols=(5, 6, 7))
    mine = run(world, "acceptor")
    west = {g.code for g in lattice.grids if g.street_id == world.street.pk}
    assert {g.code for g in mine.grids} == west | {world.grids[0].code, world.grids[1].code}
    assert mine.total == Case.objects.filter(street=world.street).count()
    assert not mine.hot or all(g.code in west for g in mine.hot)
    theirs = run(world, "other_acceptor")
    assert lattice.at(3, 6).code in {g.code for g in theirs.hot}
    assert theirs.total == Case.objects.filter(street=world.other_street).count()


def test_merged_rejected_out_of_period_and_other_classes_are_not_counted(world, lattice):
    grid = lattice.at(0, 0)
    place_cases(grid, 2, world.rubbish, at=IN_PERIOD)
    place_cases(grid, 1, world.rubbish, at=IN_PERIOD, state="merged")
    place_cases(grid, 1, world.rubbish, at=IN_PERIOD, state="rejected")
    place_cases(grid, 1, world.rubbish, at=dt.datetime(2026, 1, 31, 23, 59, tzinfo=hotspots.TZ))
    place_cases(grid, 1, world.rubbish, at=dt.datetime(2026, 3, 1, 0, 1, tzinfo=hotspots.TZ))
    place_cases(grid, 3, world.fight, at=IN_PERIOD)
    counts = {g.code: g.count for g in run(world).grids}
    assert counts[grid.code] == 5
    assert {g.code: g.count for g in run(world, class_prefix="A").grids}[grid.code] == 2
    assert {g.code: g.count for g in run(world, class_prefix="E01").grids}[grid.code] == 3


def test_cases_of_a_retired_grid_count_where_their_point_lies_now(world, lattice):
    target = lattice.at(1, 1)
    old = Grid.objects.create(
        code="120113001009999",
        name="旧网格",
        community=target.community,
        street=target.street,
        geometry_wkb=box(0, 0, 1, 1).wkb,
        retired_in=2,
    )
    place_cases(old, 4, world.rubbish, at=IN_PERIOD, point=(target.label_lon, target.label_lat))
    counts = {g.code: g.count for g in run(world).grids}
    assert counts[target.code] == 4
    assert old.code not in counts


def test_rates_need_every_population(world, lattice):
    place_cases(lattice.at(0, 0), 3, world.rubbish, at=IN_PERIOD)
    with pytest.raises(InvalidInput) as refused:
        run(world, basis="rate")
    assert refused.value.field == "basis"
    Grid.objects.update(population=2000)
    result = run(world, basis="rate")
    row = next(g for g in result.grids if g.code == lattice.at(0, 0).code)
    assert row.rate == pytest.approx(15.0)  # 3 cases per 2,000 residents = 15 per 10,000
    assert result.basis == "rate"


def test_distance_band_neighbours(world, lattice):
    background(lattice, world.rubbish)
    plant(lattice, world.rubbish, rows=(2, 3, 4), cols=(1, 2, 3))
    result = run(world, weights="band", band_m=600)
    assert result.weights == "band" and result.band_m == 600
    assert lattice.at(3, 2).code in {g.code for g in result.hot}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"class_prefix": "Z9"}, "class"),
        ({"class_prefix": "A 01"}, "class"),
        ({"class_prefix": "Ａ"}, "class"),
        ({"weights": "rook"}, "weights"),
        ({"band_m": 1e12, "weights": "band"}, "band_m"),
        ({"alpha": float("nan")}, "alpha"),
        ({"alpha": 0.9}, "alpha"),
        ({"basis": "per_capita"}, "basis"),
        ({"street": "１２０１１３００１０００"}, "street"),
        ({"street": "12011300100"}, "street"),
        ({"community": "x" * 400}, "community"),
    ],
)
def test_odd_input_is_refused_at_its_field(world, lattice, kwargs, field):
    with pytest.raises(InvalidInput) as refused:
        run(world, **kwargs)
    assert refused.value.field == field


def test_a_street_outside_the_area_is_not_found_like_one_that_does_not_exist(world, lattice):
    with pytest.raises(NotFound) as outside:
        run(world, "acceptor", street=world.other_street.code)
    with pytest.raises(NotFound) as missing:
        run(world, "acceptor", street="120113099000")
    assert outside.value.field == missing.value.field == "street"
    assert str(outside.value.message).replace(world.other_street.code, "C") == str(
        missing.value.message
    ).replace("120113099000", "C")
    narrowed = run(world, "command", street=world.other_street.code)
    assert {g.street for g in narrowed.grids} == {world.other_street.name}


def test_periods_are_bounded(world, lattice):
    with pytest.raises(InvalidInput):
        hotspots.hotspot_grids(world.people.command, start=END, end=START)
    with pytest.raises(InvalidInput):
        hotspots.hotspot_grids(
            world.people.command, start=dt.date(2020, 1, 1), end=dt.date(2026, 1, 1)
        )


@pytest.mark.parametrize("who", ["worker", "city_handler", "resident"])
def test_others_may_not_see_hotspots(world, lattice, who):
    with pytest.raises(PermissionDenied):
        run(world, who)


# --- heat ------------------------------------------------------------------------------------


def test_heat_peaks_where_the_cases_are_and_carries_no_point(world, lattice):
    spot = lattice.centre(5, 5)
    place_cases(lattice.at(5, 5), 30, world.rubbish, at=IN_PERIOD, jitter_m=30)
    place_cases(lattice.at(0, 0), 2, world.rubbish, at=IN_PERIOD)
    heat = hotspots.heat(world.people.command, start=START, end=END)
    levels = np.frombuffer(base64.b64decode(heat.levels), dtype=np.uint8)
    assert levels.size == heat.rows * heat.cols
    assert heat.total == 32
    assert heat.cols <= 256 and heat.rows <= 256
    row, col = np.unravel_index(int(np.argmax(levels)), (heat.rows, heat.cols))
    lon = heat.west + (col + 0.5) * heat.cell_lon
    lat = heat.north - (row + 0.5) * heat.cell_lat
    assert abs(lon - spot[0]) < 2 * heat.cell_lon and abs(lat - spot[1]) < 2 * heat.cell_lat
    assert levels.max() == 255
    assert heat.peak_per_km2 > 0
    # The acceptor's area (west half) holds only the two cases of grid (0, 0).
    mine = hotspots.heat(world.people.acceptor, start=START, end=END)
    assert mine.total == 2
    assert mine.east <= WEST + 4 * STEP + 0.01


def test_heat_of_nothing_is_empty(world, lattice):
    heat = hotspots.heat(world.people.command, start=START, end=END)
    assert heat.total == 0 and heat.peak_per_km2 == 0
    assert set(base64.b64decode(heat.levels)) <= {0}


# --- repeat places ---------------------------------------------------------------------------


def test_repeat_places_cluster_one_class_within_the_radius(world, lattice):
    clock.set_now(dt.datetime(2026, 3, 10, 9, 30, tzinfo=hotspots.TZ))
    now = clock.now()
    grid = lattice.at(2, 2)
    spot = lattice.centre(2, 2)
    place_cases(grid, 4, world.rubbish, at=now, spread_days=30, point=spot, jitter_m=15)
    # The same class 300 m away twice, another class at the same spot, old reports: no place.
    far = (spot[0] + 300 / (111_320 * 0.77), spot[1])
    place_cases(grid, 2, world.rubbish, at=now, spread_days=20, point=far)
    place_cases(grid, 2, world.building, at=now, spread_days=20, point=spot)
    place_cases(grid, 3, world.building, at=now - dt.timedelta(days=120), point=spot)
    result = hotspots.repeat_places(world.people.command)
    assert [(p.class_code, p.count) for p in result.places] == [("A0102", 4)]
    place = result.places[0]
    assert place.radius_m <= 45
    assert abs(place.lon - spot[0]) < 0.0003 and abs(place.lat - spot[1]) < 0.0003
    assert place.grid_code == grid.code and place.open == 4
    assert len(place.numbers) == 4
    # Two reports make a place at K = 2; within 400 m the far pair joins the spot.
    two = hotspots.repeat_places(world.people.command, min_count=2)
    assert sorted((p.class_code, p.count) for p in two.places) == [
        ("A0101", 2),
        ("A0102", 2),
        ("A0102", 4),
    ]
    wide = hotspots.repeat_places(world.people.command, radius_m=400)
    assert [(p.class_code, p.count) for p in wide.places] == [("A0102", 6)]
    # The other street's desk sees none of them (the place lies in the west half).
    assert hotspots.repeat_places(world.people.other_acceptor).places == []
    assert hotspots.repeat_places(world.people.acceptor).places[0].count == 4
    near = hotspots.cases_near(
        world.people.acceptor, lon=place.lon, lat=place.lat, radius_m=60, class_prefix="A0102"
    )
    assert sorted(near.values_list("number", flat=True)) == sorted(place.numbers)
    assert (
        hotspots.cases_near(
            world.people.other_acceptor, lon=place.lon, lat=place.lat, radius_m=60
        ).count()
        == 0
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"days": 0}, "days"), ({"radius_m": 1e9}, "radius_m"), ({"min_count": 1}, "min_count")],
)
def test_repeat_parameters_are_bounded(world, lattice, kwargs, field):
    with pytest.raises(InvalidInput) as refused:
        hotspots.repeat_places(world.people.command, **kwargs)
    assert refused.value.field == field


# --- parsing the shared query ----------------------------------------------------------------


def test_parse_number_takes_ascii_digits_only():
    assert hotspots.parse_number("", "x", low=0, high=10) is None
    assert hotspots.parse_number(" 2.5 ", "x", low=0, high=10) == 2.5
    for bad in ("１２", "1e3", "0x10", "nan", "inf", "12 3", "9" * 40, "3.5"):
        with pytest.raises(InvalidInput) as refused:
            hotspots.parse_number(bad, "x", low=0, high=10**9, integer=True)
        assert refused.value.field == "x"
    with pytest.raises(InvalidInput):
        hotspots.parse_number("11", "x", low=0, high=10)


def test_parse_filters_defaults_to_the_last_28_days(world):
    clock.set_now(dt.datetime(2026, 3, 10, 9, 30, tzinfo=hotspots.TZ))
    filters = hotspots.parse_filters({})
    assert (filters.period.first, filters.period.last) == (dt.date(2026, 2, 11), TODAY)
    assert filters.end == dt.date(2026, 3, 11)
    chosen = hotspots.parse_filters({"month": "2026-02", "class": "A01", "street": ""})
    assert (chosen.start, chosen.end, chosen.class_prefix) == (START, END, "A01")
    with pytest.raises(InvalidInput) as refused:
        hotspots.parse_filters({"class": "A\x00"})
    assert refused.value.field == "class"


def test_an_area_without_grids_gives_empty_figures(world, lattice):
    from onegrid.org.models import Role, RoleAssignment, User
    from onegrid.territory.models import AdminUnit

    empty = AdminUnit.objects.create(
        code="120113003000", name="空街道", level="street", parent=world.district
    )
    desk = User.objects.create_user("empty-desk", password="x")
    RoleAssignment.objects.create(user=desk, role=Role.ACCEPTOR, unit=empty)
    place_cases(lattice.at(0, 0), 5, world.rubbish, at=IN_PERIOD)
    result = hotspots.hotspot_grids(desk, start=START, end=END)
    assert result.grids == [] and result.total == 0
    heat = hotspots.heat(desk, start=START, end=END)
    assert (heat.rows, heat.cols, heat.total, heat.levels) == (0, 0, 0, "")
    assert hotspots.repeat_places(desk).places == []
    assert result.area_label == "空街道"
