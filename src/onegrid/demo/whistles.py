"""The demo's 吹哨报到: streets summon departments to some of their open cases, through
cases.services.perform_action like real use, after the simulated month's history.

For a few cases of each street still in progress and quiet for a while (no event in the month's
last WHISTLE_DAYS days), the street's shift lead (``lead-<street serial>``) whistles for one or
two district departments; most report in (``dept-<code>``) within hours, some too late, a few
never; most of those feed back on their task, and the shift lead rates the work. Every step
comes after the case's last event and before the month's end, in time order with the clock
frozen at its moment, so the case's history stays in order.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from onegrid.cases import services
from onegrid.cases.models import Case, Task
from onegrid.cases.states import State
from onegrid.org.models import Department, User
from onegrid.territory.models import AdminUnit

from .people import _district, department_username, desk_username
from .volunteering import _Steps

WHISTLE_SEED = 1213
PER_STREET = 2  # cases whistled for in each street, at most
WHISTLE_DAYS = 4  # a case whistled for had no event in the month's last days
RATINGS = (("satisfied", 60), ("basically_satisfied", 25), ("unsatisfied", 15))


@dataclass
class WhistleSummary:
    cases: int = 0
    tasks: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        states = dict(Task.State.choices)
        tasks = ", ".join(f"{states.get(k, k)} {v}" for k, v in sorted(self.tasks.items()))
        line = gettext("吹哨报到: %(cases)d cases, summoned departments: %(tasks)s") % {
            "cases": self.cases,
            "tasks": tasks or "0",
        }
        out = [line + " " + gettext("(%(s).1f s)") % {"s": self.seconds}]
        if self.refused:
            out.append(
                "  "
                + gettext("refused by the services: %(what)s")
                % {"what": ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items()))}
            )
        return out


def _act(actor: User, case: Case, action: str, reason: str = "", **params) -> None:
    services.perform_action(
        actor=actor, case_id=case.pk, action=action, reason=reason, params=params
    )


def _task_of(case: Case, department: Department) -> str:
    task = Task.objects.filter(case=case, department=department, role=Task.Role.WHISTLE).first()
    return str(task.pk) if task else ""


def _rate(actor: User, case: Case, department: Department, rating: str) -> None:
    reason = "配合不够及时，请加强联动" if rating == "unsatisfied" else ""
    _act(actor, case, "rate_whistle", reason, task=_task_of(case, department), rating=rating)


def seed_whistles(
    *, start: dt.datetime, end: dt.datetime, seed: int = WHISTLE_SEED
) -> WhistleSummary:
    """Whistles in the month [start, end) on quiet open cases (module docstring), unless any
    case was whistled for already."""
    result = WhistleSummary()
    if Task.objects.filter(role=Task.Role.WHISTLE).exists():
        return result
    began = time.perf_counter()
    rng = random.Random(seed)
    quiet_since = end - dt.timedelta(days=WHISTLE_DAYS)
    departments = [
        d
        for d in Department.objects.filter(street__isnull=True).order_by("code")
        if User.objects.filter(username=department_username(d)).exists()
    ]
    handlers = {d.pk: User.objects.get(username=department_username(d)) for d in departments}
    steps = _Steps(result.refused)
    streets = AdminUnit.objects.filter(parent=_district(), level="street").order_by("code")
    for street in streets:
        lead = User.objects.filter(username=desk_username("lead", street)).first()
        if lead is None:
            continue
        quiet = list(
            Case.objects.filter(street=street, state=State.IN_PROGRESS, reported_at__gte=start)
            .annotate(last=Max("events__at"))
            .filter(last__lt=quiet_since)
            .order_by("number")
        )
        for case in rng.sample(quiet, min(PER_STREET, len(quiet))):
            busy = set(
                case.tasks.exclude(
                    state__in=(Task.State.CANCELLED, Task.State.RETURNED)
                ).values_list("department_id", flat=True)
            )
            free = [d for d in departments if d.pk not in busy]
            if not free:
                continue
            summoned = rng.sample(free, min(len(free), rng.choice((1, 1, 2))))
            whistle_at = case.last + dt.timedelta(hours=rng.randint(2, 30))  # type: ignore[attr-defined]
            whistle_at = whistle_at.replace(hour=rng.randint(9, 16))
            if whistle_at <= case.last or whistle_at >= quiet_since:  # type: ignore[attr-defined]
                continue
            result.cases += 1
            steps.at(
                whistle_at,
                "whistle",
                partial(
                    _act,
                    lead,
                    case,
                    "whistle",
                    "问题涉及多个部门职责，街道吹哨召集联合处置",
                    departments=[d.code for d in summoned],
                ),
            )
            for department in summoned:
                if rng.random() < 0.1:
                    continue  # never reports in
                reported = whistle_at + dt.timedelta(minutes=rng.choice((30, 60, 90, 150, 300)))
                handler = handlers[department.pk]
                steps.at(reported, "report in", partial(_act, handler, case, "report_in"))
                if rng.random() < 0.2:
                    continue  # still at work
                fed_back = reported + dt.timedelta(hours=rng.randint(4, 30))
                steps.at(
                    fed_back,
                    "feed back",
                    partial(_act, handler, case, "feed_back", "已到场配合，职责范围内问题已处置"),
                )
                rated = fed_back + dt.timedelta(hours=rng.randint(2, 20))
                if rated < end:
                    rating = rng.choices([r for r, _w in RATINGS], [w for _r, w in RATINGS])[0]
                    steps.at(rated, "rate", partial(_rate, lead, case, department, rating))
    with transaction.atomic():
        steps.run()
    result.tasks = Counter(
        Task.objects.filter(role=Task.Role.WHISTLE).values_list("state", flat=True)
    )
    result.seconds = time.perf_counter() - began
    return result
