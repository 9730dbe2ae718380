"""Screening, risks and legal advice: every role against every page and endpoint, the forms
through the pages, odd input at the API, and the links to the pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from onegrid.mediation import advice, risks
from onegrid.mediation.models import LegalQuestion, Risk, Screening
from onegrid.org.models import TEAM_ROLES, PersonalDataRead, Role
from support.api import token_client
from support.people import person
from support.sra_world import key

pytestmark = pytest.mark.django_db

STREET_BOUND = {
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
    Role.JUDICIAL_OFFICE,
    Role.MEDIATOR,
}
COMMUNITY_BOUND = {Role.LEGAL_ADVISER, Role.COMMUNITY_COMMITTEE}
SCREENERS = {Role.GRID_WORKER, Role.GRID_HEAD}
RISK_READERS = SCREENERS | {
    Role.POLICE_OFFICER,
    Role.BUILDING_HEAD,
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
    Role.JUDICIAL_OFFICE,
    Role.LEADER,
    Role.COMMAND_CENTRE,
    Role.MEDIATOR,
}
ASKERS = {Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER}
ALL_ROLES = [r for r in Role.values if r != Role.API_CLIENT]


def holder(world, role: str):
    username = f"h_{role}"
    if role in TEAM_ROLES:
        return person(username, role, grid=world.grids[0])
    if role == Role.DEPT_HANDLER:
        return person(username, role, department=world.city_mgmt)
    if role in STREET_BOUND:
        return person(username, role, unit=world.street)
    if role in COMMUNITY_BOUND:
        return person(username, role, unit=world.community)
    return person(username, role, unit=world.district)


@pytest.fixture
def rows(world):
    risk = risks.raise_risk(
        actor=world.people.worker,
        grid=world.grids[0],
        title="群体性纠纷苗头",
        description="多户对物业收费不满。",
        level="medium",
        owner=world.people.worker,
        idempotency_key=key(),
    ).risk
    question = advice.ask(
        actor=world.people.resident,
        community=world.community.code,
        question="物业不维修电梯，业主可以拒交物业费吗？",
        idempotency_key=key(),
    ).question
    return risk, question


def _page(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_against_every_page(world, rows, role):
    risk, question = rows
    user = holder(world, role)
    client = _page(user)
    expect = {
        "/field/screening/": 200 if role in SCREENERS else 403,
        "/mediation/risks/": 200 if role in RISK_READERS else 403,
        f"/mediation/risks/{risk.pk}/": 200 if role in RISK_READERS else 403,
        "/resident/legal/": 200 if role in ASKERS else 403,
        "/legal/": 200 if role == Role.LEGAL_ADVISER else 403,
        "/legal/advisers/": 200 if role in {Role.JUDICIAL_OFFICE, Role.ADMIN} else 403,
        f"/legal/questions/{question.pk}/": 200 if role == Role.LEGAL_ADVISER else 403,
        f"/resident/legal/{question.pk}/": 404 if role in ASKERS else 403,
    }
    got = {url: client.get(url).status_code for url in expect}
    assert got == expect
    if role == Role.LEGAL_ADVISER:
        # The desk and the question page: two requests, each logged once.
        logged = PersonalDataRead.objects.filter(kind=PersonalDataRead.Kind.LEGAL_QUESTION)
        assert logged.count() == 2 and set(logged.values_list("user_id", flat=True)) == {user.pk}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_against_every_endpoint(world, rows, role):
    risk, question = rows
    client = token_client(holder(world, role))
    reads_risks = role in RISK_READERS
    expect = {
        "/api/v1/mediation/risks": 200 if reads_risks else 403,
        f"/api/v1/mediation/risks/{risk.pk}": 200 if reads_risks else 404,
        "/api/v1/mediation/legal/questions": 200 if role == Role.LEGAL_ADVISER else 403,
        f"/api/v1/mediation/legal/questions/{question.pk}": 200
        if role == Role.LEGAL_ADVISER
        else 404,
        "/api/v1/mediation/legal/questions/mine": 200,
        "/api/v1/mediation/screening/my-grids": 200,
    }
    got = {url: client.get(url).status_code for url in expect}
    assert got == expect
    follow = client.post(
        f"/api/v1/mediation/risks/{risk.pk}/follow-ups",
        data={"note": "走访", "idempotency_key": key()},
        content_type="application/json",
    )
    keeps = role in SCREENERS | STREET_BOUND - {Role.MEDIATOR}
    assert follow.status_code == (201 if keeps else 403 if reads_risks else 404)
    answer = client.post(
        f"/api/v1/mediation/legal/questions/{question.pk}/answer",
        data={"answer": "可以依法主张。"},
        content_type="application/json",
    )
    assert answer.status_code == (200 if role == Role.LEGAL_ADVISER else 404)


def test_the_asker_reads_their_question_and_others_do_not(world, rows):
    _risk, question = rows
    mine = token_client(world.people.resident).get(
        f"/api/v1/mediation/legal/questions/{question.pk}"
    )
    assert mine.status_code == 200 and mine.json()["question"].startswith("物业")
    assert _page(world.people.resident).get(f"/resident/legal/{question.pk}/").status_code == 200
    stranger = person("stranger", Role.RESIDENT, unit=world.district)
    assert _page(stranger).get(f"/resident/legal/{question.pk}/").status_code == 404
    assert token_client(stranger).get("/api/v1/mediation/legal/questions/mine").json() == []
    superuser = person("root", Role.ADMIN, unit=world.district)
    superuser.is_superuser = True
    superuser.save()
    assert _page(superuser).get(f"/legal/questions/{question.pk}/").status_code == 404


def test_screening_through_the_page(world):
    client = _page(world.people.worker)
    page = client.get("/field/screening/")
    assert world.grids[0].code in page.content.decode()
    form = {
        "grid": world.grids[0].code,
        "month": "2026-03",
        "disputes_found": "2",
        "risk_level": "high",
        "stable": "unstable",
        "note": "<script>alert(1)</script>",
        "idempotency_key": "page-key",
    }
    done = client.post("/field/screening/", form)
    assert done.status_code == 302
    row = Screening.objects.get()
    assert (row.disputes_found, row.risk_level, row.stable) == (2, "high", False)
    assert client.post("/field/screening/", form).status_code == 302  # the same key replays
    assert Screening.objects.count() == 1
    again = client.post("/field/screening/", {**form, "idempotency_key": "other"})
    assert again.status_code == 409
    shown = client.get(f"/field/screening/?done={row.pk}").content.decode()
    assert "<script>alert(1)</script>" not in shown
    assert f"/field/screening/{row.pk}/dispute/" in shown
    risk_page = client.post(
        f"/field/screening/{row.pk}/risk/",
        {"title": "上访苗头", "description": "多户聚集", "level": "high", "idempotency_key": "rk"},
    )
    assert risk_page.status_code == 302
    assert Risk.objects.get(screening=row).escalated_at is not None
    other = _page(world.people.worker2)
    assert other.get(f"/field/screening/{row.pk}/risk/").status_code == 404


def test_risk_pages_forms(world, rows):
    risk, _question = rows
    leader = _page(world.people.leader)
    body = leader.get(f"/mediation/risks/{risk.pk}/").content.decode()
    assert "follow-up-form" not in body
    refused = leader.post(
        f"/mediation/risks/{risk.pk}/follow-up/", {"note": "x", "idempotency_key": "a"}
    )
    assert refused.status_code == 403
    worker = _page(world.people.worker)
    assert "follow-up-form" in worker.get(f"/mediation/risks/{risk.pk}/").content.decode()
    moved = worker.post(
        f"/mediation/risks/{risk.pk}/follow-up/",
        {"note": "已走访", "level": "high", "idempotency_key": "b"},
    )
    assert moved.status_code == 302
    risk.refresh_from_db()
    assert risk.level == "high" and risk.escalated_at is not None
    bad = worker.post(f"/mediation/risks/{risk.pk}/resolve/", {"resolution": "a\x00b"})
    assert bad.status_code == 422
    assert (
        worker.post(f"/mediation/risks/{risk.pk}/resolve/", {"resolution": "化解"}).status_code
        == 302
    )
    assert worker.get("/mediation/risks/?state=resolved").content.decode().count(risk.number) == 1
    made = worker.post(
        "/mediation/risks/new/",
        {
            "grid": world.grids[0].code,
            "title": "新风险",
            "description": "说明",
            "level": "low",
            "owner": "",
            "idempotency_key": "n1",
        },
    )
    assert made.status_code == 302
    assert worker.get("/mediation/risks/999999999999999999999/").status_code == 404


def test_legal_pages_ask_and_answer(world, rows):
    adviser = person("adviser", Role.LEGAL_ADVISER, unit=world.community)
    resident = _page(world.people.resident)
    asked = resident.post(
        "/resident/legal/",
        {
            "community": world.community.code,
            "question": "租房押金不退怎么办？",
            "idempotency_key": "q1",
        },
    )
    assert asked.status_code == 302
    q = LegalQuestion.objects.get(idempotency_key="q1")
    odd = resident.post(
        "/resident/legal/",
        {"community": world.community.code, "question": "x\x00y", "idempotency_key": "q2"},
    )
    assert odd.status_code == 422
    desk = _page(adviser)
    assert "租房押金" in desk.get("/legal/").content.decode()
    answered = desk.post(
        f"/legal/questions/{q.pk}/",
        {"answer": "可依据合同约定要求返还。", "legal_basis": "《民法典》第七百零三条"},
    )
    assert answered.status_code == 302
    page = resident.get(f"/resident/legal/{q.pk}/").content.decode()
    assert "可依据合同约定要求返还" in page and "第七百零三条" in page


def test_api_odd_input_and_conflict(world):
    client = token_client(world.people.worker)
    base = {
        "grid": world.grids[0].code,
        "disputes_found": 0,
        "risk_level": "none",
        "stable": True,
        "idempotency_key": "api-1",
    }
    url = "/api/v1/mediation/screenings"

    def post(body):
        return client.post(url, data=json.dumps(body), content_type="application/json")

    for bad in (
        {"disputes_found": "3"},
        {"disputes_found": 10**30},
        {"disputes_found": 1.5},
        {"stable": "yes"},
        {"note": "a\x00b"},
        {"month": "２０２６-03"},
        {"month": "2026-13"},
        {"risk_level": "x"},
    ):
        answer = post({**base, **bad})
        assert answer.status_code == 422, (bad, answer.content)
    assert post(base).status_code == 201
    assert post(base).status_code == 200
    conflict = post({**base, "idempotency_key": "api-2"})
    assert conflict.status_code == 409 and conflict.json()["field"] == "month"
    assert post({**base, "grid": world.grids[2].code, "idempotency_key": "x"}).status_code == 403
    assert post({**base, "grid": "nope", "idempotency_key": "y"}).status_code == 404


def test_links(world):
    assert 'id="link-screening"' in _page(world.people.worker).get("/field/").content.decode()
    assert (
        'id="legal-advice-link"' in _page(world.people.resident).get("/resident/").content.decode()
    )


def test_registering_a_found_dispute_through_the_page(world):
    from onegrid.mediation.models import Dispute, MediationType

    MediationType.objects.get_or_create(code="neighbour", defaults={"name": "邻里纠纷"})
    client = _page(world.people.worker)
    client.post(
        "/field/screening/",
        {
            "grid": world.grids[0].code,
            "disputes_found": "1",
            "risk_level": "low",
            "stable": "stable",
            "idempotency_key": "s-page",
        },
    )
    row = Screening.objects.get()
    form = client.get(f"/field/screening/{row.pk}/dispute/")
    assert form.status_code == 200 and 'name="applicant_name"' in form.content.decode()
    refused = client.post(
        f"/field/screening/{row.pk}/dispute/",
        {
            "type": "neighbour",
            "title": "",
            "facts": "x",
            "applicant_name": "张三",
            "idempotency_key": "d1",
        },
    )
    assert refused.status_code == 422 and 'data-field="title"' in refused.content.decode()
    done = client.post(
        f"/field/screening/{row.pk}/dispute/",
        {
            "type": "neighbour",
            "title": "楼道堆物",
            "facts": "两户争执",
            "applicant_name": "张三",
            "respondent_name": "李四",
            "risk": "low",
            "idempotency_key": "d2",
        },
    )
    assert done.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.source == "screening" and dispute.parties.count() == 2


def test_the_tick_command(world, rows):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("mediation", "tick", stdout=out)
    assert "0" in out.getvalue()
