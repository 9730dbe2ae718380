"""Writes to the territory: the grid layer and the admin-unit tree.

Every function here is one use case in one transaction, and every change to grids bumps the
layer version in that same transaction, so each process's locator and GeoJSON cache see either
the whole change or none of it.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from django.db import transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from onegrid.core.errors import Conflict, InvalidInput
from onegrid.territory import geometry as geo
from onegrid.territory.models import AdminUnit, Grid, LayerState
from onegrid.territory.selectors import grid_features

GRID_LAYER = "grids"

_GRID_CODE = re.compile(r"^\d{15}$")
_UNIT_CODE = re.compile(r"^\d{12}$")


def bump_layer_version(name: str = GRID_LAYER) -> int:
    """Increment a layer's version (creating its row if missing) and return the new version.

    F() makes the increment atomic in the database, so two processes bumping at once both count.
    """
    with transaction.atomic():
        LayerState.objects.get_or_create(name=name)
        # .update() skips auto_now, and the locator keys its cache on (version, updated_at).
        LayerState.objects.filter(name=name).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        return LayerState.objects.get(name=name).version


# --------------------------------------------------------------------------- bulk loading


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    level: str  # AdminUnit.Level value
    parent_code: str | None = None
    geometry: BaseGeometry | None = None


@dataclass(frozen=True)
class GridSpec:
    code: str
    name: str
    community_code: str
    geometry: Polygon
    area_m2: float | None = None
    label: tuple[float, float] | None = None


def _wkb(geom: BaseGeometry | None) -> bytes | None:
    return None if geom is None else shapely.to_wkb(geom)


def load_district_units(*, units: Sequence[UnitSpec], grids: Sequence[GridSpec]) -> dict:
    """Create or update admin units (parents before children) and create grids, all at once.

    Used by the demo builder and bulk imports of a whole district. Units that already exist
    (e.g. the city, shared by several districts) are updated in place.
    """
    order = {lvl: i for i, lvl in enumerate(AdminUnit.Level.values)}
    units = sorted(units, key=lambda u: (order.get(u.level, 99), u.code))
    for u in units:
        if not _UNIT_CODE.match(u.code) or u.level not in order:
            raise InvalidInput(
                _("Unit %(code)s has a bad code or level.") % {"code": u.code}, field="units"
            )
    with transaction.atomic():
        existing = {a.code: a for a in AdminUnit.objects.filter(code__in=[u.code for u in units])}
        by_code = dict(existing)
        for level in AdminUnit.Level.values:
            create, update = [], []
            for u in (u for u in units if u.level == level):
                parent = None
                if u.parent_code:
                    parent = (
                        by_code.get(u.parent_code)
                        or AdminUnit.objects.filter(code=u.parent_code).first()
                    )
                    if parent is None:
                        raise InvalidInput(
                            _("Unit %(code)s names a parent %(parent)s that does not exist.")
                            % {"code": u.code, "parent": u.parent_code},
                            field="units",
                        )
                if u.code in existing:
                    a = existing[u.code]
                    a.name, a.level, a.parent, a.geometry_wkb = (
                        u.name,
                        u.level,
                        parent,
                        _wkb(u.geometry),
                    )
                    update.append(a)
                else:
                    create.append(
                        AdminUnit(
                            code=u.code,
                            name=u.name,
                            level=u.level,
                            parent=parent,
                            geometry_wkb=_wkb(u.geometry),
                        )
                    )
            for a in AdminUnit.objects.bulk_create(create, batch_size=500):
                by_code[a.code] = a
            if update:
                AdminUnit.objects.bulk_update(update, ["name", "level", "parent", "geometry_wkb"])
        rows = []
        for g in grids:
            community = by_code.get(g.community_code)
            if community is None or community.level != AdminUnit.Level.COMMUNITY:
                raise InvalidInput(
                    _("Grid %(code)s names an unknown community %(community)s.")
                    % {"code": g.code, "community": g.community_code},
                    field="grids",
                )
            label = g.label or _label(g.geometry)
            rows.append(
                Grid(
                    code=g.code,
                    name=g.name,
                    community=community,
                    street_id=community.parent_id,
                    geometry_wkb=shapely.to_wkb(g.geometry),
                    area_m2=g.area_m2 if g.area_m2 is not None else geo.area_m2(g.geometry),
                    label_lon=label[0],
                    label_lat=label[1],
                )
            )
        Grid.objects.bulk_create(rows, batch_size=500)
        version = bump_layer_version()
    return {"units": len(units), "grids": len(rows), "version": version}


def delete_district(*, district_code: str) -> dict:
    """Delete a district's grids, communities, streets and the district itself (not its city).

    Refuses with Conflict, changing nothing, when anything (a case, a role) still refers to them.
    """
    with transaction.atomic():
        district = AdminUnit.objects.filter(code=district_code).first()
        if district is None:
            return {"grids": 0, "units": 0}
        streets = AdminUnit.objects.filter(parent=district)
        communities = AdminUnit.objects.filter(parent__in=streets)
        try:
            n_grids, _detail = Grid.all_objects.filter(street__in=streets).delete()
            n_comm, _detail = communities.delete()
            n_streets, _detail = streets.delete()
            district.delete()
        except ProtectedError:
            raise Conflict(
                _(
                    "The district's grids or units are still referred to (cases, roles); "
                    "they cannot be deleted."
                ),
                field="district",
            ) from None
        bump_layer_version()
    return {"grids": n_grids, "units": n_comm + n_streets + 1}


# --------------------------------------------------------------------------- GeoJSON


def _label(geom: BaseGeometry) -> tuple[float, float]:
    p = geom.representative_point()
    return p.x, p.y


def _feature_error(index: int, code, problem) -> InvalidInput:
    return InvalidInput(
        _("Feature %(index)s (%(code)s): %(problem)s")
        % {"index": index, "code": code or "?", "problem": problem},
        field=f"features[{index}]",
    )


def _parse_polygon(geometry, crs: str) -> tuple[Polygon | None, str | None]:
    """Return (polygon in WGS-84, None) or (None, the problem)."""
    if not isinstance(geometry, dict):
        return None, _("the geometry is missing.")
    try:
        with warnings.catch_warnings():
            # NaN coordinates warn here; they are reported as a problem just below.
            warnings.simplefilter("ignore", RuntimeWarning)
            geom = shape(geometry)
    except Exception:  # shapely raises several types for malformed GeoJSON
        return None, _("the geometry is not valid GeoJSON.")
    if isinstance(geom, MultiPolygon) and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if not isinstance(geom, Polygon):
        return None, _("a grid must be a single Polygon.")
    if geom.is_empty:
        return None, _("the geometry is empty.")
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.ravel()):
        return None, _("a coordinate is not a finite number.")
    if (abs(coords[:, 0]) > 180).any() or (abs(coords[:, 1]) > 90).any():
        return None, _("a coordinate is out of range (lon ±180, lat ±90).")
    geom = geo.geometry_to_wgs84(geom, crs)
    if not geom.is_valid:
        return None, _("the polygon is invalid: %(reason)s") % {
            "reason": shapely.is_valid_reason(geom)
        }
    if geom.area <= 0:
        return None, _("the polygon has no area.")
    return geom, None


def import_grid_layer_geojson(data: dict, *, crs: str = geo.WGS84, replace: bool = False) -> dict:
    """Create or update grids from a GeoJSON FeatureCollection, all or nothing.

    Each feature needs properties code (15 digits), name and community_code (12 digits, an
    existing community, equal to the code's first 12 digits). Grids are matched by code; with
    `replace`, grids absent from the file are deleted (refused if anything refers to them).
    Coordinates are in `crs` (wgs84 or gcj02) and are stored in WGS-84.
    """
    crs = geo.validate_crs(crs)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput(_("The file must be a GeoJSON FeatureCollection."), field="file")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput(_("The FeatureCollection has no features."), field="features")

    parsed = []
    seen: set[str] = set()
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            raise _feature_error(i, None, _("it is not a Feature with properties."))
        code = str(props.get("code") or "").strip()
        name = str(props.get("name") or "").strip()
        community_code = str(props.get("community_code") or "").strip()
        if not _GRID_CODE.match(code):
            raise _feature_error(i, code, _("code must have exactly 15 digits."))
        if code in seen:
            raise _feature_error(i, code, _("the code appears more than once."))
        seen.add(code)
        if not name or len(name) > 100:
            raise _feature_error(i, code, _("name must have 1 to 100 characters."))
        if not _UNIT_CODE.match(community_code):
            raise _feature_error(i, code, _("community_code must have exactly 12 digits."))
        if code[:12] != community_code:
            raise _feature_error(
                i,
                code,
                _("the code must start with its community_code %(community)s.")
                % {"community": community_code},
            )
        geom, problem = _parse_polygon(feature.get("geometry"), crs)
        if problem:
            raise _feature_error(i, code, problem)
        parsed.append((i, code, name, community_code, geom))

    communities = {
        a.code: a
        for a in AdminUnit.objects.filter(
            code__in={p[3] for p in parsed}, level=AdminUnit.Level.COMMUNITY
        )
    }
    for i, code, _name, community_code, _geom in parsed:
        if community_code not in communities:
            raise _feature_error(
                i,
                code,
                _("community %(community)s does not exist.") % {"community": community_code},
            )

    with transaction.atomic():
        existing = {g.code: g for g in Grid.objects.filter(code__in=seen)}
        create, update = [], []
        for _i, code, name, community_code, geom in parsed:
            community = communities[community_code]
            label = _label(geom)
            fields = {
                "name": name,
                "community": community,
                "street_id": community.parent_id,
                "geometry_wkb": shapely.to_wkb(geom),
                "area_m2": geo.area_m2(geom),
                "label_lon": label[0],
                "label_lat": label[1],
            }
            if code in existing:
                grid = existing[code]
                for key, value in fields.items():
                    setattr(grid, key, value)
                update.append(grid)
            else:
                create.append(Grid(code=code, **fields))
        Grid.objects.bulk_create(create, batch_size=500)
        if update:
            Grid.objects.bulk_update(
                update,
                [
                    "name",
                    "community",
                    "street",
                    "geometry_wkb",
                    "area_m2",
                    "label_lon",
                    "label_lat",
                ],
                batch_size=500,
            )
        deleted = 0
        if replace:
            try:
                deleted, _detail = Grid.objects.exclude(code__in=seen).delete()
            except ProtectedError:
                raise Conflict(
                    _(
                        "Grids missing from the file are still referred to (cases, roles); "
                        "import without replacing, or move those first."
                    ),
                    field="file",
                ) from None
        version = bump_layer_version()
    return {"created": len(create), "updated": len(update), "deleted": deleted, "version": version}


def export_grid_layer_geojson() -> dict:
    """The whole grid layer as a GeoJSON FeatureCollection (WGS-84, RFC 7946)."""
    return {"type": "FeatureCollection", "features": grid_features()}
