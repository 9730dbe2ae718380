"""One outbound HTTP call, as notify (webhooks, the SMS gateway) and forwarding (webhooks, Open311
remotes) make it: plain urllib, one call at a time from a background job.

- Only http(s) addresses are opened (a `file:` or `ftp:` URL in a setting or an endpoint is
  refused, never read).
- Redirects are not followed: a 3xx is an answer, not a new address to send to — following it
  could point the worker at an internal address and would carry the signature headers to
  another host. The administrator corrects the address instead.
- The answer is read up to `limit` bytes.
- Nothing is raised: the outcome is a `Reply` (the status, or 0 with the fault when there was
  no answer at all), which each caller words and records in its own way.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


class UnsupportedAddress(ValueError):
    """An address that is not http(s)."""


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no answer at all (see `fault`)
    body: bytes = b""
    fault: BaseException | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def exchange(request: urllib.request.Request, *, timeout: float, limit: int) -> Reply:
    """Send `request` and read up to `limit` bytes of the answer (of an error status too)."""
    if request.type not in ("http", "https"):
        fault = UnsupportedAddress(f"only http(s) addresses are sent to, not {request.type!r}")
        return Reply(0, fault=fault)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Reply(response.status, response.read(limit))
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(limit)
        except OSError:
            body = b""
        return Reply(exc.code, body)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        return Reply(0, fault=exc)
