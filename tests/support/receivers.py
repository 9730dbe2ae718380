"""A real local HTTP receiver for webhook and SMS-gateway tests (http.server in a thread).

It records every POST (path, headers, JSON body) and answers 200 with a JSON ack, unless told to
be down (connection refused: the socket is closed), to fail (status), or to stall on the first
request (for killing a sender mid-delivery)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.requests: list[dict] = []
        self.status = 200
        self.answer = b'{"ok": true}'
        self.stall_first_seconds = 0.0
        self.stalled = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stall = 0.0
                with receiver._lock:
                    if receiver.stall_first_seconds and not receiver.stalled.is_set():
                        stall = receiver.stall_first_seconds
                        receiver.stalled.set()
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": self.headers,  # case-insensitive
                            "body": body,
                            "json": json.loads(body) if body else None,
                        }
                    )
                if stall:
                    time.sleep(stall)
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def delivery_ids(self) -> Counter[str]:
        """How many times each webhook delivery (X-OneGrid-Delivery) arrived."""
        return Counter(
            r["headers"].get("X-OneGrid-Delivery")
            for r in self.requests
            if r["headers"].get("X-OneGrid-Delivery")
        )
