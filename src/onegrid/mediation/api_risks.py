"""Risk register API (/api/v1/mediation/risks…): the register by level and state, one risk with
its follow-ups, raising a risk, following it up (with a level change) and resolving it.

Thin: parse, call one service (mediation.risks) or selector (mediation.risk_selectors),
render. A risk outside the caller's reach is a 404; the register for someone with no reach
is a 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onegrid.core.api_errors import errors
from onegrid.core.errors import PermissionDenied
from onegrid.org import policies
from onegrid.org.requests import SignedInRequest

from . import risk_selectors, risks
from .models import Risk

router = Router(tags=["mediation"])


class RiskOut(Schema):
    id: int
    number: str
    title: str
    description: str
    level: str
    state: str
    grid_code: str | None
    community: str
    street: str
    owner: str
    raised_at: dt.datetime
    escalated_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolution: str
    follow_up_due_at: dt.datetime | None = None
    overdue: bool = False
    replayed: bool = False


class FollowUpOut(Schema):
    at: dt.datetime
    by: str
    note: str
    level_before: str
    level_after: str


class RiskDetailOut(RiskOut):
    follow_ups: list[FollowUpOut]


class RaiseIn(Schema):
    title: str
    description: str
    level: str = Field(..., description="low, medium or high.")
    owner: str = Field(..., description="The owner's username.")
    grid: str | None = Field(None, description="The grid's code.")
    community: str | None = Field(None, description="The community's code, when no grid.")
    screening: int | None = Field(None, description="The screening that found it.")
    idempotency_key: str


class FollowUpIn(Schema):
    note: str
    level: str | None = Field(None, description="The level now (unchanged when absent).")
    idempotency_key: str


class ResolveIn(Schema):
    resolution: str


class RegisterQuery(Schema):
    level: str = ""
    state: str = "open"


def _name(user) -> str:
    return (user.display_name or user.get_username()) if user else ""


def _out(risk: Risk, **extra: Any) -> dict[str, Any]:
    def local(value: dt.datetime | None) -> dt.datetime | None:
        return timezone.localtime(value) if value else None

    return {
        "id": risk.pk,
        "number": risk.number,
        "title": risk.title,
        "description": risk.description,
        "level": risk.level,
        "state": risk.state,
        "grid_code": risk.grid.code if risk.grid is not None else None,
        "community": risk.community.name,
        "street": risk.street.name,
        "owner": _name(risk.owner),
        "raised_at": local(risk.raised_at),
        "escalated_at": local(risk.escalated_at),
        "resolved_at": local(risk.resolved_at),
        "resolution": risk.resolution,
        **extra,
    }


@router.get(
    "/risks",
    # 422: a query parameter with a NUL character (the API's guard refuses it at that name).
    response={200: list[RiskOut], **errors(401, 403, 422)},
    summary="The risk register I read, high first",
)
def register(request: SignedInRequest, query: Query[RegisterQuery]) -> list[dict[str, Any]]:
    if policies.risk_reach(request.user) is None:
        raise PermissionDenied(_("You do not read the risk register."))
    return [
        _out(r.risk, follow_up_due_at=r.follow_up_due_at, overdue=r.overdue)
        for r in risk_selectors.register(request.user, level=query.level, state=query.state)
    ]


@router.get(
    "/risks/{risk_id}",
    response={200: RiskDetailOut, **errors(401, 404)},
    summary="One risk with its follow-ups",
)
def detail(request: SignedInRequest, risk_id: str) -> dict[str, Any]:
    risk = risk_selectors.risk_for(request.user, risk_id)
    return _out(
        risk,
        follow_ups=[
            {
                "at": timezone.localtime(f.at),
                "by": _name(f.by),
                "note": f.note,
                "level_before": f.level_before,
                "level_after": f.level_after,
            }
            for f in risk_selectors.follow_ups(risk)
        ],
    )


def _answer(outcome: risks.Outcome) -> Status[dict[str, Any]]:
    return Status(200 if outcome.replayed else 201, _out(outcome.risk, replayed=outcome.replayed))


@router.post(
    "/risks",
    response={201: RiskOut, 200: RiskOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Raise a risk (directly or from a screening)",
)
def raise_risk(request: SignedInRequest, payload: RaiseIn) -> Status[dict[str, Any]]:
    return _answer(
        risks.raise_risk(
            actor=request.user,
            title=payload.title,
            description=payload.description,
            level=payload.level,
            owner=payload.owner,
            grid=payload.grid,
            community=payload.community,
            screening=payload.screening,
            idempotency_key=payload.idempotency_key,
        )
    )


@router.post(
    "/risks/{risk_id}/follow-ups",
    response={201: RiskOut, 200: RiskOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Follow a risk up (and change its level)",
)
def follow_up(
    request: SignedInRequest, risk_id: str, payload: FollowUpIn
) -> Status[dict[str, Any]]:
    risk = risk_selectors.risk_for(request.user, risk_id)
    return _answer(
        risks.follow_up(
            actor=request.user,
            risk=risk,
            note=payload.note,
            level=payload.level,
            idempotency_key=payload.idempotency_key,
        )
    )


@router.post(
    "/risks/{risk_id}/resolve",
    response={200: RiskOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Resolve a risk, saying how",
)
def resolve(request: SignedInRequest, risk_id: str, payload: ResolveIn) -> dict[str, Any]:
    risk = risk_selectors.risk_for(request.user, risk_id)
    outcome = risks.resolve(actor=request.user, risk=risk, resolution=payload.resolution)
    return _out(outcome.risk, replayed=outcome.replayed)
