"""Territory JSON API: the grid layer as GeoJSON and point → grid.

Coordinates: every coordinate this API returns is WGS-84 (GeoJSON, RFC 7946). /locate accepts
WGS-84 or GCJ-02 input (`crs`), converts it once, and echoes the WGS-84 point it located.
Authentication is applied where the lead mounts the router.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from onegrid.core.api_errors import answered_as, errors
from onegrid.territory import geometry as geo
from onegrid.territory import locator, selectors
from onegrid.territory.models import AdminUnit, Grid

router = Router(tags=["territory"])

GEOJSON_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": {"type": "object"}},
    },
}


class GridsQuery(Schema):
    street: str | None = Field(None, description="12-digit street/town code: only its grids.")
    community: str | None = Field(
        None, description="12-digit community/village code: only its grids."
    )


class LocateQuery(Schema):
    lon: float = Field(..., description="Longitude in degrees, in the coordinate system `crs`.")
    lat: float = Field(..., description="Latitude in degrees, in the coordinate system `crs`.")
    crs: str = Field(
        geo.WGS84,
        description="Coordinate system of lon/lat: wgs84 (GPS) or gcj02 (Chinese phone maps).",
    )


class LocateOut(Schema):
    lon: float = Field(..., description="Longitude of the located point, WGS-84.")
    lat: float = Field(..., description="Latitude of the located point, WGS-84.")
    grid_code: str
    grid_name: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str


@router.get(
    "/grids",
    summary="Grid layer as GeoJSON (WGS-84)",
    description="A GeoJSON FeatureCollection of the grids (media type application/geo+json), "
    "optionally only one street's or one community's.",
    response=errors(401, 422),
    openapi_extra=answered_as(
        "A GeoJSON FeatureCollection (RFC 7946, WGS-84) of the grids.",
        {"application/geo+json": GEOJSON_COLLECTION},
    ),
)
def grids(request: HttpRequest, filters: Query[GridsQuery]):
    street_id = community_id = None
    if filters.street:
        street_id = selectors.unit_by_code(
            filters.street, level=AdminUnit.Level.STREET, field="street"
        ).id
    if filters.community:
        community_id = selectors.unit_by_code(
            filters.community, level=AdminUnit.Level.COMMUNITY, field="community"
        ).id
    body = selectors.grids_geojson_bytes(street_id=street_id, community_id=community_id)
    # Already serialised and cached per layer version: hand the bytes over untouched.
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")


@router.get(
    "/locate",
    response={200: LocateOut, **errors(400, 401, 404, 422)},
    summary="Which grid a point lies in",
)
def locate(request: HttpRequest, q: Query[LocateQuery]):
    lon, lat = geo.to_wgs84(q.lon, q.lat, q.crs)
    found = locator.locate_or_error(lon, lat)
    grids = Grid.objects.select_related("community", "street")
    grid = grids.filter(pk=found.grid_id).first()
    if grid is None:
        # The layer changed since this process last checked its version: reload and retry once.
        locator.invalidate()
        grid = grids.get(pk=locator.locate_or_error(lon, lat).grid_id)
    return {
        "lon": lon,
        "lat": lat,
        "grid_code": grid.code,
        "grid_name": grid.name,
        "community_code": grid.community.code,
        "community_name": grid.community.name,
        "street_code": grid.street.code,
        "street_name": grid.street.name,
    }
