"""A district's own calendar days, over the national schedule.

In a city's installation each district follows the national holiday schedule (core.models
HolidayYear/HolidayDay, or the package) but may count a day differently: a local rest day (休)
on a weekday, or a make-up working day (班) on a day the nation rests. core.workdays reads them
with the schedule (one cache, one version): a change here bumps CalendarState, so every process
reloads at its next version check and this one at once.

The district is named by its 12-digit code (core stands below territory and cannot key its
row); the edges check that the code is one of the installation's districts and that the person
may keep that district's calendar.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from . import clock, holiday_schedule, workdays
from .errors import InvalidInput
from .models import DistrictDay

_DISTRICT_CODE = re.compile(r"[0-9]{6}000000")  # ASCII: \d would take ١٢٠١١٣ or １２０１１３


@dataclass(frozen=True)
class Change:
    day: DistrictDay
    # "added", "changed" or "unchanged" (the same day, kind and name were there already).
    outcome: str


def district_code(value: object) -> str:
    """A district's code as 12 digits ("120113" or "120113000000"), else InvalidInput."""
    code = str(value or "").strip()
    if re.fullmatch(r"[0-9]{6}", code):
        code += "000000"
    if not _DISTRICT_CODE.fullmatch(code) or code[4:6] == "00":
        raise InvalidInput(
            _("A district code has 6 digits (e.g. 120113) or 12 ending in 000000."),
            field="district",
        )
    return code


def parse_day(value: object) -> dt.date:
    """A date written YYYY-MM-DD within the years the calendar keeps, else InvalidInput."""
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise InvalidInput(_("Write the date as YYYY-MM-DD."), field="day") from None
    if not holiday_schedule.FIRST_YEAR <= day.year <= holiday_schedule.LAST_YEAR:
        raise InvalidInput(
            _("The year must be between %(first)s and %(last)s.")
            % {"first": holiday_schedule.FIRST_YEAR, "last": holiday_schedule.LAST_YEAR},
            field="day",
        )
    return day


def parse_kind(value: object) -> str:
    """休/班, rest/work (and the import's other words) → the stored kind, else InvalidInput."""
    kind = holiday_schedule.KIND_WORDS.get(str(value or "").strip().lower())
    if kind is None:
        raise InvalidInput(_('The kind must be "休" (rest) or "班" (work).'), field="kind")
    return kind


def add_day(*, district: str, day: object, kind: object, name: str = "", added_by: str) -> Change:
    """Add (or change) one district day. Refused when it would change nothing: the national
    calendar already counts the day that way. Adding the same day again is harmless."""
    code = district_code(district)
    when = parse_day(day)
    chosen = parse_kind(kind)
    name = str(name or "").strip()
    if len(name) > 40 or "\x00" in name:
        raise InvalidInput(_("A day's name has at most 40 characters."), field="name")
    working = chosen == holiday_schedule.WORK
    with transaction.atomic():
        holiday_schedule._lock()
        existing = DistrictDay.objects.filter(district_code=code, day=when).first()
        if existing is not None and existing.kind == chosen and existing.name == name:
            return Change(existing, "unchanged")
        if existing is None and workdays.is_working_day(when) == working:
            raise InvalidInput(
                (
                    _("%(day)s is already a working day in the national calendar.")
                    if working
                    else _("%(day)s is already a rest day in the national calendar.")
                )
                % {"day": when.isoformat()},
                field="kind",
            )
        if existing is None:
            row = DistrictDay.objects.create(
                district_code=code,
                day=when,
                kind=chosen,
                name=name,
                added_by=added_by[:150],
                added_at=clock.now(),
            )
            outcome = "added"
        else:
            existing.kind, existing.name = chosen, name
            existing.added_by, existing.added_at = added_by[:150], clock.now()
            existing.save()
            row, outcome = existing, "changed"
        holiday_schedule._bump()
    return Change(row, outcome)


def remove_day(*, district: str, day: object) -> bool:
    """Drop one district day (the national calendar counts it again); False when there was
    none."""
    code = district_code(district)
    when = parse_day(day)
    with transaction.atomic():
        holiday_schedule._lock()
        removed, _counts = DistrictDay.objects.filter(district_code=code, day=when).delete()
        if removed:
            holiday_schedule._bump()
    return bool(removed)


def days_of(district: str, year: int | None = None) -> list[DistrictDay]:
    """A district's own days, ascending (of one year when given)."""
    rows = DistrictDay.objects.filter(district_code=district_code(district))
    if year is not None:
        rows = rows.filter(day__year=year)
    return list(rows.order_by("day"))
