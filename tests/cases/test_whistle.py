"""吹哨报到: the street's shift lead summons departments, which report in on a working-time clock,
act as co-departments do, and are rated by the street; the figures feed the department league."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from onegrid.cases import services
from onegrid.cases.models import Case, Task
from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound
from onegrid.insight import selectors as insight
from onegrid.insight.periods import Period
from onegrid.insight.whistles import department_whistle_figures
from onegrid.notify import kinds
from onegrid.notify import services as notify
from onegrid.notify.models import Notification
from onegrid.org.models import Role, RoleAssignment, User
from support.api import token_client
from support.cases import act, advance, drive, photo, run_concurrently
from support.holidays import import_2027

CST = dt.timezone(dt.timedelta(hours=8))


def whistle(world, case=None, departments=("market",), reason="the stall blocks the lane"):
    case = case or drive(world, "in_progress")
    return act(
        case, world.people.shift_lead, "whistle", reason=reason, departments=list(departments)
    )


def summoned_task(case, code="market") -> Task:
    return Task.objects.get(case=case, role=Task.Role.WHISTLE, department__code=code)


# --- the report-in clock on the working calendar -------------------------------------------------


def test_summons_makes_one_summoned_task_per_department_with_both_clocks(world):
    case = whistle(world, departments=["market", "ecology"])
    tasks = list(Task.objects.filter(case=case, role=Task.Role.WHISTLE).order_by("department"))
    assert [t.department.code for t in tasks] == ["ecology", "market"]
    for task in tasks:
        assert task.state == Task.State.SUMMONED
        assert task.whistle_reason == "the stall blocks the lane"
        # Tuesday 09:30 + 2 working hours; the time to act is the class's 4 working hours.
        assert task.report_in_due_at == dt.datetime(2026, 3, 10, 11, 30, tzinfo=CST)
        assert task.due_at == dt.datetime(2026, 3, 10, 13, 30, tzinfo=CST)
    event = case.events.get(action="whistle")
    assert event.data["departments"] == ["market", "ecology"]
    assert case.state == "in_progress"  # the lead's flow is untouched


def test_report_in_deadline_skips_the_weekend(world):
    clock.set_now(dt.datetime(2026, 3, 13, 16, 30, tzinfo=CST))  # Friday, half an hour left
    case = whistle(world)
    # 0.5 h on Friday, 1.5 h on Monday morning.
    assert summoned_task(case).report_in_due_at == dt.datetime(2026, 3, 16, 10, 30, tzinfo=CST)


def test_report_in_deadline_skips_a_holiday_and_counts_a_make_up_day(world):
    import_2027()
    # Thursday 4 February 2027, 16:00: 1 h left; the Spring Festival rest runs Friday 5 to
    # Thursday 11 February; Friday 12 February is a working day.
    clock.set_now(dt.datetime(2027, 2, 4, 16, 0, tzinfo=CST))
    case = whistle(world)
    assert summoned_task(case).report_in_due_at == dt.datetime(2027, 2, 12, 10, 0, tzinfo=CST)
    # Saturday 30 January 2027: the next working time is the make-up Sunday 31 January.
    clock.set_now(dt.datetime(2027, 1, 30, 10, 0, tzinfo=CST))
    case = whistle(world)
    assert summoned_task(case).report_in_due_at == dt.datetime(2027, 1, 31, 11, 0, tzinfo=CST)


def test_the_report_in_limit_is_a_setting(world, settings):
    settings.ONEGRID = {**settings.ONEGRID, "WHISTLE_REPORT_IN_HOURS": 3}
    case = whistle(world)
    assert summoned_task(case).report_in_due_at == dt.datetime(2026, 3, 10, 12, 30, tzinfo=CST)


# --- report in: on time or late; then the department acts as a co-department ---------------------


def test_report_in_on_time_then_feed_back_like_a_co_department(world):
    p = world.people
    case = whistle(world)
    advance(hours=1)
    case = act(case, p.market_handler, "report_in")
    task = summoned_task(case)
    assert task.state == Task.State.IN_PROGRESS
    assert task.reported_in_at == clock.now() and task.reported_in_on_time is True
    assert case.events.get(action="report_in").data == {"department": "market", "on_time": True}
    # The lead feeds back; the check waits for the summoned department too, as for a co.
    case = act(case, p.city_handler, "feed_back", reason="cleared", photos=[photo()])
    assert case.state == "in_progress"
    case = act(case, p.market_handler, "feed_back", reason="stall moved")  # no photo needed
    assert case.state == "checking"


def test_report_in_late_is_recorded_as_late(world):
    case = whistle(world)
    advance(hours=3)  # 12:30, past 11:30
    act(case, world.people.market_handler, "report_in")
    task = summoned_task(case)
    assert task.reported_in_on_time is False


def test_a_summoned_department_cannot_return_the_matter(world):
    p = world.people
    case = act(whistle(world), p.market_handler, "report_in")
    with pytest.raises(InvalidInput) as refused:
        act(case, p.market_handler, "return", reason="not ours")
    assert refused.value.field == "action"
    assert summoned_task(case).state == Task.State.IN_PROGRESS


def test_only_a_summoned_department_reports_in(world):
    case = whistle(world)
    with pytest.raises(NotFound):  # ecology was not summoned: the case is not theirs to see
        act(case, world.people.eco_handler, "report_in")
    with pytest.raises(Conflict):
        act(case, world.people.city_handler, "report_in")  # the lead has no summons
    act(case, world.people.market_handler, "report_in")
    with pytest.raises(Conflict):
        act(case, world.people.market_handler, "report_in")  # once


# --- the timer -------------------------------------------------------------------------------


def test_tick_marks_a_missed_report_in_once(world):
    case = whistle(world)
    assert services.tick().late_report_ins == 0
    advance(hours=2, minutes=1)
    assert services.tick().late_report_ins == 1
    for _ in range(3):
        assert services.tick().late_report_ins == 0
    task = summoned_task(case)
    assert task.report_in_overdue and task.state == Task.State.SUMMONED
    assert case.events.filter(action="report_in_late").count() == 1
    # Reporting in late still counts as late; the tick leaves reported-in tasks alone.
    act(case, world.people.market_handler, "report_in")
    assert summoned_task(case).reported_in_on_time is False


def test_a_department_that_reported_in_in_time_is_never_marked(world):
    case = whistle(world)
    act(case, world.people.market_handler, "report_in")
    advance(days=3)
    services.tick()
    assert not summoned_task(case).report_in_overdue
    assert not case.events.filter(action="report_in_late").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_mark_a_missed_report_in_exactly_once(world):
    cases = [whistle(world) for _ in range(3)]
    later = clock.now() + dt.timedelta(days=1)
    run_concurrently(lambda: services.tick(now=later))
    for case in cases:
        assert summoned_task(case).report_in_overdue
        assert case.events.filter(action="report_in_late").count() == 1


# --- the street's rating ------------------------------------------------------------------------


def fed_back_whistle(world, departments=("market",)) -> Case:
    case = whistle(world, departments=departments)
    for code in departments:
        handler = {"market": world.people.market_handler, "ecology": world.people.eco_handler}[code]
        act(case, handler, "report_in")
        case = act(case, handler, "feed_back", reason="done")
    return case


def test_the_street_rates_once(world):
    p = world.people
    case = fed_back_whistle(world)
    with pytest.raises(InvalidInput) as refused:
        act(case, p.shift_lead, "rate_whistle", rating="unsatisfied")
    assert refused.value.field == "reason"
    act(case, p.shift_lead, "rate_whistle", rating="unsatisfied", reason="came late")
    task = summoned_task(case)
    assert (task.rating, task.rating_reason, task.rated_by) == (
        "unsatisfied",
        "came late",
        p.shift_lead,
    )
    with pytest.raises(Conflict):
        act(case, p.shift_lead, "rate_whistle", rating="satisfied")
    assert summoned_task(case).rating == "unsatisfied"


def test_rating_names_the_task_when_several_wait_and_refuses_odd_ratings(world):
    p = world.people
    case = fed_back_whistle(world, departments=("market", "ecology"))
    with pytest.raises(InvalidInput) as refused:
        act(case, p.shift_lead, "rate_whistle", rating="satisfied")
    assert refused.value.field == "task"
    market = summoned_task(case)
    with pytest.raises(InvalidInput) as refused:
        act(case, p.shift_lead, "rate_whistle", rating="great", task=str(market.pk))
    assert refused.value.field == "rating"
    act(case, p.shift_lead, "rate_whistle", rating="basically_satisfied", task=str(market.pk))
    act(case, p.shift_lead, "rate_whistle", rating="satisfied")  # the one left
    assert summoned_task(case, "ecology").rating == "satisfied"


def test_nothing_to_rate_before_the_department_fed_back(world):
    case = act(whistle(world), world.people.market_handler, "report_in")
    with pytest.raises(Conflict):
        act(case, world.people.shift_lead, "rate_whistle", rating="satisfied")


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "departments",
    [[], ["nowhere"], ["market", "market"], ["city_management"], ["mar\x00ket"], ["x" * 500]],
)
def test_bad_department_lists_are_refused_naming_the_field(world, departments):
    case = drive(world, "in_progress")
    with pytest.raises(InvalidInput) as refused:
        act(case, world.people.shift_lead, "whistle", reason="r", departments=departments)
    assert refused.value.field == "departments"
    assert not Task.objects.filter(case=case, role=Task.Role.WHISTLE).exists()


def test_a_department_summoned_and_still_open_is_not_summoned_again(world):
    case = whistle(world)
    with pytest.raises(InvalidInput) as refused:
        whistle(world, case=case, departments=["ecology", "market"])
    assert refused.value.field == "departments"
    assert Task.objects.filter(case=case, role=Task.Role.WHISTLE).count() == 1


def test_the_matter_is_required(world):
    with pytest.raises(InvalidInput) as refused:
        whistle(world, reason="")
    assert refused.value.field == "reason"


@pytest.mark.parametrize(
    "value", ["", "nowhere", "market,market", "city_management", "mar\x00ket", "١٢", "x" * 5000]
)
def test_api_answers_odd_department_lists_with_422_naming_departments(world, value):
    case = drive(world, "in_progress")
    answer = token_client(world.people.shift_lead).post(
        f"/api/v1/cases/{case.pk}/actions/whistle", {"reason": "r", "departments": value}
    )
    assert answer.status_code == 422, answer.content
    assert "departments" in answer.content.decode()
    assert not Task.objects.filter(case=case, role=Task.Role.WHISTLE).exists()


def test_api_summons_with_a_comma_separated_list(world):
    case = drive(world, "in_progress")
    answer = token_client(world.people.shift_lead).post(
        f"/api/v1/cases/{case.pk}/actions/whistle",
        {"reason": "r", "departments": "market, ecology"},
    )
    assert answer.status_code == 200, answer.content
    assert Task.objects.filter(case=case, role=Task.Role.WHISTLE).count() == 2
    detail = token_client(world.people.shift_lead).get(f"/api/v1/cases/{case.pk}").json()
    summoned = [t for t in detail["tasks"] if t["role"] == "whistle"]
    assert {t["department"] for t in summoned} == {"market", "ecology"}
    assert all(t["report_in_due_at"].endswith("+08:00") for t in summoned)


# --- role × endpoint: every role, only the allowed ones succeed ----------------------------------


def _holder(world, role: str) -> User:
    user = User.objects.create_user(f"w_{role}", password=f"pw-w_{role}", phone="13800000000")
    if role in (Role.GRID_WORKER, Role.GRID_HEAD):
        where = {"grid": world.grids[0]}
    elif role == Role.DEPT_HANDLER:
        where = {"department": world.market}
    elif role in (Role.ACCEPTOR, Role.DISPATCHER, Role.SHIFT_LEAD, Role.CALLBACK):
        where = {"unit": world.street}
    else:
        where = {"unit": world.district}
    RoleAssignment.objects.create(user=user, role=role, **where)
    return user


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


ALLOWED = {
    "whistle": {Role.SHIFT_LEAD},
    "report_in": {Role.DEPT_HANDLER},
    "rate_whistle": {Role.SHIFT_LEAD},
}


def _ready(world, action) -> Case:
    if action == "whistle":
        return drive(world, "in_progress")
    if action == "report_in":
        return whistle(world)
    return fed_back_whistle(world)


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_takes_the_whistle_rows_or_not(world, action, role):
    user = _holder(world, role)
    case = _ready(world, action)
    before = case.events.count()
    form = {"reason": "r", "departments": "ecology", "rating": "satisfied"}
    answer = token_client(user).post(f"/api/v1/cases/{case.pk}/actions/{action}", form)
    if role in ALLOWED[action]:
        assert answer.status_code == 200, (role, answer.content)
        assert case.events.count() > before
    else:
        assert answer.status_code in (401, 403, 404, 409), (role, answer.status_code)
        assert case.events.count() == before


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_on_the_case_page_form(world, role):
    user = _holder(world, role)
    case = drive(world, "in_progress")
    answer = _client(user).post(
        f"/cases/{case.number}/act/whistle/", {"reason": "r", "departments": ["ecology"]}
    )
    made = Task.objects.filter(case=case, role=Task.Role.WHISTLE).exists()
    if role == Role.SHIFT_LEAD:
        assert answer.status_code == 302 and made
    else:
        assert answer.status_code in (302, 403, 404, 409) and not made, role


def test_a_shift_lead_of_another_street_may_not_whistle(world):
    other = User.objects.create_user("other_lead", password="pw-other_lead")
    RoleAssignment.objects.create(user=other, role=Role.SHIFT_LEAD, unit=world.other_street)
    case = drive(world, "in_progress")
    with pytest.raises(NotFound):  # a case outside one's street is reported as missing
        act(case, other, "whistle", reason="r", departments=["market"])


# --- pages -----------------------------------------------------------------------------------


def test_case_page_offers_the_whistle_and_shows_the_report_in_clock(world):
    p = world.people
    case = drive(world, "in_progress")
    body = _client(p.shift_lead).get(f"/cases/{case.number}/").content.decode()
    assert 'name="departments"' in body and 'value="market"' in body
    whistle(world, case=case)
    body = _client(p.shift_lead).get(f"/cases/{case.number}/").content.decode()
    assert 'data-task-role="whistle"' in body and "timer green" in body
    assert "the stall blocks the lane" in body


def test_inbox_lists_the_summons_with_a_report_in_button(world):
    p = world.people
    case = whistle(world)
    body = _client(p.market_handler).get("/inbox/", {"tab": "summoned"}).content.decode()
    assert case.number in body and 'data-action="report_in"' in body
    answer = _client(p.market_handler).post(
        f"/cases/{case.number}/act/report_in/", {"idempotency_key": "k1", "next": "/inbox/"}
    )
    assert answer.status_code == 302
    assert summoned_task(case).state == Task.State.IN_PROGRESS


# --- notifications ---------------------------------------------------------------------------


def _told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_the_right_people_are_told(world):
    p = world.people
    notify.fan_out()
    Notification.objects.all().delete()
    case = whistle(world)
    notify.fan_out()
    assert "market_handler" in _told(kinds.TO_MY_DEPARTMENT)
    assert "eco_handler" not in _told(kinds.TO_MY_DEPARTMENT)
    Notification.objects.all().delete()
    advance(hours=3)
    services.tick()
    notify.fan_out()
    assert {"market_handler", "shift_lead"} <= _told(kinds.OVERDUE)
    Notification.objects.all().delete()
    act(case, p.market_handler, "report_in")
    notify.fan_out()
    told = set(Notification.objects.values_list("user__username", "kind"))
    assert ("shift_lead", kinds.TO_MY_DESK) in told
    assert "market_handler" not in {u for u, _k in told}  # not of their own action


# --- figures: the function other code calls, and the department league ---------------------------


def test_figures_from_a_known_set_of_tasks(world):
    p = world.people
    start = clock.now()
    on_time = whistle(world)  # market, reports in on time, rated satisfied
    act(on_time, p.market_handler, "report_in")
    act(on_time, p.market_handler, "feed_back", reason="done")
    act(on_time, p.shift_lead, "rate_whistle", rating="satisfied")
    late = whistle(world)  # market, reports in late, rated unsatisfied
    ecology = whistle(world, departments=["ecology"])  # never reports in
    advance(hours=3)
    act(late, p.market_handler, "report_in")
    act(late, p.market_handler, "feed_back", reason="done")
    act(late, p.shift_lead, "rate_whistle", rating="unsatisfied", reason="slow")
    end = clock.now() + dt.timedelta(days=1)
    figures = department_whistle_figures(start=start, end=end)
    market = figures[world.market.pk]
    assert (market.summoned, market.due, market.reported_in, market.reported_in_on_time) == (
        2,
        2,
        2,
        1,
    )
    assert (market.rated, market.satisfied) == (2, 1)
    assert str(market.on_time_rate) == "50.00" and str(market.satisfaction_rate) == "50.00"
    eco = figures[world.ecology.pk]
    assert (eco.summoned, eco.due, eco.reported_in_on_time, eco.rated) == (1, 1, 0, 0)
    assert str(eco.on_time_rate) == "0.00" and eco.satisfaction_rate is None
    assert world.city_mgmt.pk not in figures
    # Scoped: only the departments or streets asked for.
    assert set(
        department_whistle_figures(start=start, end=end, department_ids=[world.ecology.pk])
    ) == {world.ecology.pk}
    assert (
        department_whistle_figures(start=start, end=end, street_ids=[world.other_street.pk]) == {}
    )
    del ecology

    period = Period("month", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    league = insight.league_table(p.command, kind="department", period=period)
    keys = [k for k, _label in league.columns]
    assert {"whistles_summoned", "whistle_on_time_rate", "whistle_satisfaction_rate"} <= set(keys)
    assert "吹哨报到" in league.formulas["whistle_on_time_rate"]
    row = next(r for r in league.rows if r.code == "market")
    assert row.columns["whistles_summoned"] == 2
    assert str(row.columns["whistle_on_time_rate"]) == "50.00"
    answer = token_client(p.command).get("/api/v1/insight/league/department", {"month": "2026-03"})
    assert answer.status_code == 200
    formulas = {c["key"]: c["formula"] for c in answer.json()["columns"]}
    assert formulas["whistle_satisfaction_rate"]
