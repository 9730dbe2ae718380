"""Ballots API (/api/v1/deliberation/, beside api.py's topics): the ballots of a topic, one
ballot, opening one, voting online, a meeting's tally, closing, and publishing the decision of
a ballot that passed.

Thin: parse, call one selector (ballot_selectors) or service (ballots), render. Who reads a
ballot is who reads its topic; an open ballot's count is shown only to the committee keeping
it (everyone sees the count once closed). A vote carries the account's password (the identity
check at the moment of voting) and `idempotency_key`: a retry answers the vote already recorded
with `replayed: true`, counted once.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from onegrid.core.api_errors import errors
from onegrid.core.api_types import Moment
from onegrid.core.errors import NotFound
from onegrid.core.text_input import row_id
from onegrid.org.requests import SignedInRequest

from . import ballot_selectors, ballots, selectors

router = Router(tags=["deliberation"])

KEY = Field(
    "",
    max_length=64,
    description="A key the client makes for this request: sent again, it returns the first "
    "result instead of doing it twice.",
)


class BallotOut(Schema):
    id: int
    topic_id: int
    proposal_id: int
    proposal_title: str
    mode: str = Field(..., description="online or meeting.")
    counting: str = Field(..., description="person or household.")
    quorum: str = Field(..., description='A share of the electorate, e.g. ">1/2".')
    majority: str = Field(..., description='A share of the votes cast, e.g. ">=2/3".')
    electorate: int = Field(..., description="People or households on the roll at opening.")
    opens_at: dt.datetime
    closes_at: dt.datetime
    state: str
    result: str = Field(..., description="passed, failed, no_quorum; empty while open.")
    counts_shown: bool = Field(
        ..., description="False while open, except for the committee keeping the topic."
    )
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    turnout: int | None = Field(None, description="Voted (online) or present (meeting).")
    closed_at: dt.datetime | None
    decision_number: str | None
    my_vote: str | None = Field(None, description="The caller's own vote, if any.")
    household_voted: bool
    may_vote: bool


class BallotResult(Schema):
    ballot: BallotOut
    replayed: bool = Field(..., description="True when this answers a retry (nothing changed).")


class BallotOpenIn(Schema):
    proposal_id: int
    mode: str = Field(..., description="online or meeting.")
    counting: str = Field(..., description="person or household.")
    opens_at: Moment | None = Field(None, description="Default: now.")
    closes_at: Moment
    quorum: str | None = Field(None, max_length=20, description="Default: the district's.")
    majority: str | None = Field(None, max_length=20, description="Default: the district's.")
    idempotency_key: str = KEY


class BallotVoteIn(Schema):
    choice: str = Field(..., description="for, against or abstain.")
    password: str = Field(..., max_length=256, description="Your account's password, again.")
    idempotency_key: str = KEY


class BallotVoteOut(Schema):
    ballot_id: int
    choice: str
    cast_at: dt.datetime
    replayed: bool


class BallotTallyIn(Schema):
    present: int = Field(..., ge=0, le=ballots.MAX_COUNT)
    votes_for: int = Field(..., ge=0, le=ballots.MAX_COUNT)
    votes_against: int = Field(..., ge=0, le=ballots.MAX_COUNT)
    abstentions: int = Field(..., ge=0, le=ballots.MAX_COUNT)


class BallotDecisionIn(Schema):
    text: str = Field(..., max_length=8000, description="What was decided.")
    idempotency_key: str = KEY


class PublishedDecisionOut(Schema):
    id: int
    number: str
    topic_id: int
    ballot_id: int
    text: str
    state: str
    published_at: dt.datetime
    replayed: bool


def _out(view: ballot_selectors.BallotView) -> dict[str, object]:
    b = view.ballot
    decision = getattr(b, "decision", None) if view.has_decision else None
    return {
        "id": b.pk,
        "topic_id": b.topic_id,
        "proposal_id": b.proposal_id,
        "proposal_title": b.proposal.title,
        "mode": b.mode,
        "counting": b.counting,
        "quorum": view.quorum,
        "majority": view.majority,
        "electorate": b.electorate,
        "opens_at": b.opens_at,
        "closes_at": b.closes_at,
        "state": b.state,
        "result": b.result,
        "counts_shown": view.counts_shown,
        "votes_for": view.votes_for,
        "votes_against": view.votes_against,
        "abstentions": view.abstentions,
        "turnout": view.turnout,
        "closed_at": b.closed_at,
        "decision_number": decision.number if decision else None,
        "my_vote": view.my_vote.choice if view.my_vote else None,
        "household_voted": view.household_voted,
        "may_vote": view.may_vote,
    }


def _render(request: SignedInRequest, ballot_id: int) -> dict[str, object]:
    ballot = ballot_selectors.ballot_for(request.user, ballot_id)
    return _out(ballot_selectors.view_of(request.user, ballot))


@router.get(
    "/topics/{topic_id}/ballots",
    response={200: list[BallotOut], **errors(401, 403, 404)},
    summary="The ballots on a topic, newest first",
)
def list_ballots(request: SignedInRequest, topic_id: str) -> list[dict[str, object]]:
    pk = row_id(topic_id)
    if pk is None:
        raise NotFound(_("No such topic."), field="topic_id")
    topic = selectors.topic_for(request.user, pk)
    return [
        _out(ballot_selectors.view_of(request.user, b)) for b in ballot_selectors.ballots_of(topic)
    ]


@router.post(
    "/topics/{topic_id}/ballots",
    response={200: BallotResult, **errors(400, 401, 403, 404, 409, 422)},
    summary="Put a proposal to the vote (community committee)",
)
def open_ballot(
    request: SignedInRequest, topic_id: str, payload: BallotOpenIn
) -> dict[str, object]:
    outcome = ballots.open_ballot(
        actor=request.user,
        topic_id=topic_id,
        proposal_id=payload.proposal_id,
        mode=payload.mode,
        counting=payload.counting,
        opens_at=payload.opens_at,
        closes_at=payload.closes_at,
        quorum=payload.quorum,
        majority=payload.majority,
        idempotency_key_=payload.idempotency_key,
    )
    return {"ballot": _render(request, outcome.ballot.pk), "replayed": outcome.replayed}


@router.get(
    "/ballots/{ballot_id}",
    response={200: BallotOut, **errors(401, 403, 404)},
    summary="One ballot (its count once closed, or live for the committee)",
)
def ballot(request: SignedInRequest, ballot_id: str) -> dict[str, object]:
    return _out(
        ballot_selectors.view_of(request.user, ballot_selectors.ballot_for(request.user, ballot_id))
    )


@router.post(
    "/ballots/{ballot_id}/vote",
    response={200: BallotVoteOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Vote online (residents on the verified roll of the topic's place; password again)",
)
def vote(request: SignedInRequest, ballot_id: str, payload: BallotVoteIn) -> dict[str, object]:
    outcome = ballots.cast_vote(
        actor=request.user,
        ballot_id=ballot_id,
        choice=payload.choice,
        password=payload.password,
        idempotency_key_=payload.idempotency_key,
        request=request,
    )
    v = outcome.vote
    return {
        "ballot_id": v.ballot_id,
        "choice": v.choice,
        "cast_at": v.cast_at,
        "replayed": outcome.replayed,
    }


@router.post(
    "/ballots/{ballot_id}/tally",
    response={200: BallotOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Enter (or correct) a meeting ballot's tally (community committee)",
)
def tally(request: SignedInRequest, ballot_id: str, payload: BallotTallyIn) -> dict[str, object]:
    entered = ballots.enter_tally(
        actor=request.user,
        ballot_id=ballot_id,
        present=payload.present,
        votes_for=payload.votes_for,
        votes_against=payload.votes_against,
        abstentions=payload.abstentions,
    )
    return _render(request, entered.ballot_id)


@router.post(
    "/ballots/{ballot_id}/close",
    response={200: BallotResult, **errors(400, 401, 403, 404, 409)},
    summary="Close a ballot and count it (community committee); closing again changes nothing",
)
def close(request: SignedInRequest, ballot_id: str) -> dict[str, object]:
    outcome = ballots.close_ballot(actor=request.user, ballot_id=ballot_id)
    return {"ballot": _render(request, outcome.ballot.pk), "replayed": outcome.replayed}


@router.post(
    "/ballots/{ballot_id}/decision",
    response={200: PublishedDecisionOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Publish the decision of a ballot that passed (community committee)",
)
def publish(
    request: SignedInRequest, ballot_id: str, payload: BallotDecisionIn
) -> dict[str, object]:
    outcome = ballots.publish_decision(
        actor=request.user,
        ballot_id=ballot_id,
        text=payload.text,
        idempotency_key_=payload.idempotency_key,
    )
    d = outcome.decision
    return {
        "id": d.pk,
        "number": d.number,
        "topic_id": d.topic_id,
        "ballot_id": d.ballot_id,
        "text": d.text,
        "state": d.state,
        "published_at": d.published_at,
        "replayed": outcome.replayed,
    }
