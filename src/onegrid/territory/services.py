"""Writes to the territory: the layer version, and the demo's bulk load of a whole district.

Every function here is one use case in one transaction, and every change to grids bumps the
layer version in that same transaction, so each process's locator and GeoJSON cache see either
the whole change or none of it. Layer files (grids, beats, streets, communities) are written
through one path, territory.layers; a real district starts with territory.district.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from django.db import transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from onegrid.core.errors import Conflict, InvalidInput
from onegrid.territory import geometry as geo
from onegrid.territory.models import AdminUnit, Grid, LayerState
from onegrid.territory.selectors import GRID_LAYER

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


def _label(geom: BaseGeometry) -> tuple[float, float]:
    p = geom.representative_point()
    return p.x, p.y


def load_district_units(*, units: Sequence[UnitSpec], grids: Sequence[GridSpec]) -> dict:
    """Create or update admin units (parents before children) and create grids, all at once.

    Used by the demo builder (a real district comes in through territory.district and
    territory.layers). Units that already exist (e.g. the city, shared by several districts) are
    updated in place.
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
