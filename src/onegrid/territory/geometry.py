"""Coordinates at the edge: validation, GCJ-02 ↔ WGS-84, and a local metric projection.

Everything stored is WGS-84 (lon, lat in degrees). Phones and Chinese map SDKs report GCJ-02, so
inputs say which one they use and are converted here, once, before anything else sees them.

Areas and the demo partition need metres. pyproj is not a dependency, so `LocalProjection` is a
sinusoidal projection on the WGS-84 ellipsoid's local radii: x = N0·cos(φ)·Δλ, y = M0·Δφ. Its
Jacobian is N0·M0·cos(φ), which differs from the ellipsoid's true area element M·N·cos(φ) only by
the change of M·N with latitude (~1e-5 across a district), so areas are exact enough for any
governance figure, and straight lines stay nearly straight over a few tens of kilometres.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from django.utils.translation import gettext_lazy as _
from fast_geocn.coord import gcj02_to_wgs84, wgs84_to_gcj02
from shapely.geometry.base import BaseGeometry

from onegrid.core.errors import InvalidInput

WGS84 = "wgs84"
GCJ02 = "gcj02"
CRS_CHOICES = (WGS84, GCJ02)

# WGS-84 ellipsoid.
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)


def _as_float(value, field: str) -> float:
    # bool is an int subclass; True as a longitude is a client bug, not 1°.
    if isinstance(value, bool):
        raise InvalidInput(_("%(field)s must be a number.") % {"field": field}, field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            _("%(field)s must be a number.") % {"field": field}, field=field
        ) from None
    if not math.isfinite(number):
        raise InvalidInput(_("%(field)s must be a finite number.") % {"field": field}, field=field)
    return number


def validate_lon_lat(lon, lat) -> tuple[float, float]:
    """Return (lon, lat) as floats, or raise InvalidInput naming the bad field."""
    x = _as_float(lon, "lon")
    y = _as_float(lat, "lat")
    if not -180.0 <= x <= 180.0:
        raise InvalidInput(_("lon must be between -180 and 180 degrees."), field="lon")
    if not -90.0 <= y <= 90.0:
        raise InvalidInput(_("lat must be between -90 and 90 degrees."), field="lat")
    return x, y


def validate_crs(crs) -> str:
    if crs is None or crs == "":
        return WGS84
    value = crs.strip().lower() if isinstance(crs, str) else crs
    if value not in CRS_CHOICES:
        raise InvalidInput(_("crs must be one of: wgs84, gcj02."), field="crs", code="invalid_crs")
    return value


def to_wgs84(lon, lat, crs: str = WGS84) -> tuple[float, float]:
    """Validate a client coordinate and return it in WGS-84."""
    crs = validate_crs(crs)
    x, y = validate_lon_lat(lon, lat)
    if crs == GCJ02:
        x, y = gcj02_to_wgs84(x, y)
    return x, y


def from_wgs84(lon: float, lat: float, crs: str = WGS84) -> tuple[float, float]:
    """Convert a stored WGS-84 coordinate to what a client asked for."""
    crs = validate_crs(crs)
    if crs == GCJ02:
        return wgs84_to_gcj02(lon, lat)
    return lon, lat


def geometry_to_wgs84(geom: BaseGeometry, crs: str = WGS84) -> BaseGeometry:
    """Convert every vertex of a geometry given in `crs` to WGS-84."""
    crs = validate_crs(crs)
    if crs == WGS84:
        return geom

    def convert(coords: np.ndarray) -> np.ndarray:
        return np.array([gcj02_to_wgs84(float(x), float(y)) for x, y in coords]).reshape(-1, 2)

    return shapely.transform(geom, convert)


@dataclass(frozen=True)
class LocalProjection:
    """Equal-area metres around (lon0, lat0); see the module docstring for why this one."""

    lon0: float
    lat0: float

    @property
    def _radii(self) -> tuple[float, float]:
        s = math.sin(math.radians(self.lat0))
        w = math.sqrt(1 - _E2 * s * s)
        n0 = _A / w  # prime vertical radius of curvature
        m0 = _A * (1 - _E2) / (w * w * w)  # meridian radius of curvature
        return n0, m0

    def forward(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        n0, m0 = self._radii
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        x = n0 * np.cos(np.radians(lat)) * np.radians(lon - self.lon0)
        y = m0 * np.radians(lat - self.lat0)
        return x, y

    def inverse(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        n0, m0 = self._radii
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        lat = self.lat0 + np.degrees(y / m0)
        lon = self.lon0 + np.degrees(x / (n0 * np.cos(np.radians(lat))))
        return lon, lat

    def _apply(self, fn: Callable, geom):
        def xy(coords: np.ndarray) -> np.ndarray:
            a, b = fn(coords[:, 0], coords[:, 1])
            return np.column_stack([a, b])

        return shapely.transform(geom, xy)

    def to_metric(self, geom):
        """Project a WGS-84 geometry (or array of them) to metres."""
        return self._apply(self.forward, geom)

    def to_lonlat(self, geom):
        """Unproject a metric geometry (or array of them) back to WGS-84 degrees."""
        return self._apply(self.inverse, geom)

    def area_m2(self, geom):
        """Area in m² of a WGS-84 geometry (or an array of them)."""
        return shapely.area(self.to_metric(geom))


def projection_for(geom: BaseGeometry) -> LocalProjection:
    """A projection centred on a geometry's bounding box, where its distortion is smallest."""
    minx, miny, maxx, maxy = geom.bounds
    return LocalProjection((minx + maxx) / 2, (miny + maxy) / 2)


def area_m2(geom: BaseGeometry) -> float:
    """Area of a WGS-84 geometry in m²."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(projection_for(geom).area_m2(geom))
