"""Reads of the risk register, scoped by org.policies.risk_reach: the list (by level and state,
with its overdue follow-up marks), one risk with its follow-ups, and who may own a risk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet

from onegrid.core import clock
from onegrid.core.errors import NotFound
from onegrid.core.text_input import row_id
from onegrid.org import policies
from onegrid.org.models import RoleAssignment, User

from .models import Risk, RiskFollowUp
from .risks import follow_up_due_at


def visible(user: User) -> QuerySet[Risk]:
    reach = policies.risk_reach(user)
    if reach is None:
        return Risk.objects.none()
    rows = Risk.objects.all()
    if not reach.district_wide:
        rows = rows.filter(
            Q(street_id__in=reach.street_ids)
            | Q(community_id__in=reach.community_ids)
            | Q(grid_id__in=reach.grid_ids)
        )
    return rows


@dataclass(frozen=True)
class RiskRow:
    risk: Risk
    follow_up_due_at: dt.datetime | None
    overdue: bool


def register(
    user: User, *, level: str = "", state: str = "open", limit: int = 500
) -> list[RiskRow]:
    """The risks `user` reads, high first, then by when raised; `level` and `state` filter
    (unknown values filter nothing out of scope: they match no row)."""
    rows = visible(user).select_related("grid", "community", "street", "owner")
    if level:
        rows = rows.filter(level=level)
    if state:
        rows = rows.filter(state=state)
    rows = rows.annotate(last_follow_up=Max("follow_ups__at"))
    order: dict[str, int] = {"high": 0, "medium": 1, "low": 2}
    now = clock.now()
    out = []
    for risk in rows.order_by("-raised_at")[:limit]:
        due = follow_up_due_at(risk, getattr(risk, "last_follow_up", None))
        out.append(RiskRow(risk, due, due is not None and due < now))
    return sorted(out, key=lambda r: (order.get(r.risk.level, 3), -r.risk.raised_at.timestamp()))


def risk_for(user: User, risk_id: object) -> Risk:
    pk = row_id(risk_id)
    if pk is None:
        raise NotFound(_no_such(), field="risk")
    risk = (
        visible(user)
        .select_related("grid", "community", "street", "owner", "raised_by", "screening")
        .filter(pk=pk)
        .first()
    )
    if risk is None:
        raise NotFound(_no_such(), field="risk")
    return risk


def follow_ups(risk: Risk) -> list[RiskFollowUp]:
    return list(risk.follow_ups.select_related("by").order_by("at"))


def owner_candidates(place: policies.Place) -> list[User]:
    """Staff who may own a risk at `place` (org.policies.may_own_risk)."""
    ids = set(
        RoleAssignment.objects.filter(
            Q(grid_id=place.grid_id) if place.grid_id else Q(pk__in=[]),
            role__in=policies.RISK_KEEPERS,
        ).values_list("user_id", flat=True)
    ) | set(
        RoleAssignment.objects.filter(
            unit_id__in=[u for u in (place.street_id, place.community_id) if u],
            role__in=policies.RISK_KEEPERS,
        ).values_list("user_id", flat=True)
    )
    people = User.objects.filter(pk__in=ids, is_active=True).order_by("username")
    return [p for p in people if policies.may_own_risk(p, place)]


def _no_such() -> str:
    from django.utils.translation import gettext

    return gettext("No such risk.")
