"""org.throttling.minute_wait: the per-minute count the public pages and Open311 share."""

import datetime as dt

from django.core.cache import cache

from onegrid.core import clock
from onegrid.org.throttling import minute_wait

MINUTE = dt.datetime(2026, 3, 3, 9, 30, 0, tzinfo=dt.UTC)


def test_counts_per_key_and_minute_and_says_how_long_to_wait():
    cache.clear()
    with clock.frozen_at(MINUTE + dt.timedelta(seconds=15)):
        assert [minute_wait("test:a", 2) for _ in range(3)] == [0, 0, 45]
        assert minute_wait("test:b", 2) == 0  # another caller has its own count
    with clock.frozen_at(MINUTE + dt.timedelta(seconds=60)):
        assert minute_wait("test:a", 2) == 0  # a new minute starts afresh
