"""Additive totals of the §5 counters for any period, scope, class and grouping.

Every rate on the measures pages is a ratio of two of these counters (cases.facts defines each).
They come from the rollups (cases.rollups: DailyTotal, PersonDailyTotal, CaseFact) when the
rollups can answer: the evaluation time is now or later (no event is later than it) and the
period is made of whole days (Asia/Shanghai). Otherwise — a past evaluation time, a period that
starts or ends inside a day — they come from the full recompute: the events up to the
evaluation time folded by cases.facts, the same definitions.

Overdue depends on the evaluation time: cases closed late, plus cases still open whose deadline
has passed. From the rollups, open cases due on days before the evaluation day are all past
their deadline; those due on the evaluation day itself are counted exactly from CaseFact.

Nothing here is scoped to a person: the actor-scoped reads (insight.selectors) decide which
scope a person may ask for, and call these.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.db.models.expressions import RawSQL

from onegrid.cases import rollups
from onegrid.cases.facts import COUNTERS, PERSON_COUNTERS, PROACTIVE, CaseFacts, local_day
from onegrid.cases.models import (
    Case,
    CaseClass,
    CaseEvent,
    CaseFact,
    DailyTotal,
    GridMonthTotal,
    PersonDailyTotal,
    StreetMonthTotal,
    Task,
)
from onegrid.core import clock
from onegrid.territory.models import AdminUnit, Grid

TZ = ZoneInfo("Asia/Shanghai")
GROUPS = ("street", "community", "grid", "department", "class", "major", "day", "week", "month")
_GROUP_COLUMN = {
    "street": "street_id",
    "community": "community_id",
    "grid": "grid_id",
    "department": "department",
    "class": "case_class_id",
    "major": "case_class_id",
    "day": "day",
    "week": "day",
    "month": "day",
}


class ScopeLike(Protocol):
    """insight.measures.Scope, as far as totals read it."""

    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def pk(self) -> int | None: ...
    @property
    def grid_ids(self) -> tuple[int, ...]: ...


@dataclass
class Counts:
    """Additive counters (cases.facts); every rate is a ratio of two of them."""

    # by report day
    reports: int = 0
    proactive: int = 0
    valid: int = 0
    self_closed: int = 0
    repeats: int = 0
    # by deadline day
    n_due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    closed_late: int = 0
    open_due: int = 0
    # by close day
    closures: int = 0
    lowest_level_closed: int = 0
    # by first-check day (checks, reworked) and completed-check day (checks_done, timely)
    checks: int = 0
    reworked: int = 0
    checks_done: int = 0
    timely_checks: int = 0
    # by call-back day
    replies: int = 0
    satisfied: int = 0
    # by dispatch day (dispatches), by first-dispatch day (cases)
    dispatches: int = 0
    joint_dispatches: int = 0
    dispatched_cases: int = 0
    joint_cases: int = 0
    # by deadline day: closed late + open past the deadline at the evaluation time
    overdue: int = 0

    def add(self, other: Counts) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def add_row(self, row: Mapping[str, int | None]) -> None:
        """Add a row of summed COUNTERS (None: nothing summed) straight from the database."""
        for name in COUNTERS:
            value = row[name]
            if value:
                setattr(self, name, getattr(self, name) + int(value))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}


@dataclass
class PersonCounts:
    """Per person: reports made (valid, self-closed), on-site checks completed (in time), and
    feedbacks given as a department handler (before the task's deadline; reworked: the check
    of that round failed)."""

    reports: int = 0
    valid: int = 0
    self_closed: int = 0
    checks: int = 0
    timely_checks: int = 0
    fed_back: int = 0
    fed_back_on_time: int = 0
    reworked: int = 0


# The field names, taken once: dataclasses.fields() per row costs more than the rows' sums.
COUNT_FIELDS = tuple(f.name for f in fields(Counts))
assert COUNT_FIELDS[: len(COUNTERS)] == COUNTERS
assert tuple(f.name for f in fields(PersonCounts)) == PERSON_COUNTERS


# --- periods ---


def _moment(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            raise ValueError("start and end must be timezone-aware")
        return value
    return dt.datetime.combine(value, dt.time(), TZ)


def _whole_day(moment: dt.datetime) -> dt.date | None:
    local = moment.astimezone(TZ)
    return local.date() if local.time() == dt.time() else None


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), TZ)


# How far before now an evaluation time still reads the rollups (when no event came since).
RECENT = dt.timedelta(minutes=5)


def rollups_answer(as_of: dt.datetime) -> bool:
    """Whether the rollups hold the history as of `as_of`: it is now (or later, or a few
    minutes ago), and no event is later than it. Further in the past, the full recompute
    answers, as it does for history written around `cases.history.append_event` (tests'
    bulk-made histories) until `onegrid rollups rebuild`."""
    if as_of < clock.now() - RECENT:
        return False
    return not CaseEvent.objects.filter(at__gt=as_of).exists()


# --- keys ---


def _group_key(group_by: str | None, value: Any) -> Any:
    if group_by in ("day", "week", "month"):
        day = value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else None
        if day is None:
            day = local_day(value)
        if group_by == "week":
            return day - dt.timedelta(days=day.weekday())
        if group_by == "month":
            return day.replace(day=1)
        return day
    if group_by == "department":
        return value or None
    return value


class _Codes:
    """Ids of streets, communities, grids and classes → codes (and classes → major codes)."""

    def __init__(self) -> None:
        self._units: dict[int, str] | None = None
        self._grids: dict[int, str] | None = None
        self._classes: dict[int, tuple[str, str]] | None = None

    def __call__(self, group_by: str | None, key: Any) -> Any:
        if group_by in ("street", "community"):
            if self._units is None:
                self._units = dict(
                    AdminUnit.objects.filter(level__in=("street", "community")).values_list(
                        "id", "code"
                    )
                )
            return self._units.get(key, str(key))
        if group_by == "grid":
            if self._grids is None:
                self._grids = dict(Grid.all_objects.values_list("id", "code"))
            return self._grids.get(key, str(key))
        if group_by in ("class", "major"):
            if self._classes is None:
                self._classes = {
                    pk: (code, major)
                    for pk, code, major in CaseClass.objects.values_list(
                        "id", "code", "major__code"
                    )
                }
            code, major = self._classes.get(key, (str(key), ""))
            return code if group_by == "class" else major
        return key


def _class_ids(prefix: str) -> list[int] | None:
    if not prefix:
        return None
    return list(CaseClass.objects.filter(code__startswith=prefix).values_list("id", flat=True))


# --- totals ---


def totals(
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    *,
    as_of: dt.datetime | None = None,
    scope: ScopeLike | None = None,
    class_prefix: str = "",
    group_by: str | None = None,
) -> dict[Any, Counts]:
    """Counts of [start, end) per group (street, community or grid code; department code, None
    for counters no department leads; class or major class code; day, Monday of the week or
    first of the month as a date), or {None: Counts} without group_by. Evaluated at `as_of`
    (default now). Groups with nothing to count are left out (except {None: Counts()})."""
    if group_by is not None and group_by not in GROUPS:
        raise ValueError(f"group_by is one of {', '.join(GROUPS)}")
    begin, finish = _moment(start), _moment(end)
    as_of = as_of or clock.now()
    first, last = _whole_day(begin), _whole_day(finish)
    if first is not None and last is not None and rollups_answer(as_of):
        out = _from_rollups(first, last, begin, finish, as_of, scope, class_prefix, group_by)
    else:
        out = recompute_totals(
            begin, finish, as_of=as_of, scope=scope, class_prefix=class_prefix, group_by=group_by
        )
    if group_by is None and not out:
        out = {None: Counts()}
    return out


def _whole(scope: ScopeLike | None) -> bool:
    """Whether `scope` is everything the installation serves: none, the city, or the district
    of a one-district installation (a city's district names its row: `pk`)."""
    return scope is None or scope.kind == "city" or (scope.kind == "district" and scope.pk is None)


def _scoped(qs: QuerySet[Any], scope: ScopeLike | None, *, department_field: str) -> QuerySet[Any]:
    if _whole(scope):
        return qs
    assert scope is not None
    if scope.kind == "district":
        # One district of a city: the rows of its streets (every row belongs to one street).
        streets = AdminUnit.objects.filter(parent_id=scope.pk, level="street").values("pk")
        return qs.filter(street_id__in=streets)
    if scope.kind == "beat":
        return qs.filter(grid_id__in=list(scope.grid_ids))
    if scope.kind in ("street", "community", "grid"):
        return qs.filter(**{f"{scope.kind}_id": scope.pk})
    if scope.kind == "department":
        return qs.filter(**{department_field: scope.code})
    raise ValueError(f"unknown scope kind {scope.kind}")


def _daily(
    first: dt.date, last: dt.date, scope: ScopeLike | None, classes: list[int] | None
) -> QuerySet[Any]:
    rows = _scoped(
        DailyTotal.objects.filter(day__gte=first, day__lt=last),
        scope,
        department_field="department",
    )
    return rows if classes is None else rows.filter(case_class_id__in=classes)


def _month_table(
    scope: ScopeLike | None, classes: list[int] | None, group_by: str | None
) -> type[StreetMonthTotal] | type[GridMonthTotal] | None:
    """The coarsest month table that holds the answer, if any (None: DailyTotal)."""
    kind = "district" if scope is None or scope.kind == "city" else scope.kind
    if kind in ("district", "street", "department") and group_by in _STREET_MONTH_GROUPS:
        return StreetMonthTotal
    if classes is None and kind != "department" and group_by in _GRID_MONTH_GROUPS:
        return GridMonthTotal
    return None


_STREET_MONTH_GROUPS = frozenset({None, "street", "class", "major", "department", "month"})
_GRID_MONTH_GROUPS = frozenset({None, "street", "community", "grid", "month"})


def _sources(
    first: dt.date,
    last: dt.date,
    scope: ScopeLike | None,
    classes: list[int] | None,
    group_by: str | None,
) -> list[tuple[QuerySet[Any], str]]:
    """(rows, their date column) that together hold [first, last): whole months from a month
    table when one answers, the days at either end from DailyTotal."""
    table = _month_table(scope, classes, group_by)
    start = first if first.day == 1 else _next_month(first)
    stop = last.replace(day=1)
    if table is None or start >= stop:
        return [(_daily(first, last, scope, classes), "day")]
    months = _scoped(
        table.objects.filter(month__gte=start, month__lt=stop),
        scope,
        department_field="department",
    )
    if classes is not None:
        months = months.filter(case_class_id__in=classes)
    out: list[tuple[QuerySet[Any], str]] = [(months, "month")]
    if first < start:
        out.append((_daily(first, start, scope, classes), "day"))
    if stop < last:
        out.append((_daily(stop, last, scope, classes), "day"))
    return out


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _from_rollups(
    first: dt.date,
    last: dt.date,
    begin: dt.datetime,
    finish: dt.datetime,
    as_of: dt.datetime,
    scope: ScopeLike | None,
    class_prefix: str,
    group_by: str | None,
) -> dict[Any, Counts]:
    classes = _class_ids(class_prefix)
    codes = _Codes()
    out: dict[Any, Counts] = {}

    def bucket(raw: Any) -> Counts:
        key = codes(group_by, _group_key(group_by, raw)) if group_by else None
        if key not in out:
            out[key] = Counts()
        return out[key]

    sums = {c: Sum(c) for c in COUNTERS}
    for rows, date_column in _sources(first, last, scope, classes, group_by):
        if group_by is None:
            result = rows.aggregate(**sums)
            if result["reports"] is not None:
                bucket(None).add_row(result)
            continue
        column = _GROUP_COLUMN[group_by]
        if column == "day":
            column = date_column
        for row in rows.values(column).annotate(**sums).order_by():
            bucket(row[column]).add_row(row)
    # Overdue: closed late, plus open and past the deadline at the evaluation time.
    today = local_day(as_of)
    for counts in out.values():
        counts.overdue = counts.closed_late + counts.open_due
    if today < last:
        # Open cases due from the evaluation day on are not all past their deadline yet: take
        # them out, and count those that are from the facts.
        later = _daily(max(first, today), last, scope, classes)
        if group_by is None:
            n = later.aggregate(n=Sum("open_due"))["n"] or 0
            if n:
                bucket(None).overdue -= n
        else:
            column = _GROUP_COLUMN[group_by]
            for row in later.values(column).annotate(n=Sum("open_due")).order_by():
                if row["n"]:
                    bucket(row[column]).overdue -= row["n"]
        facts = _scoped(
            CaseFact.objects.filter(
                closed=False,
                deadline__gte=max(begin, day_start(today)),
                deadline__lt=min(finish, as_of),
            ),
            scope,
            department_field="deadline_lead",
        )
        if classes is not None:
            facts = facts.filter(case_class_id__in=classes)
        column = {
            None: "deadline",
            "department": "deadline_lead",
            "day": "deadline",
            "week": "deadline",
            "month": "deadline",
        }.get(group_by, _GROUP_COLUMN.get(group_by or "", "deadline"))
        for value in facts.values_list(column, flat=True):
            bucket(value if group_by else None).overdue += 1
    # Rows whose counters came back to 0 (an event undid them) count nothing.
    return {
        key: counts
        for key, counts in out.items()
        if any(getattr(counts, name) for name in COUNT_FIELDS)
    }


# --- the full recompute ---


def _cases_in(scope: ScopeLike | None, class_prefix: str) -> QuerySet[Case]:
    cases: QuerySet[Case] = Case.objects.all()
    if scope is not None and scope.kind == "department":
        cases = cases.filter(
            pk__in=Task.objects.filter(department__code=scope.code).values("case_id")
        )
    elif not _whole(scope):
        cases = _scoped(cases, scope, department_field="")
    if class_prefix:
        cases = cases.filter(case_class__code__startswith=class_prefix)
    return cases


def folded(
    *,
    as_of: dt.datetime,
    scope: ScopeLike | None = None,
    class_prefix: str = "",
    with_repeats: bool = True,
) -> Iterable[tuple[Any, CaseFacts]]:
    """(case id, facts as of `as_of`) of every case in the scope with a history."""
    repeat = rollups.repeat_keys(as_of=as_of) if with_repeats else set()
    whole = _whole(scope) and not class_prefix
    return rollups.fold_histories(
        cases=None if whole else _cases_in(scope, class_prefix),
        as_of=as_of,
        repeats=(lambda key: key in repeat) if repeat else None,
    )


def recompute_totals(
    start: dt.datetime,
    end: dt.datetime,
    *,
    as_of: dt.datetime,
    scope: ScopeLike | None = None,
    class_prefix: str = "",
    group_by: str | None = None,
) -> dict[Any, Counts]:
    """`totals` from the history itself: every event up to `as_of` folded (the reference the
    rollups are checked against)."""
    department = scope.code if scope is not None and scope.kind == "department" else None
    codes = _Codes()
    out: dict[Any, Counts] = {}
    for _case_id, facts in folded(
        as_of=as_of, scope=scope, class_prefix=class_prefix, with_repeats=department is None
    ):
        place = {
            "street": facts.street_id,
            "community": facts.community_id,
            "grid": facts.grid_id,
            "class": facts.class_id,
            "major": facts.class_id,
        }
        for at, dept, counter, n in facts.contributions():
            if not start <= at < end or (department is not None and dept != department):
                continue
            if group_by is None:
                key = None
            elif group_by in place:
                key = codes(group_by, place[group_by])
            else:
                key = _group_key(group_by, dept if group_by == "department" else at)
            counts = out.get(key)
            if counts is None:
                counts = out[key] = Counts()
            setattr(counts, counter, getattr(counts, counter) + n)
            if counter == "closed_late" or (counter == "open_due" and at < as_of):
                counts.overdue += n
    return out


# --- people ---


def person_totals(
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    *,
    user_ids: Iterable[int] | None = None,
    as_of: dt.datetime | None = None,
) -> dict[int, PersonCounts]:
    """PersonCounts of [start, end) per user id (only users with something to count)."""
    begin, finish = _moment(start), _moment(end)
    as_of = as_of or clock.now()
    first, last = _whole_day(begin), _whole_day(finish)
    wanted = None if user_ids is None else set(user_ids)
    out: dict[int, PersonCounts] = {}
    if first is not None and last is not None and rollups_answer(as_of):
        rows = PersonDailyTotal.objects.filter(day__gte=first, day__lt=last)
        if wanted is not None:
            rows = rows.filter(user_id__in=wanted)
        for row in rows.values("user_id").annotate(**{c: Sum(c) for c in PERSON_COUNTERS}):
            out[row["user_id"]] = PersonCounts(**{c: int(row[c] or 0) for c in PERSON_COUNTERS})
        return out
    for _case_id, facts in folded(as_of=as_of, with_repeats=False):
        for at, user, counter, n in facts.person_contributions():
            if begin <= at < finish and (wanted is None or user in wanted):
                counts = out.setdefault(user, PersonCounts())
                setattr(counts, counter, getattr(counts, counter) + n)
    return out


# --- drill-down ---

# Each measure's numerator and denominator counters.
MEASURE_COUNTERS: dict[str, tuple[str, str]] = {
    "closure_rate": ("closed", "n_due"),
    "on_time_closure_rate": ("closed_on_time", "n_due"),
    "overdue_rate": ("overdue", "n_due"),
    "rework_rate": ("reworked", "checks"),
    "self_closed_share": ("self_closed", "reports"),
    "proactive_share": ("proactive", "reports"),
    "valid_report_rate": ("valid", "reports"),
    "satisfaction_rate": ("satisfied", "replies"),
    "joint_share": ("joint_dispatches", "dispatches"),
    "timely_check_rate": ("timely_checks", "checks_done"),
    "lowest_level_share": ("lowest_level_closed", "closures"),
    "joint_case_share": ("joint_cases", "dispatched_cases"),
    "recurrence_rate": ("repeats", "reports"),
}
# Counters counted per event, so a case may add several (one per check, call-back or dispatch):
# behind them lie fewer cases than the figure counts. Each maps to the event actions that add to
# it; a drill-down reads those events' cases and keeps the ones whose facts add in the period.
PER_EVENT_COUNTERS: dict[str, tuple[str, ...]] = {
    "checks_done": ("pass_check", "fail_check"),
    "timely_checks": ("pass_check", "fail_check"),
    "replies": ("revisit", "rate"),
    "satisfied": ("revisit", "rate"),
    "dispatches": ("dispatch", "arbitrate"),
    "joint_dispatches": ("dispatch", "arbitrate"),
}


def _counter_filter(
    counter: str, begin: dt.datetime, finish: dt.datetime, as_of: dt.datetime, dept: str | None
) -> Q:
    def period(column: str) -> Q:
        return Q(**{f"{column}__gte": begin, f"{column}__lt": finish})

    def lead(column: str) -> Q:
        return Q() if dept is None else Q(**{column: dept})

    reported = period("reported_at") & (Q() if dept is None else Q(pk__in=[]))
    due = period("deadline") & lead("deadline_lead")
    filters = {
        "reports": reported,
        "proactive": reported & Q(source__in=PROACTIVE),
        "valid": reported & Q(valid=True),
        "self_closed": reported & Q(self_closed=True),
        "repeats": reported & Q(repeat=True),
        "n_due": due,
        "closed": due & Q(closed=True),
        "closed_on_time": due & Q(closed=True, on_time=True),
        "closed_late": due & Q(closed=True) & ~Q(on_time=True),
        "open_due": due & Q(closed=False),
        "overdue": due
        & ((Q(closed=True) & ~Q(on_time=True)) | Q(closed=False, deadline__lt=as_of)),
        "closures": period("closed_at") & Q(closed=True) & lead("deadline_lead"),
        "lowest_level_closed": period("closed_at") & Q(lowest_level=True) & lead("deadline_lead"),
        "checks": period("first_check_at") & lead("first_check_lead"),
        "reworked": period("first_check_at") & Q(failed=True) & lead("first_check_lead"),
        "dispatched_cases": period("first_dispatch_at") & lead("lead"),
        "joint_cases": period("first_dispatch_at") & Q(joint=True) & lead("lead"),
    }
    return filters[counter]


def _contributes(
    facts: CaseFacts, counter: str, begin: dt.datetime, finish: dt.datetime, dept: str | None
) -> bool:
    return any(
        c == counter and begin <= at < finish and (dept is None or d == dept)
        for at, d, c, _n in facts.contributions()
    )


def cases_behind(
    key: str,
    part: str,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    *,
    as_of: dt.datetime | None = None,
    scope: ScopeLike | None = None,
    class_prefix: str = "",
) -> QuerySet[Case]:
    """The cases behind a measure's numerator or denominator (`part`), or behind one counter
    (`key` a counter name): every case that adds to it, not scoped to any person."""
    if part not in ("numerator", "denominator"):
        raise ValueError("part is numerator or denominator")
    if key in MEASURE_COUNTERS:
        counter = MEASURE_COUNTERS[key][0 if part == "numerator" else 1]
    elif key in COUNTERS or key == "overdue":
        counter = key
    else:
        raise ValueError(f"no measure or counter {key}")
    begin, finish = _moment(start), _moment(end)
    as_of = as_of or clock.now()
    dept = scope.code if scope is not None and scope.kind == "department" else None
    if not rollups_answer(as_of):
        # In the past: the facts as they were then.
        wanted = "closed_late" if counter == "overdue" else counter
        ids = []
        for case_id, facts in folded(
            as_of=as_of, scope=scope, class_prefix=class_prefix, with_repeats=counter == "repeats"
        ):
            if _contributes(facts, wanted, begin, finish, dept) or (
                counter == "overdue"
                and facts.deadline is not None
                and not facts.closed
                and facts.deadline < as_of
                and _contributes(facts, "open_due", begin, finish, dept)
            ):
                ids.append(case_id)
        return _cases_with_ids(ids)
    rows: QuerySet[CaseFact] = CaseFact.objects.all()
    if dept is None:  # a department: the counter's own department column decides
        rows = _scoped(rows, scope, department_field="")
    classes = _class_ids(class_prefix)
    if classes is not None:
        rows = rows.filter(case_class_id__in=classes)
    if counter in PER_EVENT_COUNTERS:
        near = CaseEvent.objects.filter(
            action__in=PER_EVENT_COUNTERS[counter], at__gte=begin, at__lt=finish
        ).values("case_id")
        ids = [
            case_id
            for case_id, state in rows.filter(case_id__in=near).values_list("case_id", "state")
            if _contributes(CaseFacts.from_json(state), counter, begin, finish, dept)
        ]
        return _cases_with_ids(ids)
    return Case.objects.filter(
        pk__in=rows.filter(_counter_filter(counter, begin, finish, as_of, dept)).values("case_id")
    )


def _cases_with_ids(ids: list[Any]) -> QuerySet[Case]:
    """The cases of a list of ids worked out in Python, as ONE query parameter (a JSON array):
    `pk__in=ids` binds a parameter per id, and SQLite refuses a statement with more than
    32,766 of them, which a district's year of dispatches passes."""
    if connection.vendor == "postgresql":
        sql = "SELECT (jsonb_array_elements_text(%s::jsonb))::uuid"
        values = json.dumps([str(i) for i in ids])
    else:  # SQLite keeps a UUID as 32 hex digits
        sql = "SELECT value FROM json_each(%s)"
        values = json.dumps([uuid.UUID(str(i)).hex for i in ids])
    return Case.objects.filter(pk__in=RawSQL(sql, [values]))
