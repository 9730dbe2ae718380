"""Forwarding's health for the console's alert (web imports it): per target, the forwards given
up (dead), failing for a while, and sent but still not acknowledged after a while."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from onegrid.core import clock

from .models import Forward, Target

# A forward failing this long (since its first attempt) is worth an alert; a single failure is
# not (the back-off retries it within a minute).
FAILING_FOR = dt.timedelta(minutes=15)
# Sent (the remote answered 2xx) but without its id this long.
UNACKNOWLEDGED_FOR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class FailingTarget:
    target_id: int
    target: str
    dead: int
    retrying: int
    unacknowledged: int

    @property
    def total(self) -> int:
        return self.dead + self.retrying + self.unacknowledged


def failing_forwards(now: dt.datetime | None = None) -> list[FailingTarget]:
    """The targets with forwards in trouble, by name; empty when all is well. One query."""
    now = now or clock.now()
    rows = (
        Target.objects.annotate(
            dead=Count("forwards", filter=Q(forwards__state=Forward.State.DEAD)),
            retrying=Count(
                "forwards",
                filter=Q(
                    forwards__state=Forward.State.FAILED,
                    forwards__first_attempt_at__lte=now - FAILING_FOR,
                ),
            ),
            unacknowledged=Count(
                "forwards",
                filter=Q(
                    forwards__state=Forward.State.SENT,
                    forwards__sent_at__lte=now - UNACKNOWLEDGED_FOR,
                ),
            ),
        )
        .filter(Q(dead__gt=0) | Q(retrying__gt=0) | Q(unacknowledged__gt=0))
        .order_by("name")
        .values_list("pk", "name", "dead", "retrying", "unacknowledged")
    )
    return [FailingTarget(*row) for row in rows]
