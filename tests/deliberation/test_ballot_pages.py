"""The ballot forms on the topic page (web/deliberation/_ballots.html): the committee opens a
vote, residents vote with their password and see "you voted", the count hidden from residents
until close, a meeting's tally, close and the decision; refusals at the form or the 403 page."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client

from onegrid.core import clock
from onegrid.deliberation.models import Ballot, Decision, Topic, Vote
from support.deliberation_votes import new_key, open_online, vote, votes

__all__ = ["votes"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _topic_url(votes):
    return f"/deliberation/topics/{votes.topic.pk}/"


def _ballot_url(votes, ballot, action):
    return f"/deliberation/topics/{votes.topic.pk}/ballots/{ballot.pk}/{action}/"


def test_the_committee_opens_a_vote_from_the_topic_page(votes):
    committee = _client(votes.committee)
    page = committee.get(_topic_url(votes))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-form="ballot_open"' in html and votes.proposal.title in html
    closes = (clock.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "proposal": votes.proposal.pk,
        "mode": "online",
        "counting": "household",
        "closes_at": closes,
        "quorum": "",
        "majority": ">=2/3",
        "key": new_key(),
    }
    done = committee.post(f"/deliberation/topics/{votes.topic.pk}/ballots/", form)
    assert done.status_code == 302
    ballot = Ballot.objects.get()
    assert ballot.counting == "household" and ballot.majority_numerator == 2
    assert ballot.electorate == 5
    # The same form again (a double submit) opens nothing more.
    committee.post(f"/deliberation/topics/{votes.topic.pk}/ballots/", form)
    assert Ballot.objects.count() == 1
    page = committee.get(_topic_url(votes)).content.decode()
    assert f'data-ballot="{ballot.pk}"' in page and 'data-form="close"' in page


def test_a_bad_rule_is_shown_at_the_form(votes):
    committee = _client(votes.committee)
    form = {
        "proposal": votes.proposal.pk,
        "mode": "online",
        "counting": "person",
        "closes_at": (clock.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "quorum": "一半",
        "key": new_key(),
    }
    page = committee.post(f"/deliberation/topics/{votes.topic.pk}/ballots/", form)
    assert page.status_code == 400
    assert re.search(r'data-form="ballot_open" data-field="quorum"', page.content.decode())
    assert not Ballot.objects.exists()


def test_a_resident_votes_with_the_password_and_sees_the_count_after_close(votes):
    ballot = open_online(votes)
    alice = votes.voters[0]
    resident = _client(alice.user)
    page = resident.get(_topic_url(votes)).content.decode()
    assert 'data-form="vote"' in page and "data-counts-hidden" in page
    wrong = resident.post(
        _ballot_url(votes, ballot, "vote"),
        {"choice": "for", "password": "nope", "key": "k1"},
    )
    assert wrong.status_code == 400
    body = wrong.content.decode()
    assert 'data-field="password"' in body and "nope" not in body
    assert not Vote.objects.exists()
    right = {"choice": "for", "password": "pw-" + alice.user.username, "key": "k2"}
    assert resident.post(_ballot_url(votes, ballot, "vote"), right).status_code == 302
    assert resident.post(_ballot_url(votes, ballot, "vote"), right).status_code == 302  # replay
    assert Vote.objects.count() == 1
    page = resident.get(_topic_url(votes)).content.decode()
    assert 'data-my-vote="for"' in page and 'data-form="vote"' not in page
    assert "data-counts-hidden" in page and "data-counts>" not in page
    # The committee watches the count live.
    live = _client(votes.committee).get(_topic_url(votes)).content.decode()
    assert re.search(r"data-counts>1 / 0 / 0<", live)
    vote(ballot, votes.voters[2], "for")
    vote(ballot, votes.voters[3], "for")
    vote(ballot, votes.voters[4], "against")
    committee = _client(votes.committee)
    assert committee.post(_ballot_url(votes, ballot, "close"), {}).status_code == 302
    page = resident.get(_topic_url(votes)).content.decode()
    assert re.search(r"data-counts>3 / 1 / 0<", page)
    assert 'data-result="passed"' in page
    # Residents do not close or publish.
    assert (
        resident.post(_ballot_url(votes, ballot, "decision"), {"text": "x", "key": "d"}).status_code
        == 403
    )
    published = committee.post(
        _ballot_url(votes, ballot, "decision"), {"text": "加装电梯", "key": new_key()}
    )
    assert published.status_code == 302
    assert Decision.objects.get().topic_id == votes.topic.pk
    assert Topic.objects.get(pk=votes.topic.pk).state == Topic.State.DECIDED


def test_household_ballot_shows_the_household_voted(votes):
    ballot = open_online(votes, counting="household")
    vote(ballot, votes.voters[0], "for")
    page = _client(votes.voters[1].user).get(_topic_url(votes)).content.decode()
    assert "data-household-voted" in page and 'data-form="vote"' not in page


def test_meeting_tally_from_the_page(votes):
    ballot = open_online(votes, mode="meeting")
    committee = _client(votes.committee)
    page = committee.get(_topic_url(votes)).content.decode()
    assert 'data-form="tally"' in page
    bad = committee.post(
        _ballot_url(votes, ballot, "tally"),
        {"present": "3", "votes_for": "4", "votes_against": "0", "abstentions": "0"},
    )
    assert bad.status_code == 400 and 'data-field="votes_for"' in bad.content.decode()
    ok = committee.post(
        _ballot_url(votes, ballot, "tally"),
        {"present": "5", "votes_for": "4", "votes_against": "1", "abstentions": "0"},
    )
    assert ok.status_code == 302
    committee.post(_ballot_url(votes, ballot, "close"), {})
    assert Ballot.objects.get(pk=ballot.pk).result == Ballot.Result.PASSED


def test_role_by_page_action(votes):
    ballot = open_online(votes, mode="meeting")
    tally = {"present": "5", "votes_for": "4", "votes_against": "1", "abstentions": "0"}
    for user, status in [
        (votes.world.people.acceptor, 403),  # reads the topic, keeps nothing
        (votes.voters[0].user, 403),
        (votes.far.user, 403),  # cannot read the topic
        (votes.outsider, 403),
    ]:
        client = _client(user)
        assert client.post(_ballot_url(votes, ballot, "tally"), tally).status_code == status
        assert client.post(_ballot_url(votes, ballot, "close"), {}).status_code == status
    assert Ballot.objects.get(pk=ballot.pk).state == Ballot.State.OPEN
    # A ballot of another topic through this topic's URL is not found.
    other = Topic.objects.create(
        number="YS2026X0001",
        title="别的议题",
        body="x",
        scope="community",
        community=votes.topic.community,
        state="accepted",
        raised_at=clock.now(),
        raised_by_staff=True,
    )
    answer = _client(votes.committee).post(
        f"/deliberation/topics/{other.pk}/ballots/{ballot.pk}/close/", {}
    )
    assert answer.status_code == 404
    # Not signed in: to the sign-in page.
    assert Client().post(_ballot_url(votes, ballot, "close"), {}).status_code == 302


def test_a_wrong_password_keeps_the_choice_made_but_not_the_password(votes):
    """A resident who mistypes the password comes back to the form with the choice they made
    still chosen (they only retype the password)."""
    ballot = open_online(votes)
    resident = _client(votes.voters[0].user)
    wrong = resident.post(
        _ballot_url(votes, ballot, "vote"),
        {"choice": "against", "password": "nope", "key": "k-keep"},
    )
    assert wrong.status_code == 400
    body = wrong.content.decode()
    assert re.search(r'name="choice" value="against"[^>]*\bchecked\b', body)
    assert not re.search(r'name="choice" value="(for|abstain)"[^>]*\bchecked\b', body)
    assert "nope" not in body
    assert not Vote.objects.exists()


def test_a_wrong_password_is_told_once_at_the_vote_form(votes):
    """The refusal of a wrong password is shown once, in the ballot's panel before its form, not
    also at the top of the topic page."""
    ballot = open_online(votes)
    wrong = _client(votes.voters[0].user).post(
        _ballot_url(votes, ballot, "vote"),
        {"choice": "for", "password": "nope", "key": "k-once"},
    )
    assert wrong.status_code == 400
    body = wrong.content.decode()
    alerts = re.findall(r'<p class="error" role="alert"[^>]*>', body)
    assert len(alerts) == 1, alerts
    assert f'data-form="ballot_{ballot.pk}" data-field="password"' in alerts[0]
    panel = body.index(f'data-ballot="{ballot.pk}"')
    assert panel < body.index(alerts[0]) < body.index('data-form="vote"')
