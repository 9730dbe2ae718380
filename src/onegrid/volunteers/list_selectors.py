"""Reads for a community's page: its three lists with who claimed what, the units and members
reported in (双报到), and what the viewer may claim as.

Scoped: the caller first gets the community through `community_for` (policies.may_open_community).
A claim by a member says the member is in the Party (PIPL art. 28: sensitive): member names are
shown only to those policies.may_read_party_membership allows at the community, and each such
read is logged (PARTY_MEMBERSHIP); a member reading their own claim sees their own name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import NotFound, PermissionDenied
from onegrid.org import access_log, policies
from onegrid.org.models import User
from onegrid.party.models import Member, Organisation, ReportIn
from onegrid.party.selectors import mask_name
from onegrid.territory.models import AdminUnit

from .lists import LIVE_STATES, may_act_for_claim, speaks_as_claimant
from .models import Claim, CoBuildingUnit, ListItem, VolunteerOrganisation


def community_for(user: User, community_id: object) -> AdminUnit:
    """The community `community_id` if `user` may open its page: NotFound for no such community,
    PermissionDenied outside the viewer's reach."""
    try:
        pk = int(str(community_id), 10) if str(community_id).isascii() else None
    except ValueError:
        pk = None
    community = (
        AdminUnit.objects.filter(pk=pk, level=AdminUnit.Level.COMMUNITY)
        .select_related("parent")
        .first()
        if pk is not None and 0 < pk < 2**63
        else None
    )
    if community is None:
        raise NotFound(_("No such community."), field="community")
    if not policies.may_open_community(user, community):
        raise PermissionDenied(_("You may not open this community's page."))
    return community


@dataclass(frozen=True)
class ClaimRow:
    id: int
    claimant_kind: str  # member, organisation, partner, volunteer_organisation
    claimant_kind_label: str
    claimant: str  # a member's name masked unless the viewer may read Party membership
    state: str
    state_label: str
    claimed_at: dt.datetime
    service_note: str
    service_hours: Decimal | None
    done_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    may_act: bool  # the viewer speaks for the claimant (withdraw, record)
    may_confirm: bool


@dataclass(frozen=True)
class ItemRow:
    id: int
    kind: str
    kind_label: str
    title: str
    description: str
    capacity: int
    state: str
    state_label: str
    live_claims: int
    claims: list[ClaimRow] = field(default_factory=list)

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.live_claims, 0)


CLAIMANT_LABELS = {
    "member": _("Party member"),
    "organisation": _("Unit (reported in)"),
    "partner": _("Co-building unit"),
    "volunteer_organisation": _("Volunteer organisation"),
}


def _claimant(claim: Claim) -> tuple[str, str]:
    for kind in ("member", "organisation", "partner", "volunteer_organisation"):
        who = getattr(claim, kind)
        if who is not None:
            return kind, who.name
    return "", ""  # the one-claimant constraint rules this out


def lists_of(
    community: AdminUnit,
    *,
    user: User,
    channel: str,
    path: str = "",
    kind: str | None = None,
    include_closed: bool = True,
    include_withdrawn: bool = False,
) -> list[ItemRow]:
    """The community's list items (one list when `kind` is given) with their claims, newest
    first within each list."""
    items = ListItem.objects.filter(community=community)
    if kind:
        items = items.filter(kind=kind)
    if not include_closed:
        items = items.filter(state=ListItem.State.OPEN)
    claims = Claim.objects.select_related(
        "member", "organisation", "partner", "volunteer_organisation"
    ).order_by("claimed_at", "pk")
    if not include_withdrawn:
        claims = claims.exclude(state=Claim.State.WITHDRAWN)
    items = items.prefetch_related(Prefetch("claims", queryset=claims))
    reads_members = policies.may_read_party_membership(user, community)
    keeper = policies.may_keep_community_lists(user, community)
    kinds = dict(ListItem.Kind.choices)
    item_states = dict(ListItem.State.choices)
    claim_states = dict(Claim.State.choices)
    shown_members: list[int] = []
    rows = []
    for item in items:
        claim_rows = []
        for claim in item.claims.all():
            claim.item = item  # may_act_for_claim reads the item's community
            kind_name, name = _claimant(claim)
            member = claim.member
            if member is not None:
                own = member.user_id is not None and member.user_id == user.pk
                if reads_members and not own:
                    shown_members.append(member.pk)
                elif not own:
                    name = mask_name(name)
            claim_rows.append(
                ClaimRow(
                    id=claim.pk,
                    claimant_kind=kind_name,
                    claimant_kind_label=str(CLAIMANT_LABELS.get(kind_name, "")),
                    claimant=name,
                    state=claim.state,
                    state_label=str(claim_states.get(claim.state, claim.state)),
                    claimed_at=claim.claimed_at,
                    service_note=claim.service_note,
                    service_hours=claim.service_hours,
                    done_at=claim.done_at,
                    confirmed_at=claim.confirmed_at,
                    may_act=claim.state in (Claim.State.CLAIMED, Claim.State.DONE)
                    and may_act_for_claim(user, claim),
                    may_confirm=keeper
                    and claim.state == Claim.State.DONE
                    and not speaks_as_claimant(user, claim),
                )
            )
        rows.append(
            ItemRow(
                id=item.pk,
                kind=item.kind,
                kind_label=str(kinds.get(item.kind, item.kind)),
                title=item.title,
                description=item.description,
                capacity=item.capacity,
                state=item.state,
                state_label=str(item_states.get(item.state, item.state)),
                live_claims=sum(1 for c in claim_rows if c.state in LIVE_STATES),
                claims=claim_rows,
            )
        )
    _record_members(user, shown_members, channel=channel, path=path)
    return rows


def _record_members(user: User, member_ids: list[int], *, channel: str, path: str) -> None:
    if member_ids:
        access_log.record(
            user=user,
            kind=access_log.Kind.PARTY_MEMBERSHIP,
            channel=channel,
            subjects=[(pk, ["name"]) for pk in dict.fromkeys(member_ids)],
            path=path,
        )


# --- what the viewer may claim as -----------------------------------------------------------


@dataclass(frozen=True)
class ClaimantChoice:
    field: str  # member, organisation, partner, volunteer_organisation
    id: int
    label: str


def claimants_for(user: User, community: AdminUnit) -> list[ClaimantChoice]:
    """Whom `user` may claim for in `community`: themselves as a Party member reported in
    there, the reported-in unit organisations they are secretary of, and — for the community's
    list keepers — every reported-in unit, active co-building unit and volunteer organisation
    of the community or its street."""
    keeper = policies.may_keep_community_lists(user, community)
    choices: list[ClaimantChoice] = []
    confirmed = ReportIn.objects.filter(community=community, state=ReportIn.State.CONFIRMED)
    member = Member.objects.filter(user_id=user.pk).first() if user.pk else None
    if member is not None and confirmed.filter(member=member).exists():
        choices.append(ClaimantChoice("member", member.pk, str(_("Myself (Party member)"))))
    units = Organisation.objects.filter(
        kind=Organisation.Kind.UNIT,
        dissolved_at__isnull=True,
        pk__in=confirmed.filter(organisation__isnull=False).values("organisation_id"),
    ).order_by("name")
    if not keeper:
        units = units.filter(secretary_id=user.pk)
    choices += [ClaimantChoice("organisation", o.pk, o.name) for o in units]
    if keeper:
        partners = CoBuildingUnit.objects.filter(community=community, active=True)
        choices += [ClaimantChoice("partner", p.pk, p.name) for p in partners]
        teams = VolunteerOrganisation.objects.filter(
            Q(unit=community) | Q(unit_id=community.parent_id), active=True
        )
        choices += [ClaimantChoice("volunteer_organisation", t.pk, t.name) for t in teams]
    return choices


def item_of(community: AdminUnit, item_id: int) -> ListItem:
    """The community's item `item_id`: NotFound when it is another community's or none."""
    item = ListItem.objects.filter(pk=item_id, community=community).first()
    if item is None:
        raise NotFound(_("No such list item."), field="item")
    return item


def claim_of(community: AdminUnit, claim_id: int) -> Claim:
    """A claim on one of the community's items: NotFound when it is another's or none."""
    claim = Claim.objects.filter(pk=claim_id, item__community=community).first()
    if claim is None:
        raise NotFound(_("No such claim."), field="claim")
    return claim


def partner_of(community: AdminUnit, partner_id: int) -> CoBuildingUnit:
    """The community's co-building unit `partner_id`: NotFound otherwise."""
    partner = CoBuildingUnit.objects.filter(pk=partner_id, community=community).first()
    if partner is None:
        raise NotFound(_("No such co-building unit."), field="partner")
    return partner


def may_keep(user: User, community: AdminUnit) -> bool:
    """Whether the page and API offer `user` the keepers' forms (policies decides)."""
    return policies.may_keep_community_lists(user, community)


def item_row(item: ListItem) -> ItemRow:
    """One item as a row, for the answer to its own write (its claims are not listed)."""
    kinds = dict(ListItem.Kind.choices)
    states = dict(ListItem.State.choices)
    return ItemRow(
        id=item.pk,
        kind=item.kind,
        kind_label=str(kinds.get(item.kind, item.kind)),
        title=item.title,
        description=item.description,
        capacity=item.capacity,
        state=item.state,
        state_label=str(states.get(item.state, item.state)),
        live_claims=Claim.objects.filter(item=item, state__in=LIVE_STATES).count(),
    )
