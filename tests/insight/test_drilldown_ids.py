"""A drill-down worked out in Python (per-event counters, past evaluations) lists its cases by
id in one query parameter, however many there are."""

from __future__ import annotations

import uuid

from onegrid.insight.totals import _cases_with_ids
from support.cases import report


def test_more_ids_than_sqlite_binds_in_one_statement(world):
    wanted = [report(world), report(world)]
    report(world)  # not asked for
    ids = [case.pk for case in wanted] + [uuid.uuid4() for _ in range(40_000)]
    found = _cases_with_ids(ids)
    assert sorted(found.values_list("pk", flat=True)) == sorted(case.pk for case in wanted)
    assert found.count() == 2


def test_no_ids_lists_no_case(world):
    report(world)
    assert not _cases_with_ids([]).exists()
