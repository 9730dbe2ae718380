"""The decision on the topic page (progress for readers, forms for the committee), the case
page's link to it, and the public pages of decisions: on only where the district's public pages
are, no person shown, text escaped."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.cases.models import Case
from onegrid.deliberation import decisions
from onegrid.deliberation.models import Decision, Project
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.residents.public_models import PublicSettings

from .test_decisions import _decision


@pytest.fixture
def committee(world):
    user = User.objects.create_user(
        "committee", password="pw-committee", display_name="居委会张主任"
    )
    RoleAssignment.objects.create(user=user, role=Role.COMMUNITY_COMMITTEE, unit=world.community)
    client = Client()
    client.force_login(user)
    client.user = user  # type: ignore[attr-defined]
    return client


def _topic_url(decision: Decision, tail: str = "") -> str:
    return f"/deliberation/topics/{decision.topic_id}/{tail}"


def test_the_committee_carries_out_a_decision_from_the_topic_page(world, committee):
    decision = _decision(world)
    page = committee.get(_topic_url(decision))
    assert page.status_code == 200
    text = page.content.decode()
    assert "JY202600001" in text and 'id="project-add-form"' in text
    made = committee.post(
        _topic_url(decision, "decision/projects/"),
        {"title": "加装电梯", "budget": "120000", "undertaker": "物业", "key": "k1"},
    )
    assert made.status_code == 302
    project = Project.objects.get()
    assert project.budget == 120000
    refused = committee.post(
        _topic_url(decision, f"decision/projects/{project.pk}/spending/"), {"spent": "-5"}
    )
    assert refused.status_code == 400
    assert f'data-form="project_{project.pk}" data-field="spent"' in refused.content.decode()
    committee.post(
        _topic_url(decision, f"decision/projects/{project.pk}/milestones/"),
        {"milestone": "安装", "due_on": "2026-05-01"},
    )
    milestone = project.milestones.get()
    committee.post(_topic_url(decision, f"decision/milestones/{milestone.pk}/done/"))
    case = committee.post(
        _topic_url(decision, "decision/cases/"),
        {
            "class_code": "A0102",
            "description": "清理楼道",
            "grid_code": world.grids[0].code,
            "address_code": "",
            "key": "c1",
        },
    )
    assert case.status_code == 302
    reported = Case.objects.get()
    committee.post(
        _topic_url(decision, f"decision/projects/{project.pk}/complete/"), {"note": "已完工"}
    )
    text = committee.get(_topic_url(decision)).content.decode()
    assert 'id="progress-milestones">1 / 1' in text
    assert reported.number in text
    decision.refresh_from_db()
    assert decision.state == Decision.State.PUBLISHED  # the case is open
    # The case page links the decision.
    case_page = committee.get(f"/cases/{reported.number}/").content.decode()
    assert 'id="case-decision"' in case_page and "JY202600001" in case_page
    # Closing the case in the loop: the next look at the topic settles the decision.
    Case.objects.filter(pk=reported.pk).update(state="closed")
    text = committee.get(_topic_url(decision)).content.decode()
    decision.refresh_from_db()
    assert decision.state == Decision.State.CARRIED_OUT
    assert 'data-state="carried_out"' in text and 'id="project-add-form"' not in text


def test_a_reader_sees_progress_but_no_forms_and_a_forged_form_is_refused(world, committee):
    decision = _decision(world)
    reader = Client()
    reader.force_login(world.people.acceptor)
    text = reader.get(_topic_url(decision)).content.decode()
    assert 'id="decision-progress"' in text and 'id="project-add-form"' not in text
    forged = reader.post(
        _topic_url(decision, "decision/projects/"), {"title": "x", "budget": "1", "key": "k"}
    )
    assert forged.status_code == 403
    assert not Project.objects.exists()


def test_the_public_pages_of_decisions_follow_the_districts_switch(world, committee):
    decision = _decision(world)
    decision.topic.title = '<script>alert("x")</script>电梯'
    decision.topic.save()
    decisions.add_project(
        actor=committee.user,
        decision=decision,
        title="<b>加装</b>",
        budget="5000",
        idempotency_key="p",
    )
    decisions.report_case_for_decision(
        actor=committee.user,
        decision=decision,
        class_code="A0102",
        description="x",
        grid_code=world.grids[0].code,
        idempotency_key="c",
    )
    anonymous = Client()
    assert anonymous.get("/public/decisions/").status_code == 404  # off
    assert anonymous.get("/public/decisions/JY202600001/").status_code == 404
    PublicSettings.objects.create(district=world.district, enabled=True)
    listing = anonymous.get("/public/decisions/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "JY202600001" in text
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    page = anonymous.get("/public/decisions/JY202600001/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "&lt;b&gt;加装&lt;/b&gt;" in text and "<b>加装" not in text
    assert "5,000.00" in text or "5000.00" in text
    # No person and no case number on the public pages.
    case = Case.objects.get()
    assert case.number not in text
    assert "居委会张主任" not in text and "committee" not in text
    assert anonymous.get("/public/decisions/NOPE/").status_code == 404
    assert anonymous.get("/public/decisions/?page=x").status_code == 400
    nav = anonymous.get("/public/").content.decode()
    assert 'href="/public/decisions/"' in nav


def test_the_decision_forms_need_a_signed_in_keeper(world):
    decision = _decision(world)
    anonymous = Client()
    answer = anonymous.post(
        _topic_url(decision, "decision/projects/"), {"title": "x", "budget": "1", "key": "k"}
    )
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert anonymous.get(_topic_url(decision, "decision/projects/")).status_code in (302, 405)
    resident = Client()
    resident.force_login(world.people.resident)
    assert resident.post(
        _topic_url(decision, "decision/abandon/"), {"reason": "x"}
    ).status_code in (
        403,
        404,
    )
    decision.refresh_from_db()
    assert decision.state == Decision.State.PUBLISHED and not Project.objects.exists()
