"""Outbound safety of notify's HTTP sends (webhooks, the SMS gateway): a receiver's redirect is
never followed (it could point the worker at an internal address, and would carry the
signature headers there), and only http(s) addresses are ever opened."""

from __future__ import annotations

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from onegrid.notify import sms
from onegrid.notify.sms import SendError


class _Server:
    def __init__(self, status: int, location: str = "") -> None:
        self.hits: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.hits.append((self.command, self.path))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(status):
    inside = _Server(200)
    outside = _Server(status, location=inside.url + "internal")
    try:
        request = urllib.request.Request(outside.url, data=b"{}", method="POST")
        with pytest.raises(SendError):
            sms.post(request)
        assert outside.hits == [("POST", "/")]
        assert inside.hits == []
    finally:
        inside.close()
        outside.close()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:,{}"])
def test_only_http_addresses_are_opened(url):
    with pytest.raises(SendError):
        sms.post(urllib.request.Request(url, data=b"{}", method="POST"))
