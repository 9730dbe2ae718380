"""Evaluation periods: a month, an ISO week, a quarter, a year or any run of days, in Beijing
time, with the period before it and the same period a year earlier.

A period is a run of whole days [first, last] in Asia/Shanghai; `start` and `end` are its
bounds as aware datetimes, end excluded, as `compute_measures` and `totals` take them.

Query parameters (the API and the pages read the same ones, `parse_period`): exactly one of
`month=2026-03`, `week=2026-W10`, `quarter=2026-Q1`, `year=2026`, or `start=2026-03-01` with
`end=2026-03-15` (both days included). None: the last full month. Digits are ASCII only: a
full-width or Arabic-Indic digit, a sign, a space or a huge number is refused with a message
naming the parameter.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from onegrid.core import clock
from onegrid.core.errors import InvalidInput

TZ = ZoneInfo("Asia/Shanghai")
KINDS = ("month", "week", "quarter", "year", "custom")
# Years a period may fall in. Wide enough for any history a district keeps; narrow enough that
# the period before, a year earlier or a trend's last bucket never leaves Python's dates.
MIN_YEAR = 1990
MAX_YEAR = 2999
# The longest custom period, in days (ten years and leap days).
MAX_DAYS = 3653
PARAMS = ("month", "week", "quarter", "year", "start")

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_WEEK = re.compile(r"([0-9]{4})-?[Ww]([0-9]{2})", re.ASCII)
_QUARTER = re.compile(r"([0-9]{4})-?[Qq]([1-4])", re.ASCII)
_YEAR = re.compile(r"([0-9]{4})", re.ASCII)
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)


@dataclass(frozen=True)
class Period:
    """Whole days [first, last] in Beijing time; `kind` says how it was chosen."""

    kind: str
    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.last < self.first:
            raise ValueError("a period ends before it starts")

    # --- bounds ------------------------------------------------------------------------------

    @property
    def start(self) -> dt.datetime:
        """The first moment of the period (00:00 Beijing time of its first day)."""
        return at_midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period (excluded)."""
        return at_midnight(self.last + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    # --- names -------------------------------------------------------------------------------

    @property
    def key(self) -> str:
        """The period as its query parameter's value: 2026-03, 2026-W10, 2026-Q1, 2026, or
        2026-03-01..2026-03-15 for a custom run of days."""
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "week":
            year, week, _day = self.first.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if self.kind == "quarter":
            return f"{self.first.year:04d}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.first.year:04d}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def label(self) -> str:
        """The period in words, translated: 2026年3月, 2026年第10周, 2026年第1季度…"""
        if self.kind == "month":
            return _("%(year)d-%(month)02d") % {"year": self.first.year, "month": self.first.month}
        if self.kind == "week":
            year, week, _day = self.first.isocalendar()
            return _("week %(week)d of %(year)d") % {"year": year, "week": week}
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d") % {
                "year": self.first.year,
                "quarter": (self.first.month - 1) // 3 + 1,
            }
        if self.kind == "year":
            return _("year %(year)d") % {"year": self.first.year}
        return _("%(first)s to %(last)s") % {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
        }

    def query(self) -> dict[str, str]:
        """The query parameters that choose this period again (for links)."""
        if self.kind == "custom":
            return {"start": self.first.isoformat(), "end": self.last.isoformat()}
        return {self.kind: self.key}

    def __str__(self) -> str:
        return self.label()

    # --- comparisons -------------------------------------------------------------------------

    def previous(self) -> Period:
        """The period of the same kind just before: the month before, the week before…; for a
        custom run of days, the same number of days ending the day before it starts."""
        if self.kind == "month":
            return month(*_shift_month(self.first.year, self.first.month, -1))
        if self.kind == "week":
            return week_of(self.first - dt.timedelta(days=7))
        if self.kind == "quarter":
            year_, mon = _shift_month(self.first.year, self.first.month, -3)
            return quarter(year_, (mon - 1) // 3 + 1)
        if self.kind == "year":
            return year(self.first.year - 1)
        last = self.first - dt.timedelta(days=1)
        return Period("custom", last - dt.timedelta(days=self.days - 1), last)

    def last_year(self) -> Period:
        """The same period a year earlier: the same month, quarter or year; the same ISO week
        number (week 53 of a year whose year before has 52: week 52); a custom run of days
        moved back one year (29 February reads as the 28th)."""
        if self.kind == "month":
            return month(self.first.year - 1, self.first.month)
        if self.kind == "week":
            iso_year, number, _day = self.first.isocalendar()
            weeks = dt.date(iso_year - 1, 12, 28).isocalendar()[1]
            return week(iso_year - 1, min(number, weeks))
        if self.kind == "quarter":
            return quarter(self.first.year - 1, (self.first.month - 1) // 3 + 1)
        if self.kind == "year":
            return year(self.first.year - 1)
        return Period("custom", _year_earlier(self.first), _year_earlier(self.last))

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def at_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=TZ)


def local_day(moment: dt.datetime) -> dt.date:
    """The Beijing-time calendar day of an aware moment."""
    return moment.astimezone(TZ).date()


def _shift_month(year_: int, month_: int, by: int) -> tuple[int, int]:
    index = year_ * 12 + (month_ - 1) + by
    return index // 12, index % 12 + 1


def _year_earlier(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


# --- constructors ------------------------------------------------------------------------------


def month(year_: int, month_: int) -> Period:
    last_day = calendar.monthrange(year_, month_)[1]
    return Period("month", dt.date(year_, month_, 1), dt.date(year_, month_, last_day))


def week(iso_year: int, number: int) -> Period:
    first = dt.date.fromisocalendar(iso_year, number, 1)
    return Period("week", first, first + dt.timedelta(days=6))


def week_of(day: dt.date) -> Period:
    iso_year, number, _day = day.isocalendar()
    return week(iso_year, number)


def quarter(year_: int, number: int) -> Period:
    first_month = (number - 1) * 3 + 1
    last_month = first_month + 2
    last_day = calendar.monthrange(year_, last_month)[1]
    return Period("quarter", dt.date(year_, first_month, 1), dt.date(year_, last_month, last_day))


def year(year_: int) -> Period:
    return Period("year", dt.date(year_, 1, 1), dt.date(year_, 12, 31))


def custom(first: dt.date, last: dt.date) -> Period:
    return Period("custom", first, last)


def last_full_month(now: dt.datetime | None = None) -> Period:
    """The month before the current one in Beijing time (the default period)."""
    today = local_day(now or clock.now())
    return month(*_shift_month(today.year, today.month, -1))


def today() -> dt.date:
    return local_day(clock.now())


# --- parsing -----------------------------------------------------------------------------------


def parse_period(params: Mapping[str, str | None], *, default: Period | None = None) -> Period:
    """The period the query parameters choose (see the module's docstring); `default` (the
    last full month unless given) when none is. Raises InvalidInput naming the parameter."""
    given = [name for name in PARAMS if params.get(name) not in (None, "")]
    if params.get("end") not in (None, "") and "start" not in given:
        raise InvalidInput(_("start: give the first day of the period too."), field="start")
    if len(given) > 1:
        raise InvalidInput(
            _("%(field)s: choose one period: month, week, quarter, year or start and end.")
            % {"field": given[1]},
            field=given[1],
        )
    if not given:
        return default or last_full_month()
    name = given[0]
    raw = str(params[name]).strip()
    if name == "month":
        return _parse_month(raw)
    if name == "week":
        return _parse_week(raw)
    if name == "quarter":
        return _parse_quarter(raw)
    if name == "year":
        return year(_parse_year(raw, "year", _YEAR, _("a year such as 2026")))
    first = parse_day(raw, "start")
    end_raw = params.get("end")
    if end_raw in (None, ""):
        raise InvalidInput(_("end: give the last day of the period too."), field="end")
    last = parse_day(str(end_raw).strip(), "end")
    if last < first:
        raise InvalidInput(_("end: the last day comes before the first."), field="end")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(
            _("end: a period is at most %(days)d days long.") % {"days": MAX_DAYS}, field="end"
        )
    return custom(first, last)


def _bad(field: str, example: str) -> InvalidInput:
    return InvalidInput(
        _("%(field)s: must be %(example)s.") % {"field": field, "example": example}, field=field
    )


def _year_in_range(value: int, field: str) -> int:
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise InvalidInput(
            _("%(field)s: the year must lie between %(min)d and %(max)d.")
            % {"field": field, "min": MIN_YEAR, "max": MAX_YEAR},
            field=field,
        )
    return value


def _parse_year(raw: str, field: str, pattern: re.Pattern[str], example: str) -> int:
    match = pattern.fullmatch(raw)
    if match is None:
        raise _bad(field, example)
    return _year_in_range(int(match.group(1)), field)


def _parse_month(raw: str) -> Period:
    example = _("a month such as 2026-03")
    match = _MONTH.fullmatch(raw)
    if match is None:
        raise _bad("month", example)
    year_ = _year_in_range(int(match.group(1)), "month")
    number = int(match.group(2))
    if not 1 <= number <= 12:
        raise InvalidInput(_("month: the month must lie between 01 and 12."), field="month")
    return month(year_, number)


def _parse_week(raw: str) -> Period:
    match = _WEEK.fullmatch(raw)
    if match is None:
        raise _bad("week", _("an ISO week such as 2026-W10"))
    iso_year = _year_in_range(int(match.group(1)), "week")
    number = int(match.group(2))
    weeks = dt.date(iso_year, 12, 28).isocalendar()[1]
    if not 1 <= number <= weeks:
        raise InvalidInput(
            _("week: %(year)d has weeks 01 to %(weeks)d.") % {"year": iso_year, "weeks": weeks},
            field="week",
        )
    return week(iso_year, number)


def _parse_quarter(raw: str) -> Period:
    match = _QUARTER.fullmatch(raw)
    if match is None:
        raise _bad("quarter", _("a quarter such as 2026-Q1"))
    return quarter(_year_in_range(int(match.group(1)), "quarter"), int(match.group(2)))


def parse_day(raw: str, field: str) -> dt.date:
    """A day written YYYY-MM-DD with ASCII digits, in the supported years; InvalidInput naming
    `field` otherwise."""
    match = _DAY.fullmatch(raw.strip())
    if match is None:
        raise _bad(field, _("a day such as 2026-03-01"))
    year_ = _year_in_range(int(match.group(1)), field)
    try:
        return dt.date(year_, int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidInput(
            _("%(field)s: there is no such day.") % {"field": field}, field=field
        ) from None
