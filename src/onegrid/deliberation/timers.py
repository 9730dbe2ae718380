"""The deliberation app's timers, run by `onegrid deliberation tick`: each is idempotent (a
second run at the same time finds nothing more to do) and returns how many rows it changed."""

from __future__ import annotations

import datetime as dt

from . import topics


def lapse_topics(now: dt.datetime | None = None) -> int:
    """Topics still collecting co-signatures past cosign_until become LAPSED."""
    return topics.lapse_due(now)
