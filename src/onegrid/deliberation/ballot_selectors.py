"""Scoped reads of ballots: a ballot with what the viewer may see and do on it.

Who reads a ballot is who reads its topic (selectors.topic_for). The count of an open ballot
is shown to the committee that keeps the topic (they watch the turnout); everyone else sees
the count once the ballot is closed, so an early count cannot sway those still to vote. A
resident sees whether they (or, on a household ballot, their household) have voted and may
vote; never who else voted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from onegrid.core import clock
from onegrid.core.errors import NotFound
from onegrid.core.text_input import row_id
from onegrid.org import policies
from onegrid.org.models import User

from . import ballots, roll_selectors, selectors
from .models import Ballot, Decision, MeetingTally, Topic, Vote


@dataclass(frozen=True)
class BallotView:
    ballot: Ballot
    keep: bool  # the viewer keeps the topic (committee): tally, close, publish
    counts_shown: bool
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    turnout: int | None
    my_vote: Vote | None  # the viewer's own vote
    household_voted: bool  # household ballots: someone of the viewer's household voted
    may_vote: bool  # on the roll, online, open, inside the window, not yet voted
    on_roll: bool
    has_tally: bool
    has_decision: bool

    @property
    def quorum(self) -> str:
        return str(ballots.quorum_of(self.ballot))

    @property
    def majority(self) -> str:
        return str(ballots.majority_of(self.ballot))

    @property
    def window_open(self) -> bool:
        b = self.ballot
        return b.state == Ballot.State.OPEN and b.opens_at <= clock.now() < b.closes_at


def ballot_for(user: User, ballot_id: object) -> Ballot:
    """The ballot if `user` reads its topic: NotFound for no such ballot, PermissionDenied
    outside the viewer's reach."""
    pk = row_id(ballot_id)
    ballot = (
        Ballot.objects.select_related("topic", "topic__community", "proposal").filter(pk=pk).first()
        if pk
        else None
    )
    if ballot is None:
        raise NotFound(_no_such(), field="ballot_id")
    selectors.topic_for(user, ballot.topic_id)
    return ballot


def ballots_of(topic: Topic) -> list[Ballot]:
    return list(
        Ballot.objects.filter(topic=topic)
        .select_related("proposal", "topic", "topic__community")
        .order_by("-opens_at", "-pk")
    )


def view_of(user: User, ballot: Ballot, *, keep: bool | None = None) -> BallotView:
    """What `user` sees of a ballot they read (ballot_for or the topic page said they may)."""
    if keep is None:
        keep = policies.may_keep_deliberation(user, ballot.topic.community)
    closed = ballot.state == Ballot.State.CLOSED
    voter = roll_selectors.voter_for(user, ballot.topic)
    mine = Vote.objects.filter(ballot=ballot, voter=voter).first() if voter else None
    household_voted = bool(
        voter is not None
        and ballot.counting == Ballot.Counting.HOUSEHOLD
        and Vote.objects.filter(ballot=ballot, counted_household=voter.household).exists()
    )
    counts: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None)
    if closed:
        counts = (ballot.votes_for, ballot.votes_against, ballot.abstentions, ballot.turnout)
    elif keep and ballot.state == Ballot.State.OPEN:
        if ballot.mode == Ballot.Mode.ONLINE:
            live = ballots.online_counts(ballot)
            counts = (live.votes_for, live.votes_against, live.abstentions, live.cast)
        else:
            tally = MeetingTally.objects.filter(ballot=ballot).first()
            if tally is not None:
                counts = (tally.votes_for, tally.votes_against, tally.abstentions, tally.present)
    now = clock.now()
    may_vote = bool(
        voter is not None
        and mine is None
        and not household_voted
        and ballot.mode == Ballot.Mode.ONLINE
        and ballot.state == Ballot.State.OPEN
        and ballot.opens_at <= now < ballot.closes_at
        and policies.may_take_part_in_deliberation(user)
    )
    return BallotView(
        ballot=ballot,
        keep=keep,
        counts_shown=counts[0] is not None,
        votes_for=counts[0],
        votes_against=counts[1],
        abstentions=counts[2],
        turnout=counts[3],
        my_vote=mine,
        household_voted=household_voted,
        may_vote=may_vote,
        on_roll=voter is not None,
        has_tally=MeetingTally.objects.filter(ballot=ballot).exists(),
        has_decision=Decision.objects.filter(ballot=ballot).exists(),
    )


def _no_such() -> str:
    return _("No such ballot.")
