"""The ballots API (/api/v1/deliberation/…ballots…): role × endpoint, the count hidden from
residents until close, a vote with the password and its replay, odd input a 4xx naming the
field, answers in Chinese by default."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from onegrid.core import clock
from onegrid.deliberation.models import Ballot, Decision, Topic
from support.api import token_client
from support.deliberation_votes import new_key, open_online, vote, votes

__all__ = ["votes"]

API = "/api/v1/deliberation"


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _open_body(votes, **extra):
    body = {
        "proposal_id": votes.proposal.pk,
        "mode": "online",
        "counting": "person",
        "closes_at": (clock.now() + dt.timedelta(days=1)).isoformat(),
        "idempotency_key": new_key(),
    }
    body.update(extra)
    return body


def test_the_committee_opens_votes_are_cast_and_the_decision_published(votes):
    committee = token_client(votes.committee)
    body = _open_body(votes, quorum=">=1/2")
    opened = _post(committee, f"{API}/topics/{votes.topic.pk}/ballots", body)
    assert opened.status_code == 200, opened.content
    ballot = opened.json()["ballot"]
    assert ballot["electorate"] == 7 and ballot["quorum"] == ">=1/2"
    assert ballot["majority"] == ">1/2" and ballot["state"] == "open"
    assert ballot["counts_shown"] and ballot["votes_for"] == 0  # the committee's live count
    again = _post(committee, f"{API}/topics/{votes.topic.pk}/ballots", body)
    assert again.json()["replayed"] and again.json()["ballot"]["id"] == ballot["id"]

    alice = votes.voters[0]
    resident = token_client(alice.user)
    vote_body = {"choice": "for", "password": "pw-" + alice.user.username, "idempotency_key": "v1"}
    cast = _post(resident, f"{API}/ballots/{ballot['id']}/vote", vote_body)
    assert cast.status_code == 200, cast.content
    assert cast.json()["choice"] == "for" and not cast.json()["replayed"]
    replay = _post(resident, f"{API}/ballots/{ballot['id']}/vote", vote_body)
    assert replay.status_code == 200 and replay.json()["replayed"]
    second = _post(
        resident, f"{API}/ballots/{ballot['id']}/vote", {**vote_body, "idempotency_key": "v2"}
    )
    assert second.status_code == 409 and second.json()["field"] == "ballot_id"
    assert "already voted" in second.json()["message"]

    seen = resident.get(f"{API}/ballots/{ballot['id']}").json()
    assert seen["my_vote"] == "for" and not seen["may_vote"]
    assert not seen["counts_shown"] and seen["votes_for"] is None  # hidden until close
    live = committee.get(f"{API}/ballots/{ballot['id']}").json()
    assert live["votes_for"] == 1 and live["turnout"] == 1

    for who in votes.voters[1:4]:
        vote(Ballot.objects.get(pk=ballot["id"]), who, "for")
    closed = _post(committee, f"{API}/ballots/{ballot['id']}/close", {})
    assert closed.status_code == 200
    assert closed.json()["ballot"]["result"] == "passed"
    after = resident.get(f"{API}/ballots/{ballot['id']}").json()
    assert after["counts_shown"] and after["votes_for"] == 4 and after["turnout"] == 4
    listed = resident.get(f"{API}/topics/{votes.topic.pk}/ballots").json()
    assert [b["id"] for b in listed] == [ballot["id"]]

    published = _post(
        committee,
        f"{API}/ballots/{ballot['id']}/decision",
        {"text": "加装电梯", "idempotency_key": new_key()},
    )
    assert published.status_code == 200, published.content
    assert published.json()["number"].startswith("JY2026")
    assert Topic.objects.get(pk=votes.topic.pk).state == Topic.State.DECIDED
    assert (
        committee.get(f"{API}/ballots/{ballot['id']}").json()["decision_number"]
        == (published.json()["number"])
    )


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("committee", 200, 200),
        ("acceptor", 200, 403),  # street desk: reads its street's deliberation, keeps nothing
        ("leader", 200, 403),
        ("voter", 200, 403),  # on the community's roll
        ("far", 403, 403),  # on another community's roll
        ("outsider", 403, 403),  # a resident on no roll
        ("city_handler", 403, 403),
    ],
)
def test_role_by_endpoint(votes, who, read, write):
    users = {
        "committee": votes.committee,
        "voter": votes.voters[0].user,
        "far": votes.far.user,
        "outsider": votes.outsider,
    }
    user = users.get(who) or getattr(votes.world.people, who)
    client = token_client(user)
    ballot = open_online(votes)
    assert client.get(f"{API}/ballots/{ballot.pk}").status_code == read
    assert client.get(f"{API}/topics/{votes.topic.pk}/ballots").status_code == read
    Topic.objects.filter(pk=votes.topic.pk).update(state=Topic.State.ACCEPTED)
    opened = _post(
        client,
        f"{API}/topics/{votes.topic.pk}/ballots",
        _open_body(votes, proposal_id=votes.proposal2.pk),
    )
    assert opened.status_code == write, opened.content
    meeting = (
        open_online(votes, mode="meeting", proposal_=votes.proposal2)
        if write != 200
        else Ballot.objects.get(proposal=votes.proposal2)
    )
    if write == 200:
        Ballot.objects.filter(pk=meeting.pk).update(mode="meeting")
    tally = _post(
        client,
        f"{API}/ballots/{meeting.pk}/tally",
        {"present": 3, "votes_for": 3, "votes_against": 0, "abstentions": 0},
    )
    assert tally.status_code == write, tally.content
    # Only a voter on the roll votes.
    cast = _post(
        client,
        f"{API}/ballots/{ballot.pk}/vote",
        {"choice": "against", "password": "pw-" + user.username, "idempotency_key": new_key()},
    )
    assert cast.status_code == (200 if who == "voter" else 403), cast.content
    closed = _post(client, f"{API}/ballots/{ballot.pk}/close", {})
    assert closed.status_code == write
    decision = _post(
        client, f"{API}/ballots/{ballot.pk}/decision", {"text": "x", "idempotency_key": "d"}
    )
    # The committee meets the rule (the ballot did not pass: no decision); the rest are refused.
    assert decision.status_code == (409 if write == 200 else 403)
    assert not Decision.objects.exists()


def test_anonymous_is_401(votes):
    ballot = open_online(votes)
    assert Client().get(f"{API}/ballots/{ballot.pk}").status_code == 401
    assert _post(Client(), f"{API}/ballots/{ballot.pk}/vote", {"choice": "for"}).status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("vote", {"choice": "for", "password": "x", "idempotency_key": "k"}, 403, "password"),
        ("vote", {"choice": "for", "password": "", "idempotency_key": "k"}, 422, "password"),
        (
            "vote",
            {"choice": "for", "password": "pw-{u}", "idempotency_key": ""},
            422,
            "idempotency_key",
        ),
        ("vote", {"choice": "maybe", "password": "pw-{u}", "idempotency_key": "k"}, 422, "choice"),
        (
            "vote",
            {"choice": "for", "password": "pw-{u}", "idempotency_key": "k\x00"},
            422,
            "idempotency_key",
        ),
    ],
)
def test_odd_votes_are_a_4xx_naming_the_field(votes, path, body, status, field):
    ballot = open_online(votes)
    alice = votes.voters[0]
    body = {
        k: (v.format(u=alice.user.username) if isinstance(v, str) else v) for k, v in body.items()
    }
    answer = _post(token_client(alice.user), f"{API}/ballots/{ballot.pk}/{path}", body)
    assert answer.status_code == status, answer.content
    assert answer.json()["field"] == field


@pytest.mark.parametrize("ballot_id", ["٣", "0", "99999999999", "1%00", "abc"])
def test_odd_ids_are_404(votes, ballot_id):
    client = token_client(votes.committee)
    assert client.get(f"{API}/ballots/{ballot_id}").status_code == 404
    assert _post(client, f"{API}/ballots/{ballot_id}/close", {}).status_code == 404


def test_odd_open_input_names_the_field(votes):
    client = token_client(votes.committee)
    url = f"{API}/topics/{votes.topic.pk}/ballots"
    for extra, field in [
        ({"quorum": ">1/0"}, "quorum"),
        ({"majority": "多数"}, "majority"),
        ({"counting": "family"}, "counting"),
        ({"closes_at": (clock.now() - dt.timedelta(hours=1)).isoformat()}, "closes_at"),
    ]:
        answer = _post(client, url, _open_body(votes, **extra))
        assert answer.status_code == 422, answer.content
        assert answer.json()["field"] == field
    assert not Ballot.objects.exists()


def test_refusals_come_in_chinese(votes):
    ballot = open_online(votes)
    alice = votes.voters[0]
    client = token_client(alice.user, language="zh-hans")
    body = {"choice": "for", "password": "wrong", "idempotency_key": new_key()}
    answer = _post(client, f"{API}/ballots/{ballot.pk}/vote", body)
    assert answer.status_code == 403
    assert answer.json() == {"code": "forbidden", "message": "密码不正确。", "field": "password"}
    bad_rule = _post(
        token_client(votes.committee, language="zh-hans"),
        f"{API}/topics/{votes.topic.pk}/ballots",
        _open_body(votes, proposal_id=votes.proposal2.pk, quorum="一半"),
    )
    assert bad_rule.status_code == 422 and "过半数" in bad_rule.json()["message"]
