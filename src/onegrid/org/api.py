"""Sign in for app clients: exchange a username and password for a bearer token."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from onegrid.core.api_errors import errors
from onegrid.org import policies

from . import services
from .requests import SignedInRequest

router = Router(tags=["auth"])


class Credentials(Schema):
    username: str = Field(..., min_length=1, max_length=150, pattern=r"^[^\x00]*$")
    password: str = Field(..., min_length=1, max_length=4096, pattern=r"^[^\x00]*$")


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime


@router.post(
    "/token",
    response={200: TokenOut, **errors(400, 401, 413, 422, 429)},
    auth=None,
    summary="Get an API token",
)
def token(request: HttpRequest, body: Credentials) -> dict[str, object]:
    raw, expires = services.issue_token(
        username=body.username, password=body.password, request=request
    )
    return {"token": raw, "expires_at": timezone.localtime(expires)}


@router.delete(
    "/token",
    response={204: None, **errors(401, 403)},
    summary="Revoke the token you call with",
)
def revoke(request: SignedInRequest) -> Status[None]:
    raw = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    services.revoke_token(raw)
    return Status(204, None)


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[dict[str, Any]]


@router.get(
    "/me",
    response={200: MeOut, **errors(401)},
    summary="Who you are and the roles you hold",
)
def me(request: SignedInRequest) -> dict[str, object]:
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": [
            {
                "role": a.role,
                "unit": a.unit.code if a.unit else None,
                "grid": a.grid.code if a.grid is not None else None,
                "department": a.department.code if a.department is not None else None,
            }
            for a in policies.assignments(user)
        ],
    }
