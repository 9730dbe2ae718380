"""Properties of online voting (hypothesis): whatever order of votes, retries and second
tries arrives, each person (and each household, on household ballots) counts at most once,
a replay never changes a count, and the closed ballot's count and result equal a reference
computed from the accepted votes."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onegrid.core import clock
from onegrid.core.errors import Conflict, PermissionDenied
from onegrid.deliberation import ballots, vote_rules
from onegrid.deliberation.models import Ballot, Topic
from support.deliberation_votes import proposal, votes

__all__ = ["votes"]

_examples = itertools.count()

attempts = st.lists(
    st.tuples(
        st.integers(0, 7),  # who: the seven voters on the roll, 7 = a voter of another community
        st.integers(0, 5),  # which client key
        st.sampled_from(["for", "against", "abstain"]),
    ),
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    counting=st.sampled_from(["person", "household"]),
    quorum=st.sampled_from([">1/2", ">=1/2", ">=2/3", ">=0/1"]),
    majority=st.sampled_from([">1/2", ">=1/2", ">=2/3"]),
    tries=attempts,
)
def test_votes_replays_and_duplicates(votes, counting, quorum, majority, tries):
    n = next(_examples)
    Topic.objects.filter(pk=votes.topic.pk).update(state=Topic.State.ACCEPTED)
    ballot = ballots.open_ballot(
        actor=votes.committee,
        topic_id=votes.topic.pk,
        proposal_id=proposal(votes.topic, f"方案{n}").pk,
        mode="online",
        counting=counting,
        quorum=quorum,
        majority=majority,
        closes_at=clock.now() + dt.timedelta(days=1),
        idempotency_key_=f"open-{n}",
    ).ballot
    people = [*votes.voters, votes.far]
    by_key: dict[str, tuple[int, str]] = {}
    voted: set[int] = set()
    households: set[int] = set()
    accepted: list[str] = []
    for who, key_index, choice in tries:
        key = f"vote-{n}-{key_index}"
        voter = people[who]
        before = ballots.online_counts(ballot)
        try:
            outcome = ballots.cast_vote(
                actor=voter.user,
                ballot_id=ballot.pk,
                choice=choice,
                password="pw-" + voter.user.username,
                idempotency_key_=key,
            )
        except PermissionDenied:
            assert who == 7
            assert ballots.online_counts(ballot) == before
            continue
        except Conflict as refused:
            if key in by_key:
                assert by_key[key] != (who, choice)
                assert refused.field == "idempotency_key"
            else:
                assert refused.field == "ballot_id"
                assert who in voted or (
                    counting == "household" and voter.household_id in households
                )
            assert ballots.online_counts(ballot) == before
            continue
        if key in by_key:
            assert outcome.replayed and by_key[key] == (who, choice)
            assert ballots.online_counts(ballot) == before
            continue
        assert not outcome.replayed and who != 7 and who not in voted
        assert counting == "person" or voter.household_id not in households
        by_key[key] = (who, choice)
        voted.add(who)
        households.add(voter.household_id)
        accepted.append(choice)
    closed = ballots.close_ballot(actor=votes.committee, ballot_id=ballot.pk).ballot
    f, a, x = (accepted.count(c) for c in ("for", "against", "abstain"))
    assert (closed.votes_for, closed.votes_against, closed.abstentions) == (f, a, x)
    assert closed.turnout == len(accepted) <= closed.electorate
    assert closed.electorate == (7 if counting == "person" else 5)
    assert closed.result == vote_rules.result(
        electorate=closed.electorate,
        turnout=len(accepted),
        votes_for=f,
        votes_against=a,
        abstentions=x,
        quorum=vote_rules.parse_rule(quorum, "quorum"),
        majority=vote_rules.parse_rule(majority, "majority"),
    )
    assert Ballot.objects.get(pk=ballot.pk).state == Ballot.State.CLOSED
