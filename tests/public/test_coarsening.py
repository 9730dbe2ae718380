"""Coarsening never leaks the point: every point of a ~100 m square gives the same answer, and
the grid mode gives the grid's label point whatever the case's point."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from onegrid.residents import public
from support.cases import report

lons = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)
lats = st.floats(min_value=18.0, max_value=54.0, allow_nan=False)
unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True, allow_nan=False)


def _cell(lon, lat):
    """The square's corners, computed the long way round (not through snap_100m)."""
    dlat = public.CELL_M / public.M_PER_DEG_LAT
    row = math.floor(lat / dlat)
    dlon = public.CELL_M / (public.M_PER_DEG_LAT * math.cos(math.radians((row + 0.5) * dlat)))
    col = math.floor(lon / dlon)
    return col * dlon, row * dlat, dlon, dlat


@settings(max_examples=300, deadline=None)
@given(lons, lats, unit, unit)
def test_every_point_of_a_square_gives_the_same_answer(lon, lat, fx, fy):
    west, south, dlon, dlat = _cell(lon, lat)
    other = (west + fx * dlon, south + fy * dlat)
    if _cell(*other)[:2] != (west, south):  # float rounding at an edge: not the same square
        return
    assert public.snap_100m(lon, lat) == public.snap_100m(*other)


@settings(max_examples=300, deadline=None)
@given(lons, lats)
def test_the_answer_is_the_square_centre_within_about_71_m(lon, lat):
    slon, slat = public.snap_100m(lon, lat)
    # Half the diagonal of a 100 m square, plus the rounding to 6 decimals (~0.1 m).
    assert public.distance_m(lon, lat, slon, slat) <= 70.8
    assert public.snap_100m(slon, slat) == (slon, slat)  # the centre is in its own square


def test_grid_mode_shows_the_grids_label_point_for_every_case(world, pages_on):
    grid = world.grids[0]
    corner = (grid.label_lon - 0.004, grid.label_lat + 0.004)
    near_centre = (grid.label_lon + 0.0001, grid.label_lat)
    places = [
        public.coarse_place(report(world, point=p), "grid", {}) for p in (corner, near_centre)
    ]
    assert {(p.lon, p.lat) for p in places} == {
        (round(grid.label_lon, 6), round(grid.label_lat, 6))
    }
    assert places[0].outline["type"] == "Polygon"
    assert places[0].area == f"{world.street.name} · {grid.name}"
