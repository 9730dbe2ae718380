"""Structured logs: a request id on every line logged while a request is served, and one line
per request (`onegrid.request`) when ONEGRID_LOG_FORMAT=json.

The id comes from nginx's `X-Request-ID` (deploy/nginx/onegrid.conf sets it to `$request_id`,
so nginx's access log and the app's lines share it) when it looks like one, otherwise it is
made here; the response carries it back in `X-Request-ID`. The request line holds method,
path (never the query string, which may carry a token or a phone number), view, status and
duration — nothing about the person (docs/operations.md "Logs").
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.http import HttpRequest

REQUEST_ID: ContextVar[str] = ContextVar("onegrid_request_id", default="")
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

request_logger = logging.getLogger("onegrid.request")


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is a plain token of 8–64 characters, else a new one."""
    if header and _ACCEPTED_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (empty outside a request) to every record the handler writes, and
    shortens the request Django's own loggers attach (django.request's 4xx/5xx lines) to its
    method and path: its repr holds the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            record.request = f"{request.method} {request.path}"
            if not getattr(record, "request_id", None):
                record.request_id = getattr(request, "request_id", "")
        if not getattr(record, "request_id", None):
            record.request_id = REQUEST_ID.get()
        return True
