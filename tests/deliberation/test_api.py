"""The deliberation API (/api/v1/deliberation): every role against the endpoints, the roll
masked and logged, a topic from raising to proposals, odd input as 4xx."""

from __future__ import annotations

import pytest
from django.test import override_settings

from onegrid.deliberation.models import MeetingAttachment, Topic, Voter
from onegrid.org.models import PersonalDataRead, Role
from onegrid.org.policies import PAGE_ROLES
from support import deliberation_topics as dt_
from support import deliberation_votes as dv
from support.api import token_client
from support.party_roles import holder

BASE = "/api/v1/deliberation"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def var_dir(tmp_path):
    with override_settings(VAR_DIR=tmp_path):
        yield tmp_path


def _json(client, url, body):
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_the_endpoints(world, role):
    user = holder(world, role)
    topic = dv.topic(world.grids[0])
    pending = dv.voter(dv.household(world.grids[0]), state=Voter.State.PENDING)
    client = token_client(user)
    staff = role in PAGE_ROLES["deliberation"]
    assert client.get(f"{BASE}/roll").status_code == (200 if staff else 403)
    assert client.get(f"{BASE}/topics").status_code == 200
    assert client.get(f"{BASE}/roll/mine").status_code == 200
    # Bound to the district: staff readers and the district's administrators read it; a
    # committee member bound to the district, or a resident not on the roll, does not.
    readers = PAGE_ROLES["deliberation"] - {Role.COMMUNITY_COMMITTEE}
    expected = 200 if role in readers else 403
    assert client.get(f"{BASE}/topics/{topic.pk}").status_code == expected, role
    # Checking identities: the district's administrators only (a committee member bound to the
    # district keeps nothing).
    answer = _json(client, f"{BASE}/roll/{pending.pk}/check", {"method": "id_card"})
    assert answer.status_code == (200 if role == Role.ADMIN else 403), role
    answer = _json(
        client,
        f"{BASE}/topics/{topic.pk}/proposals",
        {"title": "a", "body": "b", "client_key": "p"},
    )
    assert answer.status_code == (201 if role == Role.ADMIN else 403), role
    # Applying to the roll: resident accounts only.
    answer = _json(
        client, f"{BASE}/roll", {"household": dv.household(world.grids[0]).code, "client_key": "a"}
    )
    own = role in (Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER)
    assert answer.status_code == (201 if own else 403), role


def test_anonymous_is_401(world):
    from django.test import Client

    assert Client().get(f"{BASE}/topics").status_code == 401


def test_roll_masked_for_readers_and_logged_for_keepers(world):
    committee = dt_.committee(world)
    entry = dv.voter(dv.household(world.grids[0]), user=dv.resident("张三丰"))
    leader_rows = token_client(world.people.leader).get(f"{BASE}/roll").json()
    assert leader_rows[0]["name"] == "张**" and leader_rows[0]["household"] == ""
    assert leader_rows[0]["masked"] is True
    assert not PersonalDataRead.objects.filter(kind=PersonalDataRead.Kind.VOTER).exists()
    rows = token_client(committee).get(f"{BASE}/roll").json()
    assert rows[0]["name"] == "张三丰" and rows[0]["household"] == entry.household.name
    logged = PersonalDataRead.objects.get(kind=PersonalDataRead.Kind.VOTER)
    assert logged.user == committee and logged.subject_id == str(entry.pk)
    assert logged.channel == "api"
    # Another street's community committee sees none of it.
    from onegrid.territory.models import AdminUnit

    far = dt_.committee(world, "far", unit=AdminUnit.objects.get(parent=world.other_street))
    assert token_client(far).get(f"{BASE}/roll").json() == []


@override_settings()
def test_a_topic_from_raising_to_proposals(world, var_dir):
    from django.conf import settings

    settings.ONEGRID = dict(settings.ONEGRID, DELIBERATION_COSIGN_MIN=2)
    committee = dt_.committee(world)
    raiser, cosigner, outsider_voter = (
        *dt_.voters(world, 2),
        dv.voter(dv.household(world.grids[2])),
    )
    client = token_client(raiser.user)
    answer = _json(
        client,
        f"{BASE}/topics",
        {"title": "加装电梯", "body": "老人上下楼难", "scope": "community", "client_key": "r1"},
    )
    assert answer.status_code == 201, answer.content
    topic = answer.json()
    assert topic["cosign_count"] == 1 and topic["cosign_threshold"] == 2
    replay = _json(
        client,
        f"{BASE}/topics",
        {"title": "加装电梯", "body": "老人上下楼难", "scope": "community", "client_key": "r1"},
    )
    assert replay.json()["id"] == topic["id"]
    tid = topic["id"]
    assert token_client(outsider_voter.user).get(f"{BASE}/topics/{tid}").status_code == 403
    assert token_client(outsider_voter.user).post(f"{BASE}/topics/{tid}/cosign").status_code == 403
    signed = token_client(cosigner.user).post(f"{BASE}/topics/{tid}/cosign")
    assert signed.status_code == 200
    assert signed.json()["topic"]["state"] == "submitted"
    again = token_client(cosigner.user).post(f"{BASE}/topics/{tid}/cosign")
    assert again.status_code == 200 and again.json()["topic"]["cosign_count"] == 2
    staff = token_client(committee)
    assert _json(staff, f"{BASE}/topics/{tid}/review", {"accept": False}).status_code == 422
    accepted = _json(staff, f"{BASE}/topics/{tid}/review", {"accept": True, "note": "同意"})
    assert accepted.json()["state"] == "accepted"
    meeting = _json(
        staff,
        f"{BASE}/topics/{tid}/meetings",
        {"held_at": "2026-03-09T19:00", "place": "社区议事厅", "client_key": "m1"},
    )
    assert meeting.status_code == 201, meeting.content
    mid = meeting.json()["id"]
    minutes = _json(
        staff,
        f"{BASE}/meetings/{mid}/minutes",
        {"minutes": "同意加装", "participants": "王五 居民代表\n李四 物业"},
    )
    assert minutes.status_code == 200 and minutes.json()["participant_count"] == 2
    upload = staff.post(f"{BASE}/meetings/{mid}/attachments", {"file": _file("签到表.png", PNG)})
    assert upload.status_code == 201, upload.content
    aid = upload.json()["id"]
    stored = MeetingAttachment.objects.get(pk=aid)
    assert (var_dir / stored.path).read_bytes() == PNG
    # Served to those who read the topic; the raiser (on the roll) reads it too.
    got = token_client(raiser.user).get(f"{BASE}/attachments/{aid}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    assert token_client(outsider_voter.user).get(f"{BASE}/attachments/{aid}").status_code == 403
    assert (
        token_client(world.people.other_acceptor).get(f"{BASE}/attachments/{aid}").status_code
        == 403
    )
    # Not a whitelisted type.
    bad = staff.post(f"{BASE}/meetings/{mid}/attachments", {"file": _file("x.html", b"<script>")})
    assert bad.status_code == 422 and bad.json()["field"] == "file"
    proposal = _json(
        staff,
        f"{BASE}/topics/{tid}/proposals",
        {"title": "方案一", "body": "政府补贴", "estimated_cost": "120000.50", "client_key": "p1"},
    )
    assert proposal.status_code == 201 and proposal.json()["estimated_cost"] == "120000.50"
    listed = token_client(raiser.user).get(f"{BASE}/topics/{tid}/proposals").json()
    assert [p["title"] for p in listed] == ["方案一"]
    gone = staff.post(f"{BASE}/proposals/{proposal.json()['id']}/withdraw")
    assert gone.status_code == 200 and gone.json()["withdrawn_at"]
    assert token_client(raiser.user).get(f"{BASE}/topics/{tid}/proposals").json() == []
    assert Topic.objects.get(pk=tid).state == Topic.State.ACCEPTED


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_too_many_and_too_large_files(world, var_dir, monkeypatch):
    from onegrid.deliberation import meetings

    committee = dt_.committee(world)
    topic = dv.topic(world.grids[0])
    staff = token_client(committee)
    mid = _json(
        staff,
        f"{BASE}/topics/{topic.pk}/meetings",
        {"held_at": "2026-03-09 19:00", "place": "议事厅", "client_key": "m"},
    ).json()["id"]
    monkeypatch.setattr(meetings, "MAX_ATTACHMENTS", 2)
    monkeypatch.setattr(meetings, "MAX_ATTACHMENT_BYTES", 100)
    for i in range(2):
        answer = staff.post(
            f"{BASE}/meetings/{mid}/attachments", {"file": _file("a.png", PNG + bytes([i]))}
        )
        assert answer.status_code == 201
    # The same bytes again: the first row, no third file.
    same = staff.post(f"{BASE}/meetings/{mid}/attachments", {"file": _file("b.png", PNG + b"\x00")})
    assert same.status_code == 201
    third = staff.post(f"{BASE}/meetings/{mid}/attachments", {"file": _file("c.png", PNG + b"z")})
    assert third.status_code == 409
    big = staff.post(f"{BASE}/meetings/{mid}/attachments", {"file": _file("d.png", PNG * 3)})
    assert big.status_code == 422 and big.json()["field"] == "file"
    assert MeetingAttachment.objects.count() == 2


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/roll", {"household": "\x00", "client_key": "k"}, None),
        ("/roll", {"household": "A" * 5000, "client_key": "k"}, "household"),
        ("/roll", {"household": "A", "client_key": "k\u0007"}, "idempotency_key"),
        ("/topics", {"title": "t", "body": "b", "scope": "grid"}, "idempotency_key"),
        (
            "/topics/committee",
            {"community_id": 10**30, "title": "t", "body": "b", "scope": "community"},
            None,
        ),
    ],
)
def test_odd_input_is_4xx(world, url, body, field):
    user = dv.resident()
    answer = _json(token_client(user), BASE + url, body)
    assert 400 <= answer.status_code < 500, answer.content
    if field:
        assert answer.json().get("field") == field


@pytest.mark.parametrize("ref", ["0", "-1", "１２", "99999999999999999999999", "abc"])
def test_odd_ids_are_4xx(world, ref):
    client = token_client(world.people.leader)
    for url in [f"/topics/{ref}", f"/topics/{ref}/meetings", f"/attachments/{ref}"]:
        status = client.get(BASE + url).status_code
        assert status in (404, 422), (url, status)
    assert client.post(f"{BASE}/topics/{ref}/cosign").status_code in (403, 404, 422)


def test_bad_state_filter_is_422(world):
    client = token_client(world.people.leader)
    assert client.get(f"{BASE}/topics?state=nope").status_code == 422
    assert client.get(f"{BASE}/roll?state=nope").status_code == 422
