"""The workflow's `reclassify` row, as a desk runs it, and the figures: the case's reports,
deadlines and dispatches move from the old class to the new one in the rollups, equal to the
full recompute, and a registered case that became urgent is dispatched at once and counted so."""

from __future__ import annotations

import datetime as dt

from onegrid.cases import rollups
from onegrid.core import clock
from onegrid.insight import totals
from support.cases import act, drive, report


def _by_class() -> dict[str, dict[str, int]]:
    today = clock.now().astimezone(totals.TZ).date()
    start, end = today - dt.timedelta(days=3), today + dt.timedelta(days=10)
    fast = totals.totals(start, end, group_by="class")
    slow = totals.recompute_totals(
        totals.day_start(start), totals.day_start(end), as_of=clock.now(), group_by="class"
    )
    assert fast == slow
    return {
        code: {k: v for k, v in counts.as_dict().items() if v and k in WATCHED}
        for code, counts in fast.items()
    }


WATCHED = ("reports", "valid", "n_due", "dispatches", "open_due")


def test_a_reclassified_case_counts_in_its_new_class_only(world):
    p = world.people
    reported = report(world)  # A0102, blue
    registered = drive(world, "registered")
    before = _by_class()
    assert before == {"A0102": {"reports": 2, "valid": 1}}

    act(reported, p.acceptor, "reclassify", class_code=world.building.code)
    after = _by_class()
    assert after == {"A0102": {"reports": 1, "valid": 1}, "A0101": {"reports": 1}}

    # A registered case that becomes urgent goes out at once: its report, registration,
    # dispatch and deadline all count in the new class, none in the old.
    registered = act(registered, p.shift_lead, "reclassify", class_code="A0201")
    assert registered.state == "dispatched"
    final = _by_class()
    assert "A0102" not in final
    assert final["A0101"] == {"reports": 1}
    assert final["A0201"]["reports"] == 1 and final["A0201"]["valid"] == 1
    assert final["A0201"]["dispatches"] == 1 and final["A0201"]["n_due"] == 1
    assert rollups.verify() == []
