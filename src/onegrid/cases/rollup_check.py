"""The rollups against a full recompute from the history, in bounded memory (for `onegrid
verify`, cases.integrity).

`cases.rollups.verify` keeps every expected and every stored total row in memory: about 1 GB
at 100,000 cases, more than a small host has at a city's millions. Here the fold is the same
(`rollups.fold_histories`, summed by `rollups._Totals`), but its sums go, 200,000 keys at a
time, into temporary tables by the rebuild's own additive upserts, and the database compares
them with the stored tables (EXCEPT both ways). The case facts are compared 2,000 cases at a
time, as `rollups.verify` does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection

from . import rollups
from .facts import COUNTERS, PERSON_COUNTERS
from .models import CaseClose, CaseFact, DailyTotal, PersonDailyTotal

TEMP_DAILY = "og_verify_daily_total"
TEMP_PERSON = "og_verify_person_total"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


class _TempTotals(rollups._Totals):
    """The rebuild's sums, flushed into the temporary tables instead of the rollups."""

    def flush(self) -> None:
        rollups._add(
            TEMP_DAILY, rollups.TOTAL_KEY_COLUMNS, COUNTERS, list(self.totals.items()), chunk=500
        )
        rollups._add(
            TEMP_PERSON,
            rollups.PERSON_KEY_COLUMNS,
            PERSON_COUNTERS,
            list(self.people.items()),
            chunk=500,
        )
        self.totals.clear()
        self.people.clear()


def _create_temp_tables() -> None:
    counters = ", ".join(f"{_q(c)} bigint NOT NULL DEFAULT 0" for c in COUNTERS)
    people = ", ".join(f"{_q(c)} bigint NOT NULL DEFAULT 0" for c in PERSON_COUNTERS)
    with connection.cursor() as cursor:
        _drop_temp_tables(cursor)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_q(TEMP_DAILY)} ({_q('day')} date NOT NULL, "
            f"{_q('street_id')} integer NOT NULL, {_q('community_id')} integer NOT NULL, "
            f"{_q('grid_id')} integer NOT NULL, {_q('case_class_id')} integer NOT NULL, "
            f"{_q('department')} varchar(40) NOT NULL, {counters})"
        )
        cursor.execute(
            f"CREATE UNIQUE INDEX {_q(TEMP_DAILY + '_key')} ON {_q(TEMP_DAILY)} "
            f"({', '.join(_q(c) for c in rollups.TOTAL_KEY_COLUMNS)})"
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_q(TEMP_PERSON)} ({_q('day')} date NOT NULL, "
            f"{_q('user_id')} integer NOT NULL, {people})"
        )
        cursor.execute(
            f"CREATE UNIQUE INDEX {_q(TEMP_PERSON + '_key')} ON {_q(TEMP_PERSON)} "
            f"({_q('day')}, {_q('user_id')})"
        )


def _drop_temp_tables(cursor: Any) -> None:
    for table in (TEMP_DAILY, TEMP_PERSON):
        cursor.execute(f"DROP TABLE IF EXISTS {_q(table)}")


def _month(column: str) -> str:
    if connection.vendor == "sqlite":
        return f"date({_q(column)}, 'start of month')"
    return f"CAST(date_trunc('month', {_q(column)}) AS date)"


def _compare(
    name: str,
    stored: str,
    expected: str,
    keys: Sequence[str],
    counters: Sequence[str],
    limit: int,
) -> list[rollups.Difference]:
    """Rows of two queries (keys then counters, all-zero rows left out) that differ, as
    Differences with the other side's row looked up by key."""
    out: list[rollups.Difference] = []
    width = len(keys)
    with connection.cursor() as cursor:
        found: dict[tuple[Any, ...], dict[int, dict[str, Any]]] = {}
        for first, second, side in ((stored, expected, 0), (expected, stored, 1)):
            cursor.execute(
                f"SELECT * FROM ({first}) a EXCEPT SELECT * FROM ({second}) b "
                f"ORDER BY 1 LIMIT {int(limit)}"
            )
            for row in cursor.fetchall():
                key = _key(keys, row[:width])
                found.setdefault(key, {})[side] = dict(zip(counters, row[width:], strict=True))
        for key, sides in sorted(found.items(), key=lambda kv: tuple(map(str, kv[0]))):
            zero = dict.fromkeys(counters, 0)
            for side, query in ((0, stored), (1, expected)):
                if side in sides:
                    continue
                where = " AND ".join(f"k.{_q(c)} = %s" for c in keys)
                cursor.execute(f"SELECT * FROM ({query}) k WHERE {where}", list(key))
                row = cursor.fetchone()
                sides[side] = dict(zip(counters, row[width:], strict=True)) if row else zero
            out.append(rollups.Difference(name, key, sides[0], sides[1]))
            if len(out) >= limit:
                break
    return out


def _key(keys: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    """The key as the ORM gives it (SQLite returns dates as text)."""
    return tuple(
        dt.date.fromisoformat(v) if k in ("day", "month") and isinstance(v, str) else v
        for k, v in zip(keys, values, strict=True)
    )


def _rows(table: str, keys: Sequence[str], counters: Sequence[str]) -> str:
    columns = ", ".join(_q(c) for c in (*keys, *counters))
    nonzero = " OR ".join(f"{_q(c)} <> 0" for c in counters)
    return f"SELECT {columns} FROM {_q(table)} WHERE {nonzero}"


def _month_rows(keys: Sequence[str], columns: Sequence[str]) -> str:
    group = ", ".join(_q(c) for c in columns)
    sums = ", ".join(f"SUM({_q(c)}) AS {_q(c)}" for c in COUNTERS)
    having = " OR ".join(f"SUM({_q(c)}) <> 0" for c in COUNTERS)
    return (
        f"SELECT {_month('day')} AS {_q(keys[0])}, {group}, {sums} FROM {_q(TEMP_DAILY)} "
        f"GROUP BY {_month('day')}, {group} HAVING {having}"
    )


def differences(limit: int = 100) -> Iterator[rollups.Difference]:
    """What `rollups.verify` finds, with memory bounded by a flush of the fold's sums and a
    batch of case facts."""
    _create_temp_tables()
    try:
        yield from _differences(limit)
    finally:
        with connection.cursor() as cursor:
            _drop_temp_tables(cursor)


def _differences(limit: int) -> Iterator[rollups.Difference]:
    repeat = rollups.repeat_keys()
    sums = _TempTotals(write=True)
    batch: dict[Any, CaseFact] = {}
    closes = 0
    shown = 0

    def compare_facts() -> Iterator[rollups.Difference]:
        stored = CaseFact.objects.in_bulk(list(batch))
        for case_id, want in batch.items():
            have = stored.get(case_id)
            a = {f: getattr(have, f) for f in rollups._FACT_FIELDS} if have else {}
            b = {f: getattr(want, f) for f in rollups._FACT_FIELDS}
            if a != b:
                yield rollups.Difference(
                    "case_fact",
                    (str(case_id),),
                    {k: v for k, v in a.items() if b.get(k) != v},
                    {k: v for k, v in b.items() if a.get(k) != v},
                )
        batch.clear()

    for case_id, facts in rollups.fold_histories(repeats=lambda key: key in repeat):
        sums.add(facts)
        closes += len(facts.closes)
        batch[case_id] = rollups._normalised(rollups.fact_row(case_id, facts))
        if len(batch) >= 2000:
            for difference in compare_facts():
                if shown < limit:
                    shown += 1
                    yield difference
    for difference in compare_facts():
        if shown < limit:
            shown += 1
            yield difference
    sums.flush()
    stored_facts = CaseFact.objects.count()
    if stored_facts != sums.cases:
        yield rollups.Difference("case_fact", ("count",), {"n": stored_facts}, {"n": sums.cases})
    keys = rollups.TOTAL_KEY_COLUMNS
    yield from _compare(
        "daily_total",
        _rows(DailyTotal._meta.db_table, keys, COUNTERS),
        _rows(TEMP_DAILY, keys, COUNTERS),
        keys,
        COUNTERS,
        limit,
    )
    for table in rollups.MONTH_TABLES:
        yield from _compare(
            table.model._meta.db_table,
            _rows(table.model._meta.db_table, table.keys, COUNTERS),
            _month_rows(table.keys, table.columns),
            table.keys,
            COUNTERS,
            limit,
        )
    yield from _compare(
        "person_daily_total",
        _rows(PersonDailyTotal._meta.db_table, rollups.PERSON_KEY_COLUMNS, PERSON_COUNTERS),
        _rows(TEMP_PERSON, rollups.PERSON_KEY_COLUMNS, PERSON_COUNTERS),
        rollups.PERSON_KEY_COLUMNS,
        PERSON_COUNTERS,
        limit,
    )
    stored_closes = CaseClose.objects.count()
    if stored_closes != closes:
        yield rollups.Difference("case_close", ("count",), {"n": stored_closes}, {"n": closes})
