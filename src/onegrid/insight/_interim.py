"""TEMPORARY: the figures of several scopes or buckets through `compute_measures`, one event
pass each, until `insight.totals` (the rollups) lands; then selectors read totals and this
module goes. Correct, slow: one pass per street, department or trend bucket."""

from __future__ import annotations

import datetime as dt

from onegrid.cases.models import CaseEvent
from onegrid.org.models import Department
from onegrid.territory.models import AdminUnit, Grid

from .measures import Measures, Scope, compute_measures


def measures_of(
    start: dt.datetime, end: dt.datetime, *, as_of: dt.datetime, scope: Scope
) -> Measures:
    if scope.kind == "district":
        return compute_measures(start, end, as_of=as_of)
    return compute_measures(start, end, as_of=as_of, **{scope.kind: scope.code})  # type: ignore[arg-type]


def measures_by(
    start: dt.datetime, end: dt.datetime, *, as_of: dt.datetime, group_by: str
) -> dict[str, Measures]:
    codes: list[str]
    if group_by == "street":
        codes = list(AdminUnit.objects.filter(level="street").values_list("code", flat=True))
    elif group_by == "department":
        codes = list(Department.objects.values_list("code", flat=True))
    elif group_by == "grid":
        codes = list(Grid.objects.values_list("code", flat=True))
    else:
        raise ValueError(group_by)
    return {
        code: measures_of(start, end, as_of=as_of, scope=Scope(group_by, code)) for code in codes
    }


PERSON_COUNTERS = (
    "reports",
    "valid",
    "self_closed",
    "checks",
    "timely_checks",
    "signed",
    "fed_back",
    "returned",
    "extensions",
)


def person_counts(
    start: dt.datetime, end: dt.datetime, *, as_of: dt.datetime, user_ids: list[int]
) -> dict[int, dict[str, int]]:
    """Per person: the events they took in [start, end), known at `as_of`. A report is valid
    when its case was registered or self-closed by `as_of`. Timely checks need the check
    deadline of each check, which only the rollups keep: 0 here."""
    out = {pk: dict.fromkeys(PERSON_COUNTERS, 0) for pk in user_ids}
    events = CaseEvent.objects.filter(
        actor_id__in=user_ids, at__gte=start, at__lt=end, at__lte=as_of
    )
    by_action = {
        "self_close": "self_closed",
        "pass_check": "checks",
        "fail_check": "checks",
        "sign": "signed",
        "feed_back": "fed_back",
        "return": "returned",
        "request_extension": "extensions",
    }
    valid_cases = set(
        CaseEvent.objects.filter(action__in=("register", "self_close"), at__lte=as_of)
        .filter(case_id__in=events.filter(action="report").values("case_id"))
        .values_list("case_id", flat=True)
    )
    for actor_id, action, case_id in events.values_list("actor_id", "action", "case_id"):
        counters = out[actor_id]
        if action == "report":
            counters["reports"] += 1
            counters["valid"] += case_id in valid_cases
        elif action in by_action:
            counters[by_action[action]] += 1
    return out
