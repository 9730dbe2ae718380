"""Whether notifications are getting out: for the console's alert (web reads it)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from onegrid.core import clock

from .models import Delivery

# A delivery still retrying this long after it was created is "retrying long".
LONG_RETRY = dt.timedelta(minutes=30)


def failing_deliveries(now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """{channel: {"dead": n, "retrying": n}} for the channels with dead deliveries or ones
    retrying for more than 30 minutes; empty when all is well."""
    now = now or clock.now()
    rows = (
        Delivery.objects.filter(
            Q(state=Delivery.State.DEAD)
            | Q(state=Delivery.State.RETRYING, created_at__lte=now - LONG_RETRY)
        )
        .values("channel")
        .annotate(
            dead=Count("id", filter=Q(state=Delivery.State.DEAD)),
            retrying=Count("id", filter=Q(state=Delivery.State.RETRYING)),
        )
    )
    return {
        r["channel"]: {"dead": r["dead"], "retrying": r["retrying"]}
        for r in rows
        if r["dead"] or r["retrying"]
    }
