"""/api/v1/notifications/: the list, the bell's count, marking read and preferences, each the
caller's own only (another's notification is a 404), bad input a 422 naming the field."""

from __future__ import annotations

import json

import pytest

from onegrid.notify.models import Notification, Preference
from support.api import token_client
from support.cases import report
from support.notify_ui import notify

URL = "/api/v1/notifications/"


def test_the_list_is_mine_newest_first_with_the_unread_count(world):
    p = world.people
    case = report(world)
    notify(p.acceptor, title="older", minutes=-1, read=True)
    notify(p.acceptor, title="<b>newer</b>", case=case, url=f"/cases/{case.number}/")
    notify(p.dispatcher, title="not mine")
    client = token_client(p.acceptor)
    answer = client.get(URL)
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2 and body["unread"] == 1 and body["pages"] == 1
    assert [i["title"] for i in body["items"]] == ["<b>newer</b>", "older"]
    first = body["items"][0]
    assert first["case_number"] == case.number and first["url"] == f"/cases/{case.number}/"
    assert first["kind_label"] == "A case came to my desk"
    assert first["created_at"].endswith("+08:00")
    assert client.get(URL, {"unread": "true"}).json()["count"] == 1
    assert client.get(f"{URL}unread").json() == {"unread": 1}


def test_paging_is_bounded(world):
    p = world.people
    for i in range(3):
        notify(p.acceptor, minutes=i)
    client = token_client(p.acceptor)
    page = client.get(URL, {"page_size": 2, "page": 2}).json()
    assert page["pages"] == 2 and len(page["items"]) == 1
    for bad in ({"page_size": 1000}, {"page": 0}, {"page": "２"}, {"page_size": "1e9"}):
        refused = client.get(URL, bad)
        assert refused.status_code == 422, bad
        assert refused.json()["field"] == next(iter(bad))


def test_someone_elses_notification_is_a_404_even_by_id(world):
    p = world.people
    theirs = notify(p.dispatcher)
    client = token_client(p.acceptor)
    for answer in (
        client.get(f"{URL}{theirs.pk}"),
        client.post(f"{URL}{theirs.pk}/read"),
        client.post(f"{URL}not-an-id/read"),
    ):
        assert answer.status_code == 404
        assert answer.json()["field"] == "notification_id"
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_marking_read_is_idempotent(world):
    p = world.people
    n = notify(p.acceptor)
    later = notify(p.acceptor, minutes=1)
    client = token_client(p.acceptor)
    first = client.post(f"{URL}{n.pk}/read").json()
    assert first["read_at"] is not None
    assert client.post(f"{URL}{n.pk}/read").json()["read_at"] == first["read_at"]
    marked = client.post(
        f"{URL}read-all", json.dumps({"up_to": str(n.pk)}), content_type="application/json"
    ).json()
    assert marked == {"marked": 0, "unread": 1}
    everything = client.post(f"{URL}read-all", "{}", content_type="application/json")
    assert everything.json() == {"marked": 1, "unread": 0}
    assert Notification.objects.get(pk=later.pk).read_at is not None
    refused = client.post(
        f"{URL}read-all", json.dumps({"up_to": "yesterday"}), content_type="application/json"
    )
    assert refused.status_code == 422 and refused.json()["field"] == "up_to"


def test_anonymous_callers_are_refused(world):
    from django.test import Client

    assert Client().get(f"{URL}unread").status_code == 401


def test_preferences_read_and_replace(world):
    p = world.people
    client = token_client(p.dispatcher)
    got = client.get(f"{URL}preferences").json()
    kinds = {k["kind"]: k for k in got["kinds"]}
    assert kinds["overdue"]["channels"] == ["sms"] and got["quiet_start"] is None
    assert got["sms_possible"] is True and got["email_possible"] is False
    body = {
        "channels": {"overdue": [], "to_my_desk": ["sms"]},
        "quiet_start": "22:30",
        "quiet_end": "06:45",
    }
    put = client.put(f"{URL}preferences", json.dumps(body), content_type="application/json")
    assert put.status_code == 200, put.content
    saved = {k["kind"]: k["channels"] for k in put.json()["kinds"]}
    assert saved["overdue"] == [] and saved["to_my_desk"] == ["sms"]
    assert (put.json()["quiet_start"], put.json()["quiet_end"]) == ("22:30", "06:45")
    assert client.get(f"{URL}preferences").json() == put.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"channels": {"overdue": ["email"]}}, "channels.overdue"),
        ({"channels": {"bogus": []}}, "channels.bogus"),
        ({"channels": {"overdue": "sms"}}, "channels.overdue"),
        ({"channels": [], "quiet_start": "22:00"}, "channels"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": 2200, "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00\u0000", "quiet_end": "07:00"}, "quiet_start"),
        (-76, "body"),
        ([], "body"),
    ],
)
def test_bad_preferences_are_a_422_naming_the_field_and_change_nothing(world, body, field):
    p = world.people
    client = token_client(p.dispatcher)
    answer = client.put(f"{URL}preferences", json.dumps(body), content_type="application/json")
    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == field
    assert not Preference.objects.filter(user=p.dispatcher).exists()


def test_a_page_session_calls_the_api_with_its_csrf_token(world):
    from support.web import client_for

    p = world.people
    notify(p.acceptor)
    client = client_for(world, "acceptor")
    assert client.get(f"{URL}unread").json() == {"unread": 1}


def test_read_all_takes_an_object(world):
    notify(world.people.acceptor)
    client = token_client(world.people.acceptor)
    for body in (b"", b"-76", b"[]", b'"x"'):
        answer = client.generic("POST", f"{URL}read-all", body, content_type="application/json")
        assert answer.status_code in (400, 422), body
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
