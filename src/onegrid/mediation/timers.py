"""The mediation app's timers, run by `onegrid mediation tick` (late answers of the legal
adviser; mediation periods ending soon or past): each idempotent, safe to run
any number of times from any number of processes at once."""

from __future__ import annotations

import datetime as dt

from onegrid.core import clock

from . import advice, services


def tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every timer once; returns what each did."""
    now = now or clock.now()
    return {"legal_overdue": advice.notify_overdue(now=now), **services.notify_due(now=now)}
