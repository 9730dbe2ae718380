"""Legal adviser API (/api/v1/mediation/legal…): a resident asks their community's adviser
and reads their questions; the adviser reads their communities' questions (each read logged,
LEGAL_QUESTION, channel api) and answers. A question the caller may not read is a 404.

Thin: parse, call one service (mediation.advice) or selector (mediation.advice_selectors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onegrid.core import clock
from onegrid.core.api_errors import errors
from onegrid.core.errors import NotFound, PermissionDenied
from onegrid.org import access_log, policies
from onegrid.org.models import User
from onegrid.org.requests import SignedInRequest

from . import advice, advice_selectors
from .models import LegalQuestion

router = Router(tags=["mediation"])


class AskIn(Schema):
    community: str = Field(..., description="The community's code.")
    question: str = Field(..., description="At most 4,000 characters.")
    idempotency_key: str


class AnswerIn(Schema):
    answer: str
    legal_basis: str = Field("", description="The law and article, if any.")


class QuestionOut(Schema):
    id: int
    community: str
    question: str
    state: str
    asked_at: dt.datetime
    due_at: dt.datetime
    answer: str
    legal_basis: str
    answered_at: dt.datetime | None
    overdue: bool
    replayed: bool = False


class AdviserIn(Schema):
    username: str = Field(..., description="The lawyer's account.")
    community: str = Field(..., description="The community's code.")


class AdviserOut(Schema):
    username: str
    community: str
    adviser: bool = Field(..., description="Whether they hold the place now.")


class StateQuery(Schema):
    state: str = ""


def _out(q: LegalQuestion, *, replayed: bool = False) -> dict[str, Any]:
    return {
        "id": q.pk,
        "community": q.community.name,
        "question": q.question,
        "state": q.state,
        "asked_at": timezone.localtime(q.asked_at),
        "due_at": timezone.localtime(q.due_at),
        "answer": q.answer,
        "legal_basis": q.legal_basis,
        "answered_at": timezone.localtime(q.answered_at) if q.answered_at else None,
        "overdue": q.state == LegalQuestion.State.OPEN and q.due_at < clock.now(),
        "replayed": replayed,
    }


@router.post(
    "/legal/questions",
    response={201: QuestionOut, 200: QuestionOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Ask my community's legal adviser",
)
def ask(request: SignedInRequest, payload: AskIn) -> Status[dict[str, Any]]:
    outcome = advice.ask(
        actor=request.user,
        community=payload.community,
        question=payload.question,
        idempotency_key=payload.idempotency_key,
    )
    return Status(
        200 if outcome.replayed else 201, _out(outcome.question, replayed=outcome.replayed)
    )


@router.get(
    "/legal/questions/mine",
    response={200: list[QuestionOut], **errors(401)},
    summary="The questions I asked",
)
def mine(request: SignedInRequest) -> list[dict[str, Any]]:
    return [_out(q) for q in advice_selectors.mine(request.user)[:200]]


@router.get(
    "/legal/questions",
    # 422: a query parameter with a NUL character (the API's guard refuses it at that name).
    response={200: list[QuestionOut], **errors(401, 403, 422)},
    summary="My communities' questions (legal advisers)",
)
def for_adviser(request: SignedInRequest, query: Query[StateQuery]) -> list[dict[str, Any]]:
    if not policies.legal_adviser_community_ids(request.user):
        raise PermissionDenied(_("Only a community's legal adviser reads its questions."))
    rows = list(advice_selectors.for_adviser(request.user, state=query.state)[:200])
    advice_selectors.record_adviser_reads(
        request.user, rows, channel=access_log.Channel.API, path=request.path
    )
    return [_out(q) for q in rows]


@router.get(
    "/legal/questions/{question_id}",
    response={200: QuestionOut, **errors(401, 404)},
    summary="One question and its answer (the asker or the community's adviser)",
)
def detail(request: SignedInRequest, question_id: str) -> dict[str, Any]:
    return _out(
        advice_selectors.question_for(
            request.user, question_id, channel=access_log.Channel.API, path=request.path
        )
    )


@router.post(
    "/legal/questions/{question_id}/answer",
    response={200: QuestionOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Answer a question (the community's legal adviser)",
)
def answer(request: SignedInRequest, question_id: str, payload: AnswerIn) -> dict[str, Any]:
    row = advice_selectors.question_for(
        request.user, question_id, channel=access_log.Channel.API, path=request.path
    )
    outcome = advice.answer(
        actor=request.user, question=row, answer=payload.answer, legal_basis=payload.legal_basis
    )
    return _out(outcome.question, replayed=outcome.replayed)


@router.post(
    "/legal/questions/{question_id}/withdraw",
    response={200: QuestionOut, **errors(400, 401, 404, 409)},
    summary="Withdraw my open question",
)
def withdraw(request: SignedInRequest, question_id: str) -> dict[str, Any]:
    row = advice_selectors.question_for(
        request.user, question_id, channel=access_log.Channel.API, path=request.path
    )
    outcome = advice.withdraw(actor=request.user, question=row)
    return _out(outcome.question, replayed=outcome.replayed)


def _person(request: SignedInRequest, username: str, community: str) -> User:
    # Who may appoint there comes first: else a 404 against a 403 told anyone signed in which
    # usernames (a resident's is their phone number) have an account.
    if not policies.appoints_legal_advisers_at(request.user, advice.community_of(community)):
        raise PermissionDenied(
            _(
                "Only the judicial office over the community or an administrator appoints its "
                "legal adviser, never to themselves nor to a resident's account."
            ),
            field="username",
        )
    person = User.objects.filter(username=username.strip()).first() if username.strip() else None
    if person is None:
        raise NotFound(_("No such person."), field="username")
    return person


@router.post(
    "/legal/advisers",
    response={200: AdviserOut, **errors(400, 401, 403, 404, 422)},
    summary="Appoint a community's legal adviser (judicial office, administrators)",
)
def appoint(request: SignedInRequest, payload: AdviserIn) -> dict[str, Any]:
    person = _person(request, payload.username, payload.community)
    done = advice.appoint_adviser(actor=request.user, person=person, community=payload.community)
    return {
        "username": person.username,
        "community": payload.community.strip(),
        "adviser": done.pk > 0,
    }


@router.post(
    "/legal/advisers/dismiss",
    response={200: AdviserOut, **errors(400, 401, 403, 404, 422)},
    summary="Take a community's legal adviser place away (judicial office, administrators)",
)
def dismiss(request: SignedInRequest, payload: AdviserIn) -> dict[str, Any]:
    person = _person(request, payload.username, payload.community)
    advice.dismiss_adviser(actor=request.user, person=person, community=payload.community)
    return {"username": person.username, "community": payload.community.strip(), "adviser": False}
