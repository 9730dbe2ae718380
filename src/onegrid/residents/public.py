"""The public pages of reports (/public/): what anyone, signed in or not, may read of a case.

Three rules decide what a stranger sees, all here so that the pages, the feed and the photo URL
share them:

- **Which cases.** Those of a district whose PublicSettings.enabled is on, in a class whose
  CaseClass.public is on, once accepted: registered and later, closed and fixed on the spot
  (`LISTED_STATES`). Reports not yet accepted (reported, verifying), rejected and merged ones
  are not listed. The tracking page (by tracking code) answers for any case, but shows the
  description, the place and photos only of a listed one.
- **Where.** Never the exact point (`coarse_place`): with location "grid" the grid's outline and
  its label point (inside the grid, the same for every case there); with "100m" the centre of
  the ~100 m square the point falls in (`snap_100m`: every point in a square gives the same
  centre, so the answer carries nothing finer than the square). The feed's "near a place"
  search measures from that coarse point too, so radii cannot be used to close in on a point.
- **What text.** `redact`: the description with phone numbers, ID and bank-card numbers and
  e-mail addresses replaced by "***", the reporters' own names and phones removed, control
  and format characters and U+FFFE/U+FFFF (which XML 1.0 cannot hold) made spaces, cut to
  `DESCRIPTION_CHARS`. Digits are read in every script (full-width １３８…, Arabic-Indic…)
  and as Chinese numerals (〇一二…九, 零); any run of 7 or more of them, alone or split by
  spaces, hyphens or dots (+86 138 1234 5678, 022-2345 6789,
  11010519491231002X), is hidden, a trailing ID check letter X with it. A date written
  2026-03-10 is hidden as well: better a date too many than one phone number. Names typed into
  a description by someone else cannot be recognised: the desk keeps descriptions factual.
  Staff names, the reporter fields, the address and the case's exact point are never shown.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from shapely.geometry import mapping

from onegrid.cases import tracking
from onegrid.cases.facts import distance_m
from onegrid.cases.models import Case, CaseClass, Photo
from onegrid.cases.states import State
from onegrid.core.errors import InvalidInput, NotFound
from onegrid.territory.models import AdminUnit, Grid

from . import progress
from .public_models import PublicSettings

# --- which cases ---------------------------------------------------------------------------

LISTED_STATES = (
    State.REGISTERED,
    State.DISPATCHED,
    State.IN_PROGRESS,
    State.CHECKING,
    State.CHECKED,
    State.CLOSED,
    State.SELF_CLOSED,
)
FIXED_STATES = (State.CLOSED, State.SELF_CLOSED)

# The states in plain words: the residents' pages' sentences (residents.progress), one set
# for every page a resident or a stranger reads.
STATE_WORDS = progress.PLAIN_STATES

# The state filter of the list: a few groups people understand, not the workflow's states.
STATE_GROUPS = {
    "accepted": (State.REGISTERED,),
    "in_hand": (State.DISPATCHED, State.IN_PROGRESS),
    "checking": (State.CHECKING, State.CHECKED),
    "fixed": FIXED_STATES,
}
STATE_GROUP_LABELS = {
    "accepted": _("Accepted"),
    "in_hand": _("Being fixed"),
    "checking": _("Being checked"),
    "fixed": _("Fixed"),
}


def enabled_settings() -> dict[int, PublicSettings]:
    """The switched-on districts' settings by district id."""
    rows = PublicSettings.objects.filter(enabled=True)
    return {row.district_id: row for row in rows}


def district_of(case: Case) -> int | None:
    street = AdminUnit.objects.filter(pk=case.street_id).values_list("parent_id", flat=True)
    return street.first()


def settings_for(
    case: Case, enabled: Mapping[int, PublicSettings] | None = None
) -> PublicSettings | None:
    """The case's district's settings when its public pages are on, else None."""
    enabled = enabled_settings() if enabled is None else enabled
    district = district_of(case)
    return enabled.get(district) if district is not None else None


def is_listed(case: Case, enabled: Mapping[int, PublicSettings] | None = None) -> bool:
    """Whether the public pages show this case (its description, place and approved photos)."""
    return (
        case.state in LISTED_STATES
        and case.case_class.public
        and settings_for(case, enabled) is not None
    )


@dataclass(frozen=True)
class Filters:
    case_class: CaseClass | None = None
    state: str = ""
    street: AdminUnit | None = None


def parse_filters(query: Mapping[str, str], enabled: Mapping[int, PublicSettings]) -> Filters:
    """The list's filters from a query string; a value that names nothing is an error naming
    its field (never silently ignored: the reader would think the list was filtered)."""
    class_code = _short(query.get("class", ""), "class")
    state = _short(query.get("state", ""), "state")
    street_code = _short(query.get("street", ""), "street")
    case_class = None
    if class_code:
        case_class = CaseClass.objects.filter(code=class_code, public=True).first()
        if case_class is None:
            raise InvalidInput(_("No public class has this code."), field="class")
    if state and state not in STATE_GROUPS:
        raise InvalidInput(
            _("The state must be one of: %(states)s.") % {"states": ", ".join(STATE_GROUPS)},
            field="state",
        )
    street = None
    if street_code:
        street = AdminUnit.objects.filter(
            code=street_code, level=AdminUnit.Level.STREET, parent_id__in=list(enabled)
        ).first()
        if street is None:
            raise InvalidInput(_("No street with public pages has this code."), field="street")
    return Filters(case_class=case_class, state=state, street=street)


def _short(value: str, name: str) -> str:
    value = value.strip()
    if len(value) > 40 or any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidInput(_("This value cannot be right."), field=name)
    return value


def listed_cases(
    enabled: Mapping[int, PublicSettings], filters: Filters | None = None
) -> QuerySet[Case]:
    """The listed cases of the switched-on districts, newest first."""
    filters = filters or Filters()
    cases = Case.objects.filter(
        street__parent_id__in=list(enabled),
        case_class__public=True,
        state__in=LISTED_STATES,
    )
    if filters.case_class is not None:
        cases = cases.filter(case_class=filters.case_class)
    if filters.state:
        cases = cases.filter(state__in=STATE_GROUPS[filters.state])
    if filters.street is not None:
        cases = cases.filter(street=filters.street)
    return _related(cases).order_by("-reported_at", "-pk")


def public_classes() -> QuerySet[CaseClass]:
    return CaseClass.objects.filter(public=True, active=True).order_by("code")


def public_streets(enabled: Mapping[int, PublicSettings]) -> QuerySet[AdminUnit]:
    return (
        AdminUnit.objects.filter(level=AdminUnit.Level.STREET, parent_id__in=list(enabled))
        .defer("geometry_wkb")
        .order_by("code")
    )


def _related(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("case_class", "grid", "street", "reporter").prefetch_related(
        "reporters__reporter"
    )


# --- where ---------------------------------------------------------------------------------

CELL_M = 100.0
M_PER_DEG_LAT = 111_320.0


def snap_100m(lon: float, lat: float) -> tuple[float, float]:
    """The centre of the ~100 m square that (lon, lat) falls in.

    Rows are 100 m of latitude; each row's columns are 100 m of longitude at the row's centre
    latitude, so the square depends on the row, never on where in it the point lies.
    """
    dlat = CELL_M / M_PER_DEG_LAT
    row = math.floor(lat / dlat)
    lat_c = (row + 0.5) * dlat
    dlon = CELL_M / (M_PER_DEG_LAT * math.cos(math.radians(lat_c)))
    col = math.floor(lon / dlon)
    return round((col + 0.5) * dlon, 6), round(lat_c, 6)


@dataclass(frozen=True)
class Place:
    """Where the public pages say a case is."""

    lon: float
    lat: float
    kind: str  # "grid" or "100m"
    area: str  # the street and the grid's names
    outline: dict[str, Any] | None = None  # the grid's boundary as GeoJSON, for "grid"


def coarse_place(case: Case, mode: str, outlines: dict[int, dict[str, Any]] | None = None) -> Place:
    """The case's place as the public pages show it: never the exact point."""
    grid = case.grid
    area = f"{case.street.name} · {grid.name}"
    if mode == PublicSettings.Location.M100:
        lon, lat = snap_100m(case.lon, case.lat)
        return Place(lon, lat, "100m", area)
    outline = None
    if outlines is not None:
        if grid.pk not in outlines:
            outlines[grid.pk] = grid_outline(grid)
        outline = outlines[grid.pk]
    return Place(round(grid.label_lon, 6), round(grid.label_lat, 6), "grid", area, outline)


def grid_outline(grid: Grid) -> dict[str, Any]:
    # ~1 m tolerance: a page of grids stays small, the outline stays the grid's.
    return dict(mapping(grid.geometry.simplify(0.00001, preserve_topology=True)))


# --- what text -----------------------------------------------------------------------------

DESCRIPTION_CHARS = 500
MASK = "***"
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_DIGIT = r"[0-9〇零一二三四五六七八九]"
_NUMBER = re.compile(rf"(?:\+\s?)?{_DIGIT}(?:[ \-.\u00a0]?{_DIGIT}){{6,}}(?:[Xx](?![A-Za-z]))?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _ascii_digits(text: str) -> str:
    """Every Unicode decimal digit as its ASCII digit (full-width, Arabic-Indic, …)."""
    return "".join(
        str(unicodedata.digit(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text
    )


def redact(text: str, *, also: Iterable[str] = ()) -> str:
    """`text` fit for a public page (see the module docstring for the rule).

    `also`: further strings to remove wherever they appear (the reporters' names and phones).
    """
    text = "".join(
        " "
        if (unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in "\n")
        or ch in "\ufffe\uffff"  # with the C0 controls, what XML 1.0 cannot hold (the feed)
        else ch
        for ch in text
    )
    text = _ascii_digits(text)
    for secret in sorted({s.strip() for s in also if len(s.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(_ascii_digits(secret), MASK)
    text = _EMAIL.sub(MASK, text)
    text = _NUMBER.sub(MASK, text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    if len(text) > DESCRIPTION_CHARS:
        text = text[: DESCRIPTION_CHARS - 1].rstrip() + "…"
    return text


def reporter_strings(case: Case) -> list[str]:
    """The names and phones of the case's reporters, to be removed from its description."""
    found = [case.reporter_name, case.reporter_phone]
    if case.reporter is not None:
        found += [case.reporter.display_name, case.reporter.phone, case.reporter.username]
    for row in case.reporters.all():
        found += [row.reporter_name, row.reporter_phone]
        if row.reporter is not None:
            found += [row.reporter.display_name, row.reporter.phone, row.reporter.username]
    return [s for s in found if s]


# --- one case as the public sees it ----------------------------------------------------------


@dataclass
class PublicReport:
    number: str
    class_code: str
    class_name: str
    state: str
    state_words: str
    fixed: bool
    reported_at: dt.datetime
    closed_at: dt.datetime | None
    expected_at: dt.datetime | None
    area: str
    listed: bool
    grid_code: str = ""
    description: str = ""
    place: Place | None = None
    photos: list[Photo] = field(default_factory=list)
    merged: bool = False


def expected_completion(case: Case) -> dt.datetime | None:
    """When the case should be done (residents.progress: the running deadline, or before
    dispatch an estimate on the working calendar); None once nothing is pending."""
    return progress.expected_completion(case).at


def approved_photos(cases: Iterable[Case]) -> dict[Any, list[Photo]]:
    by_case: dict[Any, list[Photo]] = {}
    photos = Photo.objects.filter(case__in=list(cases), approved_at__isnull=False)
    for photo in photos.order_by("created_at"):
        by_case.setdefault(photo.case_id, []).append(photo)
    return by_case


def present(
    cases: Iterable[Case],
    enabled: Mapping[int, PublicSettings],
    *,
    with_outlines: bool = True,
) -> list[PublicReport]:
    """Listed cases as the public list and map show them."""
    cases = list(cases)
    photos = approved_photos(cases)
    outlines: dict[int, dict[str, Any]] | None = {} if with_outlines else None
    districts = dict(
        AdminUnit.objects.filter(pk__in={c.street_id for c in cases}).values_list("pk", "parent_id")
    )
    reports = []
    for case in cases:
        mode = enabled[districts[case.street_id]].location
        reports.append(
            _report(case, listed=True, place=coarse_place(case, mode, outlines), photos=photos)
        )
    return reports


def _report(
    case: Case, *, listed: bool, place: Place | None, photos: Mapping[Any, list[Photo]]
) -> PublicReport:
    return PublicReport(
        number=case.number,
        class_code=case.case_class.code,
        class_name=case.case_class.name,
        state=case.state,
        state_words=progress.plain_state(case),
        fixed=case.state in FIXED_STATES,
        reported_at=case.reported_at,
        closed_at=case.closed_at,
        expected_at=expected_completion(case),
        area=f"{case.street.name} · {case.grid.name}",
        listed=listed,
        grid_code=case.grid.code,
        description=redact(case.description, also=reporter_strings(case)) if listed else "",
        place=place,
        photos=list(photos.get(case.pk, [])) if listed else [],
    )


def by_tracking_code(code: object) -> PublicReport:
    """The status of the case with this tracking code; a merged case answers with the case it
    joined. NotFound when no case has it (or it cannot be a code)."""
    normalised = tracking.normalise(code)
    case = (
        _related(Case.objects.filter(tracking_code=normalised)).first()
        if normalised is not None
        else None
    )
    if case is None:
        raise NotFound(_("No report has this tracking code."), field="code")
    merged = False
    seen = 0
    while case.merged_into_id is not None and seen < 10:
        case = _related(Case.objects.filter(pk=case.merged_into_id)).get()
        merged, seen = True, seen + 1
    enabled = enabled_settings()
    report = _one(case, enabled)
    report.merged = merged
    return report


def by_number(number: object) -> PublicReport:
    """A listed case by its case number (the public list's links); NotFound otherwise."""
    enabled = enabled_settings()
    text = str(number)
    case = None
    if len(text) <= 32 and "\x00" not in text:
        case = _related(listed_cases(enabled).filter(number=text)).first()
    if case is None:
        raise NotFound(_("No public report has this number."), field="number")
    return _one(case, enabled)


def _one(case: Case, enabled: Mapping[int, PublicSettings]) -> PublicReport:
    public = settings_for(case, enabled)
    listed = public is not None and case.state in LISTED_STATES and case.case_class.public
    place = coarse_place(case, public.location, {}) if listed and public else None
    photos = approved_photos([case]) if listed else {}
    return _report(case, listed=listed, place=place, photos=photos)


def public_photo(photo_id: object) -> Photo:
    """An approved photo of a listed case (its viewing copy is what may be served)."""
    text = str(photo_id)
    photo = None
    if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text):
        photo = (
            Photo.objects.filter(pk=text, approved_at__isnull=False)
            .select_related("case__case_class")
            .first()
        )
    if photo is None or not is_listed(photo.case):
        raise NotFound(_("No public photo has this address."), field="photo")
    return photo


# --- the feed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Near:
    lon: float | None = None
    lat: float | None = None
    radius_m: int = 0
    grid: Grid | None = None


_COORD = re.compile(r"-?\d{1,3}(?:\.\d{1,12})?")
_INT = re.compile(r"\d{1,7}")


def parse_near(query: Mapping[str, str]) -> Near:
    """?lon=&lat=&radius= (metres, default and bound in settings) or ?grid=<15-digit code>."""
    options = settings.ONEGRID
    grid_code = query.get("grid", "")
    has_point = any(query.get(k, "") for k in ("lon", "lat"))
    if grid_code and has_point:
        raise InvalidInput(_("Give either a place (lon, lat) or a grid, not both."), field="grid")
    if grid_code:
        if not re.fullmatch(r"\d{15}", grid_code) or not grid_code.isascii():
            raise InvalidInput(_("A grid code has exactly 15 digits."), field="grid")
        grid = Grid.objects.filter(code=grid_code).first()
        if grid is None:
            raise InvalidInput(_("No grid has this code."), field="grid")
        return Near(grid=grid)
    lon = _coordinate(query.get("lon", ""), "lon", 180)
    lat = _coordinate(query.get("lat", ""), "lat", 90)
    most = int(options["PUBLIC_FEED_MAX_RADIUS_M"])
    radius_text = query.get("radius", "")
    if not radius_text:
        radius = min(1000, most)
    else:
        if not _INT.fullmatch(radius_text) or not radius_text.isascii():
            raise InvalidInput(_("The radius is a whole number of metres."), field="radius")
        radius = int(radius_text)
        if not 1 <= radius <= most:
            raise InvalidInput(
                _("The radius must be between 1 and %(most)s metres.") % {"most": most},
                field="radius",
            )
    return Near(lon=lon, lat=lat, radius_m=radius)


def _coordinate(text: str, name: str, bound: int) -> float:
    if not text:
        raise InvalidInput(
            _("Give a place as lon and lat (WGS-84 degrees), or a grid code."), field=name
        )
    if not text.isascii() or not _COORD.fullmatch(text):
        raise InvalidInput(_("Write degrees as a decimal number, e.g. 117.1."), field=name)
    value = float(text)
    if not -bound <= value <= bound:
        raise InvalidInput(
            _("Degrees must be between -%(bound)s and %(bound)s.") % {"bound": bound}, field=name
        )
    return value


def fixed_near(near: Near) -> list[PublicReport]:
    """Listed cases fixed (closed or fixed on the spot) near a place or in a grid, newest fix
    first, at most PUBLIC_FEED_MAX_ITEMS, from districts whose feed is on. Distances are
    measured from each case's public (coarse) point, never from its exact one."""
    options = settings.ONEGRID
    enabled = {k: v for k, v in enabled_settings().items() if v.feed_enabled}
    count = int(options["PUBLIC_FEED_MAX_ITEMS"])
    cases = listed_cases(enabled).filter(state__in=FIXED_STATES).order_by("-closed_at", "-pk")
    if near.grid is not None:
        chosen = list(cases.filter(grid=near.grid)[:count])
        return present(chosen, enabled, with_outlines=False)
    assert near.lon is not None and near.lat is not None
    # A box around the circle, widened by the coarsening (a case's public point lies up to
    # ~71 m from its point in a square, anywhere in its grid otherwise: the grid's label).
    margin = near.radius_m + 200.0
    dlat = margin / M_PER_DEG_LAT
    dlon = margin / (M_PER_DEG_LAT * max(0.01, math.cos(math.radians(near.lat))))
    box = {
        "lat__gte": near.lat - dlat,
        "lat__lte": near.lat + dlat,
    }
    around = cases.filter(**box).filter(lon__gte=near.lon - dlon, lon__lte=near.lon + dlon)
    grid_box = {
        "grid__label_lat__gte": near.lat - dlat,
        "grid__label_lat__lte": near.lat + dlat,
        "grid__label_lon__gte": near.lon - dlon,
        "grid__label_lon__lte": near.lon + dlon,
    }
    candidates = list((around | cases.filter(**grid_box)).distinct()[: count * 20])
    reports = present(candidates, enabled, with_outlines=False)
    return [
        r
        for r in reports
        if r.place is not None
        and distance_m(near.lon, near.lat, r.place.lon, r.place.lat) <= near.radius_m
    ][:count]


# --- the switches, from the command line ---------------------------------------------------


def configure(
    *,
    district_code: str,
    enabled: bool | None = None,
    location: str | None = None,
    feed_enabled: bool | None = None,
) -> PublicSettings:
    """Switch a district's public pages (`onegrid public_pages set`; the admin edits the same
    row): the values given change, the others stay (a new row starts off, location "grid")."""
    district = AdminUnit.objects.filter(code=district_code, level=AdminUnit.Level.DISTRICT).first()
    if district is None:
        raise InvalidInput(_("No district has this code."), field="district")
    if location is not None and location not in PublicSettings.Location.values:
        raise InvalidInput(
            _("The location is shown as one of: %(values)s.")
            % {"values": ", ".join(PublicSettings.Location.values)},
            field="location",
        )
    with transaction.atomic():
        row, _created = PublicSettings.objects.select_for_update().get_or_create(district=district)
        if enabled is not None:
            row.enabled = enabled
        if location is not None:
            row.location = location
        if feed_enabled is not None:
            row.feed_enabled = feed_enabled
        row.save()
    return row
