"""The decision API: progress for readers, projects, milestones, spending, cases and abandoning
for the committee; 4xx naming the field for odd input; 404 outside the reader's reach."""

from __future__ import annotations

import json

import pytest

from onegrid.deliberation.models import Decision
from onegrid.org.models import Role, RoleAssignment, User
from support.api import token_client

from .test_decisions import _decision


@pytest.fixture
def api(world):
    member = User.objects.create_user("committee", password="pw-committee")
    RoleAssignment.objects.create(user=member, role=Role.COMMUNITY_COMMITTEE, unit=world.community)
    return token_client(member)


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


BASE = "/api/v1/deliberation"


def test_the_committee_carries_a_decision_out_through_the_api(world, api):
    _decision(world)
    made = _post(
        api,
        f"{BASE}/decisions/JY202600001/projects",
        {"title": "加装电梯", "budget": "120000", "undertaker": "物业", "idempotency_key": "p1"},
    )
    assert made.status_code == 201, made.content
    project = made.json()
    assert project["budget"] == "120000.00" and project["state"] == "planned"
    replay = _post(
        api,
        f"{BASE}/decisions/JY202600001/projects",
        {"title": "加装电梯", "budget": "120000", "idempotency_key": "p1"},
    )
    assert replay.status_code == 200 and replay.json()["id"] == project["id"]
    pid = project["id"]
    ms = _post(api, f"{BASE}/projects/{pid}/milestones", {"title": "安装", "due_on": "2026-05-01"})
    assert ms.status_code == 201
    mid = ms.json()["milestones"][0]["id"]
    assert _post(api, f"{BASE}/milestones/{mid}/done", {"note": ""}).status_code == 200
    spent = _post(api, f"{BASE}/projects/{pid}/spending", {"spent": 80000.5})
    assert spent.json()["spent"] == "80000.50" and spent.json()["state"] == "underway"
    case = _post(
        api,
        f"{BASE}/decisions/JY202600001/cases",
        {
            "class_code": "A0102",
            "description": "清理楼道",
            "grid_code": world.grids[0].code,
            "idempotency_key": "c1",
        },
    )
    assert case.status_code == 201, case.content
    detail = api.get(f"{BASE}/decisions/JY202600001").json()
    assert (detail["milestones_done"], detail["milestones_total"]) == (1, 1)
    assert (detail["budget"], detail["spent"]) == ("120000.00", "80000.50")
    assert (detail["cases_open"], detail["cases_closed"]) == (1, 0)
    assert detail["cases"][0]["number"] == case.json()["number"]
    done = _post(api, f"{BASE}/projects/{pid}/complete", {"note": "已完工"})
    assert done.json()["state"] == "completed"
    assert Decision.objects.get().state == Decision.State.PUBLISHED  # the case is still open


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "budget": "-3", "idempotency_key": "a"}, "budget"),
        ({"title": "x", "budget": "1e12", "idempotency_key": "a"}, "budget"),
        ({"title": "x", "budget": 1e300, "idempotency_key": "a"}, "budget"),
        ({"title": "x", "budget": "１２", "idempotency_key": "a"}, "budget"),
        ({"title": "x", "budget": True, "idempotency_key": "a"}, "budget"),
        ({"title": "x", "budget": None, "idempotency_key": "a"}, "budget"),
        ({"title": "", "budget": "3", "idempotency_key": "a"}, "title"),
        ({"title": "x" * 101, "budget": "3", "idempotency_key": "a"}, "title"),
        ({"title": "x\u202e", "budget": "3", "idempotency_key": "a"}, None),
        ({"title": "x", "budget": "3"}, "idempotency_key"),
    ],
)
def test_odd_input_is_a_4xx_naming_the_field(world, api, body, field):
    _decision(world)
    answer = _post(api, f"{BASE}/decisions/JY202600001/projects", body)
    if field is None:  # a format character is text
        assert answer.status_code == 201
        return
    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == field


def test_outsiders_get_404_and_readers_cannot_write(world, api):
    _decision(world)
    other = token_client(world.people.other_acceptor)
    assert other.get(f"{BASE}/decisions/JY202600001").status_code == 404
    reader = token_client(world.people.acceptor)
    assert reader.get(f"{BASE}/decisions/JY202600001").status_code == 200
    refused = _post(
        reader,
        f"{BASE}/decisions/JY202600001/projects",
        {"title": "x", "budget": "1", "idempotency_key": "a"},
    )
    assert refused.status_code == 403
    assert api.get(f"{BASE}/decisions/NOPE").status_code == 404
    assert [d["number"] for d in api.get(f"{BASE}/decisions").json()] == ["JY202600001"]
    assert other.get(f"{BASE}/decisions").json() == []
