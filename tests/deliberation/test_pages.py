"""The deliberation pages: every role against the desk, the topic page and the resident page;
the roll masked and logged; the committee's and the resident's forms; a meeting's file served
only to readers; hostile text shown as text."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from onegrid.deliberation.models import CoSignature, Meeting, Topic, Voter
from onegrid.org.models import PersonalDataRead, Role
from onegrid.org.policies import PAGE_ROLES
from support import deliberation_topics as dt_
from support import deliberation_votes as dv
from support.party_roles import holder

ACCOUNTS = {Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_page(world, role):
    client = dt_.page_client(holder(world, role))
    topic = dv.topic(world.grids[0])
    desk = client.get("/deliberation/").status_code
    assert desk == (200 if role in PAGE_ROLES["deliberation"] else 403), (role, desk)
    readers = PAGE_ROLES["deliberation"] - {Role.COMMUNITY_COMMITTEE}
    page = client.get(f"/deliberation/topics/{topic.pk}/").status_code
    assert page == (200 if role in readers else 403), (role, page)
    mine = client.get("/resident/deliberation/").status_code
    assert mine == (200 if role in ACCOUNTS else 403), (role, mine)


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_the_forms(world, role):
    client = dt_.page_client(holder(world, role))
    topic = dv.topic(world.grids[0], state=Topic.State.SUBMITTED)
    pending = dv.voter(dv.household(world.grids[0]), state=Voter.State.PENDING)
    answers = {
        "check": client.post(
            f"/deliberation/roll/{pending.pk}/check/",
            {"method": "id_card", "adult_resident": "1"},
        ),
        "review": client.post(
            f"/deliberation/topics/{topic.pk}/review/", {"decision": "accept", "note": ""}
        ),
    }
    keeper = role == Role.ADMIN  # bound to the district: the district's administrator
    for name, answer in answers.items():
        if keeper:
            assert answer.status_code == 302, (role, name, answer.status_code)
        else:
            assert answer.status_code in (403, 404), (role, name, answer.status_code)
    pending.refresh_from_db()
    topic.refresh_from_db()
    assert (pending.state == Voter.State.VERIFIED) is keeper
    assert (topic.state == Topic.State.ACCEPTED) is keeper


def test_anonymous_goes_to_sign_in(world):
    for url in ["/deliberation/", "/resident/deliberation/", "/deliberation/topics/1/"]:
        answer = Client().get(url)
        assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_desk_masks_for_readers_and_logs_for_keepers(world):
    committee = dt_.committee(world)
    entry = dv.voter(
        dv.household(world.grids[0]), user=dv.resident("欧阳娜娜"), state=Voter.State.PENDING
    )
    body = dt_.page_client(world.people.leader).get("/deliberation/").content.decode()
    assert "欧***" in body and "欧阳娜娜" not in body and entry.household.name not in body
    assert not PersonalDataRead.objects.exists()
    body = dt_.page_client(committee).get("/deliberation/").content.decode()
    assert "欧阳娜娜" in body and entry.household.name in body
    row = PersonalDataRead.objects.get()
    assert row.kind == "voter" and row.channel == "page" and row.subject_id == str(entry.pk)


def test_committee_desk_flow(world):
    committee = dt_.committee(world)
    client = dt_.page_client(committee)
    entry = dv.voter(dv.household(world.grids[0]), state=Voter.State.PENDING)
    bad = client.post(f"/deliberation/roll/{entry.pk}/check/", {"method": "guess"})
    assert bad.status_code == 400
    assert client.post(f"/deliberation/roll/{entry.pk}/refuse/", {"reason": ""}).status_code == 400
    # Without the committee's word that the applicant is an adult living there: refused.
    unticked = client.post(f"/deliberation/roll/{entry.pk}/check/", {"method": "in_person"})
    assert unticked.status_code == 400
    assert 'data-form="voter-' in unticked.content.decode()
    entry.refresh_from_db()
    assert entry.state == Voter.State.PENDING
    ok = client.post(
        f"/deliberation/roll/{entry.pk}/check/", {"method": "in_person", "adult_resident": "1"}
    )
    assert ok.status_code == 302
    removed = client.post(f"/deliberation/roll/{entry.pk}/remove/", {"reason": "搬走"})
    assert removed.status_code == 302
    entry.refresh_from_db()
    assert entry.state == Voter.State.REMOVED
    raised = client.post(
        "/deliberation/raise/",
        {
            "community": world.community.pk,
            "scope": "community",
            "title": "<script>alert(1)</script>",
            "body": "楼道堆物",
            "key": "desk-1",
        },
    )
    assert raised.status_code == 302
    topic = Topic.objects.get()
    page = client.get(raised["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    nul = client.post(
        "/deliberation/raise/",
        {
            "community": world.community.pk,
            "scope": "community",
            "title": "a\x00",
            "body": "b",
            "key": "k2",
        },
    )
    assert nul.status_code == 400
    declined = client.post(
        f"/deliberation/topics/{topic.pk}/review/", {"decision": "decline", "note": ""}
    )
    assert declined.status_code == 400
    accepted = client.post(f"/deliberation/topics/{topic.pk}/review/", {"decision": "accept"})
    assert accepted.status_code == 302


def test_meeting_minutes_file_and_proposal_on_the_topic_page(world, tmp_path):
    committee = dt_.committee(world)
    (voter,) = dt_.voters(world, 1)
    far = dv.voter(dv.household(world.grids[2]))
    topic = dv.topic(world.grids[0])
    client = dt_.page_client(committee)
    with override_settings(VAR_DIR=tmp_path):
        base = f"/deliberation/topics/{topic.pk}"
        bad = client.post(f"{base}/meetings/", {"held_at": "yesterday", "place": "厅", "key": "m"})
        assert bad.status_code == 400
        made = client.post(
            f"{base}/meetings/", {"held_at": "2026-03-09T19:00", "place": "议事厅", "key": "m"}
        )
        assert made.status_code == 302
        meeting = Meeting.objects.get()
        minutes = client.post(
            f"{base}/meetings/{meeting.pk}/minutes/",
            {"minutes": "一致同意", "participants": "甲\n乙\n丙", "participant_count": "２"},
        )
        assert minutes.status_code == 400  # a full-width digit
        minutes = client.post(
            f"{base}/meetings/{meeting.pk}/minutes/",
            {"minutes": "一致同意", "participants": "甲\n乙\n丙", "participant_count": ""},
        )
        assert minutes.status_code == 302
        meeting.refresh_from_db()
        assert meeting.participant_count == 3
        up = client.post(
            f"{base}/meetings/{meeting.pk}/files/",
            {"file": SimpleUploadedFile("../../etc/passwd.png", PNG)},
        )
        assert up.status_code == 302
        attachment = meeting.attachments.get()
        assert attachment.name == "passwd.png"
        assert (tmp_path / attachment.path).is_file()
        svg = client.post(
            f"{base}/meetings/{meeting.pk}/files/",
            {"file": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>")},
        )
        assert svg.status_code == 400
        url = f"/deliberation/files/{attachment.pk}/"
        got = dt_.page_client(voter.user).get(url)
        assert got.status_code == 200 and got["Content-Type"] == "image/png"
        assert dt_.page_client(far.user).get(url).status_code == 403
        assert dt_.page_client(world.people.other_acceptor).get(url).status_code == 403
        assert client.get("/deliberation/files/999999/").status_code == 404
    proposed = client.post(
        f"{base}/proposals/",
        {"title": "方案一", "body": "加装", "estimated_cost": "1e5", "key": "p"},
    )
    assert proposed.status_code == 400
    proposed = client.post(
        f"{base}/proposals/",
        {"title": "方案一", "body": "加装", "estimated_cost": "100000", "key": "p"},
    )
    assert proposed.status_code == 302
    page = dt_.page_client(voter.user).get(f"{base}/").content.decode()
    assert "方案一" in page and "一致同意" in page and "passwd.png" in page
    # The resident reads but has no committee forms.
    assert 'id="proposal-form"' not in page and 'id="meeting-form"' not in page


def test_resident_pages(world):
    from django.conf import settings

    committee = dt_.committee(world)
    person = dv.resident("居民甲")
    client = dt_.page_client(person)
    flat = dv.household(world.grids[0], "3号楼")
    assert client.get("/resident/").status_code == 200
    assert 'href="/resident/deliberation/"' in client.get("/resident/").content.decode()
    field = client.get("/field/")
    if field.status_code == 200:
        assert "/resident/deliberation/" in field.content.decode()
    bad = client.post("/resident/deliberation/apply/", {"household": "NOPE", "key": "a"})
    assert bad.status_code == 400
    ok = client.post("/resident/deliberation/apply/", {"household": flat.code, "key": "a"})
    assert ok.status_code == 302
    entry = Voter.objects.get(user=person)
    # Not yet checked: no topic may be raised.
    refused = client.post(
        "/resident/deliberation/raise/",
        {"title": "t", "body": "b", "scope": "grid", "key": "r"},
    )
    assert refused.status_code == 403
    dt_.page_client(committee).post(
        f"/deliberation/roll/{entry.pk}/check/", {"method": "id_card", "adult_resident": "1"}
    )
    neighbours = dt_.voters(world, 3, building="3号楼")
    with override_settings(ONEGRID=dict(settings.ONEGRID, DELIBERATION_COSIGN_MIN=2)):
        raised = client.post(
            "/resident/deliberation/raise/",
            {"title": "楼道灯", "body": "不亮", "scope": "building", "key": "r"},
        )
    assert raised.status_code == 302
    topic = Topic.objects.get()
    assert topic.building == "3号楼" and topic.state == Topic.State.COLLECTING
    other = dt_.page_client(neighbours[0].user)
    body = other.get("/resident/deliberation/").content.decode()
    assert "楼道灯" in body
    assert other.post(f"/resident/deliberation/topics/{topic.pk}/cosign/").status_code == 302
    # Again (a double click): the first signature stands, nothing more is counted.
    assert other.post(f"/resident/deliberation/topics/{topic.pk}/cosign/").status_code == 302
    assert CoSignature.objects.filter(topic=topic).count() == 2
    topic.refresh_from_db()
    assert topic.state == Topic.State.SUBMITTED
    # A voter of another grid neither sees nor co-signs it.
    far = dt_.page_client(dv.voter(dv.household(world.grids[1])).user)
    assert "楼道灯" not in far.get("/resident/deliberation/").content.decode()
    assert far.post(f"/resident/deliberation/topics/{topic.pk}/cosign/").status_code == 403
    assert far.get(f"/deliberation/topics/{topic.pk}/").status_code == 403
    # The one who raised it withdraws it from the topic page.
    assert client.post(f"/deliberation/topics/{topic.pk}/withdraw/").status_code == 302
    topic.refresh_from_db()
    assert topic.state == Topic.State.WITHDRAWN


def test_forms_need_csrf(world):
    committee = dt_.committee(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(committee)
    topic = dv.topic(world.grids[0], state=Topic.State.SUBMITTED)
    answer = client.post(f"/deliberation/topics/{topic.pk}/review/", {"decision": "accept"})
    assert answer.status_code == 403
    topic.refresh_from_db()
    assert topic.state == Topic.State.SUBMITTED


def test_admin_is_read_only_and_scoped(world):
    from onegrid.org.models import User

    admin_user = User.objects.create_superuser("root", password="pw-root")
    topic = dv.topic(world.grids[0])
    client = dt_.page_client(admin_user)
    listing = client.get("/admin/deliberation/topic/")
    assert listing.status_code == 200 and topic.number in listing.content.decode()
    assert client.get("/admin/deliberation/topic/add/").status_code == 403
    assert client.get("/admin/deliberation/voter/").status_code == 404  # the roll is not there
    leader = world.people.leader
    leader.is_staff = True
    leader.save()
    far = dt_.committee(world, "far_staff", unit=world.other_street)
    far.is_staff = True
    far.save()
    assert dt_.page_client(leader).get("/admin/deliberation/topic/").status_code == 200
    answer = dt_.page_client(far).get("/admin/deliberation/topic/")
    assert answer.status_code == 200 and topic.number not in answer.content.decode()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTY_MEMBER, Role.GRID_WORKER])
def test_field_app_links_the_resident_pages(world, role):
    body = dt_.page_client(holder(world, role)).get("/field/")
    assert body.status_code == 200
    linked = 'id="link-deliberation"' in body.content.decode()
    assert linked is (role in ACCOUNTS)
