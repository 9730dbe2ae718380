"""Ballots through their services (deliberation.ballots): opening, online votes with the
identity check, one vote per person or household, replays counted once, the window, a
meeting's tally, closing (by the committee and by the tick), the result and the decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.deliberation import ballots, timers
from onegrid.deliberation.models import Ballot, Decision, Topic, Vote
from support.deliberation_votes import new_key, open_online, vote, votes

__all__ = ["votes"]


def _now():
    return clock.now()


def _later(**delta):
    clock.set_now(clock.now() + dt.timedelta(**delta))


# --- opening ---------------------------------------------------------------------------------


def test_open_snapshots_the_electorate_and_the_default_rules(votes, settings):
    ballot = open_online(votes)
    assert ballot.state == Ballot.State.OPEN
    # The six voters of the first grid and one of the second: the community's roll.
    assert ballot.electorate == 7
    assert (ballot.quorum_numerator, ballot.quorum_denominator, ballot.quorum_strict) == (
        1,
        2,
        True,
    )
    assert Topic.objects.get(pk=votes.topic.pk).state == Topic.State.VOTING


def test_household_electorate_and_overridden_rules(votes):
    ballot = open_online(votes, counting="household", quorum=">=2/3", majority=">=2/3")
    assert ballot.electorate == 5  # four households in grid 1, one in grid 2
    assert (ballot.quorum_numerator, ballot.quorum_denominator, ballot.quorum_strict) == (
        2,
        3,
        False,
    )
    assert ballots.majority_of(ballot) == ballots.vote_rules.Rule(2, 3, False)


def test_open_is_idempotent_under_its_key(votes):
    key = new_key()
    first = open_online(votes, idempotency_key_=key)
    again = ballots.open_ballot(
        actor=votes.committee,
        topic_id=votes.topic.pk,
        proposal_id=votes.proposal.pk,
        mode="online",
        counting="person",
        closes_at=_now() + dt.timedelta(days=1),
        idempotency_key_=key,
    )
    assert again.replayed and again.ballot.pk == first.pk
    assert Ballot.objects.count() == 1
    with pytest.raises(Conflict) as reused:
        open_online(votes, proposal_=votes.proposal2, idempotency_key_=key)
    assert reused.value.field == "idempotency_key"


@pytest.mark.parametrize(
    ("extra", "field", "error"),
    [
        ({"mode": "paper"}, "mode", InvalidInput),
        ({"counting": "family"}, "counting", InvalidInput),
        ({"quorum": "half"}, "quorum", InvalidInput),
        ({"majority": ">=0/1"}, "majority", InvalidInput),
        ({"closes_at": "tomorrow"}, "closes_at", InvalidInput),
        ({"closes_at": "2026-03-10T09:00:00+08:00"}, "closes_at", InvalidInput),
        ({"closes_at": "2026-09-10T09:00:00+08:00"}, "closes_at", InvalidInput),
        ({"opens_at": "2026-03-01T09:00:00+08:00"}, "opens_at", InvalidInput),
        ({"proposal_id": "٣"}, "proposal_id", NotFound),
        ({"proposal_id": 99999999999}, "proposal_id", NotFound),
        ({"topic_id": "1\x00"}, "topic_id", NotFound),
        ({"idempotency_key_": ""}, "idempotency_key", InvalidInput),
    ],
)
def test_odd_input_to_open_names_the_field(votes, extra, field, error):
    with pytest.raises(error) as refused:
        open_online(votes, **extra)
    assert refused.value.field == field
    assert not Ballot.objects.exists()


def test_only_the_committee_opens_and_only_an_accepted_topic(votes):
    for who in (votes.world.people.acceptor, votes.voters[0].user, votes.world.people.leader):
        with pytest.raises(PermissionDenied):
            open_online(votes, actor=who)
    Topic.objects.filter(pk=votes.topic.pk).update(state=Topic.State.SUBMITTED)
    with pytest.raises(Conflict) as refused:
        open_online(votes)
    assert refused.value.field == "topic_id"


def test_a_withdrawn_or_already_voted_proposal_is_refused(votes):
    votes.proposal2.withdrawn_at = _now()
    votes.proposal2.save()
    with pytest.raises(Conflict) as refused:
        open_online(votes, proposal_=votes.proposal2)
    assert refused.value.field == "proposal_id"
    ballot = open_online(votes)
    ballots.close_ballot(actor=votes.committee, ballot_id=ballot.pk)
    Topic.objects.filter(pk=votes.topic.pk).update(state=Topic.State.ACCEPTED)
    with pytest.raises(Conflict) as again:
        open_online(votes)
    assert again.value.field == "proposal_id"


# --- voting ----------------------------------------------------------------------------------


def test_one_vote_per_person_replays_counted_once(votes):
    ballot = open_online(votes)
    alice = votes.voters[0]
    key = new_key()
    first = vote(ballot, alice, "for", key=key)
    replay = vote(ballot, alice, "for", key=key)
    assert not first.replayed and replay.replayed and replay.vote.pk == first.vote.pk
    with pytest.raises(Conflict) as twice:
        vote(ballot, alice, "against")
    assert twice.value.field == "ballot_id"
    # The same key for another choice, or by another person, is a different request.
    with pytest.raises(Conflict) as reused:
        vote(ballot, alice, "against", key=key)
    assert reused.value.field == "idempotency_key"
    with pytest.raises(Conflict) as other:
        vote(ballot, votes.voters[2], "for", key=key)
    assert other.value.field == "idempotency_key"
    assert Vote.objects.filter(ballot=ballot).count() == 1
    # Both members of a household vote on a person ballot.
    vote(ballot, votes.voters[1], "against")
    assert ballots.online_counts(ballot) == ballots.Count3(1, 1, 0)


def test_one_vote_per_household_on_household_ballots(votes):
    ballot = open_online(votes, counting="household")
    vote(ballot, votes.voters[0], "for")
    with pytest.raises(Conflict) as refused:
        vote(ballot, votes.voters[1], "against")
    assert refused.value.field == "ballot_id"
    assert "household" in refused.value.message or "户" in str(refused.value.message)
    vote(ballot, votes.voters[2], "against")
    assert ballots.online_counts(ballot) == ballots.Count3(1, 1, 0)


def test_identity_check_and_roll(votes):
    ballot = open_online(votes)
    alice = votes.voters[0]
    for wrong in ("pw-someone", "x" * 200, "pw\x00"):
        with pytest.raises(PermissionDenied) as refused:
            ballots.cast_vote(
                actor=alice.user,
                ballot_id=ballot.pk,
                choice="for",
                password=wrong,
                idempotency_key_=new_key(),
            )
        assert refused.value.field == "password"
    with pytest.raises(InvalidInput) as missing:
        ballots.cast_vote(
            actor=alice.user, ballot_id=ballot.pk, choice="for", password="", idempotency_key_="k"
        )
    assert missing.value.field == "password"
    with pytest.raises(PermissionDenied) as far:
        vote(ballot, votes.far)
    assert far.value.field == "ballot_id"
    with pytest.raises(InvalidInput) as odd:
        vote(ballot, alice, "maybe")
    assert odd.value.field == "choice"
    # Staff do not vote, even with the right password.
    with pytest.raises(PermissionDenied):
        ballots.cast_vote(
            actor=votes.committee,
            ballot_id=ballot.pk,
            choice="for",
            password="pw-committee",
            idempotency_key_=new_key(),
        )
    assert not Vote.objects.exists()


def test_a_voter_removed_from_the_roll_no_longer_votes(votes):
    ballot = open_online(votes)
    gone = votes.voters[4]
    gone.state = "removed"
    gone.save()
    with pytest.raises(PermissionDenied):
        vote(ballot, gone)


def test_no_vote_outside_the_window(votes):
    start = _now() + dt.timedelta(hours=2)
    ballot = open_online(votes, opens_at=start, closes_at=start + dt.timedelta(hours=3))
    with pytest.raises(Conflict) as early:
        vote(ballot, votes.voters[0])
    assert early.value.field == "ballot_id"
    _later(hours=2)
    vote(ballot, votes.voters[0])
    _later(hours=3)  # closes_at reached, not yet closed by the tick
    with pytest.raises(Conflict) as late:
        vote(ballot, votes.voters[1])
    assert late.value.field == "ballot_id"
    assert Vote.objects.count() == 1


def test_no_vote_after_close_but_a_replay_still_answers(votes):
    ballot = open_online(votes)
    key = new_key()
    vote(ballot, votes.voters[0], key=key)
    ballots.close_ballot(actor=votes.committee, ballot_id=ballot.pk)
    with pytest.raises(Conflict):
        vote(ballot, votes.voters[1])
    assert vote(ballot, votes.voters[0], key=key).replayed
    assert Ballot.objects.get(pk=ballot.pk).votes_for == 1


def test_no_online_vote_on_a_meeting_ballot(votes):
    ballot = open_online(votes, mode="meeting")
    with pytest.raises(Conflict) as refused:
        vote(ballot, votes.voters[0])
    assert refused.value.field == "ballot_id"


# --- closing and the result ------------------------------------------------------------------


def test_close_counts_and_passes_then_the_decision_is_published(votes):
    ballot = open_online(votes)
    for who, choice in zip(
        votes.voters[:5], ["for", "for", "for", "against", "abstain"], strict=True
    ):
        vote(ballot, who, choice)
    outcome = ballots.close_ballot(actor=votes.committee, ballot_id=ballot.pk)
    ballot = outcome.ballot
    assert (ballot.votes_for, ballot.votes_against, ballot.abstentions, ballot.turnout) == (
        3,
        1,
        1,
        5,
    )
    assert ballot.result == Ballot.Result.PASSED  # 5 of 7 voted; 3 of 5 for
    assert ballot.closed_by == votes.committee
    assert ballots.close_ballot(actor=votes.committee, ballot_id=ballot.pk).replayed
    assert Topic.objects.get(pk=votes.topic.pk).state == Topic.State.VOTING
    key = new_key()
    decision = ballots.publish_decision(
        actor=votes.committee, ballot_id=ballot.pk, text="加装电梯", idempotency_key_=key
    ).decision
    assert decision.number == "JY202600001"
    assert decision.state == Decision.State.PUBLISHED
    assert Topic.objects.get(pk=votes.topic.pk).state == Topic.State.DECIDED
    again = ballots.publish_decision(
        actor=votes.committee, ballot_id=ballot.pk, text="加装电梯", idempotency_key_=key
    )
    assert again.replayed and again.decision.pk == decision.pk
    assert Decision.objects.count() == 1


def test_a_failed_ballot_returns_the_topic_while_proposals_remain(votes):
    ballot = open_online(votes)
    for who in votes.voters[:4]:
        vote(ballot, who, "against")
    closed = ballots.close_ballot(actor=votes.committee, ballot_id=ballot.pk).ballot
    assert closed.result == Ballot.Result.FAILED
    assert Topic.objects.get(pk=votes.topic.pk).state == Topic.State.ACCEPTED
    with pytest.raises(Conflict) as refused:
        ballots.publish_decision(
            actor=votes.committee, ballot_id=ballot.pk, text="x", idempotency_key_=new_key()
        )
    assert refused.value.field == "ballot_id"
    second = open_online(votes, proposal_=votes.proposal2)
    vote(second, votes.voters[0], "for")  # 1 of 7: no quorum
    closed = ballots.close_ballot(actor=votes.committee, ballot_id=second.pk).ballot
    assert closed.result == Ballot.Result.NO_QUORUM
    topic = Topic.objects.get(pk=votes.topic.pk)
    assert topic.state == Topic.State.REJECTED and topic.closed_at is not None


def test_only_the_committee_closes(votes):
    ballot = open_online(votes)
    for who in (votes.voters[0].user, votes.world.people.acceptor):
        with pytest.raises(PermissionDenied):
            ballots.close_ballot(actor=who, ballot_id=ballot.pk)
    with pytest.raises(NotFound):
        ballots.close_ballot(actor=votes.committee, ballot_id="x")


def test_meeting_tally(votes):
    ballot = open_online(votes, mode="meeting", counting="household")
    assert ballot.electorate == 5
    with pytest.raises(Conflict) as untallied:
        ballots.close_ballot(actor=votes.committee, ballot_id=ballot.pk)
    assert untallied.value.field == "ballot_id"

    def tally(**counts):
        return ballots.enter_tally(actor=votes.committee, ballot_id=ballot.pk, **counts)

    bad = [
        ({"present": 6, "votes_for": 1, "votes_against": 0, "abstentions": 0}, "present"),
        ({"present": 3, "votes_for": 2, "votes_against": 2, "abstentions": 0}, "votes_for"),
        ({"present": "３", "votes_for": 1, "votes_against": 0, "abstentions": 0}, "present"),
        ({"present": 3, "votes_for": -1, "votes_against": 0, "abstentions": 0}, "votes_for"),
        ({"present": 3, "votes_for": True, "votes_against": 0, "abstentions": 0}, "votes_for"),
        (
            {"present": 3, "votes_for": 1, "votes_against": 10**30, "abstentions": 0},
            "votes_against",
        ),
        ({"present": 3, "votes_for": 1, "votes_against": 0, "abstentions": 1.5}, "abstentions"),
    ]
    for counts, field in bad:
        with pytest.raises(InvalidInput) as refused:
            tally(**counts)
        assert refused.value.field == field, counts
    with pytest.raises(PermissionDenied):
        ballots.enter_tally(
            actor=votes.voters[0].user,
            ballot_id=ballot.pk,
            present=3,
            votes_for=3,
            votes_against=0,
            abstentions=0,
        )
    tally(present=4, votes_for=1, votes_against=2, abstentions=0)
    tally(present="4", votes_for="3", votes_against="0", abstentions="1")  # corrected
    closed = ballots.close_ballot(actor=votes.committee, ballot_id=ballot.pk).ballot
    assert (closed.turnout, closed.votes_for, closed.votes_against, closed.abstentions) == (
        4,
        3,
        0,
        1,
    )
    assert closed.result == Ballot.Result.PASSED
    with pytest.raises(Conflict):
        tally(present=4, votes_for=0, votes_against=4, abstentions=0)


def test_no_tally_on_an_online_ballot(votes):
    ballot = open_online(votes)
    with pytest.raises(Conflict):
        ballots.enter_tally(
            actor=votes.committee,
            ballot_id=ballot.pk,
            present=1,
            votes_for=1,
            votes_against=0,
            abstentions=0,
        )


# --- the tick --------------------------------------------------------------------------------


def test_the_tick_closes_due_ballots_once(votes, capsys):
    ballot = open_online(votes, closes_at=_now() + dt.timedelta(hours=1))
    for who in votes.voters[:4]:
        vote(ballot, who, "for")
    assert timers.close_due_ballots() == 0
    _later(hours=1)
    call_command("deliberation", "tick")
    assert "1" in capsys.readouterr().out
    closed = Ballot.objects.get(pk=ballot.pk)
    assert closed.state == Ballot.State.CLOSED and closed.closed_by is None
    assert closed.result == Ballot.Result.PASSED and closed.votes_for == 4
    assert timers.close_due_ballots() == 0
    assert Ballot.objects.get(pk=ballot.pk).closed_at == closed.closed_at


def test_the_tick_closes_an_untallied_meeting_ballot_without_quorum(votes):
    ballot = open_online(votes, mode="meeting", closes_at=_now() + dt.timedelta(hours=1))
    _later(hours=2)
    assert timers.tick()["ballots_closed"] == 1
    closed = Ballot.objects.get(pk=ballot.pk)
    assert closed.result == Ballot.Result.NO_QUORUM and closed.turnout == 0
    # The one proposal left unvoted sends the topic back to the committee.
    assert Topic.objects.get(pk=votes.topic.pk).state == Topic.State.ACCEPTED


def test_the_roll_hears_of_a_vote_once(votes):
    from onegrid.notify.models import Notification

    key = new_key()
    ballot = open_online(votes, idempotency_key_=key)
    told = Notification.objects.filter(kind="ballot_opened")
    assert set(told.values_list("user_id", flat=True)) == {v.user_id for v in votes.voters}
    assert all(votes.topic.number in n.title for n in told)
    open_online(votes, idempotency_key_=key)  # a retry tells nobody again
    assert told.count() == len(votes.voters)
    assert told.first().url == f"/deliberation/topics/{votes.topic.pk}/"
    assert ballot.pk
