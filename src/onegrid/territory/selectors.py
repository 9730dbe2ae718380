"""Reads of the territory: grids as GeoJSON, look-ups by code.

The grid layer is read far more often than it changes, so its GeoJSON is serialised once per
layer version and process and kept as bytes; a change anywhere bumps the version (see
services.bump_layer_version) and the next request rebuilds it.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable

import shapely
from django.db.models import ExpressionWrapper, F, FloatField, Max, Q, Value
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import InvalidInput, NotFound
from onegrid.territory.coverage import Unit
from onegrid.territory.layerio import LayerFeature
from onegrid.territory.models import (
    Address,
    AdminUnit,
    Beat,
    Grid,
    LayerState,
    LayerVersion,
    UnitSnapshot,
)

GRID_LAYER = "grids"


def layer_token(name: str = GRID_LAYER) -> tuple[int, str]:
    """(version, updated_at) of a layer: changes whenever the layer does.

    The timestamp is part of the token because a version number alone can repeat when a
    transaction that bumped it rolls back and another bumps it again.
    """
    row = LayerState.objects.filter(name=name).values_list("version", "updated_at").first()
    return (row[0], row[1].isoformat()) if row else (0, "")


def streets_of_districts(district_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """Each district's streets (by key), in one query: how org.policies reads a binding at a
    district of a city as a binding at each of its streets."""
    found: dict[int, set[int]] = {d: set() for d in district_ids}
    if not found:
        return {}
    rows = AdminUnit.objects.filter(parent_id__in=list(found), level=AdminUnit.Level.STREET)
    for street, district in rows.values_list("pk", "parent_id"):
        found[district].add(street)
    return {d: frozenset(streets) for d, streets in found.items()}


def grid_features(*, street_id: int | None = None, community_id: int | None = None) -> list[dict]:
    """GeoJSON Features (WGS-84) of the grids, ordered by code, optionally filtered."""
    qs = Grid.objects.select_related("community", "street").order_by("code")
    if street_id is not None:
        qs = qs.filter(street_id=street_id)
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    rows = list(qs)
    if not rows:
        return []
    geoms = shapely.from_wkb([bytes(g.geometry_wkb) for g in rows])
    shapes = shapely.to_geojson(geoms)
    return [
        {
            "type": "Feature",
            "id": g.code,
            "geometry": json.loads(shape),
            "properties": {
                "code": g.code,
                "name": g.name,
                "kind": g.kind,
                "community_code": g.community.code,
                "community_name": g.community.name,
                "street_code": g.street.code,
                "street_name": g.street.name,
                "area_m2": round(g.area_m2, 1),
            },
        }
        for g, shape in zip(rows, shapes, strict=True)
    ]


_cache_lock = threading.Lock()
_cache: dict[tuple, bytes] = {}
_CACHE_MAX = 64


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def grids_geojson_bytes(street_id: int | None = None, community_id: int | None = None) -> bytes:
    """The FeatureCollection of grids, serialised, cached per layer version and filter."""
    key = (layer_token(), street_id, community_id)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    body = json.dumps(
        {
            "type": "FeatureCollection",
            "features": grid_features(street_id=street_id, community_id=community_id),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    with _cache_lock:
        # Entries for older versions are dead weight once the layer has moved on.
        for old in [k for k in _cache if k[0] != key[0]]:
            del _cache[old]
        if len(_cache) >= _CACHE_MAX:
            _cache.pop(next(iter(_cache)))
        _cache[key] = body
    return body


def grids_geojson(street_id: int | None = None, community_id: int | None = None) -> dict:
    """The FeatureCollection of grids as a fresh dict (callers may change it freely)."""
    return json.loads(grids_geojson_bytes(street_id=street_id, community_id=community_id))


def grid_by_code(code: str) -> Grid:
    """A live grid with its community and street, without any of their polygons."""
    code = str(code or "").strip()
    if not code.isdigit() or len(code) != 15:
        raise InvalidInput(_("A grid code has exactly 15 digits."), field="code")
    grid = (
        Grid.objects.select_related("community", "street")
        .defer("geometry_wkb", "community__geometry_wkb", "street__geometry_wkb")
        .filter(code=code)
        .first()
    )
    if grid is None:
        raise NotFound(_("No grid has the code %(code)s.") % {"code": code}, field="code")
    return grid


def unit_by_code(code: str, *, level: str | None = None, field: str = "code") -> AdminUnit:
    code = str(code or "").strip()
    if not code.isdigit() or len(code) != 12:
        raise InvalidInput(_("An admin code has exactly 12 digits."), field=field)
    qs = AdminUnit.objects.filter(code=code)
    if level:
        qs = qs.filter(level=level)
    unit = qs.first()
    if unit is None:
        raise NotFound(_("No unit has the code %(code)s.") % {"code": code}, field=field)
    return unit


def live_units(level: str) -> list[Unit]:
    """The current layer of one level as coverage units (WGS-84)."""
    if level == "grid":
        rows = Grid.objects.values_list(
            "code", "geometry_wkb", "community__code", "population", "households"
        )
        return [Unit(c, shapely.from_wkb(bytes(g)), p or "", pop, hh) for c, g, p, pop, hh in rows]
    if level == "beat":
        rows = Beat.objects.values_list("code", "geometry_wkb", "street__code")
    else:
        rows = AdminUnit.objects.filter(level=level, geometry_wkb__isnull=False).values_list(
            "code", "geometry_wkb", "parent__code"
        )
    return [Unit(c, shapely.from_wkb(bytes(g)), p or "") for c, g, p in rows]


def current_version(kind: str) -> int:
    return LayerVersion.objects.filter(kind=kind).aggregate(n=Max("number"))["n"] or 0


def version_exists(kind: str, number: int) -> bool:
    return LayerVersion.objects.filter(kind=kind, number=number).exists()


def version_units(kind: str, number: int | None = None) -> list[UnitSnapshot]:
    """The units of one kept version (the newest when `number` is None)."""
    number = number or current_version(kind)
    return list(
        UnitSnapshot.objects.filter(version__kind=kind, version__number=number).order_by("code")
    )


def layer_features(level: str, version: int | None = None) -> list[LayerFeature]:
    """A grid or beat layer (the current one, or a kept version) as layer-file features."""
    if version is not None:
        kind = "grids" if level == "grid" else "beats"
        return [
            LayerFeature(
                i,
                u.code,
                "",
                u.parent_code,
                shapely.from_wkb(bytes(u.geometry_wkb)),
                None,
                None,
                {},
            )
            for i, u in enumerate(version_units(kind, version), 1)
        ]
    if level == "grid":
        rows = Grid.objects.values_list(
            "code", "name", "community__code", "geometry_wkb", "population", "households"
        )
    else:
        rows = [
            (code, name, street, g, None, None)
            for code, name, street, g in Beat.objects.values_list(
                "code", "name", "street__code", "geometry_wkb"
            )
        ]
    return [
        LayerFeature(i, code, name, parent or "", shapely.from_wkb(bytes(g)), pop, hh, {})
        for i, (code, name, parent, g, pop, hh) in enumerate(rows, 1)
    ]


def used_grid_codes(community_code: str) -> list[str]:
    """Every grid code the community ever used, retired ones included."""
    return list(
        Grid.all_objects.filter(code__startswith=community_code).values_list("code", flat=True)
    )


def grid_codes_in_use(codes) -> bool:
    """Whether any of `codes` belongs to a grid, live or retired."""
    return Grid.all_objects.filter(code__in=list(codes)).exists()


def layer_versions(kind: str | None = None) -> list[LayerVersion]:
    """Every kept version of the grid and beat layers (or of one kind), newest first."""
    qs = LayerVersion.objects.order_by("-created_at", "-number")
    if kind is not None:
        qs = qs.filter(kind=kind)
    return list(qs)


def layer_counts() -> dict[str, int]:
    """How many live grids and beats the current layers hold, and grids with no beat."""
    return {
        "grids": Grid.objects.count(),
        "beats": Beat.objects.count(),
        "grids_without_beat": Grid.objects.filter(beat__isnull=True).count(),
    }


def beat_grid_ids(beat_code: str, grid_version: int | None = None) -> list[int]:
    """The ids of the grids a beat held in a grid layer version (default: the current one).

    Before any grid version exists, the live grids' own beat links are used.
    """
    number = grid_version or current_version("grids")
    if number:
        codes = UnitSnapshot.objects.filter(
            version__kind="grids", version__number=number, parent_code=beat_code
        ).values_list("code", flat=True)
        return list(Grid.all_objects.filter(code__in=list(codes)).values_list("pk", flat=True))
    return list(Grid.objects.filter(beat__code=beat_code).values_list("pk", flat=True))


# --- standard addresses ----------------------------------------------------------------------
# territory may not import org, so these take the caller's scope as an argument: any object
# with the attributes of org.policies.Scope (district_wide, street_ids, community_ids,
# grid_ids). The pages and the API pass `policies.scope_for(user)`.

ADDRESS_DEFER = (
    "grid__geometry_wkb",
    "grid__community__geometry_wkb",
    "grid__street__geometry_wkb",
    "beat__geometry_wkb",
)
# Bounding windows (degrees of latitude) tried in turn for "nearest first", then the whole set.
_NEAR_WINDOWS = (0.005, 0.02, 0.1)
_METRES_PER_DEGREE = 111_320.0


def visible_addresses(scope):
    """Addresses in grids within `scope` (a Scope-like object), with grid and beat, no polygons.

    An address linked to no grid is seen only district-wide."""
    qs = Address.objects.select_related("grid", "grid__community", "grid__street", "beat").defer(
        *ADDRESS_DEFER
    )
    if scope.district_wide:
        return qs
    where = places_in_scope(scope, street="grid__street_id", community="grid__community_id")
    return qs.filter(where) if where else qs.none()


def places_in_scope(
    scope, *, street: str = "street_id", community: str = "community_id", grid: str = "grid_id"
) -> Q:
    """Rows whose place lies in a reader's territorial scope (its street_ids, community_ids and
    grid_ids), through the row's lookups to its street, community and grid; an empty Q when the
    scope names no place."""
    where = Q()
    if scope.street_ids:
        where |= Q(**{f"{street}__in": scope.street_ids})
    if scope.community_ids:
        where |= Q(**{f"{community}__in": scope.community_ids})
    if scope.grid_ids:
        where |= Q(**{f"{grid}__in": scope.grid_ids})
    return where


def search_addresses(
    scope,
    *,
    q: str | None = None,
    street_id: int | None = None,
    community_id: int | None = None,
    grid_id: int | None = None,
    active: bool | None = None,
):
    """The visible addresses matching every word of `q` (in the code or the name), optionally
    only one street's, community's or grid's, ordered by code."""
    qs = visible_addresses(scope)
    for word in (q or "").split():
        qs = qs.filter(Q(code__icontains=word) | Q(name__icontains=word))
    if street_id is not None:
        qs = qs.filter(grid__street_id=street_id)
    if community_id is not None:
        qs = qs.filter(grid__community_id=community_id)
    if grid_id is not None:
        qs = qs.filter(grid_id=grid_id)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("code")


def address_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two nearby WGS-84 points (equirectangular)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * 6_371_000.0


def nearest_addresses(qs, lon: float, lat: float, limit: int) -> list[tuple]:
    """[(address, metres)] of the `limit` addresses of `qs` nearest to (lon, lat), nearest first.

    Sorted in the database on a flat-earth distance inside growing windows around the point: a
    window's answer stands once its farthest hit lies within the window's inscribed circle, or
    once it holds all of `qs` (counted once, the first time a window comes back short): when
    `qs` holds no more than `limit`, the answer is all of it, read in one ordered query."""
    k = math.cos(math.radians(lat)) ** 2
    dx = F("lon") - Value(lon)
    dy = F("lat") - Value(lat)
    ordered = qs.annotate(
        _d2=ExpressionWrapper(dx * dx * Value(k) + dy * dy, output_field=FloatField())
    ).order_by("_d2", "code")
    found: list = []
    total = None  # how many `qs` holds, counted when first needed
    for half in _NEAR_WINDOWS:
        dlon = half / max(math.cos(math.radians(lat)), 0.1)
        window = ordered.filter(
            lon__gte=lon - dlon, lon__lte=lon + dlon, lat__gte=lat - half, lat__lte=lat + half
        )
        found = list(window[:limit])
        if len(found) < limit:
            if total is None:
                total = qs.count()
            if total <= limit:
                # No window can fill the answer: it is the whole set, nearest first.
                if len(found) < total:
                    found = list(ordered[:limit])
                break
            continue
        inscribed = half * _METRES_PER_DEGREE
        if all(address_distance_m(lon, lat, a.lon, a.lat) <= inscribed for a in found):
            break
    else:
        found = list(ordered[:limit])
    return [(a, address_distance_m(lon, lat, a.lon, a.lat)) for a in found]


def address_by_code(scope, code: str):
    """One visible address (active or not) by its code, or NotFound(field="code")."""
    text = str(code or "").strip()
    address = visible_addresses(scope).filter(code=text).first() if text else None
    if address is None:
        raise NotFound(
            _("No standard address has the code %(code)s.") % {"code": text or "—"},
            field="code",
        )
    return address
