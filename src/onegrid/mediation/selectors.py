"""Reads of the mediation register, scoped to the reader (org.policies, "People's mediation").

A dispute's content (facts, claims, parties, sessions, the agreement) reaches only those
org.policies.may_read_dispute allows, and every such read is recorded once per request
(org.access_log, MEDIATION). Street desks find register lines (number, type, state, dates; no
names, no content) of their street. The resident who applied follows their own application's
state.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from onegrid.core.errors import NotFound
from onegrid.org import policies
from onegrid.org.models import User

from .models import Dispute


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
    try:
        pk = int(str(dispute_id)) if str(dispute_id).isascii() else None
    except ValueError:
        pk = None
    if pk is None or not 0 < pk < 2**31:
        raise NotFound(_not_found())
    found = register(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def _not_found():
    from django.utils.translation import gettext

    return gettext("No such dispute.")
