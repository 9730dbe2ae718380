"""Rollups kept by the history hook, `onegrid rollups rebuild | verify`, worked examples."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Sum

from onegrid.cases import history, rollups
from onegrid.cases.models import (
    CaseClose,
    CaseEvent,
    CaseFact,
    DailyTotal,
    GridMonthTotal,
    PersonDailyTotal,
    StreetMonthTotal,
)
from support.cases import act, advance, drive, photo, report, run_concurrently


def _sums(**filters) -> dict[str, int]:
    return DailyTotal.objects.filter(**filters).aggregate(
        reports=Sum("reports"), n_due=Sum("n_due"), closed=Sum("closed"), joint=Sum("joint_cases")
    )


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
    assert _sums() == {"reports": 2, "n_due": 2, "closed": 1, "joint": 1}
    # The closed case's deadline counts for city management, on its deadline's day.
    fact = CaseFact.objects.get(case=case)
    assert fact.closed and fact.deadline_lead == "city_management"
    assert CaseClose.objects.filter(case=case).count() == 1
    stored = rollups.stored_totals()
    result = rollups.rebuild_rollups()
    assert (result.cases, result.closes) == (2, 1)
    assert rollups.stored_totals() == stored


def test_a_reopen_takes_the_close_back(world):
    p = world.people
    case = drive(world, "closed")
    assert _sums()["closed"] == 1
    act(case, p.shift_lead, "reopen", reason="not fixed")
    assert _sums()["closed"] == 0
    assert _sums()["n_due"] == 1  # the old deadline stands until the next dispatch
    assert rollups.verify() == []


def test_a_class_change_moves_the_case_and_is_written_in_its_history(world):
    case = report(world)
    assert _sums(case_class_id=world.rubbish.pk)["reports"] == 1
    case.case_class = world.building
    event = history.append_event(
        case=case,
        action="reclassify",
        from_state=case.state,
        to_state=case.state,
        actor=world.people.acceptor,
        actor_role="acceptor",
        at=case.reported_at,
    )
    case.save()
    assert event.data == {"class": world.building.code}
    assert _sums(case_class_id=world.rubbish.pk)["reports"] == 0
    assert _sums(case_class_id=world.building.pk)["reports"] == 1
    assert rollups.verify() == []


def test_history_from_before_the_rollups_is_folded_in_at_the_next_event(world):
    p = world.people
    case = drive(world, "in_progress")
    # As if the rollups had come after this history: no facts, no totals.
    for model in (CaseFact, DailyTotal, PersonDailyTotal, StreetMonthTotal, GridMonthTotal):
        model.objects.all().delete()
    act(case, p.city_handler, "feed_back", reason="done", photos=[photo()])
    assert CaseFact.objects.filter(case=case).exists()
    assert rollups.verify() == []


def test_rollups_command_verifies_and_rebuilds(world):
    drive(world, "closed")
    out = io.StringIO()
    call_command("rollups", "verify", stdout=out)
    assert out.getvalue().strip()
    DailyTotal.objects.filter(closed=1).update(closed=F("closed") + 5)
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("rollups", "verify", stdout=out)
    assert "closed: 6 ≠ 1" in out.getvalue()
    assert "rebuild" in str(failed.value)
    call_command("rollups", "rebuild", stdout=io.StringIO())
    call_command("rollups", "verify", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("rollups", "verify", "--limit", "0", stdout=io.StringIO())


def test_every_event_is_written_through_append_event(world):
    # The hook sees every event: a CaseFact exists for each case with a history, and the
    # number of report events equals the reports counted.
    p = world.people
    drive(world, "closed")
    duplicate = report(world)
    target = drive(world, "registered")
    act(duplicate, p.acceptor, "merge", target=target.number)
    assert CaseEvent.objects.filter(action="absorb").count() == 1
    assert CaseFact.objects.count() == CaseEvent.objects.values("case").distinct().count()
    assert _sums()["reports"] == CaseEvent.objects.filter(action="report").count()
    assert rollups.verify() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_in_one_street_keep_the_rollups_exact(world):
    # Registrations that dispatch at once (two events each) and checks, all in one grid and
    # class, at the same time: they add to the same total rows, and none may be lost or
    # deadlock (on PostgreSQL the street's rollup lock orders them).
    p = world.people
    registering = [report(world, case_class=world.manhole) for _ in range(3)]
    checking = [drive(world, "checking") for _ in range(3)]
    jobs = [(c, p.acceptor, "register") for c in registering]
    jobs += [(c, p.worker, "pass_check") for c in checking]
    queue = iter(jobs)
    lock = threading.Lock()

    def work():
        with lock:
            case, who, action = next(queue)
        return act(case, who, action).state

    states = run_concurrently(work, copies=len(jobs))
    assert sorted(states) == ["checked"] * 3 + ["dispatched"] * 3
    assert rollups.verify() == []
