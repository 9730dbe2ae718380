"""Real local HTTP servers standing in for the systems cases are forwarded to (tests/forwarding):
a webhook receiver that checks signatures and dedupes by delivery id, and a small Open311
GeoReport v2 remote (POST requests, GET requests, requests/{id}, tokens/{token}).

Each runs on support.receivers.Receiver (127.0.0.1, a daemon thread); tests flip its `mode` to make
it go down, hang past the client's timeout, or lose its answer after doing the work.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

from onegrid.forwarding.models import Rule, Target
from onegrid.notify import signing
from support.receivers import Handler, Receiver


class _Remote:
    mode = "up"  # "down": 503; "hang": no answer before the client gives up; "lose": do the
    # work, then hang (the answer is lost)
    hang_seconds = 2.0

    @contextlib.contextmanager
    def running(self) -> Iterator[_Remote]:
        with Receiver(respond=self._respond).running() as server:
            self.url = server.url + "/"
            yield self

    def _respond(self, h: Handler, body: bytes) -> None:
        if h.command == "POST":
            self.post(h, body)
        else:
            self.get(h)

    def post(self, h: Handler, body: bytes) -> None:
        raise NotImplementedError

    def get(self, h: Handler) -> None:
        h.reply_json(405)


@dataclass
class WebhookReceiver(_Remote):
    """Acknowledges each signed delivery with its own id; a delivery seen before gets the same
    id again and is not counted twice (`accepted`: delivery id → payload, first receipt)."""

    secret: str = "s3cret"
    answer: str = "ack"  # "ack": {"id": …}; "bare": 200 with no body
    posts: int = 0
    accepted: dict[str, dict] = field(default_factory=dict)
    bad_signatures: int = 0
    _ids: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, h: Handler, body: bytes) -> None:
        with self._lock:
            self.posts += 1
        if self.mode == "down":
            h.reply_json(503, {"error": "maintenance"})
            return
        if self.mode == "hang":
            time.sleep(self.hang_seconds)
            return
        if not signing.verify(self.secret, body, h.headers.get(signing.SIGNATURE_HEADER, "")):
            with self._lock:
                self.bad_signatures += 1
            h.reply_json(401, {"error": "bad signature"})
            return
        delivery = h.headers.get(signing.DELIVERY_HEADER, "")
        with self._lock:
            if delivery not in self.accepted:
                self.accepted[delivery] = json.loads(body)
                self._ids[delivery] = f"R-{len(self._ids) + 1}"
            receipt = self._ids[delivery]
        if self.mode == "lose":
            time.sleep(self.hang_seconds)
            return
        h.reply_json(200, {"id": receipt} if self.answer == "ack" else None)

    def cases(self) -> list[str]:
        return [p["case"]["number"] for p in self.accepted.values()]


@dataclass
class Open311Remote(_Remote):
    """A GeoReport v2 endpoint: knows one API key and a few service codes. `answer`: "id"
    (POST answers service_request_id and token), "token" (only a token: the id is known from
    the `resolve_after`-th GET tokens/{token} on). Honours Idempotency-Key when asked to."""

    api_key: str = "key-1"
    jurisdiction_id: str = "tianjin"
    services: tuple[str, ...] = ("101", "A0101", "A0102")
    answer: str = "id"
    resolve_after: int = 1
    honour_idempotency: bool = False
    requests: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_asks: dict[str, int] = field(default_factory=dict)
    posts: int = 0
    _keys: dict[str, str] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _error(self, h: Handler, status: int, text: str) -> None:
        h.reply_json(status, [{"code": status, "description": text}])

    def _authorised(self, h: Handler, params: dict[str, str]) -> bool:
        if params.get("api_key") != self.api_key:
            self._error(h, 403, "invalid api_key")
            return False
        if params.get("jurisdiction_id") != self.jurisdiction_id:
            self._error(h, 404, "jurisdiction_id not found")
            return False
        return True

    def post(self, h: Handler, body: bytes) -> None:
        params = dict(urllib.parse.parse_qsl(body.decode()))
        with self._lock:
            self.posts += 1
        if self.mode == "down":
            self._error(h, 503, "down for maintenance")
            return
        if self.mode == "hang":
            time.sleep(self.hang_seconds)
            return
        if urllib.parse.urlsplit(h.path).path != "/requests.json":
            self._error(h, 404, "not found")
            return
        if not self._authorised(h, params):
            return
        if params.get("service_code") not in self.services:
            self._error(h, 400, "service_code not found")
            return
        key = h.headers.get("Idempotency-Key", "")
        with self._lock:
            if self.honour_idempotency and key in self._keys:
                request_id = self._keys[key]
            else:
                request_id = str(next(self._ids))
                self.requests[request_id] = {**params, "service_request_id": request_id}
                self._keys[key] = request_id
            token = f"tok-{request_id}"
            self.tokens[token] = request_id
        if self.mode == "lose":
            time.sleep(self.hang_seconds)
            return
        if self.answer == "token":
            h.reply_json(201, [{"token": token}])
        else:
            h.reply_json(201, [{"service_request_id": request_id, "token": token}])

    def get(self, h: Handler) -> None:
        split = urllib.parse.urlsplit(h.path)
        params = dict(urllib.parse.parse_qsl(split.query))
        if self.mode in ("down", "hang", "lose"):
            self._error(h, 503, "down for maintenance")
            return
        if not self._authorised(h, params):
            return
        path = split.path
        if path == "/requests.json":
            found = [
                self._public(r)
                for r in self.requests.values()
                if r["service_code"] == params.get("service_code", r["service_code"])
            ]
            h.reply_json(200, found)
        elif path.startswith("/tokens/") and path.endswith(".json"):
            token = urllib.parse.unquote(path[len("/tokens/") : -len(".json")])
            if token not in self.tokens:
                self._error(h, 404, "token not found")
                return
            with self._lock:
                self.token_asks[token] = self.token_asks.get(token, 0) + 1
                asks = self.token_asks[token]
            item = {"token": token}
            if self.answer != "token" or asks >= self.resolve_after:
                item["service_request_id"] = self.tokens[token]
            h.reply_json(200, [item])
        elif path.startswith("/requests/") and path.endswith(".json"):
            request_id = urllib.parse.unquote(path[len("/requests/") : -len(".json")])
            if request_id not in self.requests:
                self._error(h, 404, "request not found")
                return
            h.reply_json(200, [self._public(self.requests[request_id])])
        else:
            self._error(h, 404, "not found")

    @staticmethod
    def _public(request: dict) -> dict:
        return {
            "service_request_id": request["service_request_id"],
            "service_code": request["service_code"],
            "description": request.get("description", ""),
            "status": "open",
        }

    def forget(self, request_id: str) -> None:
        """The remote loses a request (restored from an old backup, say)."""
        with self._lock:
            self.requests.pop(request_id, None)
            for token in [t for t, r in self.tokens.items() if r == request_id]:
                del self.tokens[token]


def webhook_target(url, *, on="register", class_prefix="", department=None, secret="s3cret"):
    target = Target.objects.create(name=f"hook {url}", kind="webhook", url=url, secret=secret)
    Rule.objects.create(target=target, on=on, class_prefix=class_prefix, department=department)
    return target


def open311_target(url, *, on="register", class_prefix="", api_key="key-1", **extra):
    target = Target.objects.create(
        name=f"311 {url}",
        kind="open311",
        url=url,
        api_key=api_key,
        jurisdiction_id=extra.pop("jurisdiction_id", "tianjin"),
        **extra,
    )
    Rule.objects.create(target=target, on=on, class_prefix=class_prefix)
    return target
