"""Reads of 双报到: a unit's or member's live report-in, what a community has confirmed, what
awaits a Party-organisation staff member's decision, and the coverage figures.

Members are Party membership (sensitive personal data, PIPL art. 28): their names are shown
only to whom org.policies.may_read_party_membership allows over the community, and every such
read is logged (org.access_log, PARTY_MEMBERSHIP); everyone else reads them masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from onegrid.org import access_log, policies
from onegrid.org.models import Role, User
from onegrid.territory.models import AdminUnit

from .models import Member, Organisation, ReportIn

State = ReportIn.State


def live_report_in(
    *, member: Member | None = None, organisation: Organisation | None = None
) -> ReportIn | None:
    """The confirmed report-in of a member or of a unit's organisation, or None (a claim of a
    community's list item needs one to that community)."""
    if (member is None) == (organisation is None):
        raise ValueError("give exactly one of member and organisation")
    rows = ReportIn.objects.filter(state=State.CONFIRMED).select_related("community")
    if member is not None:
        return rows.filter(member=member).first()
    return rows.filter(organisation=organisation).first()


@dataclass(frozen=True)
class ReportInRow:
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    community_id: int
    community: str
    name: str  # the unit's name, or the member's (masked unless the reader may read it)
    masked: bool
    reported_at: dt.datetime
    decided_at: dt.datetime | None
    decline_reason: str


def _rows(
    report_ins: QuerySet[ReportIn],
    *,
    user: User,
    channel: str,
    path: str,
) -> list[ReportInRow]:
    rows: list[ReportInRow] = []
    readable: dict[int, bool] = {}
    shown: list[tuple[int, list[str]]] = []
    for r in report_ins.select_related("community", "organisation", "member"):
        if r.member is not None:
            if r.community_id not in readable:
                readable[r.community_id] = policies.may_read_party_membership(user, r.community)
            masked = not readable[r.community_id]
            name = _("A Party member") if masked else r.member.name
            if not masked:
                shown.append((r.member.pk, ["name"]))
        else:
            masked = False
            name = r.organisation.name if r.organisation is not None else ""
        rows.append(
            ReportInRow(
                id=r.pk,
                kind=r.kind,
                kind_label=r.get_kind_display(),
                state=r.state,
                state_label=r.get_state_display(),
                community_id=r.community_id,
                community=r.community.name,
                name=name,
                masked=masked,
                reported_at=r.reported_at,
                decided_at=r.decided_at,
                decline_reason=r.decline_reason,
            )
        )
    if shown:
        access_log.record(
            user=user,
            kind=access_log.Kind.PARTY_MEMBERSHIP,
            channel=channel,
            subjects=shown,
            path=path,
        )
    return rows


def report_ins_to(
    community: AdminUnit, *, user: User, channel: str = "page", path: str = ""
) -> list[ReportInRow]:
    """The confirmed report-ins to `community` as rows a page can show: units by name, members
    by name only where the reader may read Party membership there (logged), else masked."""
    return _rows(
        ReportIn.objects.filter(community=community, state=State.CONFIRMED).order_by(
            "kind", "reported_at"
        ),
        user=user,
        channel=channel,
        path=path,
    )


def _decidable_communities(user: User) -> Q:
    """The communities whose report-ins `user` decides (may_decide_report_in), as a filter."""
    where = Q(pk__in=[])
    for a in policies.assignments(user):
        if a.role != Role.PARTY_STAFF or a.unit is None:
            continue
        if a.unit.level in (AdminUnit.Level.DISTRICT, AdminUnit.Level.CITY):
            return Q()
        if a.unit.level == AdminUnit.Level.STREET:
            where |= Q(community__parent_id=a.unit_id)
        else:
            where |= Q(community_id=a.unit_id)
    return where


def report_ins_for_staff(
    user: User, *, state: str, channel: str = "page", path: str = ""
) -> list[ReportInRow]:
    """The report-ins in `state` to the communities `user` decides on (Party-organisation staff
    over them), oldest first: the pending ones to confirm or decline, the confirmed ones."""
    where = _decidable_communities(user)
    rows = ReportIn.objects.filter(where, state=state).order_by("community__name", "reported_at")
    return _rows(rows, user=user, channel=channel, path=path)


def own_report_in(user: User) -> tuple[Member | None, ReportIn | None]:
    """The Party member linked to `user`'s account and their live (or last) report-in."""
    member = Member.objects.filter(user=user).select_related("home_community").first()
    if member is None:
        return None, None
    last = (
        ReportIn.objects.filter(member=member)
        .select_related("community")
        .order_by("-reported_at", "-pk")
        .first()
    )
    return member, last


# --- coverage (for the measures) ---------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    units: int  # units' Party organisations standing in the area
    units_reported: int  # of those, with a confirmed report-in
    members: int  # in-service members living in the area
    members_reported: int  # of those, with a confirmed report-in

    @property
    def unit_rate(self) -> float | None:
        return self.units_reported / self.units if self.units else None

    @property
    def member_rate(self) -> float | None:
        return self.members_reported / self.members if self.members else None


def _units_in(unit: AdminUnit) -> list[int]:
    """`unit` and every unit below it (a district's streets and communities)."""
    ids = [unit.pk]
    level = [unit.pk]
    while level:
        level = list(AdminUnit.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        ids.extend(level)
    return ids


def report_in_coverage(*, unit: AdminUnit) -> Coverage:
    """双报到 coverage in `unit` (a district, street or community): units' Party organisations
    standing there with a confirmed report-in ÷ those standing there (not dissolved), and
    in-service members living there with one ÷ in-service members living there (still
    members). Not personal: counts only."""
    area = _units_in(unit)
    orgs = Organisation.objects.filter(
        kind=Organisation.Kind.UNIT, unit_id__in=area, dissolved_at__isnull=True
    )
    members = Member.objects.filter(
        category=Member.Category.IN_SERVICE,
        organisation__isnull=False,
        home_community_id__in=area,
    )
    confirmed = ReportIn.objects.filter(state=State.CONFIRMED)
    return Coverage(
        units=orgs.count(),
        units_reported=orgs.filter(
            pk__in=confirmed.filter(organisation__isnull=False).values("organisation_id")
        ).count(),
        members=members.count(),
        members_reported=members.filter(
            pk__in=confirmed.filter(member__isnull=False).values("member_id")
        ).count(),
    )
