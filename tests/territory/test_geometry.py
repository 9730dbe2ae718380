"""Coordinates at the edge: validation, GCJ-02 ↔ WGS-84, and the local metric projection."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from fast_geocn.coord import wgs84_to_gcj02
from shapely.geometry import Polygon, box

from onegrid.core.errors import InvalidInput
from onegrid.territory import geometry as geo
from onegrid.territory.outline import district_outline, district_outline_name

TIANJIN = (117.2009, 39.0842)


def metres_between(a, b) -> float:
    proj = geo.LocalProjection(a[0], a[1])
    (x1, x2), (y1, y2) = proj.forward([a[0], b[0]], [a[1], b[1]])
    return math.hypot(x2 - x1, y2 - y1)


def test_wgs84_passes_through_unchanged():
    assert geo.to_wgs84(117.1, 39.2) == (117.1, 39.2)
    assert geo.to_wgs84("117.1", "39.2", "WGS84") == (117.1, 39.2)


@pytest.mark.parametrize("lon", np.linspace(116.93, 117.40, 5))
@pytest.mark.parametrize("lat", np.linspace(39.15, 39.36, 5))
def test_gcj02_round_trip_within_one_metre(lon, lat):
    gcj = wgs84_to_gcj02(lon, lat)
    back = geo.to_wgs84(gcj[0], gcj[1], "gcj02")
    assert metres_between((lon, lat), back) < 1.0
    # And the way back out agrees with the library it wraps.
    assert geo.from_wgs84(lon, lat, "gcj02") == pytest.approx(gcj, abs=1e-12)


def test_gcj02_offset_near_tianjin_is_hundreds_of_metres():
    gcj = wgs84_to_gcj02(*TIANJIN)
    offset = metres_between(TIANJIN, gcj)
    assert 300 < offset < 700
    # Converting a GCJ-02 reading must move it back by the same amount, not leave it in place.
    assert metres_between(geo.to_wgs84(*TIANJIN, crs="gcj02"), TIANJIN) > 300


@pytest.mark.parametrize(
    ("lon", "lat", "field"),
    [
        (float("nan"), 39.2, "lon"),
        (117.2, float("nan"), "lat"),
        (float("inf"), 39.2, "lon"),
        (117.2, float("-inf"), "lat"),
        (180.0001, 39.2, "lon"),
        (-181, 39.2, "lon"),
        (117.2, 90.5, "lat"),
        (117.2, -91, "lat"),
        ("east", 39.2, "lon"),
        (117.2, None, "lat"),
        (True, 39.2, "lon"),
        ("nan", 39.2, "lon"),
    ],
)
def test_bad_coordinates_are_rejected_naming_the_field(lon, lat, field):
    with pytest.raises(InvalidInput) as exc:
        geo.to_wgs84(lon, lat, "wgs84")
    assert exc.value.field == field
    assert field in str(exc.value.message)


@pytest.mark.parametrize("crs", ["bd09", "epsg:4326", 4326, "gcj-02"])
def test_unknown_crs_is_rejected_naming_crs(crs):
    with pytest.raises(InvalidInput) as exc:
        geo.to_wgs84(117.2, 39.2, crs)
    assert exc.value.field == "crs"


def test_missing_crs_means_wgs84():
    assert geo.validate_crs(None) == "wgs84"
    assert geo.validate_crs("") == "wgs84"
    assert geo.validate_crs(" GCJ02 ") == "gcj02"


def _ellipsoid_quad_area(lon1, lat1, lon2, lat2) -> float:
    """Exact area of a lon/lat rectangle on the WGS-84 ellipsoid (authalic formula)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)
    b2 = (a * (1 - f)) ** 2

    def q(phi):
        s = math.sin(math.radians(phi))
        return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return b2 / 2 * math.radians(lon2 - lon1) * (q(lat2) - q(lat1))


@pytest.mark.parametrize("size", [0.001, 0.01, 0.2])
def test_local_projection_area_matches_the_ellipsoid(size):
    lon, lat = 117.05, 39.15
    cell = box(lon, lat, lon + size, lat + size)
    exact = _ellipsoid_quad_area(lon, lat, lon + size, lat + size)
    proj = geo.LocalProjection(117.17, 39.25)  # centred elsewhere in the district on purpose
    assert proj.area_m2(cell) == pytest.approx(exact, rel=1e-4)
    assert geo.area_m2(cell) == pytest.approx(exact, rel=1e-4)


def test_projection_round_trip_and_scale():
    proj = geo.LocalProjection(117.17, 39.25)
    lons = np.array([116.93, 117.17, 117.4])
    lats = np.array([39.14, 39.25, 39.36])
    x, y = proj.forward(lons, lats)
    back_lon, back_lat = proj.inverse(x, y)
    assert np.allclose(back_lon, lons, atol=1e-10) and np.allclose(back_lat, lats, atol=1e-10)
    # One degree of latitude is about 111 km here.
    _, ys = proj.forward([117.17, 117.17], [39.0, 40.0])
    assert ys[1] - ys[0] == pytest.approx(111_035, rel=1e-3)


def test_geometry_conversion_from_gcj02_moves_every_vertex():
    ring = [(117.1, 39.2), (117.2, 39.2), (117.2, 39.3), (117.1, 39.3)]
    gcj = Polygon([wgs84_to_gcj02(x, y) for x, y in ring])
    back = geo.geometry_to_wgs84(gcj, "gcj02")
    got = shapely.get_coordinates(back)[:4]
    for (x, y), (bx, by) in zip(ring, got, strict=True):
        assert metres_between((x, y), (bx, by)) < 1.0
    assert geo.geometry_to_wgs84(gcj, "wgs84") is gcj


def test_beichen_outline_is_the_real_district():
    outline = district_outline("120113")
    assert district_outline_name("120113000000") == "北辰区"
    assert outline.geom_type == "MultiPolygon" and outline.is_valid
    minx, miny, maxx, maxy = outline.bounds
    assert 116.9 < minx < maxx < 117.45 and 39.1 < miny < maxy < 39.4
    # Public figure: about 478 km².
    assert geo.area_m2(outline) / 1e6 == pytest.approx(478, rel=0.01)
    assert district_outline("120113") is outline  # read once, then cached


def test_outline_codes_are_checked():
    from onegrid.core.errors import NotFound

    with pytest.raises(InvalidInput):
        district_outline("12011")
    with pytest.raises(NotFound):
        district_outline("999999")
