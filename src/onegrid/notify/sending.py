"""What every channel's send shares (notify.channels): the errors a send raises — the delivery
is tried again (notify.backoff), or is dead at once — and the JSON POST of webhooks and the
HTTP SMS gateway over notify.outbound."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from django.conf import settings

from . import outbound


class SendError(Exception):
    """A send that did not go through; it is tried again later (notify.backoff)."""


class GiveUp(SendError):
    """A send that can never go through (its webhook endpoint was deactivated or deleted):
    the delivery is dead at once instead of retried for hours."""


def post(request: urllib.request.Request) -> Any:
    """Send `request` (notify.outbound: only http(s), no redirect followed); the parsed JSON
    answer of a 2xx (None when it is not JSON), else SendError naming the status or the
    network fault."""
    reply = outbound.exchange(
        request, timeout=settings.ONEGRID["NOTIFY_SEND_TIMEOUT_SECONDS"], limit=64 * 1024
    )
    if isinstance(reply.fault, outbound.UnsupportedAddress):
        raise SendError(str(reply.fault))
    if reply.fault is not None:
        raise SendError(f"{type(reply.fault).__name__}: {reply.fault}")
    if not reply.ok:
        raise SendError(f"HTTP {reply.status}")
    try:
        return json.loads(reply.body) if reply.body else None
    except ValueError:
        return None
