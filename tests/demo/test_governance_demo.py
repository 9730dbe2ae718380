"""The demo's 自治 and 法治 (demo.deliberation, demo.mediation) on the small world: made through
the services (nothing refused), with the shapes a visitor will look for, and made once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.test import Client

from onegrid.deliberation import roll_selectors
from onegrid.deliberation.models import (
    Ballot,
    CoSignature,
    Decision,
    Meeting,
    Milestone,
    Project,
    Topic,
    Vote,
    Voter,
)
from onegrid.demo import deliberation, mediation
from onegrid.demo.addresses import load_demo_addresses
from onegrid.demo.people import DEMO_PASSWORD, seed_people
from onegrid.insight.periods import TZ
from onegrid.mediation.models import (
    Agreement,
    Dispute,
    LegalQuestion,
    MediationCommittee,
    Risk,
    Screening,
)
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import AdminUnit, Grid

START = dt.datetime(2026, 2, 1, tzinfo=TZ)
END = START + dt.timedelta(days=30)  # before the world's frozen now (2026-03-10)


@pytest.fixture
def demo(world):
    load_demo_addresses()
    seed_people(DEMO_PASSWORD)  # desks, grid workers (gw-), resident1…5
    made = (
        deliberation.seed_deliberation(start=START, end=END),
        mediation.seed_mediation(start=START, end=END),
    )
    return made


def test_nothing_the_demo_does_is_refused(world, demo):
    d, m = demo
    assert d.made_now and m.made_now
    assert not d.refused, d.refused
    assert not m.refused, m.refused
    assert d.lines() and m.lines()


def test_the_people_of_self_governance_and_rule_of_law(world, demo):
    communities = AdminUnit.objects.filter(level="community")
    streets = AdminUnit.objects.filter(level="street")
    for community in communities:
        assert RoleAssignment.objects.filter(
            role=Role.COMMUNITY_COMMITTEE, unit=community, user__username=f"cc-{community.code}"
        ).exists()
        assert RoleAssignment.objects.filter(role=Role.MEDIATOR, unit=community).exists()
        adviser = RoleAssignment.objects.get(role=Role.LEGAL_ADVISER, unit=community)
        assert adviser.user.username == f"law-{community.parent.code[6:9]}"
    for street in streets:
        assert RoleAssignment.objects.filter(role=Role.JUDICIAL_OFFICE, unit=street).count() == 1
        assert RoleAssignment.objects.filter(role=Role.MEDIATOR, unit=street).count() == 2
    assert RoleAssignment.objects.filter(
        role=Role.JUDICIAL_OFFICE, unit=world.district, user__username="judicial"
    ).exists()
    # A committee for every community and every street, each at its own unit.
    units = set(MediationCommittee.objects.values_list("unit_id", flat=True))
    assert units == {u.pk for u in (*communities, *streets)}
    # The login table's people sign in with the demo password.
    for name in (
        deliberation.committee_login(),
        mediation.mediator_login(),
        mediation.judicial_login(),
        mediation.adviser_login(),
    ):
        assert name is not None
        assert Client().login(username=name, password=DEMO_PASSWORD), name


def test_a_month_of_deliberation(world, demo):
    verified = Voter.objects.filter(state=Voter.State.VERIFIED).select_related("household__grid")
    assert verified.count() >= 10
    for voter in verified:
        assert voter.household.grid.community_id == voter.community_id
        assert voter.checked_by.username == f"cc-{voter.community.code}"
    assert Voter.objects.filter(user__username="resident1", state="verified").exists()
    states = Counter(Topic.objects.values_list("state", flat=True))
    assert states[Topic.State.DECIDED] >= 1
    for topic in Topic.objects.filter(raised_by_staff=False).exclude(state="collecting"):
        assert topic.cosignatures.count() >= topic.cosign_threshold
    for decision in Decision.objects.select_related("ballot", "topic"):
        assert decision.ballot.result == Ballot.Result.PASSED
        assert decision.topic.state == Topic.State.DECIDED
        assert Meeting.objects.filter(topic=decision.topic).exclude(minutes="").exists()
        assert START <= decision.published_at < END
    assert Project.objects.exists()
    assert Milestone.objects.filter(done_at__isnull=False).exists()
    # Online votes come from voters of the topic's place, inside the ballot's window.
    for vote in Vote.objects.select_related("ballot__topic", "voter"):
        assert roll_selectors.voters_in_place(vote.ballot.topic).filter(pk=vote.voter_id).exists()
        assert vote.ballot.opens_at <= vote.cast_at < vote.ballot.closes_at
    assert Vote.objects.exists()
    # One online ballot stays open past the month, for the resident login to vote on.
    open_ballot = Ballot.objects.get(state=Ballot.State.OPEN)
    assert open_ballot.mode == Ballot.Mode.ONLINE and open_ballot.closes_at > END
    # Every step happened inside the month.
    assert not CoSignature.objects.filter(signed_at__gte=END).exists()


def test_a_month_of_mediation_screening_and_advice(world, demo):
    screened = Screening.objects.select_related("grid", "screened_by")
    assert 0 < screened.count() <= Grid.objects.count()
    for row in screened:
        assert row.screened_by.username == f"gw-{row.grid.code}"
        assert row.stable == (row.risk_level in ("none", "low"))
    for risk in Risk.objects.select_related("screening"):
        assert risk.screening is not None and not risk.screening.stable
        # Raised high from the screening: escalated once by the service.
        assert (risk.escalated_at is not None) == (risk.screening.risk_level == "high")
    disputes = Dispute.objects.all()
    assert disputes.exists()
    for dispute in disputes:
        assert dispute.committee is None or dispute.committee.unit_id in (
            dispute.community_id,
            dispute.street_id,
        )
        if dispute.state in (Dispute.State.AGREED, Dispute.State.CLOSED) and (
            dispute.failure_reason == ""
        ):
            assert Agreement.objects.filter(dispute=dispute).exists()
        if dispute.state == Dispute.State.FAILED:
            assert dispute.referral
    for agreement in Agreement.objects.all():
        assert agreement.confirmation_deadline > agreement.effective_on
    assert LegalQuestion.objects.exists()
    for question in LegalQuestion.objects.filter(state="answered"):
        assert question.answered_by.username.startswith("law-")


def test_made_once(world, demo):
    counts = (
        Topic.objects.count(),
        Vote.objects.count(),
        Dispute.objects.count(),
        Screening.objects.count(),
        LegalQuestion.objects.count(),
        User.objects.count(),
    )
    again = (
        deliberation.seed_deliberation(start=START, end=END),
        mediation.seed_mediation(start=START, end=END),
    )
    assert not again[0].made_now and not again[1].made_now
    assert again[0].lines() and again[1].lines()
    assert counts == (
        Topic.objects.count(),
        Vote.objects.count(),
        Dispute.objects.count(),
        Screening.objects.count(),
        LegalQuestion.objects.count(),
        User.objects.count(),
    )


@pytest.mark.parametrize(
    ("start", "end", "month"),
    [
        # The demo's month ends in a month's first days: the month before is screened, in its
        # last week or the grace days after it.
        (dt.datetime(2026, 11, 6, tzinfo=TZ), dt.datetime(2026, 12, 6, tzinfo=TZ), (2026, 11)),
        (dt.datetime(2026, 2, 1, tzinfo=TZ), dt.datetime(2026, 3, 3, tzinfo=TZ), (2026, 2)),
        # It ends late in a month: that month is screened, in its last days before the end.
        (dt.datetime(2026, 11, 20, tzinfo=TZ), dt.datetime(2026, 12, 20, tzinfo=TZ), (2026, 12)),
    ],
)
def test_the_screened_month_and_its_window(start, end, month):
    screened, opens, closes = mediation._screened_month(start, end)
    assert (screened.year, screened.month) == month and screened.day == 1
    assert start <= opens < closes <= end
    # Inside the month screened or the services' grace days after it.
    assert opens.date() >= screened
    assert (closes.date() - screened).days < 31 + 5
