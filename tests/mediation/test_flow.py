"""The mediation register's flow through its services: registering from each source, acceptance
by the committee of the place, mediators, sessions, the outcome, follow-ups, closing,
withdrawal and the one extension; replays and refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.mediation import services
from onegrid.mediation.models import Dispute, MediationCommittee, MediatorAssignment, Screening
from support.cases import report
from support.mediation_world import PARTIES, accepted, mediating, walk_in


def test_walk_in_is_numbered_and_keeps_the_parties(world, med):
    dispute = walk_in(world, med)
    assert dispute.number == "TJ202600001"
    assert dispute.state == Dispute.State.REGISTERED
    assert dispute.street_id == world.street.pk
    assert dispute.source == Dispute.Source.WALK_IN
    parties = list(dispute.parties.order_by("pk"))
    assert [p.name for p in parties] == ["张三", "李四"]
    assert parties[1].ethnicity == "回族" and parties[1].age == 38
    assert walk_in(world, med).number == "TJ202600002"


def test_a_retried_registration_returns_the_same_dispute(world, med):
    first = walk_in(world, med, idempotency_key="same")
    again = walk_in(world, med, idempotency_key="same")
    assert again.pk == first.pk and again.replayed
    assert Dispute.objects.count() == 1


def test_acceptance_takes_the_community_committee_and_runs_a_month(world, med):
    dispute = accepted(world, med)
    assert dispute.committee == med.committee
    assert dispute.state == Dispute.State.ACCEPTED
    # Accepted Tuesday 10 March 2026: one month is Friday 10 April, a working day.
    assert dispute.due_on == dt.date(2026, 4, 10)
    again = services.accept(by=med.mediator, dispute=dispute)
    assert again.replayed and again.due_on == dispute.due_on


def test_without_a_community_committee_the_street_committee_takes_it(world, med):
    med.committee.active = False
    med.committee.save()
    dispute = walk_in(world, med, by=med.street_mediator)
    dispute = services.accept(by=med.street_mediator, dispute=dispute)
    assert dispute.committee == med.street_committee


def test_no_committee_at_all_is_a_409_at_committee(world, med):
    MediationCommittee.objects.filter(unit__in=[world.community, world.street]).update(active=False)
    dispute = walk_in(world, med)
    with pytest.raises(Conflict) as refused:
        services.accept(by=med.mediator, dispute=dispute)
    assert refused.value.field == "committee"


def test_decline_with_a_reason(world, med):
    dispute = walk_in(world, med)
    with pytest.raises(InvalidInput) as refused:
        services.decline(by=med.mediator, dispute=dispute, reason="  ")
    assert refused.value.field == "reason"
    dispute = services.decline(by=med.mediator, dispute=dispute, reason="已起诉至法院")
    assert dispute.state == Dispute.State.DECLINED
    with pytest.raises(Conflict):
        services.accept(by=med.mediator, dispute=dispute)


def test_only_the_committees_mediators_act(world, med):
    dispute = walk_in(world, med)
    for outsider in (med.other_mediator, med.judicial, med.admin, world.people.acceptor):
        with pytest.raises(PermissionDenied):
            services.accept(by=outsider, dispute=dispute)


def test_mediators_of_the_committee_only_and_one_lead(world, med):
    dispute = accepted(world, med)
    with pytest.raises(InvalidInput) as refused:
        services.assign_mediators(
            by=med.mediator, dispute=dispute, mediators=[med.other_mediator.pk], lead=None
        )
    assert refused.value.field == "mediators"
    services.assign_mediators(
        by=med.mediator, dispute=dispute, mediators=[med.mediator.pk], lead=med.mediator.pk
    )
    services.assign_mediators(
        by=med.mediator, dispute=dispute, mediators=[med.mediator2.pk], lead=med.mediator2.pk
    )
    rows = {a.mediator_id: a.lead for a in MediatorAssignment.objects.filter(dispute=dispute)}
    assert rows == {med.mediator.pk: False, med.mediator2.pk: True}


def test_a_session_needs_mediators_and_starts_the_mediation(world, med):
    dispute = accepted(world, med)
    values = {
        "by": med.mediator,
        "dispute": dispute,
        "held_at": "2026-03-10T09:00",
        "place": "调解室",
        "notes": "笔录",
        "idempotency_key": "s1",
    }
    with pytest.raises(Conflict):
        services.record_session(**values)
    services.assign_mediators(
        by=med.mediator, dispute=dispute, mediators=[med.mediator.pk], lead=None
    )
    session = services.record_session(**values)
    again = services.record_session(**values)
    assert again.pk == session.pk and again.replayed
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.MEDIATING


def test_agreed_follow_up_and_close(world, med):
    dispute = mediating(world, med)
    dispute = services.mark_agreed(by=med.mediator, dispute=dispute)
    assert dispute.state == Dispute.State.AGREED and dispute.outcome_at == clock.now()
    assert services.mark_agreed(by=med.mediator, dispute=dispute).replayed
    visit = services.record_follow_up(
        by=med.mediator2,
        dispute=dispute,
        visited_at=clock.now(),
        performance="performed",
        idempotency_key="f1",
    )
    assert visit.performance == "performed"
    dispute = services.close(by=med.mediator, dispute=dispute)
    assert dispute.state == Dispute.State.CLOSED and dispute.closed_at is not None


def test_failure_names_the_referral(world, med):
    dispute = mediating(world, med)
    with pytest.raises(InvalidInput) as refused:
        services.fail(by=med.mediator, dispute=dispute, reason="分歧大", referral="court")
    assert refused.value.field == "referral"
    dispute = services.fail(
        by=med.mediator, dispute=dispute, reason="分歧大", referral="litigation"
    )
    assert dispute.state == Dispute.State.FAILED and dispute.referral == "litigation"
    with pytest.raises(Conflict):
        services.record_follow_up(
            by=med.mediator,
            dispute=dispute,
            visited_at=clock.now(),
            performance="performed",
            idempotency_key="f2",
        )


def test_withdrawal_by_the_resident_applicant(world, med):
    resident = world.people.resident
    dispute = services.apply_as_resident(
        by=resident,
        community=world.community,
        type="family",
        title="赡养",
        facts="子女不履行赡养义务",
        parties=PARTIES,
        idempotency_key="r1",
    )
    assert dispute.source == Dispute.Source.RESIDENT
    assert dispute.parties.filter(user=resident).count() == 1
    with pytest.raises(PermissionDenied):
        services.withdraw(by=world.people.worker, dispute=dispute, reason="和好了")
    with pytest.raises(InvalidInput):
        services.withdraw(by=resident, dispute=dispute, reason="  ")
    done = services.withdraw(by=resident, dispute=dispute, reason="已和好")
    assert done.state == Dispute.State.WITHDRAWN
    assert done.withdrawal_reason == "已和好"
    # Again: a replay, the first reason stays.
    again = services.withdraw(by=resident, dispute=dispute, reason="另一理由")
    assert again.replayed and again.withdrawal_reason == "已和好"


def test_only_residents_apply(world, med):
    with pytest.raises(PermissionDenied):
        services.apply_as_resident(
            by=world.people.acceptor,
            community=world.community,
            type="family",
            title="t",
            facts="f",
            parties=PARTIES,
            idempotency_key="r2",
        )


def _case(world):
    return report(world, case_class=world.fight, description="邻里因噪音争吵")


def test_one_dispute_per_case(world, med):
    case = _case(world)
    dispute = services.refer_case(
        by=world.people.acceptor,
        case=case,
        type="neighbour",
        parties=PARTIES,
        idempotency_key="c1",
    )
    assert dispute.case == case and dispute.facts == "邻里因噪音争吵"
    assert dispute.source == Dispute.Source.CASE
    again = services.refer_case(
        by=world.people.acceptor,
        case=case,
        type="neighbour",
        parties=PARTIES,
        idempotency_key="c1",
    )
    assert again.pk == dispute.pk
    with pytest.raises(Conflict) as refused:
        services.refer_case(
            by=med.mediator, case=case, type="neighbour", parties=PARTIES, idempotency_key="c2"
        )
    assert refused.value.field == "case"


def test_who_refers_a_case(world, med):
    case = _case(world)
    for outsider in (world.people.other_acceptor, med.other_mediator, world.people.leader):
        with pytest.raises(PermissionDenied):
            services.refer_case(
                by=outsider, case=case, type="neighbour", parties=PARTIES, idempotency_key="c3"
            )


def test_from_a_screening(world, med):
    screening = Screening.objects.create(
        grid=world.grids[0],
        month=dt.date(2026, 3, 1),
        screened_by=world.people.worker,
        screened_at=clock.now(),
        disputes_found=1,
        risk_level="low",
        stable=True,
    )
    dispute = services.register_from_screening(
        by=world.people.worker,
        screening=screening,
        type="neighbour",
        title="排查发现",
        facts="楼道堆物引发争执",
        parties=PARTIES,
        risk="medium",
        idempotency_key="sc1",
    )
    assert dispute.screening == screening and dispute.grid == world.grids[0]
    with pytest.raises(PermissionDenied):
        services.register_from_screening(
            by=world.people.far_worker,
            screening=screening,
            type="neighbour",
            title="x",
            facts="y",
            parties=PARTIES,
            idempotency_key="sc2",
        )


def test_extend_once(world, med):
    dispute = accepted(world, med)
    with pytest.raises(InvalidInput) as refused:
        services.extend(by=med.mediator, dispute=dispute, reason="需鉴定", until="2026-04-09")
    assert refused.value.field == "until"
    dispute = services.extend(by=med.mediator, dispute=dispute, reason="需鉴定")
    # Another month after Friday 10 April: Sunday 10 May 2026 → Monday 11 May.
    assert dispute.extended_on == dt.date(2026, 5, 11)
    assert services.extend(by=med.mediator, dispute=dispute, reason="需鉴定").replayed
    with pytest.raises(Conflict):
        services.extend(by=med.mediator, dispute=dispute, reason="又要延期")


@pytest.mark.parametrize(
    ("party", "field"),
    [
        ({"name": ""}, "parties[0].name"),
        ({"name": "甲\x00"}, "parties[0].name"),
        ({"name": "甲", "age": "４５"}, "parties[0].age"),
        ({"name": "甲", "age": 10**30}, "parties[0].age"),
        ({"name": "甲", "age": True}, "parties[0].age"),
        ({"name": "甲", "sex": "x"}, "parties[0].sex"),
        ({"name": "甲", "phone": "139\u0660"}, "parties[0].phone"),
        ({"name": "某公司", "kind": "organisation"}, "parties[0].representative"),
        ({"name": "甲", "side": "respondent"}, "parties"),
        ("not a party", "parties[0]"),
    ],
)
def test_odd_parties_are_a_422_at_the_field(world, med, party, field):
    with pytest.raises(InvalidInput) as refused:
        walk_in(world, med, parties=[party])
    assert refused.value.field == field
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"facts": "x" * 8001}, "facts"),
        ({"type": "nope"}, "type"),
        ({"risk": "extreme"}, "risk"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "k" * 65}, "idempotency_key"),
        ({"parties": PARTIES * 11}, "parties"),
    ],
)
def test_odd_registrations_are_a_422_at_the_field(world, med, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        walk_in(world, med, **overrides)
    assert refused.value.field == field


def test_a_future_session_is_refused(world, med):
    dispute = accepted(world, med)
    services.assign_mediators(
        by=med.mediator, dispute=dispute, mediators=[med.mediator.pk], lead=None
    )
    with pytest.raises(InvalidInput) as refused:
        services.record_session(
            by=med.mediator,
            dispute=dispute,
            held_at="2026-03-12T09:00",
            place="p",
            notes="n",
            idempotency_key="fut",
        )
    assert refused.value.field == "held_at"
