"""Every figure drills down to the cases behind it: as many as it counts, only those the reader
may see, in the reader's scope."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.insight import periods, selectors
from onegrid.insight.measures import ORDER, Scope
from onegrid.insight.totals import PER_EVENT_COUNTERS
from support.cases import act, advance, drive, photo, report

MARCH = periods.month(2026, 3)


@pytest.fixture
def history(world):
    """A March of cases in both streets in every state the measures look at."""
    p = world.people
    closed = drive(world, "closed")
    act(closed, p.callback, "revisit", satisfaction="satisfied")
    act(drive(world, "closed"), p.callback, "revisit", satisfaction="unsatisfied")
    act(drive(world, "checking"), p.worker, "fail_check", reason="not fixed")
    drive(world, "in_progress")
    act(drive(world, "registered"), p.dispatcher, "dispatch", co_departments=["ecology"])
    act(report(world), p.worker, "self_close", photos=[photo()])
    act(report(world), p.acceptor, "reject", reason="duplicate")
    report(world, who=p.resident)
    far = report(world, who=p.far_worker, point=world.far_point)
    act(far, p.other_acceptor, "register")
    advance(days=3)  # the hour-limited deadlines have passed: some cases are overdue now
    return world


def readers(world):
    return [
        (world.people.leader, Scope("district")),
        (world.people.command, Scope("district")),
        (
            world.people.acceptor,
            Scope("street", world.street.code, world.street.name, world.street.pk),
        ),
        (
            world.people.city_handler,
            Scope("department", "city_management", "城管委", world.city_mgmt.pk),
        ),
        (
            world.people.worker,
            Scope("grid", world.grids[0].code, world.grids[0].name, world.grids[0].pk),
        ),
    ]


def test_every_drill_down_lists_the_cases_its_figure_counts(history):
    nonzero = set()
    for user, scope in readers(history):
        board = selectors.dashboard(user, period=MARCH, scope=scope)
        for figure in board.figures:
            for part in ("numerator", "denominator"):
                if not figure.applicable:
                    continue
                shown = figure.numerator if part == "numerator" else figure.denominator
                cases = selectors.drilldown(
                    user, key=figure.key, part=part, period=MARCH, scope=scope
                )
                listed = cases.count()
                where = (user.username, scope.kind, figure.key, part)
                if selectors.counts_cases(figure.key, part):
                    assert listed == shown, where
                else:  # one case may add several checks, call-backs or dispatches
                    assert listed <= shown and (listed > 0) == (shown > 0), where
                if shown:
                    nonzero.add((figure.key, part))
        for key, shown in board.counts.items():
            listed = selectors.drilldown(
                user, key=key, part="numerator", period=MARCH, scope=scope
            ).count()
            assert listed == shown, (user.username, key)
    # The history gives every measure something to count somewhere.
    assert {key for key, part in nonzero if part == "denominator"} >= set(ORDER) - {
        "recurrence_rate"
    }


def test_drill_down_is_limited_to_what_the_reader_may_see(history):
    p = history.people
    street = Scope("street", history.street.code, history.street.name, history.street.pk)
    every = selectors.drilldown(
        p.leader, key="proactive_share", part="denominator", period=MARCH, scope=street
    )
    mine = selectors.drilldown(
        p.acceptor, key="proactive_share", part="denominator", period=MARCH, scope=street
    )
    assert set(every) == set(mine) and every.count() > 0
    assert all(c.street_id == history.street.pk for c in every)
    # A department reads the cases it leads only.
    dept = Scope("department", "city_management", "城管委", history.city_mgmt.pk)
    led = selectors.drilldown(
        p.city_handler, key="closure_rate", part="denominator", period=MARCH, scope=dept
    )
    assert led.count() > 0
    assert all(c.tasks.filter(department=history.city_mgmt).exists() for c in led)
    for user in (p.acceptor, p.worker, p.resident):
        with pytest.raises(selectors.PermissionDenied):
            selectors.drilldown(
                user, key="closure_rate", part="numerator", period=MARCH, scope=Scope("district")
            )


def test_report_measures_do_not_drill_for_a_department(history):
    dept = Scope("department", "city_management", "城管委", history.city_mgmt.pk)
    with pytest.raises(selectors.InvalidInput) as refused:
        selectors.drilldown(
            history.people.city_handler,
            key="proactive_share",
            part="numerator",
            period=MARCH,
            scope=dept,
        )
    assert refused.value.field == "key"


def test_the_per_event_counters_are_the_totals_own():
    assert selectors.PER_EVENT_COUNTERS is PER_EVENT_COUNTERS
    assert set(PER_EVENT_COUNTERS) == {
        "checks_done",
        "timely_checks",
        "replies",
        "satisfied",
        "dispatches",
        "joint_dispatches",
    }


def test_drill_down_as_of_a_past_moment_counts_what_was_known_then(history):
    """Evaluated in the past, figures and drill-downs come from the history folded up to
    then (not the rollups): they still agree."""
    leader = history.people.leader
    # Half an hour after the reports, before any deadline had passed.
    then = dt.datetime(2026, 3, 10, 10, tzinfo=periods.TZ)
    board = selectors.dashboard(leader, period=MARCH, scope=Scope("district"), as_of=then)
    now = selectors.dashboard(leader, period=MARCH, scope=Scope("district"))
    assert board["overdue_rate"].numerator < now["overdue_rate"].numerator
    for figure in board.figures:
        for part, shown in (("numerator", figure.numerator), ("denominator", figure.denominator)):
            listed = selectors.drilldown(
                leader, key=figure.key, part=part, period=MARCH, scope=Scope("district"), as_of=then
            ).count()
            if selectors.counts_cases(figure.key, part):
                assert listed == shown, (figure.key, part)
