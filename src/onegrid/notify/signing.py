"""Signed webhooks: an HMAC-SHA256 of the timestamp and the exact body, under a secret shared
with the receiver (the scheme Stripe and GitHub use). A receiver recomputes it, compares in
constant time and refuses an old timestamp, so a captured request cannot be replayed later.

Headers sent with every webhook (notifications and forwarding alike):
- `X-OneGrid-Signature: t=<unix seconds>,v1=<hex digest of "<t>.<body>">`
- `X-OneGrid-Delivery: <delivery id>`: the same on every retry of one delivery, so a receiver
  that has seen it may answer 2xx and do nothing (deliveries are at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

SIGNATURE_HEADER = "X-OneGrid-Signature"
DELIVERY_HEADER = "X-OneGrid-Delivery"
TOLERANCE_SECONDS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signed_json(secret: str, payload: dict, delivery_id: str) -> tuple[bytes, dict]:
    """A webhook's body (compact UTF-8 JSON) and its signed headers: one serialisation for
    notification webhooks and forwarding's, so the bytes signed are the bytes sent."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return body, signed_headers(secret, body, delivery_id)


def signed_headers(secret: str, body: bytes, delivery_id: str, *, now: float | None = None) -> dict:
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: signature(secret, body, timestamp),
        DELIVERY_HEADER: delivery_id,
    }


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True when `header` signs `body` under `secret` within `tolerance` seconds of now."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp)
    return hmac.compare_digest(expected, f"t={timestamp},v1={parts.get('v1', '')}")
