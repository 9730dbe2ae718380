"""Monthly screening API (/api/v1/mediation/screening…): my grids and the months still to
screen, recording a screening (one per grid and month; a retry with the same key replays, a
second one is a 409), and registering a dispute it found in the mediation register.

Thin: parse, call one service (mediation.screening) or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from onegrid.core.api_errors import errors
from onegrid.org.requests import SignedInRequest

from . import screening, screening_selectors
from .models import Screening

router = Router(tags=["mediation"])


class GridMonthOut(Schema):
    grid_code: str
    grid: str
    month: str = Field(..., description="YYYY-MM")
    screened: bool
    screening_id: int | None


class ScreeningIn(Schema):
    grid: str = Field(..., description="The grid's code.")
    month: str | None = Field(None, description="YYYY-MM; the earliest open month by default.")
    disputes_found: StrictInt = Field(..., description="0 to 999.")
    risk_level: str = Field(..., description="none, low, medium or high.")
    stable: StrictBool
    note: str = ""
    idempotency_key: str = Field(..., description="The client's key: a retry replays.")


class ScreeningOut(Schema):
    id: int
    grid_code: str
    month: str
    disputes_found: int
    risk_level: str
    stable: bool
    note: str
    screened_at: dt.datetime
    replayed: bool = False


class FoundPartyIn(Schema):
    side: str = "applicant"
    kind: str = "person"
    name: str
    sex: str = ""
    age: int | None = None
    address: str = ""
    phone: str = ""


class FoundDisputeIn(Schema):
    type: str = Field(..., description="The mediation type's code.")
    title: str
    facts: str
    claims: str = ""
    parties: list[FoundPartyIn]
    risk: str = ""
    idempotency_key: str


class FoundDisputeOut(Schema):
    id: int
    number: str
    state: str
    replayed: bool = False


def _out(row: Screening, *, replayed: bool = False) -> dict[str, Any]:
    return {
        "id": row.pk,
        "grid_code": row.grid.code,
        "month": f"{row.month:%Y-%m}",
        "disputes_found": row.disputes_found,
        "risk_level": row.risk_level,
        "stable": row.stable,
        "note": row.note,
        "screened_at": timezone.localtime(row.screened_at),
        "replayed": replayed,
    }


@router.get(
    "/screening/my-grids",
    response={200: list[GridMonthOut], **errors(401)},
    summary="My grids and whether each is screened for the open months",
)
def my_grids(request: SignedInRequest) -> list[dict[str, Any]]:
    return [
        {
            "grid_code": r.grid.code,
            "grid": r.grid.name,
            "month": f"{r.month:%Y-%m}",
            "screened": r.done,
            "screening_id": r.screening.pk if r.screening else None,
        }
        for r in screening_selectors.my_grids(request.user)
    ]


@router.post(
    "/screenings",
    response={201: ScreeningOut, 200: ScreeningOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Record a grid's monthly screening",
)
def record(request: SignedInRequest, payload: ScreeningIn) -> Status[dict[str, Any]]:
    month = screening.parse_month(payload.month) if payload.month else None
    outcome = screening.record_screening(
        actor=request.user,
        grid=payload.grid,
        month=month,
        disputes_found=payload.disputes_found,
        risk_level=payload.risk_level,
        stable=payload.stable,
        note=payload.note,
        idempotency_key=payload.idempotency_key,
    )
    return Status(
        200 if outcome.replayed else 201, _out(outcome.screening, replayed=outcome.replayed)
    )


@router.post(
    "/screenings/{screening_id}/disputes",
    response={201: FoundDisputeOut, 200: FoundDisputeOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Register a dispute the screening found in the mediation register",
)
def register_dispute(
    request: SignedInRequest, screening_id: int, payload: FoundDisputeIn
) -> Status[dict[str, Any]]:
    dispute = screening.register_found_dispute(
        actor=request.user,
        screening=screening_id,
        type=payload.type,
        title=payload.title,
        facts=payload.facts,
        claims=payload.claims,
        parties=[p.dict() for p in payload.parties],
        risk=payload.risk,
        idempotency_key=payload.idempotency_key,
    )
    replayed = bool(getattr(dispute, "replayed", False))
    return Status(
        200 if replayed else 201,
        {"id": dispute.pk, "number": dispute.number, "state": dispute.state, "replayed": replayed},
    )
