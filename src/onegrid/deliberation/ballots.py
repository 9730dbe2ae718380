"""Votes on a proposal (表决): open a ballot, cast online votes, enter a meeting's tally, close
it (by the committee, or by the tick once its window has passed), and publish the decision of
a ballot that passed.

One function per use case, keyword arguments, one transaction each. Who may: org.policies
(may_keep_deliberation for the committee's steps, may_take_part_in_deliberation and a
verified roll entry in the topic's place, roll_selectors.voter_for, for a vote). The rules a
result is counted under are vote_rules; the fractions are kept on the ballot, so the rule a
result was counted under stays with it.

A vote is one Vote row: one per person (constraint deliberation_vote_once) and, on household
ballots, one per household (deliberation_vote_once_household). Counts are taken from the rows
when the ballot closes, so a retried request (same idempotency key: the same row answers) or a
second vote refused by the constraint can never change them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.rows import locked_row
from onegrid.core.serials import next_serial
from onegrid.core.text_input import bounded_text, idempotency_key, row_id
from onegrid.notify import kinds
from onegrid.notify import services as notify_services
from onegrid.org import policies
from onegrid.org.models import User

from . import roll_selectors, vote_rules
from .models import Ballot, Decision, MeetingTally, Proposal, Topic, Vote

BEIJING = timezone.get_fixed_timezone(8 * 60)
# A ballot stays open at most this long (a longer window is a typing slip).
MAX_WINDOW = dt.timedelta(days=90)
# A start this far in the past is taken as "now" (the form's clock and the server's differ).
CLOCK_SLACK = dt.timedelta(minutes=5)
# The largest count a meeting's tally may hold (far above any community's roll).
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class BallotOutcome:
    ballot: Ballot
    replayed: bool = False


@dataclass(frozen=True)
class VoteOutcome:
    vote: Vote
    replayed: bool = False


@dataclass(frozen=True)
class DecisionOutcome:
    decision: Decision
    replayed: bool = False


@dataclass(frozen=True)
class Count3:
    votes_for: int
    votes_against: int
    abstentions: int

    @property
    def cast(self) -> int:
        return self.votes_for + self.votes_against + self.abstentions


# --- opening ---------------------------------------------------------------------------------


def open_ballot(
    *,
    actor: User,
    topic_id: object,
    proposal_id: object,
    mode: object,
    counting: object,
    closes_at: object,
    opens_at: object = None,
    quorum: object = None,
    majority: object = None,
    idempotency_key_: object,
) -> BallotOutcome:
    """The committee puts a live proposal of an accepted topic to the vote: the electorate is
    the roll of the topic's place now (people or households); the topic is being voted on
    until the ballot closes. Quorum and majority default to the settings."""
    key = idempotency_key(
        idempotency_key_, missing=_("Send an idempotency key so a retry cannot open two ballots.")
    )
    earlier = Ballot.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        return _replay_ballot(earlier, topic_id, proposal_id)
    mode_ = _choice(mode, Ballot.Mode.values, "mode")
    counting_ = _choice(counting, Ballot.Counting.values, "counting")
    options = settings.ONEGRID
    quorum_ = vote_rules.parse_rule(
        options["DELIBERATION_QUORUM"] if quorum in (None, "") else quorum, "quorum"
    )
    majority_ = vote_rules.parse_rule(
        options["DELIBERATION_MAJORITY"] if majority in (None, "") else majority,
        "majority",
        at_least_one=True,
    )
    now = clock.now()
    start = now if opens_at in (None, "") else _moment(opens_at, field="opens_at")
    if start < now - CLOCK_SLACK:
        raise InvalidInput(_("A ballot cannot open in the past."), field="opens_at")
    start = max(start, now)
    end = _moment(closes_at, field="closes_at")
    if end <= start:
        raise InvalidInput(_("The ballot must close after it opens."), field="closes_at")
    if end - start > MAX_WINDOW:
        raise InvalidInput(
            _("A ballot stays open at most %(days)d days.") % {"days": MAX_WINDOW.days},
            field="closes_at",
        )
    try:
        with transaction.atomic():
            topic = _locked_topic(topic_id)
            _keeps(actor, topic)
            if topic.state != Topic.State.ACCEPTED:
                raise Conflict(
                    _("Only an accepted topic is put to the vote (this one is: %(state)s).")
                    % {"state": topic.get_state_display()},
                    field="topic_id",
                )
            proposal = _live_proposal(topic, proposal_id)
            electorate = roll_selectors.electorate(topic, counting_)
            if electorate == 0:
                raise Conflict(
                    _("No one is on the verified roll of the topic's place yet."),
                    field="topic_id",
                )
            ballot = Ballot.objects.create(
                topic=topic,
                proposal=proposal,
                mode=mode_,
                counting=counting_,
                quorum_numerator=quorum_.numerator,
                quorum_denominator=quorum_.denominator,
                quorum_strict=quorum_.strict,
                majority_numerator=majority_.numerator,
                majority_denominator=majority_.denominator,
                majority_strict=majority_.strict,
                electorate=electorate,
                opens_at=start,
                closes_at=end,
                state=Ballot.State.OPEN,
                opened_by=actor,
                idempotency_key=key,
            )
            topic.state = Topic.State.VOTING
            topic.save(update_fields=["state"])
            _tell_the_roll(ballot, topic)
    except IntegrityError:
        earlier = Ballot.objects.filter(idempotency_key=key).first()
        if earlier is None:
            raise
        return _replay_ballot(earlier, topic_id, proposal_id)
    return BallotOutcome(ballot)


def _tell_the_roll(ballot: Ballot, topic: Topic) -> None:
    """Everyone on the roll of the topic's place hears, in their inbox, that a vote opened
    (once per ballot: the key makes a retry add nothing)."""
    user_ids = roll_selectors.voters_in_place(topic).values_list("user_id", flat=True)
    notify_services.tell(
        kind=kinds.BALLOT_OPENED,
        user_ids=list(user_ids),
        key=f"ballot_opened:{ballot.pk}",
        title=_lazy("Vote on %(number)s: %(title)s"),
        body=_lazy("Voting from %(opens)s to %(closes)s."),
        params={
            "number": topic.number,
            "title": topic.title,
            "opens": _local(ballot.opens_at),
            "closes": _local(ballot.closes_at),
        },
        url=_topic_url(topic),
        now=clock.now(),
    )


def _topic_url(topic: Topic) -> str:
    try:
        return reverse("web:deliberation_topic", args=[topic.pk])
    except NoReverseMatch:
        return ""


def _replay_ballot(ballot: Ballot, topic_id: object, proposal_id: object) -> BallotOutcome:
    if ballot.topic_id != row_id(topic_id) or ballot.proposal_id != row_id(proposal_id):
        raise _key_reused()
    return BallotOutcome(ballot, replayed=True)


def _live_proposal(topic: Topic, proposal_id: object) -> Proposal:
    pk = row_id(proposal_id)
    proposal = Proposal.objects.filter(pk=pk, topic=topic).first() if pk else None
    if proposal is None:
        raise NotFound(_("No such proposal on this topic."), field="proposal_id")
    if proposal.withdrawn_at is not None:
        raise Conflict(_("The proposal was withdrawn."), field="proposal_id")
    if proposal.ballots.exclude(state=Ballot.State.CANCELLED).exists():
        raise Conflict(_("The proposal has already been put to the vote."), field="proposal_id")
    return proposal


# --- voting online ---------------------------------------------------------------------------


def cast_vote(
    *,
    actor: User,
    ballot_id: object,
    choice: object,
    password: object,
    idempotency_key_: object,
    request: Any = None,
) -> VoteOutcome:
    """A resident on the verified roll of the topic's place votes on an open online ballot,
    after re-entering their account's password (the identity check at the moment of voting;
    a wrong password counts as a failed sign-in, so guessing is throttled like signing in).
    The same key answers with the vote already recorded; another vote of the same person (or
    household, on a household ballot) is a 409."""
    key = idempotency_key(
        idempotency_key_, missing=_("Send an idempotency key so a retry cannot vote twice.")
    )
    choice_ = _choice(choice, Vote.Choice.values, "choice")
    if not policies.may_take_part_in_deliberation(actor):
        raise PermissionDenied(_("Only residents' own accounts vote."), field="ballot_id")
    _check_password(actor, password, request)
    earlier = Vote.objects.select_related("voter").filter(idempotency_key=key).first()
    if earlier is not None:
        return _replay_vote(earlier, actor, ballot_id, choice_)
    try:
        with transaction.atomic():
            ballot = _locked_ballot(ballot_id)
            topic = ballot.topic
            voter = roll_selectors.voter_for(actor, topic)
            if voter is None:
                raise PermissionDenied(
                    _("You are not on the verified roll of this topic's place."),
                    field="ballot_id",
                )
            if ballot.mode != Ballot.Mode.ONLINE:
                raise Conflict(
                    _("This ballot is taken at a meeting, not online."), field="ballot_id"
                )
            _check_window(ballot, clock.now())
            household = ballot.counting == Ballot.Counting.HOUSEHOLD
            if Vote.objects.filter(ballot=ballot, voter=voter).exists():
                raise Conflict(_("You have already voted on this ballot."), field="ballot_id")
            if (
                household
                and Vote.objects.filter(ballot=ballot, counted_household=voter.household).exists()
            ):
                raise Conflict(
                    _("Your household has already voted on this ballot."), field="ballot_id"
                )
            vote = Vote.objects.create(
                ballot=ballot,
                voter=voter,
                household=voter.household,
                counted_household=voter.household if household else None,
                choice=choice_,
                cast_at=clock.now(),
                idempotency_key=key,
            )
    except IntegrityError:
        # A concurrent request won: the same key replays; otherwise the person or household
        # has voted meanwhile.
        earlier = Vote.objects.select_related("voter").filter(idempotency_key=key).first()
        if earlier is not None:
            return _replay_vote(earlier, actor, ballot_id, choice_)
        raise Conflict(
            _("You or your household have already voted on this ballot."), field="ballot_id"
        ) from None
    return VoteOutcome(vote)


def _replay_vote(vote: Vote, actor: User, ballot_id: object, choice: str) -> VoteOutcome:
    if (
        vote.voter.user_id != actor.pk
        or vote.ballot_id != row_id(ballot_id)
        or vote.choice != choice
    ):
        raise _key_reused()
    return VoteOutcome(vote, replayed=True)


def _check_password(actor: User, password: object, request: Any) -> None:
    if not isinstance(password, str) or not password:
        raise InvalidInput(_("Enter your password to confirm it is you."), field="password")
    if len(password) > 128 or "\x00" in password:
        raise PermissionDenied(_("The password is not right."), field="password")
    try:
        who = authenticate(request, username=actor.get_username(), password=password)
    except DjangoPermissionDenied:
        # Locked out after too many wrong passwords (org.throttling, as at sign-in).
        raise PermissionDenied(
            _("Too many wrong passwords: try again later."), field="password"
        ) from None
    if who is None or who.pk != actor.pk:
        raise PermissionDenied(_("The password is not right."), field="password")


def _check_window(ballot: Ballot, now: dt.datetime) -> None:
    if ballot.state != Ballot.State.OPEN:
        raise Conflict(_("The ballot is closed."), field="ballot_id")
    if now < ballot.opens_at:
        raise Conflict(
            _("Voting opens at %(t)s.") % {"t": _local(ballot.opens_at)}, field="ballot_id"
        )
    if now >= ballot.closes_at:
        raise Conflict(_("The ballot is closed."), field="ballot_id")


# --- a meeting's tally -----------------------------------------------------------------------


def enter_tally(
    *,
    actor: User,
    ballot_id: object,
    present: object,
    votes_for: object,
    votes_against: object,
    abstentions: object,
) -> MeetingTally:
    """The committee records a meeting ballot's count as the meeting took it (entering it again
    before the ballot closes corrects it; the same figures again change nothing)."""
    present_ = _count(present, "present")
    for_ = _count(votes_for, "votes_for")
    against = _count(votes_against, "votes_against")
    abstain = _count(abstentions, "abstentions")
    with transaction.atomic():
        ballot = _locked_ballot(ballot_id)
        _keeps(actor, ballot.topic)
        if ballot.mode != Ballot.Mode.MEETING:
            raise Conflict(_("Online ballots are counted from the votes."), field="ballot_id")
        if ballot.state != Ballot.State.OPEN:
            raise Conflict(_("The ballot is closed."), field="ballot_id")
        if clock.now() < ballot.opens_at:
            raise Conflict(
                _("The tally is entered once the ballot opens, at %(t)s.")
                % {"t": _local(ballot.opens_at)},
                field="ballot_id",
            )
        if present_ > ballot.electorate:
            raise InvalidInput(
                _("More present than the %(n)d on the roll.") % {"n": ballot.electorate},
                field="present",
            )
        if for_ + against + abstain > present_:
            raise InvalidInput(
                _("For, against and abstentions together exceed those present."),
                field="votes_for",
            )
        now = clock.now()
        tally, _created = MeetingTally.objects.update_or_create(
            ballot=ballot,
            defaults={
                "present": present_,
                "votes_for": for_,
                "votes_against": against,
                "abstentions": abstain,
                "entered_at": now,
                "entered_by": actor,
            },
        )
    return tally


# --- closing ---------------------------------------------------------------------------------


def close_ballot(*, actor: User, ballot_id: object) -> BallotOutcome:
    """The committee closes a ballot (before its closing time too): the count is taken and the
    result judged. Closing a closed ballot changes nothing (replayed)."""
    with transaction.atomic():
        ballot = _locked_ballot(ballot_id)
        _keeps(actor, ballot.topic)
        if ballot.state != Ballot.State.OPEN:
            return BallotOutcome(ballot, replayed=True)
        if (
            ballot.mode == Ballot.Mode.MEETING
            and not MeetingTally.objects.filter(ballot=ballot).exists()
        ):
            raise Conflict(_("Enter the meeting's tally before closing."), field="ballot_id")
        _close(ballot, actor, clock.now())
    return BallotOutcome(ballot)


def close_due(ballot_id: int, now: dt.datetime) -> bool:
    """The tick closes one ballot whose window has passed (a meeting ballot without a tally
    closes with nobody counted present). False when another tick or the committee closed it
    first."""
    with transaction.atomic():
        ballot = (
            Ballot.objects.select_for_update()
            .select_related("topic")
            .filter(pk=ballot_id, state=Ballot.State.OPEN, closes_at__lte=now)
            .first()
        )
        if ballot is None:
            return False
        _close(ballot, None, now)
    return True


def _close(ballot: Ballot, actor: User | None, now: dt.datetime) -> None:
    if ballot.mode == Ballot.Mode.ONLINE:
        counts = online_counts(ballot)
        turnout = counts.cast
    else:
        tally = MeetingTally.objects.filter(ballot=ballot).first()
        counts = (
            Count3(tally.votes_for, tally.votes_against, tally.abstentions)
            if tally
            else Count3(0, 0, 0)
        )
        turnout = tally.present if tally else 0
    ballot.votes_for = counts.votes_for
    ballot.votes_against = counts.votes_against
    ballot.abstentions = counts.abstentions
    ballot.turnout = turnout
    ballot.result = vote_rules.result(
        electorate=ballot.electorate,
        turnout=turnout,
        votes_for=counts.votes_for,
        votes_against=counts.votes_against,
        abstentions=counts.abstentions,
        quorum=quorum_of(ballot),
        majority=majority_of(ballot),
    )
    ballot.state = Ballot.State.CLOSED
    ballot.closed_at = now
    ballot.closed_by = actor
    ballot.save(
        update_fields=[
            "votes_for",
            "votes_against",
            "abstentions",
            "turnout",
            "result",
            "state",
            "closed_at",
            "closed_by",
        ]
    )
    if ballot.result != Ballot.Result.PASSED:
        _after_failed(ballot, now)


def _after_failed(ballot: Ballot, now: dt.datetime) -> None:
    """A proposal not carried: the topic goes back to the committee while proposals remain
    that have not been put to the vote; otherwise the topic is not carried."""
    topic = Topic.objects.select_for_update().get(pk=ballot.topic_id)
    if topic.state != Topic.State.VOTING:
        return
    remaining = (
        Proposal.objects.filter(topic=topic, withdrawn_at__isnull=True)
        .exclude(ballots__state__in=[Ballot.State.OPEN, Ballot.State.CLOSED])
        .exists()
    )
    if remaining:
        topic.state = Topic.State.ACCEPTED
        topic.save(update_fields=["state"])
    else:
        topic.state = Topic.State.REJECTED
        topic.closed_at = now
        topic.save(update_fields=["state", "closed_at"])


def online_counts(ballot: Ballot) -> Count3:
    """The votes recorded on an online ballot so far."""
    row = Vote.objects.filter(ballot=ballot).aggregate(
        f=Count("pk", filter=Q(choice=Vote.Choice.FOR)),
        a=Count("pk", filter=Q(choice=Vote.Choice.AGAINST)),
        x=Count("pk", filter=Q(choice=Vote.Choice.ABSTAIN)),
    )
    return Count3(row["f"], row["a"], row["x"])


def quorum_of(ballot: Ballot) -> vote_rules.Rule:
    return vote_rules.Rule(ballot.quorum_numerator, ballot.quorum_denominator, ballot.quorum_strict)


def majority_of(ballot: Ballot) -> vote_rules.Rule:
    return vote_rules.Rule(
        ballot.majority_numerator, ballot.majority_denominator, ballot.majority_strict
    )


# --- the decision ----------------------------------------------------------------------------


def publish_decision(
    *, actor: User, ballot_id: object, text: object, idempotency_key_: object
) -> DecisionOutcome:
    """The committee publishes what a passed ballot decided (决议, numbered JY<year><serial>);
    the topic is decided."""
    key = idempotency_key(
        idempotency_key_,
        missing=_("Send an idempotency key so a retry cannot publish twice."),
    )
    body = bounded_text(text, "text", max_length=8000, required=True)
    with transaction.atomic():
        ballot = _locked_ballot(ballot_id)
        _keeps(actor, ballot.topic)
        existing = Decision.objects.filter(ballot=ballot).first()
        if existing is not None:
            return DecisionOutcome(existing, replayed=True)
        if ballot.state != Ballot.State.CLOSED or ballot.result != Ballot.Result.PASSED:
            raise Conflict(
                _("Only a closed ballot that passed becomes a decision."), field="ballot_id"
            )
        topic = Topic.objects.select_for_update().get(pk=ballot.topic_id)
        if Decision.objects.filter(topic=topic).exists():
            raise Conflict(_("The topic has a decision already."), field="ballot_id")
        now = clock.now()
        year = timezone.localtime(now, BEIJING).year
        serial = next_serial(f"decision-{year}")
        decision = Decision.objects.create(
            number=f"JY{year}{serial:05d}",
            topic=topic,
            ballot=ballot,
            text=body,
            state=Decision.State.PUBLISHED,
            published_at=now,
            published_by=actor,
        )
        topic.state = Topic.State.DECIDED
        topic.closed_at = now
        topic.save(update_fields=["state", "closed_at"])
        # The key is not stored on the decision (it has no column): the ballot's one-to-one
        # decision is what makes a retry a replay.
        del key
    return DecisionOutcome(decision)


# --- helpers ---------------------------------------------------------------------------------


def _keeps(actor: User, topic: Topic) -> None:
    if not policies.may_keep_deliberation(actor, topic.community):
        raise PermissionDenied(
            _("Only the community committee runs the votes of this community."),
            field="topic_id",
        )


def _locked_topic(topic_id: object) -> Topic:
    return locked_row(
        Topic.objects.select_related("community"),
        row_id(topic_id),
        NotFound(_("No such topic."), field="topic_id"),
    )


def _locked_ballot(ballot_id: object) -> Ballot:
    return locked_row(
        Ballot.objects.select_related("topic", "topic__community"),
        row_id(ballot_id),
        NotFound(_("No such ballot."), field="ballot_id"),
    )


def _choice(value: object, allowed: list[str], field: str) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    raise InvalidInput(
        _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}, field=field
    )


def _count(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidInput(_("A whole number is expected."), field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        text = value.strip()
        if len(text) > 7:
            raise InvalidInput(_("A whole number is expected."), field=field)
        number = int(text)
    else:
        raise InvalidInput(_("A whole number is expected."), field=field)
    if not 0 <= number <= MAX_COUNT:
        raise InvalidInput(
            _("Between %(low)s and %(high)s.") % {"low": 0, "high": MAX_COUNT}, field=field
        )
    return number


def _moment(value: object, *, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.isascii() and len(value) <= 40:
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(_("A date and time is expected."), field=field) from None
    else:
        raise InvalidInput(_("A date and time is expected."), field=field)
    if timezone.is_naive(moment):
        # A form's datetime-local: Beijing time.
        moment = timezone.make_aware(moment, BEIJING)
    if not 2000 <= moment.year <= 2100:
        raise InvalidInput(_("A date and time is expected."), field=field)
    return moment


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment, BEIJING).strftime("%Y-%m-%d %H:%M")


def _key_reused() -> Conflict:
    return Conflict(
        _("This idempotency key was already used for a different request."),
        field="idempotency_key",
    )
