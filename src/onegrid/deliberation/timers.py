"""The deliberation app's timers, run by `onegrid deliberation tick`: each is idempotent (a
second run at the same time finds nothing more to do) and returns how many rows it changed."""

from __future__ import annotations

import datetime as dt

from onegrid.core import clock

from . import ballots, decisions, topics
from .models import Ballot


def lapse_topics(now: dt.datetime | None = None) -> int:
    """Topics still collecting co-signatures past cosign_until become LAPSED."""
    return topics.lapse_due(now)


def close_due_ballots(now: dt.datetime | None = None) -> int:
    """Open ballots whose closing time has come are closed and counted (each under its row
    lock and only while still open, so two ticks at once close it once)."""
    moment = now or clock.now()
    due = Ballot.objects.filter(state=Ballot.State.OPEN, closes_at__lte=moment).values_list(
        "pk", flat=True
    )
    return sum(1 for pk in list(due) if ballots.close_due(pk, moment))


def settle_decisions() -> int:
    """Published decisions whose projects and cases are all done are carried out (the rule is
    deliberation.decisions')."""
    return decisions.settle_decisions()


def tick(now: dt.datetime | None = None) -> dict[str, int]:
    """Every timer once (what `onegrid deliberation tick` runs)."""
    moment = now or clock.now()
    return {
        "ballots_closed": close_due_ballots(moment),
        "topics_lapsed": lapse_topics(moment),
        "decisions_settled": settle_decisions(),
    }
