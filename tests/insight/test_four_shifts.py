"""The four-shift measures and the timely-check rate, on a history made through the services.

Every figure is worked out by hand below, then read twice: from the rollups (evaluated now) and
from the full recompute (`recompute_measures`), which must agree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from onegrid.cases import rollups
from onegrid.cases.models import Case
from onegrid.insight import totals
from onegrid.insight.measures import compute_measures, recompute_measures
from support.cases import act, advance, photo, report

SH = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 1, tzinfo=SH)
END = dt.datetime(2026, 5, 1, tzinfo=SH)


def _east(world, metres: float) -> tuple[float, float]:
    lon, lat = world.point
    return lon + metres / 86_270, lat  # 1° of longitude ≈ 86.27 km at 39.2° N


def _handle(case, handlers, p, *, check_after_hours=2, fail_first=False) -> Case:
    """Sign and feed back every task, then check (after `check_after_hours`) and close."""
    for handler in handlers:
        case = act(case, handler, "sign")
    for handler in handlers:
        case = act(case, handler, "feed_back", reason="done", photos=[photo()])
    assert case.state == "checking"
    if fail_first:
        advance(hours=check_after_hours)
        case = act(case, p.worker, "fail_check", reason="still there")
        case = act(case, handlers[0], "feed_back", reason="done again", photos=[photo()])
        advance(hours=1)
    else:
        advance(hours=check_after_hours)
    case = act(case, p.worker, "pass_check")
    return act(case, p.acceptor, "close")


@pytest.fixture
def history(world):
    """Tuesday 10 March 2026, 09:30 on: nine reports, five closes."""
    p = world.people
    cases = {}
    # A: rubbish at the point, city management, checked 2 h after feedback (in time).
    a = report(world)
    a = act(act(a, p.acceptor, "register"), p.dispatcher, "dispatch")
    cases["A"] = _handle(a, [p.city_handler], p)
    # B: illegal building 400 m east; the first check fails 48 h after feedback (late: the check
    # limit is 8 working hours), the re-check passes an hour after the second feedback.
    b = report(world, case_class=world.building, point=_east(world, 400))
    b = act(act(b, p.acceptor, "register"), p.dispatcher, "dispatch")
    cases["B"] = _handle(b, [p.city_handler], p, check_after_hours=48, fail_first=True)
    # C: fixed on the spot by the grid worker of the other street.
    c = report(world, who=p.far_worker, point=world.far_point)
    cases["C"] = act(c, p.far_worker, "self_close", photos=[photo()])
    # D: a security hazard at the point, dispatched to the street's own police station only
    # (closed at the lowest level); checked 48 h after feedback (late).
    d = report(world, case_class=world.fight)
    d = act(act(d, p.acceptor, "register"), p.dispatcher, "dispatch")
    cases["D"] = _handle(d, [p.police_handler], p, check_after_hours=48)
    # F: illegal building 200 m east: the police station leads, city management joins (a joint
    # case that went to a district department).
    f = report(world, case_class=world.building, point=_east(world, 200))
    f = act(act(f, p.acceptor, "register"), p.dispatcher, "dispatch", department=world.police.code)
    f = act(f, p.shift_lead, "urge", reason="hurry")  # no bearing on any figure
    f = Case.objects.get(pk=f.pk)
    assert f.state == "dispatched"
    cases["F"] = f
    return cases


def test_four_shift_measures_and_timely_checks(world, history):
    p = world.people
    f = history["F"]
    # F's dispatch named no co-department: send it back and dispatch it jointly.
    f = act(f, p.police_handler, "return", reason="needs city management too")
    f = act(
        f,
        p.command,
        "arbitrate",
        reason="both",
        department=world.police.code,
        co_departments=[world.city_mgmt.code],
    )
    _handle(f, [p.police_handler, p.city_handler], p)
    # Reports after the closes: G rubbish 40 m from A (recurs: A closed days before);
    # H rubbish 160 m away (too far); I building at the point (B closed 400 m away, F 200 m).
    report(world, point=_east(world, 40))
    report(world, point=_east(world, 160))
    report(world, case_class=world.building)
    # J: rubbish at A's point, 31 days later (A closed too long before).
    advance(days=31)
    report(world)
    assert rollups.verify() == []

    now = compute_measures(START, END)
    again = recompute_measures(START, END)
    assert now.items == again.items
    figures = {m.key: (m.numerator, m.denominator, m.value) for m in now.items}
    # Completed checks: A in time, B's failure late and re-check in time, D late, F in time.
    assert figures["timely_check_rate"] == (3, 5, Decimal("60.00"))
    # Closed: A, B (city management), C (self-closed), D (street police only), F (city joined).
    assert figures["lowest_level_share"] == (2, 5, Decimal("40.00"))
    # Cases dispatched: A, B, D, F; F jointly (on its arbitration).
    assert figures["joint_case_share"] == (1, 4, Decimal("25.00"))
    # Dispatches: A, B, D, F's first and F's arbitration (joint).
    assert figures["joint_share"] == (1, 5, Decimal("20.00"))
    # Reports A, B, C, D, F, G, H, I, J: only G recurs.
    assert figures["recurrence_rate"] == (1, 9, Decimal("11.11"))
    assert figures["rework_rate"] == (1, 4, Decimal("25.00"))

    # By department: the police station led D and F (checks of D late, F in time).
    police = compute_measures(START, END, department=world.police.code)
    assert police["timely_check_rate"].numerator == 1
    assert police["timely_check_rate"].denominator == 2
    assert (police["lowest_level_share"].numerator, police["lowest_level_share"].denominator) == (
        1,
        2,
    )
    assert not police["recurrence_rate"].applicable

    # People: the grid worker made 8 reports (4 registered) and all 5 checks (3 in time);
    # city management's handler fed back 4 times (B's first time was reworked).
    people = totals.person_totals(START, END)
    worker = people[p.worker.pk]
    assert (worker.reports, worker.valid, worker.checks, worker.timely_checks) == (8, 4, 5, 3)
    assert people[p.far_worker.pk].self_closed == 1
    city = people[p.city_handler.pk]
    assert (city.fed_back, city.reworked) == (4, 1)
    police_handler = people[p.police_handler.pk]
    assert police_handler.fed_back == 2


def test_drill_down_lists_the_cases_behind_a_figure(world, history):
    closed_low = totals.cases_behind("lowest_level_share", "numerator", START, END)
    assert set(closed_low) == {history["C"], history["D"]}
    closures = totals.cases_behind("lowest_level_share", "denominator", START, END)
    assert set(closures) == {history["A"], history["B"], history["C"], history["D"]}
    checked = totals.cases_behind("timely_check_rate", "denominator", START, END)
    assert set(checked) == {history["A"], history["B"], history["D"]}
    timely = totals.cases_behind("timely_check_rate", "numerator", START, END)
    assert set(timely) == {history["A"], history["B"]}  # B's re-check was in time


def test_a_past_evaluation_uses_the_history_of_then(world, history):
    # Before D closed, D and F were not closed: as of then, A, B and C were the closures.
    d_closed = history["D"].closed_at
    then = compute_measures(START, END, as_of=d_closed - dt.timedelta(minutes=1))
    share = then["lowest_level_share"]
    assert (share.numerator, share.denominator) == (1, 3)
