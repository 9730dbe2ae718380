"""The simulator drives the real services: short runs on the Beichen district, checked for what
could go wrong (broken histories, double escalations, non-determinism, errors from the services).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from onegrid.cases.catalogue import load_default_catalogue
from onegrid.cases.history import replay_states
from onegrid.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    Escalation,
    IdempotencyRecord,
    Task,
)
from onegrid.core import clock
from onegrid.demo.people import seed_people
from onegrid.demo.simulator import make_plan, simulate, working_after
from onegrid.insight.measures import compute_measures
from onegrid.org.models import User
from onegrid.territory import locator, selectors
from onegrid.territory.coverage import check_beats
from onegrid.territory.models import AdminUnit, Grid, LayerVersion

SH = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2026: three ordinary working days follow.
START = dt.datetime(2026, 3, 2, tzinfo=SH)
DAYS, PER_DAY, SEED = 3, 40, 20260302


@pytest.fixture
def district(beichen, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    locator.invalidate()
    load_default_catalogue()
    seed_people("pw-simulated")
    yield
    clock.set_now(None)
    locator.invalidate()


def _wipe_cases() -> None:
    Case.objects.update(merged_into=None)  # merges point at other cases (PROTECT)
    Case.objects.all().delete()
    CaseCounter.objects.all().delete()
    IdempotencyRecord.objects.all().delete()


def test_plan_is_deterministic_and_points_lie_in_their_grids(district):
    plan = make_plan(DAYS, SEED, START, PER_DAY)
    again = make_plan(DAYS, SEED, START, PER_DAY)
    other = make_plan(DAYS, SEED + 1, START, PER_DAY)
    assert plan.digest() == again.digest()
    assert plan.digest() != other.digest()
    firsts = [c for c in plan.cases if not c.duplicate_of and not c.lookalike_of]
    assert 0.8 * DAYS * PER_DAY <= len(firsts) <= 1.2 * DAYS * PER_DAY
    sources = Counter(c.source for c in plan.cases)
    assert sources["grid_worker"] > sources["resident"] + sources["hotline"] > 0
    for case in plan.cases:
        assert START <= case.at < plan.end
        assert 8 <= case.at.astimezone(SH).hour < 18
        assert locator.locate(case.lon, case.lat).grid_code == case.grid_code


@pytest.mark.django_db  # the working calendar reads the holiday schedule
def test_working_after_stays_in_working_hours():
    friday_afternoon = dt.datetime(2026, 3, 6, 16, 30, tzinfo=SH)
    assert working_after(friday_afternoon, 0.25) == friday_afternoon + dt.timedelta(minutes=15)
    # Half an hour left on Friday, the rest on Monday morning.
    assert working_after(friday_afternoon, 2.0) == dt.datetime(2026, 3, 9, 10, 30, tzinfo=SH)
    assert working_after(friday_afternoon, 0.75) == dt.datetime(2026, 3, 9, 9, 15, tzinfo=SH)
    assert working_after(friday_afternoon, 0.5) == dt.datetime(2026, 3, 6, 17, 0, tzinfo=SH)
    saturday = dt.datetime(2026, 3, 7, 11, 0, tzinfo=SH)
    assert working_after(saturday, 0.5) == dt.datetime(2026, 3, 9, 9, 30, tzinfo=SH)


def _deadline_at(task_id: str, moment: dt.datetime, events: list[CaseEvent]):
    """The task's deadline as its history stood at `moment`."""
    due = None
    for e in events:
        if e.at > moment:
            break
        sets_it = (
            task_id in e.data.get("tasks", [])
            if e.action in ("dispatch", "arbitrate")
            else e.action == "approve_extension" and str(e.task_id) == task_id
        )
        if sets_it:
            due = dt.datetime.fromisoformat(e.data["due_at"])
    return due


def test_short_simulation_drives_the_real_workflow(district):
    result = simulate(DAYS, SEED, start=START, reports_per_day=PER_DAY)
    assert result.errors == []
    assert result.reports == Case.objects.count() > 0
    assert result.ticks == DAYS * 24
    # The clock is given back: services see real time again.
    assert abs((clock.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 60

    states = Counter(Case.objects.values_list("state", flat=True))
    assert states == result.states
    assert {"closed", "self_closed", "rejected"} <= set(states)
    assert len(states) >= 6, states
    for action in (
        "self_close",
        "verify",
        "dispatch",
        "sign",
        "feed_back",
        "pass_check",
        "close",
        "revisit",
    ):
        assert result.actions[action] > 0, action

    # Every case's history is an unbroken chain ending in its current state.
    events_by_case: dict = {}
    for event in CaseEvent.objects.order_by("case_id", "seq"):
        events_by_case.setdefault(event.case_id, []).append(event)
    for case in Case.objects.all():
        events = events_by_case[case.pk]
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert replay_states(events)[-1] == case.state

    # Late tasks escalate, once per (task, level), and only once they are late.
    escalations = list(Escalation.objects.all())
    assert escalations and result.escalations == len(escalations)
    keys = [(e.task_id, e.level) for e in escalations]
    assert len(keys) == len(set(keys))
    assert CaseEvent.objects.filter(action="escalate").count() == len(escalations)
    for esc in escalations:
        due = _deadline_at(str(esc.task_id), esc.at, events_by_case[esc.case_id])
        assert due is not None and due < esc.at
    # ...and every task still open an hour past its deadline has been urged at least once.
    late = Task.objects.filter(
        state__in=["dispatched", "in_progress", "extension_requested"],
        due_at__lt=result.end - dt.timedelta(hours=1),
    )
    assert late.exists()
    assert not late.filter(escalation_level=0).exists()
    assert set(late.values_list("id", flat=True)) <= {e.task_id for e in escalations}

    measures = compute_measures(result.start, result.end, as_of=result.end)
    assert measures.reports == result.reports
    for item in measures.items:
        assert item.value is None or 0 <= item.value <= 100, item


def test_same_seed_same_history(district):
    first = simulate(2, SEED, start=START, reports_per_day=25)
    figures = compute_measures(first.start, first.end, as_of=first.end).values()
    _wipe_cases()
    second = simulate(2, SEED, start=START, reports_per_day=25)
    assert second.errors == first.errors == []
    assert second.plan_digest == first.plan_digest
    assert (second.reports, second.actions, second.states, second.escalations) == (
        first.reports,
        first.actions,
        first.states,
        first.escalations,
    )
    assert compute_measures(second.start, second.end, as_of=second.end).values() == figures
    # A different seed makes a different history.
    _wipe_cases()
    third = simulate(2, SEED + 1, start=START, reports_per_day=25)
    assert third.plan_digest != first.plan_digest


def test_rerun_with_the_same_seed_and_start_does_not_duplicate(district):
    first = simulate(1, SEED, start=START, reports_per_day=10)
    count = Case.objects.count()
    again = simulate(1, SEED, start=START, reports_per_day=10)
    assert again.replayed == first.reports and again.reports == 0
    assert Case.objects.count() == count


def test_people_cover_every_grid_and_street(district):
    grids = Grid.objects.count()
    streets = AdminUnit.objects.filter(level="street").count()
    assert User.objects.filter(username__startswith="gw-").count() == grids > 0
    assert User.objects.filter(username__startswith="acc-").count() == streets
    again = seed_people("another password")  # idempotent: nothing new, nothing changed
    assert again["grid_worker"].startswith("gw-")
    assert User.objects.get(username="acc-001").check_password("pw-simulated")
    assert User.objects.get(username="admin").is_superuser


def test_commands_simulate_then_demo_is_idempotent(district):
    out = io.StringIO()
    call_command("simulate", "--days", "1", "--per-day", "8", "--start", "2026-03-02", stdout=out)
    text = out.getvalue()
    assert "N_due" in text and "2026-03-02 00:00" in text
    assert "错误 0 个" in text  # commands speak the default language, zh-hans
    cases = Case.objects.count()
    assert cases > 0

    # The demo's police beats were drawn apart from the grids: one beat version, to be fused,
    # on top of the one grid version the district came in as.
    assert sorted(LayerVersion.objects.values_list("kind", "number")) == [
        ("beats", 1),
        ("grids", 1),
    ]
    beats = selectors.live_units("beat")
    assert len(beats) > 200 and check_beats(selectors.live_units("grid"), beats)

    out = io.StringIO()
    call_command("demo", stdout=out)  # people and cases exist: only the logins
    assert Case.objects.count() == cases
    assert LayerVersion.objects.filter(kind="beats").count() == 1
    text = out.getvalue()
    for username in (
        "acc-001",
        "disp-001",
        "dept-city_management",
        "command",
        "leader",
        "admin",
        "resident1",
    ):
        assert username in text
    assert "onegrid-demo" in text

    # The demo publishes its reports and has one Open311 client, whose key it printed once and
    # which the Open311 edge accepts; a second run leaves both as an administrator left them.
    from onegrid.open311.models import ApiClient
    from onegrid.residents.public_models import PublicSettings

    [client] = ApiClient.objects.all()
    key = text.split("API 密钥（仅显示这一次）：")[1].split()[0]
    assert ApiClient.objects.filter(key_digest=hashlib.sha256(key.encode()).hexdigest()).exists()
    PublicSettings.objects.filter(district__code="120113000000").update(enabled=False)
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "API" not in out.getvalue()
    assert list(ApiClient.objects.all()) == [client]
    assert not PublicSettings.objects.get(district__code="120113000000").enabled


def test_the_demo_trains_no_classifier_from_too_short_a_history_and_still_runs(
    world, settings, tmp_path
):
    from onegrid.demo.management.commands.demo import Command

    model = tmp_path / "model.npz"
    settings.ONEGRID = {**settings.ONEGRID, "CLASSIFIER_MODEL": str(model)}
    out = io.StringIO()
    Command(stdout=out)._train_classifier()
    assert "未训练分类模型" in out.getvalue()
    assert not model.exists()
