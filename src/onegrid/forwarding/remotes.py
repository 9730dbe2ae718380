"""Talking to the outside systems: a signed webhook POST, and an Open311 GeoReport v2 client
(POST requests, GET tokens/{token}, GET requests/{id}, GET requests with filters).

Plain urllib through notify.outbound, as notify's own sends: only http(s) addresses, redirects
not followed (a 3xx is an error: a moved endpoint is the administrator's to fix), answers read
up to a bound; and every failure comes back as an `Answer` with the reason, never as an
exception, so the caller can record it and try again.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from onegrid.notify import outbound, signing

from .models import Target

MAX_ANSWER_BYTES = 256 * 1024
USER_AGENT = "OneGrid-forwarding/1"
# 4xx answers that may well succeed later; any other 4xx is permanent (a wrong key, a service
# code the remote does not know): retrying cannot help until an administrator fixes the target.
TRANSIENT_4XX = frozenset({408, 409, 423, 425, 429})


@dataclass(frozen=True)
class Answer:
    """What one attempt came to. `accepted`: the remote answered 2xx. `external_id`: its id for
    the case (the acknowledgement); `token`: an Open311 token to resolve later."""

    accepted: bool
    acknowledged: bool = False
    external_id: str = ""
    token: str = ""
    error: str = ""
    permanent: bool = False


@dataclass(frozen=True)
class Lookup:
    """An answer to "do you have it?": found True/False, or None when the remote could not be
    asked (down, timing out, answering nonsense)."""

    found: bool | None
    external_id: str = ""
    error: str = ""


def timeout_seconds() -> float:
    return float(settings.ONEGRID["FORWARDING_TIMEOUT_SECONDS"])


@dataclass(frozen=True)
class _Reply:
    status: int  # 0: no answer at all
    body: bytes = b""
    error: str = ""


def _exchange(method: str, url: str, *, body: bytes | None = None, headers: dict) -> _Reply:
    request = urllib.request.Request(url, data=body, method=method)
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        request.add_header(name, value)
    reply = outbound.exchange(request, timeout=timeout_seconds(), limit=MAX_ANSWER_BYTES)
    if isinstance(reply.fault, TimeoutError):
        return _Reply(0, error=f"no answer within {timeout_seconds():g} s")
    if reply.fault is not None:
        reason = getattr(reply.fault, "reason", reply.fault)
        return _Reply(0, error=f"cannot connect: {reason}")
    if not reply.ok:
        return _Reply(reply.status, reply.body, f"HTTP {reply.status}: {_snippet(reply.body)}")
    return _Reply(reply.status, reply.body)


def _snippet(body: bytes, limit: int = 200) -> str:
    return body[:limit].decode("utf-8", "replace").replace("\n", " ").strip()


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _identifier(value: object) -> str:
    """A remote id as text, or "" when it is not a plausible id."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        text = str(value).strip()
        if 0 < len(text) <= 100 and text.isprintable():
            return text
    return ""


def _failure(reply: _Reply) -> Answer:
    permanent = 400 <= reply.status < 500 and reply.status not in TRANSIENT_4XX
    error = reply.error or f"HTTP {reply.status}: {_snippet(reply.body)}"
    return Answer(accepted=False, error=error, permanent=permanent)


# ---------------------------------------------------------------------------- webhooks


def post_webhook(target: Target, payload: dict, *, delivery_id: str) -> Answer:
    """POST the JSON payload, signed. Acknowledged only by a 2xx whose JSON body carries an
    "id" (the receiver's id for it) or "ack": true; a bare 2xx is accepted, not acknowledged."""
    body, headers = signing.signed_json(target.secret, payload, delivery_id)
    reply = _exchange("POST", target.url, body=body, headers=headers)
    if not 200 <= reply.status < 300:
        return _failure(reply)
    answer = _json(reply.body)
    if isinstance(answer, dict):
        external = _identifier(answer.get("id", answer.get("ack_id")))
        if external or answer.get("ack") is True:
            return Answer(accepted=True, acknowledged=True, external_id=external)
    return Answer(
        accepted=True, error=f"HTTP {reply.status} without an acknowledgement (id or ack)"
    )


# ---------------------------------------------------------------------------- Open311


def _base(target: Target) -> str:
    return target.url if target.url.endswith("/") else target.url + "/"


def _auth(target: Target) -> dict[str, str]:
    params = {"api_key": target.api_key}
    if target.jurisdiction_id:
        params["jurisdiction_id"] = target.jurisdiction_id
    return params


def _first(answer: Any) -> dict | None:
    if isinstance(answer, list) and answer and isinstance(answer[0], dict):
        return answer[0]
    if isinstance(answer, dict):  # some servers answer a bare object
        return answer
    return None


def post_request(target: Target, fields: dict[str, str], *, idempotency_key: str) -> Answer:
    """POST requests.json. Acknowledged by a service_request_id; a token alone is accepted and
    resolved later (GET tokens/{token}). The Idempotency-Key header lets a remote that honours
    it answer a re-send with the request it already made."""
    form = urllib.parse.urlencode({**_auth(target), **fields}).encode()
    reply = _exchange(
        "POST",
        _base(target) + "requests.json",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": idempotency_key,
        },
    )
    if not 200 <= reply.status < 300:
        return _failure(reply)
    first = _first(_json(reply.body))
    if first is None:
        return Answer(accepted=True, error=f"HTTP {reply.status} with an unreadable answer")
    external = _identifier(first.get("service_request_id"))
    token = _identifier(first.get("token"))
    if external:
        return Answer(accepted=True, acknowledged=True, external_id=external, token=token)
    if token:
        return Answer(accepted=True, token=token)
    return Answer(accepted=True, error=f"HTTP {reply.status} without service_request_id or token")


def _get(target: Target, path: str, params: dict[str, str] | None = None) -> _Reply:
    query = urllib.parse.urlencode({**_auth(target), **(params or {})})
    return _exchange(
        "GET", f"{_base(target)}{path}?{query}", headers={"Accept": "application/json"}
    )


def resolve_token(target: Target, token: str) -> Lookup:
    """GET tokens/{token}.json: the service_request_id once the remote has made the request."""
    reply = _get(target, f"tokens/{urllib.parse.quote(token, safe='')}.json")
    if reply.status == 404:
        return Lookup(found=False)
    if not 200 <= reply.status < 300:
        return Lookup(found=None, error=reply.error or f"HTTP {reply.status}")
    first = _first(_json(reply.body))
    external = _identifier(first.get("service_request_id")) if first else ""
    # A known token without an id yet: the remote has it, the id comes later.
    return Lookup(found=True, external_id=external)


def has_request(target: Target, external_id: str) -> Lookup:
    """GET requests/{id}.json: does the remote still have the request it acknowledged?"""
    reply = _get(target, f"requests/{urllib.parse.quote(external_id, safe='')}.json")
    if reply.status == 404:
        return Lookup(found=False)
    if not 200 <= reply.status < 300:
        return Lookup(found=None, error=reply.error or f"HTTP {reply.status}")
    return Lookup(found=True, external_id=external_id)


def find_request(
    target: Target, *, service_code: str, since: dt.datetime, until: dt.datetime, marker: str
) -> Lookup:
    """GET requests.json for the service and time span; found when a request's description
    carries our marker (every forwarded description ends with it)."""
    reply = _get(
        target,
        "requests.json",
        {
            "service_code": service_code,
            "start_date": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_date": until.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    if not 200 <= reply.status < 300:
        return Lookup(found=None, error=reply.error or f"HTTP {reply.status}")
    answer = _json(reply.body)
    if not isinstance(answer, list):
        return Lookup(found=None, error="requests.json did not answer a list")
    for item in answer:
        if isinstance(item, dict) and marker in str(item.get("description", "")):
            external = _identifier(item.get("service_request_id"))
            if external:
                return Lookup(found=True, external_id=external)
    return Lookup(found=False)
