"""Which days are working days: the administrators' holiday schedule, else the package.

For each year, in this order:

1. the holiday schedule administrators import (core.models.HolidayYear/HolidayDay), when it has
   the year: its 休 days are rest days, its 班 days working days, every other day follows
   Monday–Friday;
2. the `chinesecalendar` package (``chinese_calendar``), for the years its release covers;
3. Monday–Friday, with a logged warning (once per year and schedule version per process).

The State Council publishes each year's arrangement late in the year before, usually after the
installed package was released, hence the schedule.

In a city's installation a district may count some days differently (core.models.DistrictDay: a
local rest day or make-up working day, keyed by the district's 12-digit code). Every function
takes an optional ``district`` code: its days come first, then the national answer above. An
empty code, or a district without days of its own, reads the national calendar (the same
cached arrays, so a district costs nothing until it has days).

Deadlines are computed often (every tick, every page with a timer), so nothing here queries the
database per day: each process keeps the whole schedule in memory (a few dozen rows a year)
and re-reads only the schedule's version, at most every
``settings.ONEGRID["CALENDAR_RECHECK_SECONDS"]`` seconds; an import bumps the version, so every
process reloads after it. The importing process forgets its copy at once.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar
from django.db.models import CharField, Value

from .rechecked import RecheckedCopy

logger = logging.getLogger(__name__)

TZ = ZoneInfo("Asia/Shanghai")

SCHEDULE = "schedule"
PACKAGE = "package"
WEEKDAYS = "weekdays"


@dataclass
class _Snapshot:
    token: tuple[int, str]
    # date → True for a 班 (make-up working) day, False for a 休 (rest) day.
    exceptions: dict[dt.date, bool]
    years: frozenset[int]
    # district code → its own days (date → True for 班, False for 休).
    districts: dict[str, dict[dt.date, bool]] = field(default_factory=dict)
    # Filled lazily per (district or "", year): ascending ordinals of the working days, and the
    # same as a set.
    ordinals: dict[tuple[str, int], tuple[int, ...]] = field(default_factory=dict)
    ordinal_sets: dict[tuple[str, int], frozenset[int]] = field(default_factory=dict)
    warned: set[int] = field(default_factory=set)


_cache: RecheckedCopy[_Snapshot] = RecheckedCopy()


def _token() -> tuple[int, str]:
    """(version, updated_at) of the schedule; the timestamp makes a version number that a
    rolled-back import had used count as new when another import takes it."""
    from .models import CalendarState

    row = CalendarState.objects.filter(pk=1).values_list("version", "updated_at").first()
    return (row[0], row[1].isoformat()) if row else (0, "")


def _load(token: tuple[int, str]) -> _Snapshot:
    from .models import DistrictDay, HolidayDay, HolidayYear

    years = frozenset(HolidayYear.objects.values_list("year", flat=True))
    # The national days and the districts' own in one query (code "" for a national day).
    national = (
        HolidayDay.objects.order_by()
        .annotate(code=Value("", output_field=CharField()))
        .values_list("code", "day", "kind")
    )
    local = DistrictDay.objects.order_by().values_list("district_code", "day", "kind")
    exceptions: dict[dt.date, bool] = {}
    districts: dict[str, dict[dt.date, bool]] = {}
    for code, day, kind in national.union(local, all=True):
        (districts.setdefault(code, {}) if code else exceptions)[day] = kind == "work"
    return _Snapshot(token=token, exceptions=exceptions, years=years, districts=districts)


def _snapshot() -> _Snapshot:
    return _cache.get(_token, _load)


def forget() -> None:
    """Drop this process's copy of the schedule; the next look-up reloads it."""
    _cache.forget()


def clear_caches() -> None:
    """Forget the schedule and the package look-ups (after upgrading the package, in tests)."""
    forget()
    _package_is_workday.cache_clear()
    package_years.cache_clear()


# --- the package ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16384)
def _package_is_workday(day: dt.date) -> bool | None:
    """The package's answer, or None for a year its release does not cover."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


@functools.cache
def package_years() -> range:
    """The years the installed chinesecalendar release covers (2004–2026 for 1.11)."""
    first, last = min(chinese_calendar.holidays), max(chinese_calendar.holidays)
    return range(first.year, last.year + 1)


def package_exceptions(year: int) -> list[tuple[dt.date, bool, str]]:
    """(day, is working day, name in Chinese) for the package's weekday holidays and weekend
    make-up days of a year it covers, ascending; empty for a year it does not cover."""
    if year not in package_years():
        return []
    found = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        # Through the cache the working-day look-ups share: the package is asked about each
        # day once per process (the calendar page lists several years on every view).
        working = _package_is_workday(day) is True
        if working != (day.weekday() < 5):
            _off, english = chinese_calendar.get_holiday_detail(day)
            found.append((day, working, _chinese_name(english)))
        day += dt.timedelta(days=1)
    return found


def _chinese_name(english: str | None) -> str:
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english or ""


# --- days -------------------------------------------------------------------------------------


def districts_with_days() -> frozenset[str]:
    """The codes of the districts that have days of their own (empty in most installations:
    then no caller needs to find a case's district to count its time)."""
    return frozenset(_snapshot().districts)


def _district(snap: _Snapshot, district: str) -> str:
    # A district without days of its own shares the national arrays.
    return district if district and district in snap.districts else ""


def _decide(snap: _Snapshot, day: dt.date, district: str = "") -> bool:
    if district:
        own = snap.districts[district].get(day)
        if own is not None:
            return own
    if day.year in snap.years:
        return snap.exceptions.get(day, day.weekday() < 5)
    answer = _package_is_workday(day)
    if answer is not None:
        return answer
    if day.year not in snap.warned:
        snap.warned.add(day.year)
        logger.warning(
            "Neither the holiday schedule nor the installed chinese_calendar has %s; counting "
            "Monday to Friday as working days for that year. Import the State Council's "
            "arrangement with `onegrid calendar import` or on the console's calendar page.",
            day.year,
        )
    return day.weekday() < 5


def _year(snap: _Snapshot, year: int, district: str = "") -> tuple[int, ...]:
    """The year's working-day ordinals for ``district`` (already passed through _district)."""
    key = (district, year)
    days = snap.ordinals.get(key)
    if days is None:
        first = dt.date(year, 1, 1).toordinal()
        last = dt.date(year, 12, 31).toordinal()
        days = tuple(
            o for o in range(first, last + 1) if _decide(snap, dt.date.fromordinal(o), district)
        )
        snap.ordinal_sets[key] = frozenset(days)
        snap.ordinals[key] = days
    return days


def is_working_day(day: dt.date, district: str = "") -> bool:
    """Whether ``day`` is a working day (a datetime is judged by its Asia/Shanghai date), in
    ``district`` (12-digit code) when given, else nationally."""
    if isinstance(day, dt.datetime):
        if day.tzinfo is None:
            raise ValueError("working-day look-ups need timezone-aware datetimes")
        day = day.astimezone(TZ).date()
    snap = _snapshot()
    district = _district(snap, district)
    _year(snap, day.year, district)
    return day.toordinal() in snap.ordinal_sets[(district, day.year)]


def working_ordinals(year: int, district: str = "") -> tuple[int, ...]:
    """Ordinals of the working days of one year, ascending (bisect them instead of looping)."""
    snap = _snapshot()
    return _year(snap, year, _district(snap, district))


def shift_working_days(day: dt.date, n: int, district: str = "") -> dt.date:
    """The n-th working day after ``day`` (n >= 1), or ``day`` itself for n == 0."""
    if n == 0:
        return day
    snap = _snapshot()
    district = _district(snap, district)
    year = day.year
    days = _year(snap, year, district)
    i = bisect.bisect_right(days, day.toordinal())
    while i + n > len(days):
        n -= len(days) - i
        year += 1
        days = _year(snap, year, district)
        i = 0
    return dt.date.fromordinal(days[i + n - 1])


def count_working_days(first: dt.date, stop: dt.date, district: str = "") -> int:
    """Number of working days in [first, stop); first <= stop."""
    snap = _snapshot()
    district = _district(snap, district)
    count = 0
    for year in range(first.year, stop.year + 1):
        days = _year(snap, year, district)
        lo = bisect.bisect_left(days, first.toordinal())
        hi = bisect.bisect_left(days, stop.toordinal())
        count += hi - lo
    return count


# --- years ------------------------------------------------------------------------------------


def source_of(year: int) -> str:
    """Where a year's working days come from: SCHEDULE, PACKAGE or WEEKDAYS (neither)."""
    if year in _snapshot().years:
        return SCHEDULE
    if year in package_years():
        return PACKAGE
    return WEEKDAYS


def years_without_calendar(now: dt.datetime) -> list[int]:
    """The years to warn about at ``now``: this year when neither the schedule nor the package
    has it, and from 1 December (Asia/Shanghai) next year too, when the arrangement is due."""
    local = now.astimezone(TZ)
    years = [local.year]
    if local.month == 12:
        years.append(local.year + 1)
    return [year for year in years if source_of(year) == WEEKDAYS]
