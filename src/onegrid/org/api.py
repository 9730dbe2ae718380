"""Sign in for app clients: exchange a username and password for a bearer token."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from onegrid.core.api_errors import errors
from onegrid.org import policies

from . import services

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
def token(request: HttpRequest, body: Credentials):
    raw, expires = services.issue_token(
        username=body.username, password=body.password, request=request
    )
    return {"token": raw, "expires_at": expires}


@router.delete(
    "/token",
    response={204: None, **errors(401, 403)},
    summary="Revoke the token you call with",
)
def revoke(request: HttpRequest):
    raw = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    services.revoke_token(raw)
    return Status(204, None)


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[dict]


@router.get(
    "/me",
    response={200: MeOut, **errors(401)},
    summary="Who you are and the roles you hold",
)
def me(request: HttpRequest):
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": [
            {
                "role": a.role,
                "unit": a.unit.code if a.unit else None,
                "grid": a.grid.code if a.grid_id else None,
                "department": a.department.code if a.department_id else None,
            }
            for a in policies.assignments(user)
        ],
    }
