"""The SMS gateway: one interface, three backends (settings ONEGRID["SMS_BACKEND"]).

- "file" (the default and the demo's): appends one JSON line {"at", "phone", "text", "key"} to
  ONEGRID["SMS_FILE"]; `outbox(phone)` reads them back (tests read one-time codes there).
- "console": prints the message.
- "http": POSTs {"phone", "text", "key"} as JSON to ONEGRID["SMS_URL"] with
  `Authorization: Bearer <SMS_TOKEN>`; sent only when the answer is 2xx with a JSON object
  (the gateway's acknowledgement). The key lets a gateway drop a resend of the same message.
"""

from __future__ import annotations

import fcntl
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from onegrid.core import clock


class SendError(Exception):
    """A send that did not go through; it is tried again later (notify.backoff)."""


class GiveUp(SendError):
    """A send that can never go through (its webhook endpoint was deactivated or deleted):
    the delivery is dead at once instead of retried for hours."""


class Gateway(Protocol):
    def send(self, *, phone: str, text: str, key: str) -> None: ...


def _outbox_path() -> Path:
    return Path(settings.ONEGRID["SMS_FILE"])


class FileGateway:
    def send(self, *, phone: str, text: str, key: str) -> None:
        path = _outbox_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": clock.now().isoformat(), "phone": phone, "text": text, "key": key},
            ensure_ascii=False,
        )
        with path.open("a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # one whole line per writer, across processes
            f.write(line + "\n")


class ConsoleGateway:
    def send(self, *, phone: str, text: str, key: str) -> None:
        print(f"SMS to {phone} [{key}]: {text}", file=sys.stdout, flush=True)


class HttpGateway:
    def send(self, *, phone: str, text: str, key: str) -> None:
        url = settings.ONEGRID["SMS_URL"]
        if not url:
            raise SendError("ONEGRID_SMS_URL is not set")
        body = json.dumps({"phone": phone, "text": text, "key": key}).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {settings.ONEGRID['SMS_TOKEN']}",
            },
        )
        ack = post(request)
        if not isinstance(ack, dict):
            raise SendError("the gateway answered without a JSON acknowledgement")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer, not a new address to send to: following it could point the worker
    at an internal address and would carry the signature headers to another host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(request: urllib.request.Request) -> Any:
    """Send `request`; the parsed JSON answer of a 2xx (None when it is not JSON), else
    SendError naming the status or the network fault. Only http(s) addresses; redirects are
    not followed (a 3xx is a failure the administrator fixes by correcting the address)."""
    timeout = settings.ONEGRID["NOTIFY_SEND_TIMEOUT_SECONDS"]
    if request.type not in ("http", "https"):
        raise SendError(f"only http(s) addresses are sent to, not {request.type!r}")
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as e:
        raise SendError(f"HTTP {e.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise SendError(f"{type(e).__name__}: {e}") from None
    if not 200 <= status < 300:
        raise SendError(f"HTTP {status}")
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


BACKENDS: dict[str, type[Gateway]] = {
    "file": FileGateway,
    "console": ConsoleGateway,
    "http": HttpGateway,
}


def gateway() -> Gateway:
    name = settings.ONEGRID["SMS_BACKEND"]
    try:
        return BACKENDS[name]()
    except KeyError:
        raise SendError(f"unknown SMS backend {name!r}") from None


def outbox(phone: str | None = None) -> list[dict[str, str]]:
    """The file backend's messages, oldest first (only those to `phone` when given)."""
    path = _outbox_path()
    if not path.exists():
        return []
    messages = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if phone is None or message.get("phone") == phone:
                messages.append(message)
    return messages
