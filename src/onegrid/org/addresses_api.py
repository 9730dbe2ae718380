"""Standard address API (标准地址): search and look up, scoped to what the caller may see.

It lives in org, not territory, because it needs the caller's scope (org.policies) and
territory may not import org (tests/test_layers.py). Coordinates returned are WGS-84; the
`near_lon`/`near_lat` point may be GCJ-02 (`crs=gcj02`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from onegrid.core.api_errors import errors
from onegrid.core.errors import InvalidInput, NotFound
from onegrid.territory import geometry as geo
from onegrid.territory import selectors
from onegrid.territory.models import Address

from . import policies
from .requests import SignedInRequest
from .selectors import visible_grids

router = Router(tags=["addresses"])

MAX_LIMIT = 50


class AddressQuery(Schema):
    q: str | None = Field(
        None, max_length=100, description="words that must all occur in the code or the name"
    )
    grid: str | None = Field(None, description="15-digit grid code: only that grid's addresses")
    near_lon: float | None = Field(
        None, ge=-180, le=180, description="longitude (in `crs`): nearest addresses first"
    )
    near_lat: float | None = Field(
        None, ge=-90, le=90, description="latitude (in `crs`): nearest addresses first"
    )
    crs: str = Field(geo.WGS84, description="wgs84 (GPS) or gcj02 for near_lon/near_lat")
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description=f"at most {MAX_LIMIT}")


class AddressOut(Schema):
    code: str
    name: str
    building: str
    unit: str
    room: str
    lon: float = Field(..., description="WGS-84")
    lat: float = Field(..., description="WGS-84")
    active: bool
    grid_code: str | None
    grid_name: str | None
    community_name: str | None
    street_name: str | None
    beat_code: str | None
    distance_m: float | None = Field(None, description="metres from the near_* point")


class AddressList(Schema):
    items: list[AddressOut]


def address_out(address: Address, distance_m: float | None = None) -> dict[str, object]:
    grid = address.grid
    return {
        "code": address.code,
        "name": address.name,
        "building": address.building,
        "unit": address.unit,
        "room": address.room,
        "lon": address.lon,
        "lat": address.lat,
        "active": address.active,
        "grid_code": grid.code if grid else None,
        "grid_name": grid.name if grid else None,
        "community_name": grid.community.name if grid else None,
        "street_name": grid.street.name if grid else None,
        "beat_code": address.beat.code if address.beat is not None else None,
        "distance_m": None if distance_m is None else round(distance_m, 1),
    }


def _grid_id(request: SignedInRequest, code: str) -> int:
    """The id of a grid the caller may see; a code that is unknown or outside the caller's
    scope is the same 404 (field "grid"), so the answer does not tell whether it exists."""
    code = code.strip()
    if not code.isdigit() or len(code) != 15:
        raise InvalidInput(_("A grid code has exactly 15 digits."), field="grid")
    grid_id = visible_grids(request.user).filter(code=code).values_list("pk", flat=True).first()
    if grid_id is None:
        raise NotFound(_("No grid has the code %(code)s.") % {"code": code}, field="grid")
    return grid_id


@router.get(
    "/addresses",
    response={200: AddressList, **errors(401, 422)},
    url_name="addresses",
    summary="Search standard addresses (scoped; nearest first with near_lon/near_lat)",
)
def search(request: SignedInRequest, params: Query[AddressQuery]) -> dict[str, object]:
    """Active addresses in the caller's grids, streets or communities (district-wide readers:
    all), matching `q`; nearest first when both `near_lon` and `near_lat` are given, else by
    code."""
    if (params.near_lon is None) != (params.near_lat is None):
        missing = "near_lat" if params.near_lat is None else "near_lon"
        raise InvalidInput(
            _("Give near_lon and near_lat together (%(field)s is missing).") % {"field": missing},
            field=missing,
        )
    crs = geo.validate_crs(params.crs)  # checked even without near_*: a wrong crs is an error
    grid_id = _grid_id(request, params.grid) if params.grid and params.grid.strip() else None
    qs = selectors.search_addresses(
        policies.scope_for(request.user), q=params.q, grid_id=grid_id, active=True
    )
    if params.near_lon is None:
        return {"items": [address_out(a) for a in qs[: params.limit]]}
    lon, lat = geo.to_wgs84(params.near_lon, params.near_lat, crs)
    found = selectors.nearest_addresses(qs, lon, lat, params.limit)
    return {"items": [address_out(a, d) for a, d in found]}


@router.get(
    "/addresses/{code}",
    response={200: AddressOut, **errors(401, 404, 422)},
    url_name="address",
    summary="One standard address by its code (scoped)",
)
def detail(request: SignedInRequest, code: str) -> dict[str, object]:
    return address_out(selectors.address_by_code(policies.scope_for(request.user), code))
