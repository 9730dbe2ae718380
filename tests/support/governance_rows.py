"""Known rows of mediation, screening, risks and deliberation for the measures of 自治 and 法治
(tests/insight/test_governance.py), made directly with the models beside the `world`
fixture, so the measures are tested apart from the services that write them.

Everything below is in February 2026 (Beijing time) unless it says otherwise; the world's
clock stands at 2026-03-10 09:30. The hand-computed figures are in the tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count
from types import SimpleNamespace

from onegrid.deliberation.models import (
    Ballot,
    CoSignature,
    Decision,
    Milestone,
    Project,
    Proposal,
    Topic,
    Voter,
)
from onegrid.mediation.models import (
    Dispute,
    MediationCommittee,
    MediationType,
    Risk,
    RiskFollowUp,
    Screening,
)
from onegrid.org.models import Role
from onegrid.territory.models import Address
from support.people import person

TZ = dt.timezone(dt.timedelta(hours=8))
_serial = count(1)


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def day(month: int, day_: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day_)


def dispute(world, kind, *, grid, registered, community=None, **more) -> Dispute:
    """A dispute of `kind` (a MediationType) registered at `registered` in `grid` (None: in
    `community` without a grid)."""
    community = grid.community if grid is not None else community
    n = next(_serial)
    return Dispute.objects.create(
        number=f"TJ2026{n:05d}",
        type=kind,
        title=f"纠纷标题{n}",
        facts="保密事实",
        source=Dispute.Source.WALK_IN,
        grid=grid,
        community=community,
        street=community.parent,
        state=more.pop("state", Dispute.State.MEDIATING),
        registered_at=registered,
        **more,
    )


def mediation_rows(world) -> SimpleNamespace:
    w = world
    g0, g1, far = w.grids
    MediationCommittee.objects.create(name="第1社区人民调解委员会", unit=w.community)
    neighbours = MediationType.objects.create(code="T-NEIGHBOURS", name="邻里纠纷(测试)")
    family = MediationType.objects.create(code="T-FAMILY", name="婚姻家庭纠纷(测试)")
    agreed, failed, closed = Dispute.State.AGREED, Dispute.State.FAILED, Dispute.State.CLOSED
    d = SimpleNamespace()
    # Outside the period, earlier ones for the recurrence rule: d8 reached its outcome on
    # 2025-11-01, 93 days before d1 was registered (outside the 90 days); d0 (no grid) on
    # 2026-01-05.
    d.d8 = dispute(
        w,
        neighbours,
        grid=g0,
        registered=at(10, 20, year=2025),
        state=failed,
        outcome_at=at(11, 1, year=2025),
        failure_reason="双方分歧大",
    )
    d.d0 = dispute(
        w,
        family,
        grid=None,
        community=w.community,
        registered=at(12, 20, year=2025),
        state=closed,
        outcome_at=at(1, 5),
        closed_at=at(1, 20),
    )
    # In February.
    d.d1 = dispute(  # agreed (closed after), on time
        w,
        neighbours,
        grid=g0,
        registered=at(2, 2),
        accepted_at=at(2, 2),
        due_on=day(3, 2),
        state=closed,
        outcome_at=at(2, 20),
        closed_at=at(2, 25),
    )
    d.d2 = dispute(  # failed with referral, on the extended day late in the evening: on time
        w,
        neighbours,
        grid=g0,
        registered=at(2, 5),
        accepted_at=at(2, 5),
        due_on=day(2, 10),
        extended_on=day(2, 24),
        state=failed,
        outcome_at=at(2, 24, 23, 30),
        failure_reason="一方拒绝",
        referral=Dispute.Referral.LITIGATION,
    )
    d.d3 = dispute(  # agreed half an hour after its last day ended in Beijing: late
        w,
        family,
        grid=g1,
        registered=at(2, 6),
        accepted_at=at(2, 6),
        due_on=day(2, 24),
        state=agreed,
        outcome_at=at(2, 25, 0, 30),
    )
    d.d4 = dispute(w, neighbours, grid=g0, registered=at(2, 26))  # recurs after d1 and d2
    d.d5 = dispute(w, neighbours, grid=g1, registered=at(2, 27))  # not in g1 before
    d.d6 = dispute(  # no grid: recurs after d0 in the community
        w, family, grid=None, community=w.community, registered=at(2, 10)
    )
    d.d9 = dispute(
        w,
        family,
        grid=g0,
        registered=at(2, 12),
        state=Dispute.State.WITHDRAWN,
        closed_at=at(2, 14),
    )
    d.d10 = dispute(w, family, grid=g1, registered=at(2, 20))  # d3's outcome came after
    d.d7 = dispute(  # the other street: agreed without acceptance (no mediation period)
        w,
        neighbours,
        grid=far,
        registered=at(2, 3),
        state=agreed,
        outcome_at=at(2, 15),
    )
    return d


def stability_rows(world) -> SimpleNamespace:
    w = world
    g0, g1, far = w.grids
    owner = w.people.worker

    def screening(grid, month, *, stable, found=0):
        return Screening.objects.create(
            grid=grid,
            month=month,
            screened_at=at(month.month, 20, year=month.year),
            disputes_found=found,
            risk_level="low" if stable else "medium",
            stable=stable,
        )

    screening(g0, day(2, 1), stable=False, found=3)
    screening(g1, day(1, 1), stable=True, found=1)
    screening(far, day(2, 1), stable=True)

    def risk(grid, level, raised, *, community=None, **more):
        community = grid.community if grid is not None else community
        n = next(_serial)
        return Risk.objects.create(
            number=f"FX2026{n:05d}",
            title=f"风险标题{n}",
            description="保密描述",
            level=level,
            grid=grid,
            community=community,
            street=community.parent,
            state=Risk.State.RESOLVED if more.get("resolved_at") else Risk.State.OPEN,
            owner=owner,
            raised_at=raised,
            **more,
        )

    r = SimpleNamespace()
    r.r1 = risk(g0, "high", at(2, 3), escalated_at=at(2, 3, 11))
    r.r2 = risk(g1, "low", at(1, 10))  # medium until lowered on 5 March
    RiskFollowUp.objects.create(
        risk=r.r2, at=at(3, 5), note="化解中", level_before="medium", level_after="low"
    )
    r.r3 = risk(g0, "medium", at(2, 5))  # raised low, high from 10 Feb, medium from 3 Mar
    RiskFollowUp.objects.create(
        risk=r.r3, at=at(2, 10), note="升级", level_before="low", level_after="high"
    )
    RiskFollowUp.objects.create(
        risk=r.r3, at=at(3, 3), note="缓和", level_before="high", level_after="medium"
    )
    r.r4 = risk(g0, "low", at(2, 1), resolved_at=at(2, 20))
    r.r5 = risk(g0, "low", at(3, 2))
    r.r6 = risk(None, "low", at(1, 5), community=w.community, resolved_at=at(3, 5))
    return r


def deliberation_rows(world) -> SimpleNamespace:
    w = world
    g0 = w.grids[0]
    voters = []
    for i in range(3):
        account = person(f"voter{i}", Role.RESIDENT, unit=w.district)
        household = Address.objects.create(
            code=f"ADDR-G-{i}", name=f"1号楼{i}01", lon=g0.label_lon, lat=g0.label_lat, grid=g0
        )
        voters.append(
            Voter.objects.create(
                user=account,
                household=household,
                community=w.community,
                state=Voter.State.VERIFIED,
                applied_at=at(1, 2),
            )
        )

    def topic(raised, state, *, staff=False, grid=None):
        n = next(_serial)
        return Topic.objects.create(
            number=f"YS2026{n:05d}",
            title=f"议题标题{n}",
            body="内容",
            scope=Topic.Scope.GRID if grid else Topic.Scope.COMMUNITY,
            community=w.community,
            grid=grid,
            state=state,
            raised_by_staff=staff,
            raised_at=raised,
        )

    S = Topic.State
    t = SimpleNamespace()
    t.t1 = topic(at(2, 2), S.DECIDED)
    t.t2 = topic(at(2, 10), S.COLLECTING, grid=g0)
    t.t3 = topic(at(2, 12), S.VOTING, staff=True)
    t.t4 = topic(at(1, 20), S.DECIDED)  # raised in January
    for voter, signed in zip(voters, (at(2, 3), at(2, 4), at(3, 5)), strict=True):
        CoSignature.objects.create(topic=t.t1, voter=voter, signed_at=signed)  # the last: March
    CoSignature.objects.create(topic=t.t2, voter=voters[0], signed_at=at(2, 11))

    def ballot(tp, mode, electorate, turnout, closed, state=Ballot.State.CLOSED):
        proposal = Proposal.objects.create(
            topic=tp, title="方案", body="方案内容", proposed_at=closed - dt.timedelta(days=9)
        )
        return Ballot.objects.create(
            topic=tp,
            proposal=proposal,
            mode=mode,
            counting=Ballot.Counting.PERSON,
            electorate=electorate,
            opens_at=closed - dt.timedelta(days=7),
            closes_at=closed,
            state=state,
            turnout=turnout,
            closed_at=closed,
        )

    online, meeting = Ballot.Mode.ONLINE, Ballot.Mode.MEETING
    t.b1 = ballot(t.t1, online, 40, 25, at(2, 20))
    t.b2 = ballot(t.t4, online, 60, 20, at(2, 5))
    t.b3 = ballot(t.t3, meeting, 50, 30, at(2, 25))
    ballot(t.t3, online, 50, 0, at(2, 26), state=Ballot.State.CANCELLED)
    ballot(t.t4, online, 60, 50, at(1, 30))  # closed in January

    def decision(tp, b, published, state, **more):
        n = next(_serial)
        return Decision.objects.create(
            number=f"JY2026{n:05d}",
            topic=tp,
            ballot=b,
            text="决议正文",
            state=state,
            published_at=published,
            **more,
        )

    DS = Decision.State
    t.D1 = decision(t.t1, t.b1, at(2, 21), DS.CARRIED_OUT, carried_out_at=at(3, 5))
    t.D2 = decision(t.t4, t.b2, at(2, 6), DS.PUBLISHED)
    t.D3 = decision(t.t3, t.b3, at(2, 26), DS.ABANDONED, abandoned_reason="资金不足")
    p1 = Project.objects.create(
        decision=t.D2,
        title="加装路灯",
        budget=Decimal("12000"),
        state=Project.State.UNDERWAY,
        created_at=at(2, 7),
    )
    p2 = Project.objects.create(
        decision=t.D3,
        title="停车棚",
        budget=Decimal("5000"),
        state=Project.State.CANCELLED,
        created_at=at(2, 27),
    )
    Milestone.objects.create(project=p1, title="采购", due_on=day(2, 10), done_at=at(2, 10, 23))
    Milestone.objects.create(project=p1, title="安装", due_on=day(2, 20), done_at=at(2, 22))
    Milestone.objects.create(project=p1, title="验收", due_on=day(2, 25))
    Milestone.objects.create(project=p1, title="公示", due_on=day(3, 20))
    Milestone.objects.create(project=p2, title="设计", due_on=day(2, 15))
    return t
