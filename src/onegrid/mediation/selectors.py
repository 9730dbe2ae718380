"""Reads of the mediation register, scoped to the reader (org.policies, "People's mediation").

A dispute's content (facts, claims, parties, sessions, the agreement) reaches only those
org.policies.may_read_dispute allows, and every such read is recorded once per request
(org.access_log, MEDIATION). Street desks find register lines (number, type, state, dates; no
names, no content) of their street. The resident who applied follows their own application's
state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from onegrid.core import clock
from onegrid.core.errors import NotFound
from onegrid.core.text_input import row_id
from onegrid.org import access_log, policies
from onegrid.org.models import User

from .models import (
    Agreement,
    Dispute,
    DisputeParty,
    FollowUp,
    MediationSession,
    MediatorAssignment,
    RefusedMediator,
)

PARTY_FIELDS = (
    "name",
    "sex",
    "age",
    "ethnicity",
    "occupation",
    "address",
    "phone",
    "representative",
)


def _reach_filter(reach: policies.MediationReach, *, content_only: bool) -> Q | None:
    q = Q(pk__in=[])
    any_ = False
    if reach.district_wide:
        return Q()
    if reach.mediator_units:
        # Accepted: the committee's unit; registered, not yet accepted: its community/street.
        q |= Q(committee__unit_id__in=reach.mediator_units) | Q(
            committee__isnull=True,
        ) & (Q(community_id__in=reach.mediator_units) | Q(street_id__in=reach.mediator_units))
        any_ = True
    if reach.judicial_street_ids:
        q |= Q(street_id__in=reach.judicial_street_ids)
        any_ = True
    if not content_only:
        if reach.lines_district_wide:
            return Q()
        if reach.line_street_ids:
            q |= Q(street_id__in=reach.line_street_ids)
            any_ = True
    return q if any_ else None


def register(user: User | AnonymousUser) -> QuerySet[Dispute]:
    """The disputes whose register line `user` reads (content or not: may_read_dispute decides
    per row)."""
    where = _reach_filter(policies.mediation_reach(user), content_only=False)
    if where is None:
        return Dispute.objects.none()
    return Dispute.objects.filter(where).select_related("type", "committee", "community", "street")


def readable(user: User | AnonymousUser) -> QuerySet[Dispute]:
    """The disputes whose content `user` reads."""
    where = _reach_filter(policies.mediation_reach(user), content_only=True)
    if where is None:
        return Dispute.objects.none()
    return Dispute.objects.filter(where)


def dispute_for(user: User | AnonymousUser, dispute_id: object) -> Dispute:
    """One dispute on the register of `user`; NotFound outside it (or for an odd id)."""
    pk = row_id(dispute_id)
    if pk is None:
        raise NotFound(_not_found())
    found = register(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def _not_found() -> str:
    return gettext("No such dispute.")


def is_overdue(dispute: Dispute, today: dt.date | None = None) -> bool:
    """Accepted, still being mediated and past its last day on the working calendar."""
    due = dispute.extended_on or dispute.due_on
    if due is None or dispute.state not in (Dispute.State.ACCEPTED, Dispute.State.MEDIATING):
        return False
    return (today or clock.local_today()) > due


def register_line(dispute: Dispute, today: dt.date | None = None) -> dict[str, object]:
    """What the register shows of a dispute to everyone who finds it there: no names, no
    content (street desks see only this)."""
    return {
        "id": dispute.pk,
        "number": dispute.number,
        "type": dispute.type.name,
        "type_code": dispute.type.code,
        "source": dispute.source,
        "source_label": str(dispute.get_source_display()),
        "state": dispute.state,
        "state_label": str(dispute.get_state_display()),
        "risk": dispute.risk,
        "community": dispute.community.name,
        "street": dispute.street.name,
        "committee": dispute.committee.name if dispute.committee is not None else "",
        "registered_at": dispute.registered_at,
        "accepted_at": dispute.accepted_at,
        "due_on": dispute.extended_on or dispute.due_on,
        "extended": dispute.extended_on is not None,
        "outcome_at": dispute.outcome_at,
        "closed_at": dispute.closed_at,
        "overdue": is_overdue(dispute, today),
    }


def filtered(
    user: User | AnonymousUser,
    *,
    state: str = "",
    type_code: str = "",
    street_id: int | None = None,
    overdue: bool = False,
    number: str = "",
) -> QuerySet[Dispute]:
    """The register with the list's filters (unknown values simply match nothing; a value with
    control characters, which PostgreSQL would refuse, is no filter of any row)."""
    rows = register(user)
    if not all(v.isprintable() for v in (state, type_code, number)):
        return rows.none()
    if state:
        rows = rows.filter(state=state)
    if type_code:
        rows = rows.filter(type__code=type_code)
    if street_id:
        rows = rows.filter(street_id=street_id)
    if number:
        rows = rows.filter(number__icontains=number)
    if overdue:
        today = clock.local_today()
        rows = rows.filter(
            state__in=(Dispute.State.ACCEPTED, Dispute.State.MEDIATING),
        ).filter(Q(extended_on__lt=today) | Q(extended_on__isnull=True, due_on__lt=today))
    return rows.order_by("-registered_at", "-pk")


@dataclass
class DisputeContent:
    """The confidential file of a dispute, for those may_read_dispute allows."""

    facts: str
    claims: str
    title: str
    parties: list[DisputeParty] = field(default_factory=list)
    mediators: list[MediatorAssignment] = field(default_factory=list)
    sessions: list[MediationSession] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    # The parties' choices (人民调解法 art. 23): mediators refused, public hearing or not.
    refusals: list[RefusedMediator] = field(default_factory=list)
    public_hearing: str = ""
    withdrawal_reason: str = ""


def content_of(
    user: User | AnonymousUser,
    dispute: Dispute,
    *,
    channel: str,
    path: str = "",
    with_agreement: bool = False,
) -> DisputeContent | None:
    """The dispute's content when `user` may read it (None otherwise), its read recorded in one
    insert (PersonalDataRead, MEDIATION): the dispute and each party shown (`with_agreement`:
    the page shows the agreement too, and the record says so when there is one)."""
    if not policies.may_read_dispute(user, dispute):
        return None
    content = DisputeContent(
        facts=dispute.facts,
        claims=dispute.claims,
        title=dispute.title,
        parties=list(dispute.parties.all()),
        mediators=list(dispute.assignments.select_related("mediator")),
        sessions=list(dispute.sessions.all()),
        follow_ups=list(dispute.follow_ups.all()),
        refusals=list(dispute.refusals.select_related("mediator")),
        public_hearing=dispute.public_hearing,
        withdrawal_reason=dispute.withdrawal_reason,
    )
    shown = ["facts"] + (["claims"] if dispute.claims else [])
    if content.sessions:
        shown.append("sessions")
    if with_agreement and Agreement.objects.filter(dispute_id=dispute.pk).exists():
        shown.append("agreement")
    subjects: list[tuple[object, list[str]]] = [(f"dispute:{dispute.pk}", shown)]
    subjects += [
        (f"party:{p.pk}", access_log.shown_fields(p, PARTY_FIELDS)) for p in content.parties
    ]
    access_log.record(
        user=user, kind=access_log.Kind.MEDIATION, channel=channel, subjects=subjects, path=path
    )
    return content


def my_applications(user: User | AnonymousUser) -> QuerySet[Dispute]:
    """The applications `user` made as a resident: they follow each one's state."""
    if not user.is_authenticated:
        return Dispute.objects.none()
    return (
        Dispute.objects.filter(source=Dispute.Source.RESIDENT, registered_by=user)
        .select_related("type", "community")
        .order_by("-registered_at")
    )
