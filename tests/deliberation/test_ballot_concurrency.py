"""Votes and ticks racing, each thread on its own connection (PostgreSQL: row locks and the
unique constraints; SQLite: one writer at a time): one vote per person and per household,
one row per client key, and a ballot closed once by ticks running together."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, DomainError
from onegrid.deliberation import ballots, timers
from onegrid.deliberation.models import Ballot, Vote
from support.cases import run_concurrently
from support.deliberation_votes import new_key, open_online, votes

__all__ = ["votes"]


def _racing(ballot, requests):
    """Each thread takes the next request and votes (at the test's time: the clock is per
    thread), returning the outcome or the domain error it met."""
    lock = threading.Lock()
    queue = list(requests)
    at = clock.now()

    def work():
        with lock:
            voter, choice, key = queue.pop()
        clock.set_now(at)
        try:
            return ballots.cast_vote(
                actor=voter.user,
                ballot_id=ballot.pk,
                choice=choice,
                password="pw-" + voter.user.username,
                idempotency_key_=key,
            )
        except DomainError as refused:
            return refused

    return work


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_and_second_votes_racing_count_once(votes):
    ballot = open_online(votes)
    alice = votes.voters[0]
    same = new_key()
    requests = [(alice, "for", same)] * 3 + [(alice, "against", new_key()) for _ in range(3)]
    results = run_concurrently(_racing(ballot, requests), copies=len(requests))
    assert Vote.objects.filter(ballot=ballot).count() == 1
    won = Vote.objects.get(ballot=ballot)
    done = [r for r in results if isinstance(r, ballots.VoteOutcome)]
    assert {r.vote.pk for r in done} == {won.pk}
    assert sum(1 for r in done if not r.replayed) == 1
    for refused in (r for r in results if not isinstance(r, ballots.VoteOutcome)):
        assert isinstance(refused, Conflict) and refused.field in ("ballot_id", "idempotency_key")


@pytest.mark.django_db(transaction=True)
def test_a_household_racing_on_a_household_ballot_counts_once(votes):
    ballot = open_online(votes, counting="household")
    pair = votes.voters[:2]  # one household
    requests = [(who, "for", new_key()) for who in pair for _ in range(2)]
    results = run_concurrently(_racing(ballot, requests), copies=len(requests))
    assert Vote.objects.filter(ballot=ballot).count() == 1
    assert sum(isinstance(r, ballots.VoteOutcome) for r in results) == 1
    assert all(
        isinstance(r, Conflict) and r.field == "ballot_id"
        for r in results
        if not isinstance(r, ballots.VoteOutcome)
    )


@pytest.mark.django_db(transaction=True)
def test_ticks_running_together_close_a_ballot_once(votes):
    ballot = open_online(votes, closes_at=clock.now() + dt.timedelta(hours=1))
    for who in votes.voters[:4]:
        ballots.cast_vote(
            actor=who.user,
            ballot_id=ballot.pk,
            choice="for",
            password="pw-" + who.user.username,
            idempotency_key_=new_key(),
        )
    later = clock.now() + dt.timedelta(hours=2)
    closed = run_concurrently(lambda: timers.close_due_ballots(later), copies=4)
    assert sorted(closed) == [0, 0, 0, 1]
    ballot = Ballot.objects.get(pk=ballot.pk)
    assert ballot.state == Ballot.State.CLOSED and ballot.votes_for == 4
    assert ballot.result == Ballot.Result.PASSED
