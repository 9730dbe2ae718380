"""Carrying out a decision: practical projects (budget, spending, milestones, completion,
cancellation), cases in the one loop linked to it, the decision carried out on its own when its
work is done, or abandoned; its progress; who may do it; odd amounts refused at the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.deliberation import decision_selectors, decisions
from onegrid.deliberation.models import Ballot, Decision, DecisionCase, Project, Proposal, Topic
from onegrid.org.models import Role, RoleAssignment, User


def _decision(world, *, scope: str = Topic.Scope.COMMUNITY, number: str = "JY202600001"):
    grid = world.grids[0]
    topic = Topic.objects.create(
        number=f"YS{number[2:]}",
        title="加装电梯",
        body="老楼加装电梯",
        scope=scope,
        community=world.community,
        grid=None if scope == Topic.Scope.COMMUNITY else grid,
        building="1号楼" if scope == Topic.Scope.BUILDING else "",
        state=Topic.State.DECIDED,
        raised_by_staff=True,
        raised_at=clock.now(),
    )
    proposal = Proposal.objects.create(
        topic=topic, title="方案一", body="物业加装", proposed_at=clock.now()
    )
    ballot = Ballot.objects.create(
        topic=topic,
        proposal=proposal,
        mode=Ballot.Mode.MEETING,
        counting=Ballot.Counting.PERSON,
        electorate=10,
        opens_at=clock.now() - dt.timedelta(days=2),
        closes_at=clock.now() - dt.timedelta(days=1),
        state=Ballot.State.CLOSED,
        result=Ballot.Result.PASSED,
    )
    return Decision.objects.create(
        number=number,
        topic=topic,
        ballot=ballot,
        text="加装电梯一部",
        state=Decision.State.PUBLISHED,
        published_at=clock.now(),
    )


@pytest.fixture
def d(world):
    def member(name, unit):
        user = User.objects.create_user(name, password="pw-" + name, display_name=name)
        RoleAssignment.objects.create(user=user, role=Role.COMMUNITY_COMMITTEE, unit=unit)
        return user

    other_community = world.grids[2].community
    return SimpleNamespace(
        decision=_decision(world),
        committee=member("committee", world.community),
        far_committee=member("far_committee", other_community),
    )


def _project(d, key="p1", budget="12000.50", **kw):
    return decisions.add_project(
        actor=d.committee,
        decision=d.decision,
        title=kw.pop("title", "加装电梯"),
        budget=budget,
        undertaker="物业公司",
        idempotency_key=key,
        **kw,
    )


def test_a_project_is_added_once_per_key_with_its_budget_in_yuan(world, d):
    out = _project(d)
    assert not out.replayed
    assert out.project.budget == Decimal("12000.50")
    assert out.project.state == Project.State.PLANNED
    again = _project(d, budget="1")
    assert again.replayed and again.project.pk == out.project.pk
    assert Project.objects.count() == 1


@pytest.mark.parametrize(
    "budget",
    [
        "-1",
        "1e3",
        "12,000",
        "１２０００",  # full-width digits
        "١٢",  # Arabic-Indic digits
        "12.345",
        "99999999999",
        "10000000000.00",
        "NaN",
        "inf",
        "",
        None,
        True,
        float("inf"),
        -5,
        " 12\x00",
        "0x10",
        "9" * 400,
    ],
)
def test_odd_budgets_are_refused_at_the_budget_field(world, d, budget):
    with pytest.raises(InvalidInput) as caught:
        _project(d, budget=budget)
    assert caught.value.field == "budget"
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [("0", "0.00"), ("12", "12.00"), (12.5, "12.50"), (" 7.1 ", "7.10"), (3, "3.00")],
)
def test_plain_amounts_are_read(world, d, given, stored):
    assert _project(d, budget=given).project.budget == Decimal(stored)


def test_only_the_communitys_committee_carries_out_its_decision(world, d):
    for outsider in (d.far_committee, world.people.acceptor, world.people.resident):
        with pytest.raises(PermissionDenied):
            decisions.add_project(
                actor=outsider,
                decision=d.decision,
                title="x",
                budget="1",
                idempotency_key=f"k-{outsider.pk}",
            )
    project = _project(d).project
    with pytest.raises(PermissionDenied):
        decisions.record_spending(actor=d.far_committee, project=project, spent="1")
    with pytest.raises(PermissionDenied):
        decisions.abandon_decision(actor=world.people.leader, decision=d.decision, reason="x")


def test_milestones_spending_and_completion_carry_the_decision_out(world, d):
    project = _project(d).project
    m1 = decisions.add_milestone(
        actor=d.committee, project=project, title="设计", due_on="2026-04-01"
    )
    # The same milestone again (a retried form) is the one already there.
    assert (
        decisions.add_milestone(
            actor=d.committee, project=project, title="设计", due_on="2026-04-01"
        )
        == m1
    )
    decisions.add_milestone(actor=d.committee, project=project, title="安装", due_on="2026-06-30")
    with pytest.raises(InvalidInput) as caught:
        decisions.add_milestone(
            actor=d.committee, project=project, title="验收", due_on="2026-02-30"
        )
    assert caught.value.field == "due_on"
    decisions.mark_milestone_done(actor=d.committee, milestone=m1, note="图纸已定")
    project.refresh_from_db()
    assert project.state == Project.State.UNDERWAY
    decisions.record_spending(actor=d.committee, project=project, spent="13000")
    decisions.record_spending(actor=d.committee, project=project, spent="13000")  # a total
    progress = decision_selectors.progress_of(d.decision)
    (p,) = progress.projects
    assert (p.milestones_done, len(p.milestones)) == (1, 2)
    assert p.spent == Decimal("13000.00") and p.over_budget
    assert (progress.budget, progress.spent) == (Decimal("12000.50"), Decimal("13000.00"))
    with pytest.raises(InvalidInput) as caught:
        decisions.complete_project(actor=d.committee, project=project, note="  ")
    assert caught.value.field == "note"
    decisions.complete_project(actor=d.committee, project=project, note="电梯已投入使用")
    d.decision.refresh_from_db()
    assert d.decision.state == Decision.State.CARRIED_OUT
    assert d.decision.carried_out_at == clock.now()
    # Nothing more under a decision carried out.
    with pytest.raises(Conflict):
        _project(d, key="p2")
    with pytest.raises(Conflict):
        decisions.record_spending(actor=d.committee, project=project, spent="1")


def test_cancelled_projects_alone_do_not_carry_a_decision_out(world, d):
    a = _project(d, key="a").project
    b = _project(d, key="b", title="绿化").project
    decisions.cancel_project(actor=d.committee, project=a, reason="资金未落实")
    d.decision.refresh_from_db()
    assert d.decision.state == Decision.State.PUBLISHED
    a.refresh_from_db()
    assert a.state == Project.State.CANCELLED and a.completion_note == "资金未落实"
    with pytest.raises(Conflict):
        decisions.complete_project(actor=d.committee, project=a, note="x")
    decisions.complete_project(actor=d.committee, project=b, note="完成")
    d.decision.refresh_from_db()
    assert d.decision.state == Decision.State.CARRIED_OUT


def _close(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(state="closed")


def test_a_case_is_reported_into_the_loop_linked_and_closing_it_carries_the_decision_out(world, d):
    out = decisions.report_case_for_decision(
        actor=d.committee,
        decision=d.decision,
        class_code="A0102",
        description="清理楼道堆物",
        grid_code=world.grids[1].code,
        idempotency_key="c1",
    )
    case = out.link.case
    assert case.source == "deliberation" and case.state == "reported"
    assert case.grid_id == world.grids[1].pk
    assert (case.lon, case.lat) == (world.grids[1].label_lon, world.grids[1].label_lat)
    assert "JY202600001" in case.description and "清理楼道堆物" in case.description
    assert decision_selectors.case_decision(case) == d.decision
    again = decisions.report_case_for_decision(
        actor=d.committee,
        decision=d.decision,
        class_code="A0102",
        description="清理楼道堆物",
        grid_code=world.grids[1].code,
        idempotency_key="c1",
    )
    assert again.replayed and again.link.pk == out.link.pk
    assert DecisionCase.objects.count() == 1
    progress = decision_selectors.progress_of(d.decision)
    assert (progress.cases_open, progress.cases_closed) == (1, 0)
    assert not decisions.settle_decision(decision=d.decision)
    _close(case)
    # Seen at the next read (or tick): cases cannot call up into deliberation.
    assert decisions.settle_decisions() == 1
    d.decision.refresh_from_db()
    assert d.decision.state == Decision.State.CARRIED_OUT


def test_a_case_goes_only_to_the_topics_place(world, d):
    def report(**where):
        return decisions.report_case_for_decision(
            actor=d.committee,
            decision=d.decision,
            class_code="A0102",
            description="x",
            idempotency_key="c-x",
            **where,
        )

    with pytest.raises(InvalidInput) as caught:
        report(grid_code=world.grids[2].code)  # the other community's grid
    assert caught.value.field == "grid_code"
    with pytest.raises(InvalidInput) as caught:
        report(grid_code="")
    assert caught.value.field == "grid_code"
    with pytest.raises(InvalidInput) as caught:
        report(grid_code=world.grids[0].code, address_code="NO-SUCH")
    assert caught.value.field == "address_code"
    with pytest.raises(InvalidInput) as caught:
        decisions.report_case_for_decision(
            actor=d.committee,
            decision=d.decision,
            class_code="Z9999",
            description="x",
            grid_code=world.grids[0].code,
            idempotency_key="c-y",
        )
    assert caught.value.field == "class_code"
    assert not Case.objects.exists()


def test_a_grid_topics_case_defaults_to_its_grid(world):
    decision = _decision(world, scope=Topic.Scope.GRID, number="JY202600002")
    member = User.objects.create_user("m", password="pw-m")
    RoleAssignment.objects.create(user=member, role=Role.COMMUNITY_COMMITTEE, unit=world.street)
    out = decisions.report_case_for_decision(
        actor=member, decision=decision, class_code="A0102", description="x", idempotency_key="k"
    )
    assert out.link.case.grid_id == world.grids[0].pk
    with pytest.raises(InvalidInput):
        decisions.report_case_for_decision(
            actor=member,
            decision=decision,
            class_code="A0102",
            description="x",
            grid_code=world.grids[1].code,
            idempotency_key="k2",
        )


def test_a_decision_is_abandoned_with_a_reason_once(world, d):
    with pytest.raises(InvalidInput) as caught:
        decisions.abandon_decision(actor=d.committee, decision=d.decision, reason="")
    assert caught.value.field == "reason"
    decisions.abandon_decision(actor=d.committee, decision=d.decision, reason="上级规划调整")
    d.decision.refresh_from_db()
    assert d.decision.state == Decision.State.ABANDONED
    assert d.decision.abandoned_reason == "上级规划调整"
    again = decisions.abandon_decision(actor=d.committee, decision=d.decision, reason="x")
    assert again.abandoned_reason == "上级规划调整"
    with pytest.raises(Conflict):
        _project(d)


def test_readers_and_the_public_selection(world, d):
    assert decision_selectors.decision_for(d.committee, "JY202600001") == d.decision
    assert decision_selectors.decision_for(world.people.acceptor, "JY202600001") == d.decision
    for outsider in (world.people.resident, d.far_committee, world.people.other_acceptor):
        with pytest.raises(NotFound):
            decision_selectors.decision_for(outsider, "JY202600001")
    with pytest.raises(NotFound):
        decision_selectors.decision_for(d.committee, "JY\x00")
    assert list(decision_selectors.public_decisions([world.district.pk])) == [d.decision]
    assert list(decision_selectors.public_decisions([])) == []
    assert decision_selectors.public_decision("JY202600001", [world.district.pk]) == d.decision
    assert decision_selectors.public_decision("<b>", [world.district.pk]) is None


def test_a_milestone_past_its_due_date_and_not_done_is_late(world, d):
    project = _project(d).project
    # The world's clock stands at 2026-03-10 (Asia/Shanghai).
    decisions.add_milestone(actor=d.committee, project=project, title="设计", due_on="2026-03-09")
    decisions.add_milestone(actor=d.committee, project=project, title="施工", due_on="2026-03-10")
    done = decisions.add_milestone(
        actor=d.committee, project=project, title="招标", due_on="2026-03-01"
    )
    decisions.mark_milestone_done(actor=d.committee, milestone=done)
    progress = decision_selectors.progress_of(d.decision)
    assert {m.title: m.late for m in progress.projects[0].milestones} == {
        "招标": False,
        "设计": True,
        "施工": False,
    }
    assert progress.milestones_late == 1
    decisions.cancel_project(actor=d.committee, project=project, reason="停")
    assert decision_selectors.progress_of(d.decision).milestones_late == 0


def test_the_tick_reads_every_published_decision_in_a_fixed_number_of_queries(world):
    """Decisions still being carried out pile up over the years; the tick runs every minute,
    so it may not lock or read them one by one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    made = iter(range(90000, 90100))

    def queries(n_more: int) -> int:
        for _ in range(n_more):
            _decision(world, number=f"JY2026{next(made)}")
        with CaptureQueriesContext(connection) as seen:
            assert decisions.settle_decisions() == 0
        return len(seen.captured_queries)

    assert queries(2) == queries(20)
