"""When to try a failed delivery again: exponential back-off with full jitter, capped, and a
last attempt after which it is a dead letter (kept, shown on the console, retried by hand)."""

from __future__ import annotations

import datetime as dt
import random

BASE_SECONDS = 30
CAP_SECONDS = 3600
# Waits of at most 30 s, 1 min, 2, 4, 8, 16, 32 min, then an hour (each at least half that):
# 12 attempts span 2½–5 hours, about 4 on average.
MAX_ATTEMPTS = 12


def delay_after(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt (1 for the first failure)."""
    ceiling = min(CAP_SECONDS, BASE_SECONDS * 2 ** max(0, attempts - 1))
    # Half fixed, half random: spread out, yet never sooner than half the ceiling.
    jitter = (rng or random).uniform(0, ceiling / 2)
    return dt.timedelta(seconds=ceiling / 2 + jitter)


def is_dead(attempts: int, *, max_attempts: int = MAX_ATTEMPTS) -> bool:
    return attempts >= max_attempts
