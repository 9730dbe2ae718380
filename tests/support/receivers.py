"""A real local HTTP receiver for webhook, SMS-gateway and forwarding tests (http.server in a
thread): the one server the tests stand up; tests/support/forwarding_remotes.py builds its
remotes on it.

It records every request (method, path, headers, body, JSON body) and answers `status` with
`answer` (and `headers`), unless told to be down (connection refused: the socket is closed) or to
stall on the first request (for killing a sender mid-delivery). A `respond(handler, body)` given
to it answers instead, for a remote with rules of its own."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status: int, body: object = None) -> None:
        self.reply(status, b"" if body is None else json.dumps(body).encode())

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.receiver.serve(self, body)

    do_GET = do_POST = _serve  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver


class Receiver:
    def __init__(
        self,
        port: int | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        respond: Callable[[Handler, bytes], None] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.requests: list[dict] = []
        self.status = status
        self.headers = headers or {}
        self.answer = b'{"ok": true}'
        self.respond = respond
        self.stall_first_seconds = 0.0
        self.stalled = threading.Event()
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> Receiver:
        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._server.receiver = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @contextlib.contextmanager
    def running(self) -> Iterator[Receiver]:
        self.up()
        try:
            yield self
        finally:
            self.down()

    def serve(self, h: Handler, body: bytes) -> None:
        stall = 0.0
        with self._lock:
            if self.stall_first_seconds and not self.stalled.is_set():
                stall = self.stall_first_seconds
                self.stalled.set()
            self.requests.append(
                {
                    "method": h.command,
                    "path": h.path,
                    "headers": h.headers,  # case-insensitive
                    "body": body,
                    "json": _json(body),
                }
            )
        if self.respond is not None:
            self.respond(h, body)
            return
        if stall:
            time.sleep(stall)
        h.reply(self.status, self.answer, self.headers)

    def delivery_ids(self) -> Counter[str]:
        """How many times each webhook delivery (X-OneGrid-Delivery) arrived."""
        return Counter(
            r["headers"].get("X-OneGrid-Delivery")
            for r in self.requests
            if r["headers"].get("X-OneGrid-Delivery")
        )


def _json(body: bytes) -> object:
    try:
        return json.loads(body) if body else None
    except ValueError:  # a form-encoded POST (Open311)
        return None
