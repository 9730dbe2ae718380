"""The smart-intake API at /api/v1/smart/: thin — parse, call one service or selector, render.

Helpers of the smart app add their routes to this one router (suggestions here; likely
duplicates beside them)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["smart"])
