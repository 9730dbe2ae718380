"""The Party API (/api/v1/party/): every role against every endpoint, masking and the access
log, writes by Party-organisation staff, hostile input."""

from __future__ import annotations

import json

import pytest

from onegrid.org.models import PersonalDataRead, Role
from onegrid.party.models import Member, Membership
from support.api import token_client
from support.party_roles import TREE_READERS, holder

Kind = PersonalDataRead.Kind


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_read_endpoint(party, world, role):
    client = token_client(holder(world, role))
    urls = [
        "/api/v1/party/organisations",
        f"/api/v1/party/organisations/{party.grid_group.pk}",
        f"/api/v1/party/organisations/{party.grid_group.pk}/members",
    ]
    for url in urls:
        status = client.get(url).status_code
        assert status == (200 if role in TREE_READERS else 403), (role, url, status)
    members = client.get(urls[2])
    if role in TREE_READERS:
        [row] = members.json()
        # Only Party-organisation staff (bound to the district here) read who is a member.
        assert row["masked"] is (role != Role.PARTY_STAFF)
        assert row["name"] == ("张三" if role == Role.PARTY_STAFF else "张*")
        assert row["phone"] == ("13912345678" if role == Role.PARTY_STAFF else "139****5678")
    logged = PersonalDataRead.objects.filter(kind=Kind.PARTY_MEMBERSHIP, channel="api")
    # A member's own history: only who reads Party membership finds them at all.
    history = client.get(f"/api/v1/party/members/{party.member.pk}").status_code
    expected = 200 if role == Role.PARTY_STAFF else 404 if role in TREE_READERS else 403
    assert history == expected, (role, history)
    # One row for each unmasked answer: the members twice, the member's history once.
    assert logged.count() == (3 if role == Role.PARTY_STAFF else 0)


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_write_endpoint(party, world, role):
    client = token_client(holder(world, role))
    join = client.post(
        f"/api/v1/party/organisations/{party.grid_group.pk}/members",
        {"name": "李四", "category": "in_service"},
        content_type="application/json",
    )
    transfer = client.post(
        f"/api/v1/party/members/{party.member.pk}/transfer",
        {"to": party.firm.pk, "reason": "工作调动"},
        content_type="application/json",
    )
    leave = client.post(
        f"/api/v1/party/members/{party.member.pk}/leave",
        {"end": "left"},
        content_type="application/json",
    )
    if role == Role.PARTY_STAFF:
        assert (join.status_code, transfer.status_code, leave.status_code) == (201, 201, 200)
        assert Membership.objects.filter(member=party.member).count() == 2
    else:
        # Tree readers are refused (403); the rest may not even read the tree (403); the member
        # is not found by those who may not read membership (404).
        assert join.status_code == 403, role
        assert transfer.status_code in (403, 404), role
        assert leave.status_code in (403, 404), role
        assert Member.objects.count() == 1
        assert Membership.objects.filter(member=party.member).count() == 1


def test_party_staff_of_another_street_neither_read_nor_write_here(party):
    client = token_client(party.other_staff)
    assert client.get(f"/api/v1/party/organisations/{party.grid_group.pk}").status_code == 404
    ids = {o["id"] for o in client.get("/api/v1/party/organisations").json()}
    assert ids == {party.other_street.pk}
    answer = client.post(
        f"/api/v1/party/members/{party.member.pk}/leave", {}, content_type="application/json"
    )
    assert answer.status_code == 404


def test_street_staff_see_their_street_and_count_members(party, world):
    client = token_client(world.people.acceptor)
    rows = {o["code"]: o for o in client.get("/api/v1/party/organisations").json()}
    assert set(rows) == {"S1", "C1", "G1", "U1"}
    assert rows["G1"]["member_count"] == 1
    assert rows["G1"]["grid_code"] == world.grids[0].code


def test_a_retried_join_replays_the_first(party):
    client = token_client(party.street_staff)
    body = {"name": "王五", "category": "retired", "client_key": "k-1"}
    url = f"/api/v1/party/organisations/{party.community.pk}/members"
    first = client.post(url, body, content_type="application/json")
    second = client.post(url, body, content_type="application/json")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Member.objects.filter(name="王五").count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/party/organisations/99999999999999999999999",
        "/api/v1/party/organisations/-1",
        "/api/v1/party/organisations/%EF%BC%91",  # a full-width digit one
        "/api/v1/party/organisations/1%00/members",
    ],
)
def test_odd_ids_are_not_found(party, url):
    assert token_client(party.street_staff).get(url).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a\x00b", "category": "retired"},
        {"name": "x" * 5000, "category": "retired"},
        {"name": "赵六", "category": "nope"},
        {"name": "赵六", "category": "retired", "phone": "１３９"},
        {"name": "赵六", "category": "retired", "started_on": "9999-12-31"},
        {"name": "赵六", "category": "retired", "client_key": "k" * 500},
    ],
)
def test_hostile_join_is_refused_and_changes_nothing(party, body):
    client = token_client(party.street_staff)
    answer = client.post(
        f"/api/v1/party/organisations/{party.community.pk}/members",
        json.dumps(body),
        content_type="application/json",
    )
    assert 400 <= answer.status_code < 500
    assert Member.objects.count() == 1


def test_transfer_to_a_huge_or_same_organisation_is_refused(party):
    client = token_client(party.street_staff)
    url = f"/api/v1/party/members/{party.member.pk}/transfer"
    for to in (2**70, party.grid_group.pk, 0):
        answer = client.post(url, {"to": to, "reason": "x"}, content_type="application/json")
        assert 400 <= answer.status_code < 500, to
    assert Membership.objects.count() == 1


def test_a_members_history_is_for_party_staff_of_their_place_and_logged(party, world):
    from onegrid.party import services

    services.transfer(actor=party.street_staff, member=party.member, to=party.firm, reason="调动")
    url = f"/api/v1/party/members/{party.member.pk}"
    answer = token_client(party.street_staff).get(url)
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "张三" and body["organisation_id"] == party.firm.pk
    assert [(m["start"], m["end"]) for m in body["memberships"]] == [
        ("joined", "transferred_out"),
        ("transferred_in", ""),
    ]
    assert PersonalDataRead.objects.filter(kind=Kind.PARTY_MEMBERSHIP, channel="api").count() == 1
    assert token_client(world.people.leader).get(url).status_code == 404
    assert token_client(party.other_staff).get(url).status_code == 404
    assert token_client(world.people.resident).get(url).status_code == 403
