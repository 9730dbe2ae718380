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
import urllib.request
from pathlib import Path
from typing import Protocol

from django.conf import settings

from onegrid.core import clock

from .sending import SendError, post


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
