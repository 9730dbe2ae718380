"""Rollups kept by the history hook equal a rebuild from the history (worked examples)."""

from __future__ import annotations

import datetime as dt

from onegrid.cases import rollups
from onegrid.cases.models import CaseFact, DailyTotal
from onegrid.insight import totals
from support.cases import act, advance, drive, photo, report


def test_a_closed_loop_keeps_the_rollups_equal_to_a_rebuild(world):
    p = world.people
    case = drive(world, "closed")
    act(case, p.callback, "revisit", satisfaction="satisfied")
    other = report(world, case_class=world.building)
    act(other, p.acceptor, "register")
    act(other, p.dispatcher, "dispatch", co_departments=["ecology"])
    advance(hours=30)
    assert rollups.verify() == []
    assert CaseFact.objects.count() == 2
    stored = rollups.stored_totals()
    rollups.rebuild_rollups()
    assert rollups.stored_totals() == stored
    assert DailyTotal.objects.exists()
