"""A process's copy of rows that change rarely, reloaded when their version token changes; the
token itself is read at most every ONEGRID_CALENDAR_RECHECK_SECONDS (the working calendar,
core.workdays, and a district's class overrides, cases.overrides, both keep one)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings

DEFAULT_RECHECK_SECONDS = 2.0

Snapshot = TypeVar("Snapshot")


class RecheckedCopy(Generic[Snapshot]):
    """Holds one snapshot (anything with a `token` attribute) and when to check its token next."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.next_check = float("-inf")

    def get(self, token: Callable[[], Any], load: Callable[[Any], Snapshot]) -> Snapshot:
        """The snapshot; its token is compared with `token()` once the interval has passed,
        and `load(token)` makes a new one when they differ."""
        snap = self.snapshot
        if snap is not None and time.monotonic() < self.next_check:
            return snap
        with self.lock:
            snap = self.snapshot
            if snap is not None and time.monotonic() < self.next_check:
                return snap
            # The token is read before the rows: a change landing in between leaves the copy
            # with the older token, so the next check reloads, never the other way round.
            current = token()
            if snap is None or snap.token != current:  # type: ignore[attr-defined]
                snap = load(current)
                self.snapshot = snap
            recheck = settings.ONEGRID.get("CALENDAR_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS)
            self.next_check = time.monotonic() + float(recheck)
            return snap

    def forget(self) -> None:
        """Drop the copy; the next read reloads it."""
        with self.lock:
            self.snapshot = None
            self.next_check = float("-inf")
