"""Working time on the Chinese working calendar (statutory holidays and make-up working days, 调休).

Time limits on cases are counted in working hours or working days, never in wall-clock time, so a
4-hour limit set on Friday afternoon runs on into Monday and one set before the Spring Festival
waits for the holiday to end. Which days are working days comes from core.workdays: the holiday
schedule administrators import each December (``onegrid calendar import``) where it has the
year, else the `chinesecalendar` package for the years it covers, else Monday–Friday with a
logged warning. core.workdays keeps the whole calendar in memory per process, so no deadline
queries the database per day.

The rules, in Asia/Shanghai local time (China has no daylight saving, so local arithmetic is
exact):

* A *working window* is ``[WORKDAY_START, WORKDAY_END)`` of a working day (settings.ONEGRID,
  default 09:00–17:00). Only time inside a window counts.
* A start outside a window (before it, at or after its end, on a weekend or holiday) moves to the
  start of the next window; a start inside a window stays where it is.
* ``N`` working hours: the moment when ``N`` hours of window time have passed since the
  (moved) start. A deadline that uses up a window exactly ends at that window's end (17:00), not
  at the next window's start: both are the same point in working time, and the earlier one is
  what people expect to read.
* ``N`` working days: the same position on the working clock ``N`` working days later. A start at
  10:00 on a working day plus one working day is 10:00 on the next working day; a start on a
  holiday (or in the evening) first moves to the next window's start, so it ends at
  ``WORKDAY_START`` ``N`` working days after that.

Every function takes and returns timezone-aware datetimes; results are in Asia/Shanghai. Each
takes an optional ``district`` (12-digit code): in a city's installation a district may keep days
of its own (core.models.DistrictDay), and a case's time counts on its district's calendar
(cases.overrides.calendar_district gives it, "" while no district has days of its own).
"""

from __future__ import annotations

import datetime as dt
import functools
import math

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from onegrid.core import workdays
from onegrid.core.errors import InvalidInput

TZ = workdays.TZ
UNITS = ("hours", "days")
_HOUR = dt.timedelta(hours=1)
# Below 1 by the smallest step, so a timer shows "not yet late" right up to the deadline.
_JUST_BELOW_ONE = math.nextafter(1.0, 0.0)


# --- days -------------------------------------------------------------------------------------


def is_working_day(day: dt.date, district: str = "") -> bool:
    """Whether ``day`` is a working day on the Chinese calendar.

    Statutory holidays are days off even on weekdays, and make-up working days (调休) are working
    days even on a Saturday or Sunday. A datetime is first converted to its Asia/Shanghai date.
    Where the answer comes from (the schedule, the package, or Monday–Friday for a year that
    neither has) is core.workdays' business.
    """
    return workdays.is_working_day(day, district)


def clear_caches() -> None:
    """Forget cached calendar look-ups (after upgrading the package in place, or in tests)."""
    workdays.clear_caches()


# --- the working window -----------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _parse_window(start: str, end: str) -> tuple[dt.time, dt.time, dt.timedelta]:
    try:
        t0 = dt.time.fromisoformat(start)
        t1 = dt.time.fromisoformat(end)
    except ValueError:
        t0 = t1 = dt.time.min  # an empty window: refused below
    length = dt.datetime.combine(dt.date.min, t1) - dt.datetime.combine(dt.date.min, t0)
    if length <= dt.timedelta(0):
        raise ImproperlyConfigured(
            f"ONEGRID WORKDAY_START/WORKDAY_END must be HH:MM with start before end, "
            f"got {start!r}-{end!r}"
        )
    return t0, t1, length


def _window() -> tuple[dt.time, dt.time, dt.timedelta]:
    # Read on every call so override_settings and per-district configuration take effect.
    conf = settings.ONEGRID
    return _parse_window(conf.get("WORKDAY_START", "09:00"), conf.get("WORKDAY_END", "17:00"))


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("working-time functions need timezone-aware datetimes")
    return moment.astimezone(TZ)


def _offset_in_day(
    local: dt.datetime, t0: dt.time, length: dt.timedelta, district: str = ""
) -> dt.timedelta:
    """Working time already spent on ``local``'s date by that moment (0 on a day off)."""
    if not workdays.is_working_day(local.date(), district):
        return dt.timedelta(0)
    since_start = local - dt.datetime.combine(local.date(), t0, tzinfo=TZ)
    return min(max(since_start, dt.timedelta(0)), length)


def _normalise(moment: dt.datetime, district: str = "") -> tuple[dt.date, dt.timedelta]:
    """Move a moment to a working-clock position: (working day, time since its window start)."""
    t0, _t1, length = _window()
    local = _local(moment)
    day = local.date()
    if workdays.is_working_day(day, district):
        offset = local - dt.datetime.combine(day, t0, tzinfo=TZ)
        if offset < length:
            return day, max(offset, dt.timedelta(0))
    return workdays.shift_working_days(day, 1, district), dt.timedelta(0)


def _at(day: dt.date, offset: dt.timedelta) -> dt.datetime:
    t0, _t1, _length = _window()
    return dt.datetime.combine(day, t0, tzinfo=TZ) + offset


# --- public API -------------------------------------------------------------------------------


def add_working_time(start: dt.datetime, amount: int, unit: str, district: str = "") -> dt.datetime:
    """The deadline ``amount`` working hours or working days after ``start``.

    See the module docstring for the rules. ``amount`` must be a non-negative whole number;
    ``unit`` is "hours" or "days". Runs in time proportional to the number of years crossed,
    not to the amount.
    """
    if unit not in UNITS:
        raise InvalidInput(_('The time unit must be "hours" or "days".'), field="unit")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidInput(_("A time limit must be a whole number not below zero."), field="amount")
    _t0, _t1, length = _window()
    day, offset = _normalise(start, district)
    if unit == "days":
        return _at(workdays.shift_working_days(day, amount, district), offset)
    full_days, rest = divmod(offset + amount * _HOUR, length)
    if rest == dt.timedelta(0) and full_days > 0:
        # Ends exactly at a window's end: show that day's close rather than the next opening.
        return _at(workdays.shift_working_days(day, full_days - 1, district), length)
    return _at(workdays.shift_working_days(day, full_days, district), rest)


def working_hours_between(a: dt.datetime, b: dt.datetime, district: str = "") -> float:
    """Working hours from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    if b < a:
        return -working_hours_between(b, a, district)
    t0, _t1, length = _window()
    la, lb = _local(a), _local(b)
    whole_days = workdays.count_working_days(la.date(), lb.date(), district)
    spent = (
        whole_days * length
        + _offset_in_day(lb, t0, length, district)
        - _offset_in_day(la, t0, length, district)
    )
    return spent / _HOUR


def elapsed_share(
    start: dt.datetime, due: dt.datetime, now: dt.datetime, district: str = ""
) -> float:
    """Share of the working time between ``start`` and ``due`` used up by ``now``.

    0 at (or before) the start, 1 at the deadline, above 1 when overdue. The share is kept
    below 1 until ``now`` reaches ``due`` on the wall clock and at least 1 from then on, so the
    colour agrees with the overdue flag even when a deadline falls at a window's start (the
    previous evening has used the whole allowance in working time but is not yet late).
    """
    total = working_hours_between(start, due, district)
    share = 0.0 if total <= 0 else max(working_hours_between(start, now, district), 0.0) / total
    if now < due:
        return min(share, _JUST_BELOW_ONE)
    return max(share, 1.0)


def timer_colour(start: dt.datetime, due: dt.datetime, now: dt.datetime, district: str = "") -> str:
    """The timer colour: "green" before half the allowance, "yellow" until due, then "red"."""
    share = elapsed_share(start, due, now, district)
    if share < 0.5:
        return "green"
    if share < 1.0:
        return "yellow"
    return "red"
