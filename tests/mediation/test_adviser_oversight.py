"""The appointers' page (/legal/advisers/): the judicial office of a street (or the district's,
or an administrator) sees the communities in its reach with their advisers, appoints and
dismisses them by username, and follows the questions open or answered late — without the
question's or the answer's text and without the asker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onegrid.core import clock
from onegrid.mediation import advice
from onegrid.org.models import PersonalDataRead, Role, RoleAssignment
from support.people import person
from support.sra_world import build, key

pytestmark = pytest.mark.django_db
QUESTION = "邻居装修噪音扰民，我可以怎么维权？"
ANSWER = "可依据物权法相邻关系条款协商。"


@pytest.fixture
def sra(world):
    return build(world)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _ask(world, community=None):
    return advice.ask(
        actor=world.people.resident,
        community=(community or world.community).code,
        question=QUESTION,
        idempotency_key=key("q"),
    ).question


def test_the_street_office_sees_its_communities_and_late_answers_without_text(world, sra):
    late_open = _ask(world)
    answered_late = _ask(world)
    on_time = _ask(world)
    far = _ask(world, community=sra.other_community)
    advice.answer(actor=sra.adviser, question=on_time, answer=ANSWER)
    with clock.frozen_at(answered_late.due_at + dt.timedelta(hours=2)):
        advice.answer(actor=sra.adviser, question=answered_late, answer=ANSWER)
    with clock.frozen_at(late_open.due_at + dt.timedelta(days=1)):
        page = _client(sra.judicial).get("/legal/advisers/")
    assert page.status_code == 200
    body = page.content.decode()
    # The communities of its street with their advisers, not another street's.
    assert f'data-community="{world.community.code}"' in body
    assert f'data-community="{sra.other_community.code}"' not in body
    assert f'data-adviser="{sra.adviser.username}"' in body
    # Open or late: the open one and the one answered late, not the one answered on time nor
    # another street's.
    for q, late in ((late_open, "1"), (answered_late, "1")):
        assert f'data-question="{q.pk}" data-late="{late}"' in body
    assert f'data-question="{on_time.pk}"' not in body
    assert f'data-question="{far.pk}"' not in body
    # Never the text, never the asker; and no read of a question is logged.
    assert QUESTION not in body and ANSWER not in body
    assert world.people.resident.username not in body
    assert not PersonalDataRead.objects.filter(kind=PersonalDataRead.Kind.LEGAL_QUESTION).exists()
    # The nav links the page.
    assert 'href="/legal/advisers/"' in body


def test_the_district_office_sees_every_community(world, sra):
    _ask(world, community=sra.other_community)
    body = _client(sra.district_judicial).get("/legal/advisers/").content.decode()
    assert f'data-community="{world.community.code}"' in body
    assert f'data-community="{sra.other_community.code}"' in body


def test_appoint_and_dismiss_through_the_page(world, sra):
    lawyer = person("lawyer_new", Role.LEGAL_ADVISER, unit=sra.other_community)
    client = _client(sra.judicial)
    done = client.post(
        "/legal/advisers/",
        {"action": "appoint", "community": world.community.code, "username": "lawyer_new"},
    )
    assert done.status_code == 302
    held = RoleAssignment.objects.filter(user=lawyer, role=Role.LEGAL_ADVISER, unit=world.community)
    assert held.exists()
    body = client.get("/legal/advisers/").content.decode()
    assert 'data-adviser="lawyer_new"' in body
    gone = client.post(
        "/legal/advisers/",
        {"action": "dismiss", "community": world.community.code, "username": "lawyer_new"},
    )
    assert gone.status_code == 302 and not held.exists()
    again = client.post(
        "/legal/advisers/",
        {"action": "dismiss", "community": world.community.code, "username": "lawyer_new"},
    )
    assert again.status_code == 404 and 'data-field="username"' in again.content.decode()


def test_refusals_are_told_at_the_form(world, sra):
    client = _client(sra.judicial)
    # Another street's community: refused before the username is looked up.
    other = client.post(
        "/legal/advisers/",
        {"action": "appoint", "community": sra.other_community.code, "username": "adviser"},
    )
    assert other.status_code == 403 and 'data-field="username"' in other.content.decode()
    assert not RoleAssignment.objects.filter(user=sra.adviser, unit=sra.other_community)
    unknown = client.post(
        "/legal/advisers/",
        {"action": "appoint", "community": world.community.code, "username": "nobody\x00"},
    )
    assert unknown.status_code == 404
    resident = client.post(
        "/legal/advisers/",
        {
            "action": "appoint",
            "community": world.community.code,
            "username": world.people.resident.username,
        },
    )
    assert resident.status_code == 403
    odd = client.post(
        "/legal/advisers/", {"action": "x", "community": world.community.code, "username": "x"}
    )
    assert odd.status_code in (400, 404)
    missing = client.post("/legal/advisers/", {"action": "appoint", "community": "¹²"})
    assert missing.status_code == 404 and 'data-field="community"' in missing.content.decode()


@pytest.mark.parametrize(
    "who", ["adviser", "committee", "mediator", "resident", "leader", "acceptor"]
)
def test_others_do_not_open_the_page(world, sra, who):
    user = getattr(sra, who, None) or getattr(world.people, who)
    assert _client(user).get("/legal/advisers/").status_code == 403
    assert _client(user).post("/legal/advisers/", {"action": "appoint"}).status_code == 403


def test_the_page_does_not_query_per_row(world, sra):
    client = _client(sra.district_judicial)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/legal/advisers/").status_code == 200
        return len(captured.captured_queries)

    _ask(world)
    before = count()
    for i in range(10):
        _ask(world, community=sra.other_community if i % 2 else None)
        person(f"law_{i}", Role.LEGAL_ADVISER, unit=world.community)
    assert count() <= before
