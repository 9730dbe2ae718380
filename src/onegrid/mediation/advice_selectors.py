"""Reads of the questions to the legal adviser: the asker's own, and an adviser's communities'
(each adviser read of a question logged once per request, kind LEGAL_QUESTION). Nobody else
reads them."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from onegrid.core.errors import NotFound
from onegrid.core.text_input import row_id
from onegrid.org import access_log, policies
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import AdminUnit

from .models import LegalQuestion

SHOWN = ("question", "answer")


def mine(user: User) -> QuerySet[LegalQuestion]:
    return LegalQuestion.objects.filter(asked_by=user).select_related("community")


def for_adviser(user: User, *, state: str = "") -> QuerySet[LegalQuestion]:
    rows = LegalQuestion.objects.filter(
        community_id__in=policies.legal_adviser_community_ids(user)
    ).select_related("community", "asked_by")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("due_at") if state == LegalQuestion.State.OPEN else rows


def record_adviser_reads(
    user: User, questions: list[LegalQuestion], *, channel: str, path: str
) -> None:
    """One access-log insert for the questions an adviser was shown (their own are not)."""
    access_log.record(
        user=user,
        kind=access_log.Kind.LEGAL_QUESTION,
        channel=channel,
        path=path,
        subjects=[
            (q.pk, [f for f in SHOWN if getattr(q, f)])
            for q in questions
            if q.asked_by_id != user.pk
        ],
    )


def question_for(user: User, question_id: object, *, channel: str, path: str) -> LegalQuestion:
    """One question `user` may read (asker or the community's adviser), the read logged for
    an adviser; NotFound otherwise (or for an odd id)."""
    pk = row_id(question_id)
    if pk is None:
        raise NotFound(_("No such question."), field="question")
    row = (
        LegalQuestion.objects.select_related("community", "asked_by", "answered_by")
        .filter(pk=pk)
        .first()
    )
    if row is None or not policies.may_read_legal_question(
        user, asked_by_id=row.asked_by_id, community_id=row.community_id
    ):
        raise NotFound(_("No such question."), field="question")
    record_adviser_reads(user, [row], channel=channel, path=path)
    return row


# --- the appointers' page: advisers and the oversight of answers (never a question's text) --


def _reach_filter(user: User, field: str) -> dict[str, object] | None:
    """A filter on `field` (a community) for the communities in `user`'s
    policies.legal_adviser_reach: {} for the whole district, None for nowhere."""
    reach = policies.legal_adviser_reach(user)
    if reach is None:
        return None
    if reach.district_wide:
        return {}
    return {f"{field}__parent_id__in": sorted(reach.street_ids)}


def overseen_communities(user: User) -> list[dict[str, object]]:
    """The communities whose advisers `user` appoints, each with its advisers' usernames and
    names: [{"community": AdminUnit, "advisers": [User, …]}, …] by code."""
    where = _reach_filter(user, "unit")
    if where is None:
        return []
    units = AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY).select_related("parent")
    if "unit__parent_id__in" in where:
        units = units.filter(parent_id__in=where["unit__parent_id__in"])
    advisers: dict[int, list[User]] = {}
    for a in (
        RoleAssignment.objects.filter(role=Role.LEGAL_ADVISER, unit__level="community", **where)
        .select_related("user")
        .order_by("user__username")
    ):
        if a.unit_id is not None:
            advisers.setdefault(a.unit_id, []).append(a.user)
    return [{"community": u, "advisers": advisers.get(u.pk, [])} for u in units.order_by("code")]


OVERSIGHT_FIELDS = (
    "pk",
    "community__name",
    "community__code",
    "asked_at",
    "due_at",
    "answered_at",
    "state",
    "answered_by__username",
)


def oversight(user: User, *, now: dt.datetime, limit: int = 200) -> list[dict[str, object]]:
    """The questions in `user`'s reach that are open or were answered after their due time,
    the late first: community, asked at, due, answered at, late or not, adviser. Only those
    fields are read from the database: never the question's or the answer's text, nor the
    asker (questions are personal; this is no read of one, and is not logged as one)."""
    where = _reach_filter(user, "community")
    if where is None:
        return []
    rows = (
        LegalQuestion.objects.filter(**where)
        .filter(
            Q(state=LegalQuestion.State.OPEN)
            | Q(state=LegalQuestion.State.ANSWERED, answered_at__gt=F("due_at"))
        )
        .order_by("due_at", "pk")
        .values(*OVERSIGHT_FIELDS)[:limit]
    )
    out = []
    for row in rows:
        done = row["answered_at"]
        row["late"] = (done or now) > row["due_at"]
        out.append(row)
    return out
