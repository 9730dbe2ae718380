"""Rollups of the case history, kept in the transaction of every history event.

Three tables (cases.models), all derived from CaseEvent and rebuilt from it by `rebuild_rollups`:

* CaseFact: one row per case, its facts (cases.facts.CaseFacts) as its history has them now;
* DailyTotal: the additive counters of cases.facts.COUNTERS per day (Asia/Shanghai) × street ×
  community × grid × class × department; PersonDailyTotal: per day × person;
* CaseClose: every close, for the recurrence rule.

`cases.history.append_event` (the one place events are written) calls `Keeper(case)` before it
writes an event and `.record(event)` after: the case's facts before and after the event give the
contributions to take away and to add, and the totals get the difference through
``INSERT … ON CONFLICT … DO UPDATE SET c = c + excluded.c`` (SQLite and PostgreSQL alike). The
caller holds the case's row lock, so two events of one case never interleave; two cases adding
to one total row serialise on that row for the rest of their transactions. Rows whose counters
all come back to 0 stay (a later event refills them); `rebuild_rollups` writes none.

The fold from history (`fold_histories`) is also the full recompute: `verify` compares the
tables with it, and insight.measures uses it for evaluations in the past.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, cast

from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import CharField, Field, Model, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from onegrid.org.models import Department

from .facts import (
    ACTIONS,
    CLOSES,
    COUNTERS,
    PERSON_COUNTERS,
    CaseFacts,
    Close,
    bounding_box,
    distance_m,
    local_day,
    recurrence_settings,
    recurring_reports,
)
from .models import (
    Case,
    CaseClass,
    CaseClose,
    CaseEvent,
    CaseFact,
    DailyTotal,
    GridMonthTotal,
    PersonDailyTotal,
    StreetMonthTotal,
)

logger = logging.getLogger(__name__)

# (day, street, community, grid, class, department)
TotalKey = tuple[dt.date, int, int, int, int, str]
PersonKey = tuple[dt.date, int]
TOTAL_KEY_COLUMNS = ("day", "street_id", "community_id", "grid_id", "case_class_id", "department")
PERSON_KEY_COLUMNS = ("day", "user_id")
_COUNTER_AT = {name: i for i, name in enumerate(COUNTERS)}
_PERSON_AT = {name: i for i, name in enumerate(PERSON_COUNTERS)}
# The keys of event data the fold reads, fetched as text so no row's whole JSON is decoded.
_DATA_KEYS = ("due_at", "lead", "co", "tasks", "on_time", "satisfaction", "check_due_at", "class")
FLUSH_KEYS = 200_000  # aggregated total rows held in memory before they are written


# --- contributions, keyed ---


def total_contributions(facts: CaseFacts) -> dict[TotalKey, dict[str, int]]:
    street, community, grid, class_id = facts.place()
    out: dict[TotalKey, dict[str, int]] = {}
    for at, department, counter, n in facts.contributions():
        key = (local_day(at), street, community, grid, class_id, department)
        row = out.setdefault(key, {})
        row[counter] = row.get(counter, 0) + n
    return out


def person_contributions(facts: CaseFacts) -> dict[PersonKey, dict[str, int]]:
    out: dict[PersonKey, dict[str, int]] = {}
    for at, user, counter, n in facts.person_contributions():
        row = out.setdefault((local_day(at), user), {})
        row[counter] = row.get(counter, 0) + n
    return out


def _difference(
    before: Mapping[Any, Mapping[str, int]], after: Mapping[Any, Mapping[str, int]]
) -> dict[Any, dict[str, int]]:
    out: dict[Any, dict[str, int]] = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key, {}), after.get(key, {})
        delta = {c: new.get(c, 0) - old.get(c, 0) for c in old.keys() | new.keys()}
        delta = {c: n for c, n in delta.items() if n}
        if delta:
            out[key] = delta
    return out


# --- writing totals ---


def _db_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


@cache
def _upsert_sql(table: str, keys: tuple[str, ...], counters: tuple[str, ...], rows: int) -> str:
    q = connection.ops.quote_name
    columns = [*keys, *counters]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(f"{q(c)} = {q(table)}.{q(c)} + excluded.{q(c)}" for c in counters)
    return (
        f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) "
        f"VALUES {', '.join([one] * rows)} "
        f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {updates}"
    )


Statement = tuple[str, list[Any]]


def _add_statements(
    table: str,
    keys: tuple[str, ...],
    counters: tuple[str, ...],
    rows: Iterable[tuple[Sequence[object], Sequence[int]]],
    chunk: int = 200,
) -> list[Statement]:
    """Statements adding counter values to rows (key, values), creating the rows that do not
    exist. Rows go in key order, so two transactions lock shared rows in the same order."""
    ordered = sorted(rows, key=lambda r: tuple(str(v) for v in r[0]))
    out: list[Statement] = []
    for start in range(0, len(ordered), chunk):
        part = ordered[start : start + chunk]
        params: list[Any] = []
        for key, values in part:
            params.extend(_db_value(v) for v in key)
            params.extend(values)
        out.append((_upsert_sql(table, keys, counters, len(part)), params))
    return out


def _add(
    table: str,
    keys: tuple[str, ...],
    counters: tuple[str, ...],
    rows: Iterable[tuple[Sequence[object], Sequence[int]]],
    chunk: int = 200,
) -> None:
    _run(_add_statements(table, keys, counters, rows, chunk), combine=False)


def _run(statements: Sequence[Statement], *, combine: bool = True) -> None:
    """Run writes in order. On PostgreSQL, a server away, several go as one statement (data-
    modifying WITH clauses, each run once and to completion): one round trip instead of
    several. They must not touch the same row twice."""
    if not statements:
        return
    with connection.cursor() as cursor:
        if combine and len(statements) > 1 and connection.vendor == "postgresql":
            parts = [f"s{i} AS ({sql} RETURNING 1)" for i, (sql, _p) in enumerate(statements[:-1])]
            sql = f"WITH {', '.join(parts)} {statements[-1][0]}"
            cursor.execute(sql, [v for _sql, params in statements for v in params])
            return
        for sql, params in statements:
            cursor.execute(sql, params)


def _as_rows(
    deltas: Mapping[Any, Mapping[str, int]], names: Sequence[str]
) -> list[tuple[Sequence[object], Sequence[int]]]:
    return [(key, [delta.get(c, 0) for c in names]) for key, delta in deltas.items()]


def add_totals(deltas: Mapping[TotalKey, Mapping[str, int]]) -> list[Statement]:
    return _add_statements(
        DailyTotal._meta.db_table, TOTAL_KEY_COLUMNS, COUNTERS, _as_rows(deltas, COUNTERS)
    )


def add_person_totals(deltas: Mapping[PersonKey, Mapping[str, int]]) -> list[Statement]:
    return _add_statements(
        PersonDailyTotal._meta.db_table,
        PERSON_KEY_COLUMNS,
        PERSON_COUNTERS,
        _as_rows(deltas, PERSON_COUNTERS),
    )


# --- month totals: DailyTotal summed coarser, for the questions asked most ---


@dataclass(frozen=True)
class MonthTable:
    model: type[Model]
    keys: tuple[str, ...]  # month, then these columns of DailyTotal
    columns: tuple[str, ...]

    def key(self, daily: TotalKey) -> tuple[object, ...]:
        day = daily[0]
        return (day.replace(day=1), *(daily[TOTAL_KEY_COLUMNS.index(c)] for c in self.columns))


MONTH_TABLES = (
    MonthTable(
        StreetMonthTotal,
        ("month", "street_id", "case_class_id", "department"),
        ("street_id", "case_class_id", "department"),
    ),
    MonthTable(
        GridMonthTotal,
        ("month", "street_id", "community_id", "grid_id"),
        ("street_id", "community_id", "grid_id"),
    ),
)


def month_deltas(
    daily: Mapping[TotalKey, Mapping[str, int]], table: MonthTable
) -> dict[tuple[object, ...], dict[str, int]]:
    out: dict[tuple[object, ...], dict[str, int]] = {}
    for key, delta in daily.items():
        row = out.setdefault(table.key(key), {})
        for counter, n in delta.items():
            row[counter] = row.get(counter, 0) + n
    return {k: v for k, v in out.items() if any(v.values())}


def add_month_totals(daily: Mapping[TotalKey, Mapping[str, int]]) -> list[Statement]:
    return [
        statement
        for table in MONTH_TABLES
        for statement in _add_statements(
            table.model._meta.db_table,
            table.keys,
            COUNTERS,
            _as_rows(month_deltas(daily, table), COUNTERS),
        )
    ]


def derive_month_totals() -> None:
    """Fill the month tables from DailyTotal (after a rebuild, or a load that wrote DailyTotal
    itself), in the database."""
    q = connection.ops.quote_name
    month = (
        f"date({q('day')}, 'start of month')"
        if connection.vendor == "sqlite"
        else f"CAST(date_trunc('month', {q('day')}) AS date)"
    )
    sums = ", ".join(f"SUM({q(c)})" for c in COUNTERS)
    with connection.cursor() as cursor:
        for table in MONTH_TABLES:
            table.model._default_manager.all().delete()
            group = ", ".join(q(c) for c in table.columns)
            cursor.execute(
                f"INSERT INTO {q(table.model._meta.db_table)} "
                f"({', '.join(q(c) for c in (*table.keys, *COUNTERS))}) "
                f"SELECT {month}, {group}, {sums} FROM {q(DailyTotal._meta.db_table)} "
                f"GROUP BY {month}, {group}"
            )


# --- the hook ---


def _place(case: Case) -> dict[str, Any]:
    return {
        "street_id": case.street_id,
        "community_id": case.community_id,
        "grid_id": case.grid_id,
        "class_id": case.case_class_id,
        "source": case.source,
        "lon": case.lon,
        "lat": case.lat,
    }


def department_streets(codes: Iterable[str]) -> dict[str, int | None]:
    """The street of each named department (None: a district department)."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    q = connection.ops.quote_name
    sql = (
        f"SELECT {q('code')}, {q('street_id')} FROM {q(Department._meta.db_table)} "
        f"WHERE {q('code')} IN ({', '.join(['%s'] * len(wanted))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, wanted)
        return dict(cursor.fetchall())


class Keeper:
    """Keeps one case's rollups in step with the event being appended to its history.

    Made before the event is written (it reads the case's facts row, and names a class change
    that the event does not record itself in the event's data, so that the history alone tells
    the class at every moment); `record(event)` after. It runs on every event, so it speaks
    plain SQL built once per process: the ORM's query building would cost more than the
    statements themselves."""

    def __init__(self, case: Case, *, first: bool = False) -> None:
        self.case = case
        self.row = None if first else _load_fact(case.pk, case.street_id)

    def note(self, action: str, data: dict[str, Any]) -> dict[str, Any]:
        row, case = self.row, self.case
        changed = row is not None and row.class_id != case.case_class_id
        if changed and "class" not in data and action != "report":
            data["class"] = CaseClass.objects.values_list("code", flat=True).get(
                pk=case.case_class_id
            )
        return data

    def record(self, event: CaseEvent) -> None:
        _run(self.statements(event))

    def statements(self, event: CaseEvent) -> list[Statement]:
        """What `record` writes for the event (reading what it needs to know first)."""
        case, row = self.case, self.row
        place = _place(case)
        relevant = event.action in ACTIONS or "class" in event.data
        if row is not None and not relevant and row.place() == _place_key(place):
            return []
        closes_known = 0
        if row is None:
            # A case seen for the first time (its report, or history from before the rollups):
            # nothing of it is in the totals yet.
            facts = self._first_sight(event, place)
            before_totals: dict[TotalKey, dict[str, int]] = {}
            before_people: dict[PersonKey, dict[str, int]] = {}
        else:
            facts = row
            before_totals = total_contributions(facts)
            before_people = person_contributions(facts)
            closes_known = len(facts.closes)
        facts.set_place(**place)
        if event.action == "report":
            facts.repeat = recurs_now(case.pk, event.at, case.case_class_id, case.lon, case.lat)
        streets = {}
        if event.action in ("dispatch", "arbitrate"):
            streets = department_streets(
                [str(event.data.get("lead") or ""), *(event.data.get("co") or ())]
            )
        facts.apply(
            event.action,
            event.at,
            actor_id=event.actor_id,
            task_id=str(event.task_id) if event.task_id else None,
            task_role=event.task.role if event.task_id and event.task else None,
            data=event.data,
            class_id=case.case_class_id,
            department_streets=streets,
        )
        daily = _difference(before_totals, total_contributions(facts))
        # One statement per table: on PostgreSQL they go as one (see _run).
        return [
            *add_totals(daily),
            *add_month_totals(daily),
            *add_person_totals(_difference(before_people, person_contributions(facts))),
            *(
                _insert_statement(CaseClose, _close_row(case.pk, facts, at, k))
                for at, k in facts.closes[closes_known:]
            ),
            _fact_statement(case.pk, facts, insert=row is None),
        ]

    def _first_sight(self, event: CaseEvent, place: dict[str, Any]) -> CaseFacts:
        case = self.case
        facts = CaseFacts()
        if event.seq > 1:
            for _id, past in fold_histories(cases=Case.objects.filter(pk=case.pk), before=event):
                facts = past
                facts.set_place(**place)
                if facts.reported_at is not None:
                    facts.repeat = recurs_now(
                        case.pk,
                        facts.reported_at,
                        facts.report_class or case.case_class_id,
                        case.lon,
                        case.lat,
                    )
        return facts


# --- the hook, kept apart from the action ---

# Faults that pass: the transaction as a whole is to be retried (PostgreSQL's deadlock and
# serialization failures, SQLite's busy database), so the action fails and is sent again.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def _transient(fault: Exception) -> bool:
    cause = fault.__cause__
    if getattr(cause, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return isinstance(fault, OperationalError) and "locked" in str(fault)


def _fault(case: Case, action: str) -> None:
    logger.exception(
        "rollups: the hook failed on %s of case %s; the event is kept without its rollups "
        "(`onegrid rollups verify` shows the difference, `onegrid rollups rebuild` repairs it)",
        action,
        getattr(case, "number", case.pk),
    )


def start(
    case: Case, action: str, data: dict[str, Any], *, first: bool = False
) -> tuple[Keeper | None, dict[str, Any]]:
    """The keeper of the event about to be appended, and the event's data as it notes it; on a
    fault, no keeper and the data as given. The rollups are bookkeeping beside the history: a
    fault in them must not refuse (and so lose) what a person sent. A database error passes
    (on PostgreSQL it leaves the transaction aborted): the action fails and is sent again.
    `first`: the case's first event, so it has no facts row yet (none is read)."""
    try:
        keeper = Keeper(case, first=first)
        return keeper, keeper.note(action, dict(data))
    except DatabaseError:
        raise
    except Exception:
        _fault(case, action)
        return None, data


def finish(keeper: Keeper | None, event: CaseEvent) -> None:
    """The event's rollups: worked out (a fault there is logged, as in `start`), then written
    in a savepoint, so that a write the database refuses is rolled back alone and logged; only
    a fault that asks for the whole transaction to be tried again passes. One savepoint per
    event: on PostgreSQL each costs two round trips."""
    if keeper is None:
        return
    try:
        statements = keeper.statements(event)
    except DatabaseError:
        raise
    except Exception:
        _fault(keeper.case, event.action)
        return
    if not statements:
        return
    try:
        with transaction.atomic():
            _run(statements)
    except Exception as fault:
        if _transient(fault):
            raise
        _fault(keeper.case, event.action)


def _place_key(place: Mapping[str, Any]) -> tuple[int, int, int, int]:
    return (place["street_id"], place["community_id"], place["grid_id"], place["class_id"])


def _close_row(case_id: Any, facts: CaseFacts, at: dt.datetime, class_id: int | None) -> CaseClose:
    return CaseClose(
        case_id=case_id,
        at=at,
        case_class_id=class_id if class_id is not None else facts.class_id,
        lon=facts.lon,
        lat=facts.lat,
    )


# --- plain SQL for the hook ---


def _preparers(model: type[Model]) -> tuple[list[Field[Any, Any]], list[Callable[[Any], Any]]]:
    """A model's columns (its automatic id left out) and how to adapt a Python value to each,
    for the database in use."""
    key = (model, connection.vendor)
    cached = _PREPARERS.get(key)
    if cached is not None:
        return cached
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.name == "id")]
    ops = connection.ops
    prepare: list[Callable[[Any], Any]] = []
    for f in fields:
        internal = f.get_internal_type()
        if internal == "DateTimeField":
            prepare.append(ops.adapt_datetimefield_value)
        elif internal in ("JSONField", "UUIDField", "OneToOneField", "ForeignKey"):
            target = getattr(f, "target_field", f) if f.is_relation else f
            prepare.append(partial(_db_prep, target))
        else:
            prepare.append(_same)
    _PREPARERS[key] = (fields, prepare)
    return fields, prepare


_PREPARERS: dict[
    tuple[type[Model], str], tuple[list[Field[Any, Any]], list[Callable[[Any], Any]]]
] = {}


def _same(value: Any) -> Any:
    return value


def _db_prep(field: Any, value: Any) -> Any:
    return field.get_db_prep_value(value, connection, prepared=False)


def _case_id(value: Any) -> Any:
    return _db_prep(Case._meta.pk, value)


@cache
def _sql(name: str, vendor: str) -> str:
    q = connection.ops.quote_name
    facts = q(CaseFact._meta.db_table)
    if name == "load_fact":
        columns = (
            f"{q('state')}, {q('street_id')}, {q('community_id')}, {q('grid_id')}, "
            f"{q('case_class_id')}, {q('source')}"
        )
        if vendor == "postgresql":
            # The street's rollup lock first (see _load_fact), in the same round trip.
            return (
                f"SELECT {columns} FROM (SELECT pg_advisory_xact_lock(%s, %s)) AS street_lock "
                f"LEFT JOIN {facts} ON {q('case_id')} = %s"
            )
        return f"SELECT {columns} FROM {facts} WHERE {q('case_id')} = %s"
    if name == "update_fact":
        fields, _prepare = _preparers(CaseFact)
        sets = ", ".join(f"{q(f.column)} = %s" for f in fields if f.column != "case_id")
        return f"UPDATE {facts} SET {sets} WHERE {q('case_id')} = %s"
    if name == "recurs":
        closes = q(CaseClose._meta.db_table)
        return (
            f"SELECT {q('lon')}, {q('lat')} FROM {closes} WHERE {q('case_class_id')} = %s "
            f"AND {q('at')} >= %s AND {q('at')} < %s AND {q('lon')} BETWEEN %s AND %s "
            f"AND {q('lat')} BETWEEN %s AND %s AND {q('case_id')} <> %s"
        )
    raise KeyError(name)


# pg_advisory_xact_lock's first key for the rollups (the second is the street's id).
ROLLUP_LOCK = 0x0E9D_0001


def _load_fact(case_id: Any, street_id: int) -> CaseFacts | None:
    """The case's stored facts, or None. On PostgreSQL it first takes the street's rollup lock
    until the transaction ends: every total row belongs to one street, so transactions that
    could add to the same rows queue up here, in one order, instead of taking row locks event
    by event in orders that could deadlock (register then an automatic dispatch against a
    check, say). SQLite runs one writing transaction at a time anyway."""
    params: list[Any] = [_case_id(case_id)]
    if connection.vendor == "postgresql":
        params = [ROLLUP_LOCK, street_id, *params]
    with connection.cursor() as cursor:
        cursor.execute(_sql("load_fact", connection.vendor), params)
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    state, street, community, grid, class_id, source = row
    if isinstance(state, (str, bytes)):
        state = json.loads(state)
    facts = CaseFacts.from_json(state)
    facts.set_place(
        street_id=street,
        community_id=community,
        grid_id=grid,
        class_id=class_id,
        source=source,
        lon=float(state.get("lon", 0.0)),
        lat=float(state.get("lat", 0.0)),
    )
    return facts


def _fact_statement(case_id: Any, facts: CaseFacts, *, insert: bool) -> Statement:
    if insert:
        return _insert_statement(CaseFact, fact_row(case_id, facts))
    fields, prepare = _preparers(CaseFact)
    values = fact_values(case_id, facts)
    params = [p(values[f.attname]) for f, p in zip(fields, prepare, strict=True)]
    key = params.pop([f.attname for f in fields].index("case_id"))
    return _sql("update_fact", connection.vendor), [*params, key]


def recurs_now(case_id: Any, at: dt.datetime, class_id: int, lon: float, lat: float) -> bool:
    """Whether a report now recurs: a case of its class closed in the window, near it."""
    radius, window = recurrence_settings()
    west, east, south, north = bounding_box(lon, lat, radius)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _sql("recurs", connection.vendor),
            [
                class_id,
                adapt(at - window),
                adapt(at),
                west,
                east,
                south,
                north,
                _case_id(case_id),
            ],
        )
        near = cursor.fetchall()
    return any(distance_m(lon, lat, float(x), float(y)) <= radius for x, y in near)


def fact_values(case_id: Any, facts: CaseFacts) -> dict[str, Any]:
    """The CaseFact columns of a case's facts, by attribute name."""
    state = facts.to_json()
    state["lon"], state["lat"] = facts.lon, facts.lat
    return {
        "case_id": case_id,
        "street_id": facts.street_id,
        "community_id": facts.community_id,
        "grid_id": facts.grid_id,
        "case_class_id": facts.class_id,
        "source": facts.source,
        "reported_at": facts.reported_at,
        "reporter_id": facts.reporter_id,
        "valid": facts.registered or facts.self_closed,
        "self_closed": facts.self_closed,
        "repeat": facts.repeat,
        "deadline": facts.deadline,
        "deadline_lead": facts.deadline_lead or "",
        "lead": facts.lead or "",
        "closed": facts.closed,
        "on_time": facts.on_time,
        "closed_at": facts.closed_at,
        "lowest_level": facts.lowest_level,
        "first_check_at": facts.first_check_at,
        "first_check_lead": facts.first_check_lead or "",
        "failed": facts.failed,
        "first_dispatch_at": facts.first_dispatch_at,
        "joint": facts.joint,
        "state": state,
    }


def fact_row(case_id: Any, facts: CaseFacts) -> CaseFact:
    return CaseFact(**fact_values(case_id, facts))


# --- the fold from history (rebuild, verify, the full recompute) ---


def _event_rows(
    events: QuerySet[CaseEvent],
) -> Iterator[tuple[Any, ...]]:
    annotated = events.annotate(
        case_key=Cast("case_id", CharField()),
        **{f"d_{k}": KeyTextTransform(k, "data") for k in _DATA_KEYS},
    )
    return (
        annotated.order_by("case_id", "seq")
        .values_list(
            "case_key",
            "seq",
            "action",
            "at",
            "actor_id",
            "task_id",
            "task__role",
            *(f"d_{k}" for k in _DATA_KEYS),
        )
        .iterator(chunk_size=5000)
    )


def _case_rows(cases: QuerySet[Case]) -> Iterator[tuple[Any, ...]]:
    return (
        cases.annotate(case_key=Cast("id", CharField()))
        .order_by("id")
        .values_list(
            "case_key",
            "id",
            "street_id",
            "community_id",
            "grid_id",
            "case_class_id",
            "source",
            "lon",
            "lat",
        )
        .iterator(chunk_size=5000)
    )


def _relevant(events: QuerySet[CaseEvent]) -> QuerySet[CaseEvent]:
    return events.filter(Q(action__in=ACTIONS) | Q(data__has_key="class"))


@dataclass
class _Lookups:
    class_ids: dict[str, int] = field(default_factory=dict)
    streets: dict[str, int | None] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Lookups:
        return cls(
            dict(CaseClass.objects.values_list("code", "id")),
            dict(Department.objects.values_list("code", "street_id")),
        )


def fold_histories(
    *,
    cases: QuerySet[Case] | None = None,
    as_of: dt.datetime | None = None,
    before: CaseEvent | None = None,
    repeats: Callable[[str], bool] | None = None,
) -> Iterator[tuple[Any, CaseFacts]]:
    """(case id, facts) of every case (of `cases`) that has a history, from its events up to
    `as_of` (or before the event `before`, of a single case). `repeats(case key)` says whether
    the case's report recurs (the rebuild computes that for all reports at once)."""
    events = _relevant(CaseEvent.objects.all())
    if cases is not None:
        events = events.filter(case__in=cases.values("pk"))
    else:
        cases = Case.objects.all()
    if as_of is not None:
        events = events.filter(at__lte=as_of)
    if before is not None:
        events = events.filter(case_id=before.case_id, seq__lt=before.seq)
    lookups = _Lookups.load()
    case_rows = _case_rows(cases)
    current: tuple[Any, ...] | None = None
    facts: CaseFacts | None = None
    for row in _event_rows(events):
        key = row[0]
        if current is None or key != current[0]:
            if current is not None and facts is not None:
                yield current[1], facts
            current = next(c for c in case_rows if c[0] == key)
            facts = CaseFacts()
            facts.set_place(
                street_id=current[2],
                community_id=current[3],
                grid_id=current[4],
                class_id=current[5],
                source=current[6],
                lon=current[7],
                lat=current[8],
            )
            if repeats is not None:
                facts.repeat = repeats(key)
        assert facts is not None
        _fold_row(facts, row, lookups)
    if current is not None and facts is not None:
        yield current[1], facts


def _fold_row(facts: CaseFacts, row: tuple[Any, ...], lookups: _Lookups) -> None:
    (_key, _seq, action, at, actor, task, task_role, due_at, lead, co, tasks, on_time) = row[:12]
    satisfaction, check_due_at, class_code = row[12:15]
    class_id = lookups.class_ids.get(class_code) if class_code else None
    data = {
        "due_at": due_at,
        "lead": lead,
        "co": co,
        "tasks": tasks,
        "on_time": on_time,
        "satisfaction": satisfaction,
        "check_due_at": check_due_at,
    }
    facts.apply(
        action,
        at,
        actor_id=actor,
        task_id=str(task) if task else None,
        task_role=task_role,
        data=data,
        class_id=class_id,
        department_streets=lookups.streets,
    )


def repeat_keys(*, as_of: dt.datetime | None = None) -> set[str]:
    """The cases (as case keys, the id as the database gives it as text) whose report recurs,
    judged from every close in the history (up to `as_of`)."""
    radius, window = recurrence_settings()
    lookups = _Lookups.load()
    events = CaseEvent.objects.filter(Q(action__in=("report", *CLOSES)) | Q(data__has_key="class"))
    if as_of is not None:
        events = events.filter(at__lte=as_of)
    rows = (
        events.annotate(
            case_key=Cast("case_id", CharField()), d_class=KeyTextTransform("class", "data")
        )
        .order_by("case_id", "seq")
        .values_list(
            "case_key", "action", "at", "d_class", "case__case_class_id", "case__lon", "case__lat"
        )
        .iterator(chunk_size=5000)
    )
    reports: list[tuple[object, dt.datetime, int | None, float, float]] = []
    closes: list[Close] = []
    for key, group in itertools.groupby(rows, key=lambda r: r[0]):
        then: int | None = None
        for _key, action, at, class_code, current, lon, lat in group:
            if class_code:
                then = lookups.class_ids.get(class_code, then)
            klass = then if then is not None else current
            if action == "report":
                reports.append((key, at, klass, lon, lat))
            elif action in CLOSES:
                closes.append(Close(key, at, klass, lon, lat))
    return {str(k) for k in recurring_reports(reports, closes, radius_m=radius, window=window)}


# --- rebuild ---


@dataclass
class RebuildResult:
    cases: int = 0
    total_rows: int = 0
    person_rows: int = 0
    closes: int = 0
    seconds: float = 0.0


class _Totals:
    """Contributions summed in memory, written in large additive batches."""

    def __init__(self, write: bool = True) -> None:
        self.write = write
        self.totals: dict[TotalKey, list[int]] = {}
        self.people: dict[PersonKey, list[int]] = {}
        self.rows = 0
        self.person_rows = 0
        self.cases = 0

    def add(self, facts: CaseFacts) -> None:
        self.cases += 1
        street, community, grid, class_id = facts.place()
        size = len(COUNTERS)
        for at, department, counter, n in facts.contributions():
            key = (local_day(at), street, community, grid, class_id, department)
            row = self.totals.get(key)
            if row is None:
                row = self.totals[key] = [0] * size
            row[_COUNTER_AT[counter]] += n
        for at, user, counter, n in facts.person_contributions():
            pkey = (local_day(at), user)
            prow = self.people.get(pkey)
            if prow is None:
                prow = self.people[pkey] = [0] * len(PERSON_COUNTERS)
            prow[_PERSON_AT[counter]] += n
        if self.write and len(self.totals) + len(self.people) > FLUSH_KEYS:
            self.flush()

    def flush(self) -> None:
        if not self.write:
            return
        self.rows += len(self.totals)
        self.person_rows += len(self.people)
        _add(
            DailyTotal._meta.db_table,
            TOTAL_KEY_COLUMNS,
            COUNTERS,
            list(self.totals.items()),
            chunk=500,
        )
        _add(
            PersonDailyTotal._meta.db_table,
            PERSON_KEY_COLUMNS,
            PERSON_COUNTERS,
            list(self.people.items()),
            chunk=500,
        )
        self.totals.clear()
        self.people.clear()


@cache
def _insert_sql(model: type[Model], vendor: str) -> str:
    fields, _prepare = _preparers(model)
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    return (
        f"INSERT INTO {q(model._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )


def _insert_values(model: type[Model], obj: Any) -> list[Any]:
    """The row's values, adapted, from a model instance or a mapping of attribute names."""
    fields, prepare = _preparers(model)
    if isinstance(obj, Mapping):
        return [p(obj[f.attname]) for p, f in zip(prepare, fields, strict=True)]
    return [p(getattr(obj, f.attname)) for p, f in zip(prepare, fields, strict=True)]


def _insert_statement(model: type[Model], obj: Any) -> Statement:
    return _insert_sql(model, connection.vendor), _insert_values(model, obj)


def _insert(model: type[Model], objects: Sequence[Any]) -> None:
    """A plain INSERT of unsaved rows: the ORM's bulk_create spends most of a rebuild preparing
    values field by field; here only datetimes, ids and JSON need adapting."""
    if objects:
        with connection.cursor() as cursor:
            cursor.executemany(
                _insert_sql(model, connection.vendor),
                [_insert_values(model, obj) for obj in objects],
            )


def _insert_facts(rows: list[dict[str, Any]], closes: list[CaseClose]) -> None:
    _insert(CaseFact, rows)
    _insert(CaseClose, closes)


def rebuild_rollups(*, progress: Callable[[int], None] | None = None) -> RebuildResult:
    """Recompute every rollup table from the case history, in one transaction.

    Two passes over the history: the reports and closes first (recurrence needs every close
    before a report), then every case's events folded into its facts, whose contributions are
    summed in memory and written in additive batches; facts rows go in by bulk inserts."""
    import time

    started = time.perf_counter()
    result = RebuildResult()
    with transaction.atomic():
        for model in (DailyTotal, PersonDailyTotal, CaseClose, CaseFact):
            model.objects.all().delete()  # (the month tables: derive_month_totals)
        repeat = repeat_keys()
        sums = _Totals()
        facts_rows: list[dict[str, Any]] = []
        close_rows: list[CaseClose] = []
        for case_id, facts in fold_histories(repeats=lambda key: key in repeat):
            result.cases += 1
            sums.add(facts)
            facts_rows.append(fact_values(case_id, facts))
            close_rows.extend(
                CaseClose(
                    case_id=case_id,
                    at=at,
                    case_class_id=class_id if class_id is not None else facts.class_id,
                    lon=facts.lon,
                    lat=facts.lat,
                )
                for at, class_id in facts.closes
            )
            if len(facts_rows) >= 5000:
                result.closes += len(close_rows)
                _insert_facts(facts_rows, close_rows)
                facts_rows, close_rows = [], []
                if progress is not None:
                    progress(result.cases)
        result.closes += len(close_rows)
        _insert_facts(facts_rows, close_rows)
        sums.flush()
        derive_month_totals()
    result.total_rows = DailyTotal.objects.count()
    result.person_rows = PersonDailyTotal.objects.count()
    result.seconds = time.perf_counter() - started
    return result


# --- verify ---


@dataclass
class Difference:
    table: str
    key: tuple[object, ...]
    stored: dict[str, object]
    expected: dict[str, object]

    def __str__(self) -> str:
        changed = {
            c: (self.stored.get(c, 0), self.expected.get(c, 0))
            for c in self.stored.keys() | self.expected.keys()
            if self.stored.get(c, 0) != self.expected.get(c, 0)
        }
        shown = ", ".join(f"{c}: {a} ≠ {b}" for c, (a, b) in sorted(changed.items()))
        return f"{self.table} {self.key}: stored ≠ recomputed: {shown}"


def expected_totals() -> tuple[dict[TotalKey, list[int]], dict[PersonKey, list[int]]]:
    """The totals a rebuild would write, computed from the history without writing."""
    repeat = repeat_keys()
    sums = _Totals(write=False)
    for _case_id, facts in fold_histories(repeats=lambda key: key in repeat):
        sums.add(facts)
    return sums.totals, sums.people


def stored_totals() -> tuple[dict[TotalKey, list[int]], dict[PersonKey, list[int]]]:
    """The stored totals, leaving out rows whose counters are all 0."""
    totals: dict[TotalKey, list[int]] = {}
    for row in DailyTotal.objects.values_list(*TOTAL_KEY_COLUMNS, *COUNTERS).iterator(
        chunk_size=5000
    ):
        values = list(row[len(TOTAL_KEY_COLUMNS) :])
        if any(values):
            totals[cast(TotalKey, tuple(row[: len(TOTAL_KEY_COLUMNS)]))] = values
    people: dict[PersonKey, list[int]] = {}
    for row in PersonDailyTotal.objects.values_list(*PERSON_KEY_COLUMNS, *PERSON_COUNTERS):
        values = list(row[2:])
        if any(values):
            people[(row[0], row[1])] = values
    return totals, people


# CaseFact columns compared by `verify` (the state holds the rest).
_FACT_FIELDS = (
    "street_id",
    "community_id",
    "grid_id",
    "case_class_id",
    "source",
    "reported_at",
    "reporter_id",
    "valid",
    "self_closed",
    "repeat",
    "deadline",
    "deadline_lead",
    "lead",
    "closed",
    "on_time",
    "closed_at",
    "lowest_level",
    "first_check_at",
    "first_check_lead",
    "failed",
    "first_dispatch_at",
    "joint",
    "state",
)


def verify(limit: int | None = 100) -> list[Difference]:
    """The differences between the stored rollups and a full recompute from the history: the
    totals, the people's totals, every case's facts and the closes (at most `limit`)."""
    repeat = repeat_keys()
    sums = _Totals(write=False)
    out: list[Difference] = []
    batch: dict[Any, CaseFact] = {}
    closes = 0

    def compare_facts() -> None:
        stored = CaseFact.objects.in_bulk(list(batch))
        for case_id, want in batch.items():
            have = stored.get(case_id)
            a = {f: getattr(have, f) for f in _FACT_FIELDS} if have else {}
            b = {f: getattr(want, f) for f in _FACT_FIELDS}
            if a != b:
                out.append(
                    Difference(
                        "case_fact",
                        (str(case_id),),
                        {k: v for k, v in a.items() if b.get(k) != v},
                        {k: v for k, v in b.items() if a.get(k) != v},
                    )
                )
        batch.clear()

    for case_id, facts in fold_histories(repeats=lambda key: key in repeat):
        sums.add(facts)
        closes += len(facts.closes)
        batch[case_id] = _normalised(fact_row(case_id, facts))
        if len(batch) >= 2000:
            compare_facts()
    compare_facts()
    stored_facts = CaseFact.objects.count()
    if stored_facts != sums.cases:
        out.append(Difference("case_fact", ("count",), {"n": stored_facts}, {"n": sums.cases}))
    have_totals, have_people = stored_totals()
    out += _differences("daily_total", COUNTERS, have_totals, sums.totals, limit)
    for table in MONTH_TABLES:
        want = {
            key: [delta.get(c, 0) for c in COUNTERS]
            for key, delta in month_deltas(
                {k: dict(zip(COUNTERS, v, strict=True)) for k, v in sums.totals.items()}, table
            ).items()
        }
        have: dict[Any, list[int]] = {}
        rows = table.model._default_manager.values_list(*table.keys, *COUNTERS)
        for row in rows.iterator(chunk_size=5000):
            if any(row[len(table.keys) :]):
                have[tuple(row[: len(table.keys)])] = list(row[len(table.keys) :])
        out += _differences(table.model._meta.db_table, COUNTERS, have, want, limit)
    out += _differences("person_daily_total", PERSON_COUNTERS, have_people, sums.people, limit)
    stored_closes = CaseClose.objects.count()
    if stored_closes != closes:
        out.append(Difference("case_close", ("count",), {"n": stored_closes}, {"n": closes}))
    return out if limit is None else out[:limit]


def _normalised(row: CaseFact) -> CaseFact:
    """A facts row as the database gives it back (JSON state through a round trip)."""
    row.state = json.loads(json.dumps(row.state))
    return row


def _differences(
    table: str,
    names: Sequence[str],
    have: Mapping[Any, list[int]],
    want: Mapping[Any, list[int]],
    limit: int | None,
) -> list[Difference]:
    out: list[Difference] = []
    for key in sorted(have.keys() | want.keys(), key=lambda k: tuple(map(str, k))):
        a, b = have.get(key), want.get(key)
        if a != b:
            zero = [0] * len(names)
            out.append(
                Difference(
                    table,
                    tuple(key),
                    dict(zip(names, a or zero, strict=True)),
                    dict(zip(names, b or zero, strict=True)),
                )
            )
            if limit is not None and len(out) >= limit:
                break
    return out
    return out
