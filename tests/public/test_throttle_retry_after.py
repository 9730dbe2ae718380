"""A throttled tracking look-up says when to try again (Retry-After), as every other 429 of the
platform does (Open311, the residents' code requests, sign-in lockouts)."""

import datetime as dt

from django.core.cache import cache
from django.test import Client

from onegrid.core import clock


def test_a_throttled_look_up_carries_retry_after(world, pages_on, settings):
    settings.ONEGRID = {**settings.ONEGRID, "PUBLIC_LOOKUPS_PER_MINUTE": 1}
    cache.clear()
    minute = clock.now().replace(second=0, microsecond=0)
    with clock.frozen_at(minute + dt.timedelta(seconds=20)):
        anyone = Client()
        assert anyone.get("/public/reports/0000000000/").status_code == 404
        refused = anyone.get("/public/reports/0000000000/")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
