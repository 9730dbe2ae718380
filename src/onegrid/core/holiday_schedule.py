"""The holiday schedule administrators keep: import, export and the list of years.

Each autumn the State Council publishes next year's holidays (放假) and the weekend days made
into working days (调休上班). An administrator types them into a sheet, one date a row, marked
休 (a rest day on a weekday) or 班 (a make-up working day on a weekend), and imports it with
`onegrid calendar import FILE` or on the console's calendar page. core.workdays then prefers
the schedule over the chinesecalendar package for that year.

An import replaces whole years, all or nothing: every bad row is named (by its row number and
column heading) and nothing changes while any row is bad. A year that already has a schedule
is replaced only when asked to (``replace``). A 班 on a weekday is an error (it would change
nothing, so the date is wrong); a 休 on a weekend is kept with a warning (it changes nothing
but names the day, as the notices list e.g. all of 1–8 October).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES  # 0 is Monday, as date.weekday()
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import clock, columns, limits, spreadsheets, workdays
from .errors import InvalidInput
from .formula_text import csv_row
from .models import CalendarState, HolidayDay, HolidayYear

REST = HolidayDay.Kind.REST
WORK = HolidayDay.Kind.WORK
# Accepted headings per column (compared in lower case); the first is what exports write.
COLUMNS = {
    "date": ("日期", "date"),
    "kind": ("类型", "kind", "type"),
    "name": ("名称", "name", "节日", "holiday"),
}
REQUIRED = ("date", "kind")
KIND_WORDS = {
    "休": REST,
    "rest": REST,
    "休息": REST,
    "放假": REST,
    "班": WORK,
    "work": WORK,
    "上班": WORK,
    "补班": WORK,
}
KIND_MARKS: dict[str, str] = {REST: "休", WORK: "班"}
KIND_LABELS = dict(HolidayDay.Kind.choices)
# Where a year's working days come from (core.workdays), as the page and the command name it.
SOURCE_LABELS = {
    workdays.SCHEDULE: gettext_lazy("holiday schedule"),
    workdays.PACKAGE: gettext_lazy("chinesecalendar package"),
    workdays.WEEKDAYS: gettext_lazy("none: Monday to Friday"),
}
MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 5000  # a year has ~30 rows; a file of every year since 2000 stays far below
FIRST_YEAR, LAST_YEAR = 2000, 2100
NAME_MAX = columns.max_length(HolidayDay, "name")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass(frozen=True)
class ScheduleRow:
    row: int
    day: dt.date
    kind: str
    name: str


@dataclass(frozen=True)
class Problem:
    row: int | None  # the file's row number; None for the file or a whole year
    field: str  # date, kind, name, year, replace, file
    message: str


@dataclass
class YearPlan:
    """What an import does to one year."""

    year: int
    replaces: str  # where the year's days came from before: schedule, package or weekdays
    rest: int = 0
    work: int = 0
    added: list[dt.date] = field(default_factory=list)
    removed: list[dt.date] = field(default_factory=list)
    changed: list[dt.date] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        """The schedule already holds exactly these days (a repeated import): nothing to do."""
        return self.replaces == workdays.SCHEDULE and not (
            self.added or self.removed or self.changed
        )


@dataclass
class ScheduleReport:
    dry_run: bool
    file_name: str = ""
    years: list[YearPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows: list[ScheduleRow] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)


# --- reading ----------------------------------------------------------------------------------


def _table(data: bytes, filename: str) -> Sequence[Sequence[object]]:
    if len(data) > MAX_FILE_BYTES:
        raise limits.file_too_large(MAX_FILE_BYTES)
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return [row for _n, row in spreadsheets.iter_sheet_rows(data, max_rows=MAX_ROWS)]
    # As export_csv wrote it (a formula guard's apostrophe comes off) or as typed.
    return spreadsheets.read_csv_table(data, max_rows=MAX_ROWS)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else None
    if isinstance(value, dt.date):
        return value
    match = _DATE.match(_text(value))
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def read_schedule(data: bytes, filename: str = "") -> tuple[list[ScheduleRow], list[Problem]]:
    """The rows of a schedule file (CSV in UTF-8 or GB18030, or XLSX) and the problems of each
    bad row. Raises InvalidInput(field="file") for a file that cannot be read at all."""
    table = _table(data, filename)
    skipped = 0
    while skipped < len(table) and not any(_text(c) for c in table[skipped]):
        skipped += 1  # blank lines above the header
    table = table[skipped:]
    if not table:
        raise InvalidInput(_("The file is empty."), field="file")
    header_row = skipped + 1
    headings = [_text(c).removeprefix("\ufeff") for c in table[0]]
    positions: dict[str, int] = {}
    for column, names in COLUMNS.items():
        for i, heading in enumerate(headings):
            if heading.lower() in names and column not in positions:
                positions[column] = i
    for column in REQUIRED:
        if column not in positions:
            raise InvalidInput(
                _('Row %(row)s: the file has no "%(names)s" column.')
                % {"row": header_row, "names": " / ".join(COLUMNS[column])},
                field=column,
            )
    heading_of = {column: headings[i] for column, i in positions.items()}
    rows: list[ScheduleRow] = []
    problems: list[Problem] = []
    first_row_of: dict[dt.date, int] = {}

    def bad(number: int, column: str, message: str) -> None:
        problems.append(
            Problem(
                number,
                column,
                _("Row %(row)s, %(column)s: %(problem)s")
                % {"row": number, "column": heading_of.get(column, column), "problem": message},
            )
        )

    for number, raw in enumerate(table[1:], start=header_row + 1):
        values = {c: (raw[i] if i < len(raw) else None) for c, i in positions.items()}
        if not any(_text(v) for v in values.values()):
            continue
        ok = True
        day = _parse_day(values["date"])
        if day is None:
            ok = False
            bad(
                number,
                "date",
                _('"%(value)s" is not a date (write it as 2027-02-05)')
                % {"value": _text(values["date"])},
            )
        elif not FIRST_YEAR <= day.year <= LAST_YEAR:
            ok = False
            bad(
                number,
                "date",
                _("%(day)s is not between %(first)s and %(last)s")
                % {"day": day.isoformat(), "first": FIRST_YEAR, "last": LAST_YEAR},
            )
        kind = KIND_WORDS.get(_text(values["kind"]).lower())
        if kind is None:
            ok = False
            bad(
                number,
                "kind",
                _('"%(value)s" is neither 休 (rest day) nor 班 (make-up working day)')
                % {"value": _text(values["kind"])},
            )
        name = _text(values.get("name"))
        if len(name) > NAME_MAX:
            ok = False
            bad(number, "name", _("longer than %(n)s characters") % {"n": NAME_MAX})
        if day is not None and day in first_row_of:
            ok = False
            bad(
                number,
                "date",
                _("%(day)s is already on row %(first)s")
                % {"day": day.isoformat(), "first": first_row_of[day]},
            )
        elif day is not None:
            first_row_of[day] = number
        if not ok or day is None or kind is None:
            continue
        if kind == WORK and day.weekday() < 5:
            bad(
                number,
                "kind",
                _(
                    "%(day)s is a %(weekday)s, a working day anyway: a 班 (make-up working day) "
                    "falls on a Saturday or Sunday"
                )
                % {"day": day.isoformat(), "weekday": WEEKDAY_NAMES[day.weekday()]},
            )
            continue
        rows.append(ScheduleRow(number, day, kind, name))
    return rows, problems


# --- checking against the database -------------------------------------------------------------


def _warnings(rows: list[ScheduleRow]) -> list[Problem]:
    found = []
    for row in rows:
        if row.kind == REST and row.day.weekday() >= 5:
            found.append(
                Problem(
                    row.row,
                    "kind",
                    _("Row %(row)s: %(day)s is a %(weekday)s, a rest day anyway; kept for its name")
                    % {
                        "row": row.row,
                        "day": row.day.isoformat(),
                        "weekday": WEEKDAY_NAMES[row.day.weekday()],
                    },
                )
            )
    return found


def _package_differences(year: int, days: dict[dt.date, bool]) -> int:
    """On how many days of a year the package covers a schedule disagrees with it."""
    package = {day: working for day, working, _name in workdays.package_exceptions(year)}
    return sum(
        1
        for day in set(package) | set(days)
        if days.get(day, day.weekday() < 5) != package.get(day, day.weekday() < 5)
    )


def _plan(
    rows: list[ScheduleRow], *, year: int | None, replace: bool
) -> tuple[list[YearPlan], list[Problem], list[Problem]]:
    problems: list[Problem] = []
    warnings = _warnings(rows)
    if year is not None:
        for row in rows:
            if row.day.year != year:
                problems.append(
                    Problem(
                        row.row,
                        "date",
                        _("Row %(row)s: %(day)s is not in %(year)s")
                        % {"row": row.row, "day": row.day.isoformat(), "year": year},
                    )
                )
    by_year: dict[int, list[ScheduleRow]] = {}
    for row in rows:
        by_year.setdefault(row.day.year, []).append(row)
    existing_years = set(
        HolidayYear.objects.filter(year__in=by_year).values_list("year", flat=True)
    )
    existing = {
        day: (kind, name)
        for day, kind, name in HolidayDay.objects.filter(year__in=existing_years).values_list(
            "day", "kind", "name"
        )
    }
    plans = []
    for y in sorted(by_year):
        if year is not None and y != year:
            continue
        plan = YearPlan(
            year=y,
            replaces=workdays.SCHEDULE if y in existing_years else workdays.source_of(y),
        )
        new = {r.day: (r.kind, r.name) for r in by_year[y]}
        old = {d: v for d, v in existing.items() if d.year == y}
        plan.rest = sum(1 for kind, _name in new.values() if kind == REST)
        plan.work = len(new) - plan.rest
        plan.added = sorted(set(new) - set(old))
        plan.removed = sorted(set(old) - set(new))
        plan.changed = sorted(d for d in set(new) & set(old) if new[d] != old[d])
        if y in existing_years and not replace and not plan.unchanged:
            problems.append(
                Problem(
                    None,
                    "replace",
                    _("%(year)s already has a schedule: ask to replace it.") % {"year": y},
                )
            )
        if y in workdays.package_years():
            differ = _package_differences(y, {d: k == WORK for d, (k, _n) in new.items()})
            if differ:
                warnings.append(
                    Problem(
                        None,
                        "year",
                        _(
                            "%(year)s: the schedule differs from the chinesecalendar package "
                            "on %(n)s days; the schedule will be used."
                        )
                        % {"year": y, "n": differ},
                    )
                )
        plans.append(plan)
    return plans, problems, warnings


# --- the import -------------------------------------------------------------------------------


def import_schedule(
    *,
    data: bytes,
    filename: str = "",
    year: int | None = None,
    replace: bool = False,
    dry_run: bool = False,
    imported_by: str,
) -> ScheduleReport:
    """Read a schedule file and replace the years it lists (only ``year`` when given) in one
    transaction; with any problem, or on a dry run, nothing changes. Raises InvalidInput for a
    file that cannot be read at all or a year out of range."""
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            _("The year must be between %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            field="year",
        )
    rows, problems = read_schedule(data, filename)
    report = ScheduleReport(dry_run=dry_run, file_name=filename, problems=problems, rows=rows)
    with transaction.atomic():
        if not dry_run:
            # Serialise imports: the second sees the first's years (and needs replace).
            _lock()
        report.years, more, report.warnings = _plan(rows, year=year, replace=replace)
        report.problems += more
        if not report.years and not report.problems:
            # Only bad rows are named; an empty file (or none in the year) is named here.
            if year is None:
                report.problems.append(Problem(None, "file", _("The file lists no dates.")))
            else:
                report.problems.append(
                    Problem(
                        None, "year", _("The file lists no dates in %(year)s.") % {"year": year}
                    )
                )
        if report.refused or dry_run:
            return report
        chosen = {plan.year for plan in report.years if not plan.unchanged}
        if not chosen:
            return report  # a repeated import: the schedule already says exactly this
        HolidayYear.objects.filter(year__in=chosen).delete()  # their days go with them
        now = clock.now()
        HolidayYear.objects.bulk_create(
            [
                HolidayYear(
                    year=y, imported_by=imported_by, imported_at=now, source_name=filename[:255]
                )
                for y in sorted(chosen)
            ]
        )
        HolidayDay.objects.bulk_create(
            [
                HolidayDay(day=r.day, year_id=r.day.year, kind=r.kind, name=r.name)
                for r in rows
                if r.day.year in chosen
            ]
        )
        _bump()
    return report


def remove_year(*, year: int) -> bool:
    """Drop a year's schedule (the package or Monday–Friday count it again); False when the
    schedule did not have it."""
    with transaction.atomic():
        _lock()
        removed, _counts = HolidayYear.objects.filter(year=year).delete()
        if removed:
            _bump()
    return bool(removed)


def _lock() -> None:
    CalendarState.objects.get_or_create(pk=1)
    list(CalendarState.objects.select_for_update().filter(pk=1))


def _bump() -> None:
    state = CalendarState.objects.get(pk=1)
    state.version = F("version") + 1
    state.save()
    # This process reloads at once (other processes at their next version check), and again
    # after commit: a look-up inside the transaction may have loaded the uncommitted rows.
    workdays.forget()
    transaction.on_commit(workdays.forget)


# --- reading the schedule back ----------------------------------------------------------------


@dataclass(frozen=True)
class YearSummary:
    year: int
    source: str
    rest: int
    work: int
    imported_by: str = ""
    imported_at: dt.datetime | None = None
    source_name: str = ""


def year_summaries(around: int) -> list[YearSummary]:
    """Every year the schedule has, and the years from ``around - 1`` to ``around + 1`` from
    whichever source counts them, ascending."""
    from django.db.models import Count, Q

    schedule = {
        y.year: y
        for y in HolidayYear.objects.annotate(
            rest=Count("days", filter=Q(days__kind=REST)),
            work=Count("days", filter=Q(days__kind=WORK)),
        )
    }
    summaries = []
    for year in sorted(set(schedule) | set(range(around - 1, around + 2))):
        if year in schedule:
            row = schedule[year]
            summaries.append(
                YearSummary(
                    year,
                    workdays.SCHEDULE,
                    row.rest,
                    row.work,
                    row.imported_by,
                    row.imported_at,
                    row.source_name,
                )
            )
        else:
            days = workdays.package_exceptions(year)
            work = sum(1 for _day, working, _name in days if working)
            summaries.append(YearSummary(year, workdays.source_of(year), len(days) - work, work))
    return summaries


def year_days(year: int) -> tuple[str, list[tuple[dt.date, str, str]]]:
    """(source, [(day, kind, name)]) of one year: the schedule's days when it has the year,
    else the package's weekday holidays and weekend working days, else none."""
    if HolidayYear.objects.filter(year=year).exists():
        days = list(HolidayDay.objects.filter(year=year).values_list("day", "kind", "name"))
        return workdays.SCHEDULE, days
    days = [
        (day, WORK if working else REST, name)
        for day, working, name in workdays.package_exceptions(year)
    ]
    return (workdays.PACKAGE if days else workdays.WEEKDAYS), days


def export_table(years: list[int]) -> tuple[list[str], list[list[str]]]:
    """Header and rows (日期, 类型 as 休/班, 名称) for the years, as the import reads them back."""
    header = [names[0] for names in COLUMNS.values()]
    rows = []
    for year in years:
        _source, days = year_days(year)
        rows += [[day.isoformat(), KIND_MARKS[kind], name] for day, kind, name in days]
    return header, rows


def export_csv(years: list[int]) -> bytes:
    """UTF-8 with a BOM, so Excel on Chinese Windows opens it as UTF-8. A holiday name that
    starts like a formula is written so that no spreadsheet runs it (core.formula_text)."""
    header, rows = export_table(years)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(csv_row(row) for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(years: list[int]) -> bytes:
    header, rows = export_table(years)
    return spreadsheets.xlsx_bytes(header, rows, title="calendar")


def missing_year_message(year: int) -> str:
    """The warning for a year neither the schedule nor the package has (tick, the command)."""
    return _(
        "No holiday schedule for %(year)s, and the chinesecalendar package does not cover it: "
        "deadlines in %(year)s are counted Monday to Friday. Import the State Council's "
        "arrangement: onegrid calendar import FILE --year %(year)s"
    ) % {"year": year}
