"""The issue-13 pages read a page of rows in a fixed number of queries: the count with many rows
is the count with a few (no query per row: 1+N). Each test counts a page's queries, adds rows of
the kind the page lists, and counts again."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onegrid.core import clock
from onegrid.deliberation.models import (
    Ballot,
    CoSignature,
    Decision,
    Milestone,
    Project,
    Topic,
)
from onegrid.mediation import services as mediation_services
from onegrid.mediation.models import LegalQuestion, Risk, RiskFollowUp
from onegrid.org.models import Role
from onegrid.residents.public_models import PublicSettings
from support import deliberation_votes as dv
from support import mediation_world as mw
from support.people import person

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _counts(client: Client, url: str, add_rows, few: int = 3, many: int = 30) -> tuple[int, int]:
    add_rows(few)
    before = _queries(client, url)
    add_rows(many - few)
    return before, _queries(client, url)


def test_the_committee_desk_does_not_query_per_topic(world):
    member = dv.committee(world)
    flat = dv.household(world.grids[0])
    signers = [dv.voter(dv.household(world.grids[0])) for _ in range(3)]

    def add(n):
        for _ in range(n):
            t = dv.topic(world.grids[0], state=Topic.State.COLLECTING)
            dv.proposal(t)
            for v in signers:
                CoSignature.objects.create(topic=t, voter=v, signed_at=clock.now())
        dv.voter(flat)

    before, after = _counts(_signed_in(member), "/deliberation/", add)
    assert after <= before


def test_a_topic_page_does_not_query_per_proposal_or_signature(world):
    member = dv.committee(world)
    t = dv.topic(world.grids[0], state=Topic.State.ACCEPTED)

    def add(n):
        for _ in range(n):
            dv.proposal(t, f"方案{next(_serial)}")
            CoSignature.objects.create(
                topic=t, voter=dv.voter(dv.household(world.grids[0])), signed_at=clock.now()
            )

    before, after = _counts(_signed_in(member), f"/deliberation/topics/{t.pk}/", add)
    assert after <= before


def test_the_mediation_register_does_not_query_per_dispute(world):
    med = mw.build(world)

    def add(n):
        for _ in range(n):
            mw.accepted(world, med)

    before, after = _counts(_signed_in(med.mediator), "/mediation/", add)
    assert after <= before


def test_a_dispute_page_does_not_query_per_session_or_party(world):
    med = mw.build(world)
    dispute = mw.mediating(world, med)

    def add(n):
        for i in range(n):
            mediation_services.record_session(
                by=med.mediator,
                dispute=dispute,
                held_at=f"2026-03-{(i % 9) + 1:02d}T09:00:00+08:00",
                place="社区调解室",
                attendees="张三、李四",
                notes="再次调解。",
                idempotency_key=mw.key("session"),
            )

    before, after = _counts(_signed_in(med.mediator), f"/mediation/disputes/{dispute.pk}/", add)
    assert after <= before


def test_the_risk_register_does_not_query_per_risk(world):
    reader = person("risk_judicial", Role.JUDICIAL_OFFICE, unit=world.street)
    owner = world.people.worker

    def add(n):
        for i in range(n):
            grid = world.grids[i % 2]
            risk = Risk.objects.create(
                number=f"FX2026{next(_serial):05d}",
                title="风险",
                description="描述",
                level=("high", "medium", "low")[i % 3],
                grid=grid,
                community=grid.community,
                street=grid.community.parent,
                state=Risk.State.OPEN,
                owner=owner,
                raised_at=clock.now() - dt.timedelta(days=3),
            )
            RiskFollowUp.objects.create(
                risk=risk, at=clock.now(), note="跟进", level_before="low", level_after="low"
            )

    before, after = _counts(_signed_in(reader), "/mediation/risks/", add)
    assert after <= before


def test_the_legal_advisers_desk_does_not_query_per_question(world):
    adviser = person("adviser", Role.LEGAL_ADVISER, unit=world.community)

    def add(n):
        for _ in range(n):
            asker = dv.resident(f"asker{next(_serial)}")
            LegalQuestion.objects.create(
                community=world.community,
                asked_by=asker,
                question="邻居占用楼道怎么办？",
                asked_at=clock.now() - dt.timedelta(days=1),
                due_at=clock.now() + dt.timedelta(days=2),
                state=LegalQuestion.State.OPEN,
            )

    before, after = _counts(_signed_in(adviser), "/legal/", add)
    assert after <= before


def test_the_governance_measures_do_not_query_per_row(world):
    reader = person("gov_judicial", Role.JUDICIAL_OFFICE, unit=world.district)
    med = mw.build(world)

    def add(n):
        for _ in range(n):
            mw.accepted(world, med)

    before, after = _counts(_signed_in(reader), "/console/governance/", add)
    assert after <= before


def test_the_public_decisions_page_does_not_query_per_decision_or_project(world):
    PublicSettings.objects.create(district=world.district, enabled=True)

    def add(n):
        for _ in range(n):
            t = dv.topic(world.grids[0], state=Topic.State.DECIDED)
            proposal = dv.proposal(t)
            now = clock.now()
            ballot = Ballot.objects.create(
                topic=t,
                proposal=proposal,
                mode=Ballot.Mode.MEETING,
                counting=Ballot.Counting.PERSON,
                electorate=40,
                opens_at=now - dt.timedelta(days=7),
                closes_at=now - dt.timedelta(days=1),
                state=Ballot.State.CLOSED,
                turnout=30,
                closed_at=now - dt.timedelta(days=1),
            )
            decision = Decision.objects.create(
                number=f"JY2026{next(_serial):05d}",
                topic=t,
                ballot=ballot,
                text="决议正文",
                state=Decision.State.PUBLISHED,
                published_at=clock.now(),
            )
            for j in range(2):
                project = Project.objects.create(
                    decision=decision,
                    title=f"项目{j}",
                    budget=Decimal("1000"),
                    state=Project.State.UNDERWAY,
                    created_at=now,
                )
                Milestone.objects.create(project=project, title="开工", due_on=now.date())

    before, after = _counts(Client(), "/public/decisions/", add)
    assert after <= before
