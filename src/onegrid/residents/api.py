"""Resident accounts for apps (/api/v1/residents/): ask for a code, register, get a token with a
code. The same services as the pages; a token then works with the rest of the API (report,
follow one's own reports) as a password-issued one does (`POST /api/v1/auth/token`)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from onegrid.core.api_errors import errors
from onegrid.org.throttling import client_address

from . import services
from .services import TooManyRequests

router = Router(tags=["residents"])

NO_NUL = r"^[^\x00]*$"


class CodeIn(Schema):
    phone: str = Field(..., max_length=32, description="Mainland mobile number, 11 digits.")
    purpose: str = Field(..., description='"register" or "sign_in".', max_length=10)


class CodeOut(Schema):
    expires_at: dt.datetime = Field(
        ...,
        description="When a code sent now expires. The same answer whether or not the "
        "number has an account (and whether a message was sent).",
    )


class RegisterIn(Schema):
    phone: str = Field(..., max_length=32)
    code: str = Field(..., max_length=12, pattern=NO_NUL)
    password: str = Field(..., max_length=128, pattern=NO_NUL)
    display_name: str = Field(..., max_length=50, pattern=NO_NUL)


class CodeSignInIn(Schema):
    phone: str = Field(..., max_length=32)
    code: str = Field(..., max_length=12, pattern=NO_NUL)


class ResidentTokenOut(Schema):
    token: str
    expires_at: dt.datetime
    username: str


def _throttled(request: HttpRequest, error: TooManyRequests) -> JsonResponse:
    # Answered here, with its own field and wait, not by axes' middleware (a sign-in lockout
    # there names the password field).
    request.axes_locked_out = False  # type: ignore[attr-defined]
    body = error.as_dict() | {"retry_after": error.retry_after}
    response = JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
    response["Retry-After"] = str(error.retry_after)
    return response


@router.post(
    "/codes",
    response={202: CodeOut, **errors(400, 422, 429)},
    auth=None,
    summary="Send a one-time code by SMS (register or sign in)",
)
def request_code(request: HttpRequest, body: CodeIn) -> Status[dict[str, object]] | JsonResponse:
    try:
        sent = services.request_code(
            phone=body.phone, purpose=body.purpose, client_address=client_address(request)
        )
    except TooManyRequests as error:
        return _throttled(request, error)
    return Status(202, {"expires_at": timezone.localtime(sent.expires_at)})


@router.post(
    "/register",
    response={201: ResidentTokenOut, **errors(400, 409, 422, 429)},
    auth=None,
    summary="Register with the code sent to the number; answers a token",
)
def register(request: HttpRequest, body: RegisterIn) -> Status[dict[str, object]]:
    user = services.register(
        phone=body.phone, code=body.code, password=body.password, display_name=body.display_name
    )
    raw, expires = services.new_token(user, request=request)
    return Status(
        201,
        {"token": raw, "expires_at": timezone.localtime(expires), "username": user.username},
    )


@router.post(
    "/token",
    response={200: ResidentTokenOut, **errors(400, 422, 429)},
    auth=None,
    summary="Get a token with a sign-in code (throttled as password sign-ins are)",
)
def token(request: HttpRequest, body: CodeSignInIn) -> dict[str, object] | JsonResponse:
    try:
        user = services.sign_in_with_code(phone=body.phone, code=body.code, request=request)
    except TooManyRequests as error:
        return _throttled(request, error)
    raw, expires = services.new_token(user, request=request)
    return {"token": raw, "expires_at": timezone.localtime(expires), "username": user.username}
