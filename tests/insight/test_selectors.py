"""insight.selectors: what each role may read of the measures, and what it reads.

Cases are driven through the real services (support.cases) on the `world` fixture: one street
with two grids (worker, worker2), another street with one (far_worker), four departments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from onegrid.core import clock
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.insight import periods, selectors
from onegrid.insight.measures import Scope, compute_measures
from onegrid.org.models import Role, User
from support.cases import drive, report
from support.people import person

SH = periods.TZ
MARCH = periods.month(2026, 3)


@pytest.fixture
def history(world):
    """Cases in both streets in March 2026 (the clock's month), one of them handled."""
    p = world.people
    drive(world, "closed")  # street 1, grid 0: reported by the worker, closed
    drive(world, "in_progress")  # street 1, grid 0, open at the city department
    report(world, who=p.worker2, point=(117.115, 39.205))  # street 1, grid 1
    report(world, who=p.far_worker, point=world.far_point)  # street 2
    report(world, who=p.far_worker, point=world.far_point)
    return world


def scope_of(world, kind: str) -> Scope:
    if kind == "street":
        return Scope("street", world.street.code, world.street.name, world.street.pk)
    if kind == "other_street":
        s = world.other_street
        return Scope("street", s.code, s.name, s.pk)
    raise AssertionError(kind)


# --- who reads what ----------------------------------------------------------------------------


def kinds_and_codes(user):
    return [(s.kind, s.code) for s in selectors.visible_scopes(user).scopes]


def test_district_readers_read_the_district_every_street_and_department(world):
    supervisor = person("supervisor", Role.SUPERVISOR, unit=world.district)
    admin = person("admin", Role.ADMIN, unit=world.district)
    superuser = User.objects.create_superuser("root", password="pw-root")
    for user in (world.people.leader, world.people.command, supervisor, admin, superuser):
        visible = selectors.visible_scopes(user)
        assert visible.default == Scope("district")
        seen = kinds_and_codes(user)
        assert ("street", world.street.code) in seen
        assert ("street", world.other_street.code) in seen
        assert ("department", "ecology") in seen
        assert set(visible.leagues) == {"street", "department", "grid_worker"}
        for kind in ("street", "community", "grid", "department", "beat"):
            assert (kind, "x") not in seen
        selectors.resolve_scope(user, kind="grid", code=world.grids[2].code)
        selectors.resolve_scope(user, kind="department", code="market")


def test_street_staff_read_their_own_street_only(world):
    acceptor = world.people.acceptor
    assert kinds_and_codes(acceptor) == [
        ("street", world.street.code),
        ("community", world.community.code),
    ]
    assert selectors.resolve_scope(acceptor).code == world.street.code
    selectors.resolve_scope(acceptor, kind="grid", code=world.grids[1].code)
    for kind, code in [
        ("district", ""),
        ("street", world.other_street.code),
        ("grid", world.grids[2].code),
        ("department", "city_management"),
    ]:
        with pytest.raises(PermissionDenied) as refused:
            selectors.resolve_scope(acceptor, kind=kind, code=code)
        assert refused.value.field == "scope"
    other = world.people.other_acceptor
    with pytest.raises(PermissionDenied):
        selectors.resolve_scope(other, kind="street", code=world.street.code)


def test_a_leader_bound_to_a_street_reads_that_street(world):
    street_leader = person("street_leader", Role.LEADER, unit=world.street)
    visible = selectors.visible_scopes(street_leader)
    assert visible.default is not None and visible.default.code == world.street.code
    with pytest.raises(PermissionDenied):
        selectors.resolve_scope(street_leader, kind="district")
    with pytest.raises(PermissionDenied):
        selectors.resolve_scope(street_leader, kind="street", code=world.other_street.code)


def test_department_handlers_read_their_department_and_themselves(world):
    handler = world.people.city_handler
    visible = selectors.visible_scopes(handler)
    assert kinds_and_codes(handler) == [("department", "city_management")]
    assert visible.leagues == ("department",)
    assert visible.person_id == handler.pk
    for kind, code in [("department", "ecology"), ("street", world.street.code), ("district", "")]:
        with pytest.raises(PermissionDenied):
            selectors.resolve_scope(handler, kind=kind, code=code)


def test_grid_workers_read_their_grid_and_themselves(world):
    worker = world.people.worker
    visible = selectors.visible_scopes(worker)
    assert kinds_and_codes(worker) == [("grid", world.grids[0].code)]
    assert visible.leagues == ()
    assert visible.person_id == worker.pk
    for kind, code in [("grid", world.grids[1].code), ("street", world.street.code)]:
        with pytest.raises(PermissionDenied):
            selectors.resolve_scope(worker, kind=kind, code=code)
    for kind in ("street", "department", "grid_worker"):
        with pytest.raises(PermissionDenied):
            selectors.league_table(worker, kind=kind, period=MARCH)


def test_residents_and_others_read_nothing(world):
    officer = person("officer", Role.POLICE_OFFICER, grid=world.grids[0])
    auditor = person("auditor", Role.AUDITOR, unit=world.district)
    nobody = User.objects.create_user("nobody", password="pw-nobody")
    for user in (world.people.resident, officer, auditor, nobody):
        visible = selectors.visible_scopes(user)
        assert not visible.reads_anything and visible.scopes == () and visible.default is None
        with pytest.raises(PermissionDenied):
            selectors.resolve_scope(user)
        with pytest.raises(PermissionDenied):
            selectors.dashboard(user, period=MARCH, scope=Scope("district"))
        with pytest.raises(PermissionDenied):
            selectors.league_table(user, kind="street", period=MARCH)


def test_unknown_scopes_and_codes_are_input_errors(world):
    leader = world.people.leader
    for kind, code, field in [
        ("planet", "x", "scope"),
        ("street", "", "code"),
        ("street", "999", "code"),
        ("street", world.community.code, "code"),  # a community, not a street
        ("grid", "１２３", "code"),  # full-width digits
        ("grid", "1\x00", "code"),
        ("grid", "9" * 500, "code"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            selectors.resolve_scope(leader, kind=kind, code=code)
        assert refused.value.field == field


# --- the figures -------------------------------------------------------------------------------


def test_the_dashboard_carries_every_measure_with_its_formula(history):
    board = selectors.dashboard(history.people.leader, period=MARCH, scope=Scope("district"))
    expected = compute_measures(MARCH.start, MARCH.end, as_of=board.as_of)
    assert [f.key for f in board.figures] == [m.key for m in expected.items]
    for figure in board.figures:
        measure = expected[figure.key]
        assert (figure.numerator, figure.denominator, figure.value) == (
            measure.numerator,
            measure.denominator,
            measure.value,
        )
        assert figure.formula == str(measure.definition) and figure.formula
    assert board.counts["reports"] == 5
    # Open now: the case at the department and the three waiting for the acceptor.
    assert board.counts["open_now"] == 4
    assert board.previous_period == periods.month(2026, 2)
    assert board.last_year_period == periods.month(2025, 3)


def test_a_street_reads_its_own_cases_only(history):
    acceptor = history.people.acceptor
    board = selectors.dashboard(acceptor, period=MARCH, scope=scope_of(history, "street"))
    assert board.counts["reports"] == 3
    assert board.counts["open_now"] == 2
    other = selectors.dashboard(
        history.people.other_acceptor, period=MARCH, scope=scope_of(history, "other_street")
    )
    assert other.counts["reports"] == 2


def test_comparisons_with_the_period_before_and_a_year_earlier(world):
    p = world.people

    def reports_at(moment, proactive, resident):
        clock.set_now(moment)
        for _ in range(proactive):
            report(world)
        for _ in range(resident):
            report(world, who=p.resident)

    reports_at(dt.datetime(2025, 3, 12, 10, tzinfo=SH), 1, 3)  # a year earlier: 25 %
    reports_at(dt.datetime(2026, 2, 11, 10, tzinfo=SH), 1, 1)  # the month before: 50 %
    reports_at(dt.datetime(2026, 3, 10, 10, tzinfo=SH), 3, 1)  # March: 75 %
    board = selectors.dashboard(p.leader, period=MARCH, scope=Scope("district"))
    share = board["proactive_share"]
    assert (share.numerator, share.denominator, share.value) == (3, 4, Decimal("75.00"))
    assert share.previous == selectors.Ratio(1, 2, Decimal("50.00"))
    assert share.last_year == selectors.Ratio(1, 4, Decimal("25.00"))
    assert share.change_from_previous == Decimal("25.00")
    assert share.change_from_last_year == Decimal("50.00")
    assert (board.counts["reports"], board.previous_counts["reports"]) == (4, 2)
    assert board.last_year_counts["reports"] == 4
    # Nothing to compare with: no change rather than a change from zero.
    closure = board["closure_rate"]
    assert closure.value is None and closure.change_from_previous is None
    assert share.as_dict()["change_from_previous"] == "25.00"


def test_report_measures_do_not_apply_to_a_department(history):
    board = selectors.dashboard(
        history.people.city_handler,
        period=MARCH,
        scope=Scope("department", "city_management", "城管委", history.city_mgmt.pk),
    )
    proactive = board["proactive_share"]
    assert not proactive.applicable and proactive.value is None and proactive.previous is None
    assert board.counts["open_now"] == 1  # the case it leads


# --- league tables -------------------------------------------------------------------------------


def row(code, value, den=10, num=None):
    return (code, code, None if value is None else Decimal(value), num or 0, den, {})


def test_ranking_rule_ties_and_marks():
    entries = [
        row("a", "90"),
        row("b", "95", den=5),
        row("c", "95", den=20),
        row("d", "70"),
        row("e", "60"),
        row("f", None, den=0),
        row("g", "80"),
        row("h", "50"),
    ]
    rows = selectors.rank(entries, lower_is_better=False, drillable={"a": True})
    assert [(r.code, r.rank) for r in rows] == [
        ("c", 1),  # equal value: the larger denominator first, the same rank
        ("b", 1),
        ("a", 3),
        ("g", 4),
        ("d", 5),
        ("e", 6),
        ("h", 7),
        ("f", None),  # nothing to measure: last, no rank
    ]
    assert [r.mark for r in rows] == ["top", "top", "top", "", "bottom", "bottom", "bottom", ""]
    assert [r.drillable for r in rows][2] is True and rows[0].drillable is False
    lower = selectors.rank(entries, lower_is_better=True, drillable={})
    assert [r.code for r in lower][:3] == ["h", "e", "d"]


def test_equal_values_everywhere_mark_nothing():
    rows = selectors.rank([row("a", "50"), row("b", "50")], lower_is_better=False, drillable={})
    assert [r.rank for r in rows] == [1, 1] and [r.mark for r in rows] == ["", ""]
    rows = selectors.rank([row("a", "50"), row("b", "40")], lower_is_better=False, drillable={})
    assert [r.mark for r in rows] == ["top", "bottom"]
    assert selectors.rank([row("a", "50")], lower_is_better=False, drillable={})[0].mark == ""


def test_a_street_desk_sees_every_street_ranked_but_drills_into_its_own(history):
    acceptor = history.people.acceptor
    table = selectors.league_table(acceptor, kind="street", period=MARCH, measure="proactive_share")
    assert {r.code: r.drillable for r in table.rows} == {
        history.street.code: True,
        history.other_street.code: False,
    }
    assert all(r.value == Decimal("100.00") for r in table.rows)
    assert table.formula and table.rule
    with pytest.raises(PermissionDenied):
        selectors.dashboard(acceptor, period=MARCH, scope=scope_of(history, "other_street"))
    with pytest.raises(PermissionDenied):
        selectors.drilldown(
            acceptor,
            key="open_now",
            part="numerator",
            period=MARCH,
            scope=scope_of(history, "other_street"),
        )


def test_the_department_table(history):
    handler = history.people.city_handler
    table = selectors.league_table(handler, kind="department", period=MARCH)
    assert table.measure == "on_time_closure_rate"
    by_code = {r.code: r for r in table.rows}
    assert set(by_code) == {"city_management", "ecology", "market", history.police.code}
    assert by_code["city_management"].drillable and not by_code["ecology"].drillable
    assert {"overdue_rate", "rework_rate", "satisfaction_rate", "joint_dispatches"} <= {
        k for k, _label in table.columns
    }
    with pytest.raises(InvalidInput) as refused:
        selectors.league_table(handler, kind="department", period=MARCH, measure="proactive_share")
    assert refused.value.field == "measure"
    with pytest.raises(PermissionDenied):
        selectors.league_table(handler, kind="street", period=MARCH)


def test_the_grid_worker_table_lists_the_readers_streets(history):
    p = history.people
    table = selectors.league_table(p.acceptor, kind="grid_worker", period=MARCH, measure="reports")
    assert [(r.code, r.value, r.rank) for r in table.rows] == [
        ("worker", Decimal(2), 1),
        ("worker2", Decimal(1), 2),
    ]
    everyone = selectors.league_table(p.leader, kind="grid_worker", period=MARCH, measure="reports")
    assert {r.code for r in everyone.rows} == {"worker", "worker2", "far_worker"}
    assert {r.code: r.numerator for r in everyone.rows}["far_worker"] == 2
    valid = selectors.league_table(p.leader, kind="grid_worker", period=MARCH)
    worker = next(r for r in valid.rows if r.code == "worker")
    # Both of the worker's reports were registered.
    assert (worker.numerator, worker.denominator, worker.value) == (2, 2, Decimal("100.00"))


def test_unknown_league_kind_or_measure(world):
    with pytest.raises(InvalidInput) as refused:
        selectors.league_table(world.people.leader, kind="planet", period=MARCH)
    assert refused.value.field == "kind"
    with pytest.raises(InvalidInput) as refused:
        selectors.league_table(world.people.leader, kind="street", period=MARCH, measure="x")
    assert refused.value.field == "measure"


# --- trends ------------------------------------------------------------------------------------


def test_buckets():
    d = dt.date
    assert selectors.buckets(d(2026, 3, 1), d(2026, 3, 3), "day") == [
        (d(2026, 3, 1), d(2026, 3, 1)),
        (d(2026, 3, 2), d(2026, 3, 2)),
        (d(2026, 3, 3), d(2026, 3, 3)),
    ]
    # Weeks run Monday to Sunday, cut at the range's ends.
    assert selectors.buckets(d(2026, 3, 1), d(2026, 3, 10), "week") == [
        (d(2026, 3, 1), d(2026, 3, 1)),
        (d(2026, 3, 2), d(2026, 3, 8)),
        (d(2026, 3, 9), d(2026, 3, 10)),
    ]
    assert selectors.buckets(d(2026, 1, 15), d(2026, 3, 2), "month") == [
        (d(2026, 1, 15), d(2026, 1, 31)),
        (d(2026, 2, 1), d(2026, 2, 28)),
        (d(2026, 3, 1), d(2026, 3, 2)),
    ]
    with pytest.raises(InvalidInput) as refused:
        selectors.buckets(d(2020, 1, 1), d(2026, 1, 1), "day")
    assert refused.value.field == "step"
    with pytest.raises(InvalidInput):
        selectors.buckets(d(2026, 1, 1), d(2026, 2, 1), "hour")


def test_a_trend_adds_up_to_the_period(history):
    leader = history.people.leader
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    series = selectors.trend(leader, scope=Scope("district"), start=start, end=end, step="week")
    assert [p.label for p in series.points] == [
        "2026-W09",
        "2026-W10",
        "2026-W11",
        "2026-W12",
        "2026-W13",
        "2026-W14",
    ]
    assert sum(p.counts["reports"] for p in series.points) == 5
    assert series.points[2].counts["reports"] == 5  # all on Tuesday 10 March (W11)
    assert series.points[2].values["proactive_share"] == Decimal("100.00")
    assert series.points[1].values["proactive_share"] is None
    with pytest.raises(PermissionDenied):
        selectors.trend(
            history.people.acceptor, scope=Scope("district"), start=start, end=end, step="day"
        )


# --- drill-down and person figures ---------------------------------------------------------------


def test_open_now_drills_down_to_the_cases_counted(history):
    for user, scope in [
        (history.people.leader, Scope("district")),
        (history.people.acceptor, scope_of(history, "street")),
    ]:
        board = selectors.dashboard(user, period=MARCH, scope=scope)
        cases = selectors.drilldown(
            user, key="open_now", part="numerator", period=MARCH, scope=scope
        )
        assert cases.count() == board.counts["open_now"]


def test_person_figures(history):
    p = history.people
    own = selectors.person_figures(p.worker, person=p.worker, period=MARCH)
    reports = own["reports"]
    assert (reports.numerator, reports.denominator, reports.value) == (2, None, Decimal(2))
    assert own["valid_report_rate"].value == Decimal("100.00")
    assert own["checks"].numerator == 1  # passed the closed case's check
    handler = selectors.person_figures(p.leader, person=p.city_handler, period=MARCH)
    assert handler["fed_back"].numerator == 1
    assert [f.key for f in handler.figures] == list(selectors.HANDLER_FIGURES)
    # The street's desk reads its own workers, not the other street's, nor handlers.
    selectors.find_person(p.acceptor, p.worker2.pk)
    for reader, subject in [
        (p.acceptor, p.far_worker),
        (p.acceptor, p.city_handler),
        (p.worker, p.worker2),
        (p.city_handler, p.eco_handler),
        (p.resident, p.resident),
    ]:
        with pytest.raises(NotFound):
            selectors.find_person(reader, subject.pk)
        with pytest.raises(PermissionDenied):
            selectors.person_figures(reader, person=subject, period=MARCH)
    with pytest.raises(NotFound):
        selectors.person_figures(p.leader, person=p.acceptor, period=MARCH)
