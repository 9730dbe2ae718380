"""吹哨报到 figures per department: how often the streets summoned it, whether it reported in on
time, and how satisfied the streets were with its work.

Read from the whistle tasks themselves (cases.models.Task, role "whistle"): they are few (a
street whistles for the matters it cannot settle alone) and each holds its own clock and rating,
so no rollup is kept. Periods are half-open [start, end):

* summoned: whistle tasks created in the period;
* due: whistle tasks whose report-in deadline fell in the period and had passed by now, or
  that reported in (a summons cancelled before its deadline with the case is not due);
* reported in / on time: of those due, the ones that reported in, and by their deadline;
* rated / satisfied: the streets' ratings given in the period, and of them "satisfied" or
  "basically satisfied".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onegrid.cases.models import Task
from onegrid.core import clock

from .measures import rate

SATISFIED = ("satisfied", "basically_satisfied")

# The league table's extra columns (insight.selectors.league_table, departments): key → label,
# and the formula each is computed by.
LABELS = {
    "whistles_summoned": _("Whistles received"),
    "whistle_on_time_rate": _("Reported in on time"),
    "whistle_satisfaction_rate": _("Street satisfaction with whistle work"),
}
DEFINITIONS = {
    "whistles_summoned": _(
        "吹哨报到: the times a street summoned the department in the period (its whistle tasks)."
    ),
    "whistle_on_time_rate": _(
        "吹哨报到: summonses whose department reported in by the report-in deadline ÷ summonses "
        "whose report-in deadline fell in the period and has passed (or that reported in)."
    ),
    "whistle_satisfaction_rate": _(
        "吹哨报到: the streets' ratings in the period that are satisfied or basically satisfied "
        "÷ the streets' ratings of summoned departments' work in the period."
    ),
}


@dataclass(frozen=True)
class WhistleFigures:
    summoned: int = 0
    due: int = 0
    reported_in: int = 0
    reported_in_on_time: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def on_time_rate(self) -> Decimal | None:
        """Reported in on time ÷ due, in percent (None when none was due)."""
        return rate(self.reported_in_on_time, self.due)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        """(Satisfied + basically satisfied) ÷ rated, in percent (None when none was rated)."""
        return rate(self.satisfied, self.rated)

    def columns(self) -> dict[str, object]:
        return {
            "whistles_summoned": self.summoned,
            "whistle_on_time_rate": self.on_time_rate,
            "whistle_satisfaction_rate": self.satisfaction_rate,
        }


def department_whistle_figures(
    *,
    start: dt.datetime,
    end: dt.datetime,
    department_ids: Iterable[int] | None = None,
    street_ids: Iterable[int] | None = None,
) -> dict[int, WhistleFigures]:
    """Per department id, its 吹哨报到 figures for [start, end) (module docstring), counting the
    summonses of `street_ids`' streets only when given. A department with no summons, due
    report-in or rating in the period is absent."""
    now = clock.now()
    tasks = Task.objects.filter(role=Task.Role.WHISTLE)
    if department_ids is not None:
        tasks = tasks.filter(department_id__in=list(department_ids))
    if street_ids is not None:
        tasks = tasks.filter(case__street_id__in=list(street_ids))
    in_period = Q(dispatched_at__gte=start, dispatched_at__lt=end)
    due_in_period = Q(report_in_due_at__gte=start, report_in_due_at__lt=end) & (
        Q(reported_in_at__isnull=False)
        | (Q(report_in_due_at__lte=now) & ~Q(state=Task.State.CANCELLED))
    )
    rated_in_period = Q(rated_at__gte=start, rated_at__lt=end)
    rows = tasks.filter(in_period | due_in_period | rated_in_period).values_list(
        "department_id",
        "dispatched_at",
        "report_in_due_at",
        "reported_in_at",
        "reported_in_on_time",
        "state",
        "rated_at",
        "rating",
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * 6)
    for department_id, summoned_at, due_at, reported_at, on_time, state, rated_at, rating in rows:
        c = counts[department_id]
        if start <= summoned_at < end:
            c[0] += 1
        if (
            due_at is not None
            and start <= due_at < end
            and (reported_at is not None or (due_at <= now and state != Task.State.CANCELLED))
        ):
            c[1] += 1
            c[2] += reported_at is not None
            c[3] += bool(on_time)
        if rated_at is not None and start <= rated_at < end:
            c[4] += 1
            c[5] += rating in SATISFIED
    return {d: WhistleFigures(*c) for d, c in counts.items()}
