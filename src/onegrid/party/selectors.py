"""Reads of the Party organisation tree and its members, scoped to the reader.

The tree (names, kinds, places, counts of members) is not secret: the staff who steer or serve a
territory read it over their reach (org.policies.party_tree_reach). Who is a member is: Party
membership reveals political opinion (PIPL art. 28), so members reach a reader unmasked only
where org.policies.may_read_party_membership allows, and every such read is recorded
(org.access_log, PARTY_MEMBERSHIP); everyone else gets them masked (张*, 138****5678).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from onegrid.core.errors import NotFound
from onegrid.org import access_log, policies
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import AdminUnit, Grid

from .models import Member, Membership, Organisation

# 双报到 reads live in report_in_selectors; the contract names them here too.
from .report_in_selectors import live_report_in as live_report_in
from .report_in_selectors import report_ins_to as report_ins_to

PERSONAL_FIELDS = ("name", "phone", "employer")


def mask_name(name: str) -> str:
    """A name as those who may not read Party membership see it: its first character and a
    star for each of the rest (张三 → 张*, 欧阳娜娜 → 欧***)."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def _visible(reach: policies.PartyTreeReach) -> Q | None:
    """The filter of the organisations within `reach`; None when it covers nothing."""
    if reach.district_wide:
        return Q()
    if not reach.reads_anything:
        return None
    return (
        Q(unit_id__in=reach.street_ids)
        | Q(unit__parent_id__in=reach.street_ids)
        | Q(unit_id__in=reach.community_ids)
        | Q(unit_id__in=reach.district_ids)  # a city's district, read whole
    )


def visible_organisations(
    user: User | AnonymousUser, *, include_dissolved: bool = False
) -> QuerySet[Organisation]:
    """The organisations `user` may read (names and shape), with `member_count` (open
    memberships). Nothing for those outside PAGE_ROLES["party"]."""
    where = _visible(policies.party_tree_reach(user))
    if where is None:
        return Organisation.objects.none()
    rows = Organisation.objects.filter(where)
    if not include_dissolved:
        rows = rows.filter(dissolved_at__isnull=True)
    return rows.select_related("unit", "grid", "parent").annotate(
        member_count=Count("memberships", filter=Q(memberships__ended_on__isnull=True))
    )


def organisation_for(user: User | AnonymousUser, organisation_id: object) -> Organisation:
    """One organisation `user` may read, dissolved ones included; NotFound otherwise (also for
    ids that are not ids)."""
    try:
        pk = int(str(organisation_id))
    except (TypeError, ValueError):
        raise NotFound("no such organisation") from None
    if not 0 < pk < 2**63:
        raise NotFound("no such organisation")
    found = visible_organisations(user, include_dissolved=True).filter(pk=pk).first()
    if found is None:
        raise NotFound("no such organisation")
    return found


@dataclass(frozen=True)
class TreeNode:
    organisation: Organisation
    children: list[TreeNode]


def tree(user: User | AnonymousUser) -> list[TreeNode]:
    """The visible organisations as a forest: roots are those whose parent `user` does not see
    (the district committee for the district's staff, a street committee for a street's)."""
    rows = list(visible_organisations(user).order_by("code"))
    by_parent: dict[int | None, list[Organisation]] = {}
    ids = {o.pk for o in rows}
    for o in rows:
        by_parent.setdefault(o.parent_id if o.parent_id in ids else None, []).append(o)

    def build(o: Organisation, seen: frozenset[int]) -> TreeNode:
        kids = [build(c, seen | {o.pk}) for c in by_parent.get(o.pk, []) if c.pk not in seen]
        return TreeNode(o, kids)

    return [build(o, frozenset()) for o in by_parent.get(None, [])]


def map_points(user: User | AnonymousUser) -> list[dict[str, object]]:
    """The visible organisations as points for the map: a unit's organisation where it is, a
    grid's at the grid's label point, a territorial one at a point inside its place's boundary;
    those without any are left off. Counts of members only."""
    inside: dict[int, tuple[float, float] | None] = {}

    def point_in(unit: AdminUnit) -> tuple[float, float] | None:
        if unit.pk not in inside:
            shape = unit.geometry
            p = shape.representative_point() if shape is not None and not shape.is_empty else None
            inside[unit.pk] = (p.x, p.y) if p is not None else None
        return inside[unit.pk]

    points = []
    for o in visible_organisations(user).order_by("code"):
        if o.lon is not None and o.lat is not None:
            where: tuple[float, float] | None = (o.lon, o.lat)
        elif o.grid is not None:
            where = (o.grid.label_lon, o.grid.label_lat)
        else:
            where = point_in(o.unit)
        if where is None:
            continue
        points.append(
            {
                "id": o.pk,
                "name": o.name,
                "kind": o.kind,
                "kindLabel": str(o.get_kind_display()),
                "lon": where[0],
                "lat": where[1],
                "members": o.member_count,  # type: ignore[attr-defined]
            }
        )
    return points


def organisations_at(community: AdminUnit) -> QuerySet[Organisation]:
    """The live Party organisations standing in `community`: its committee or branches, its
    grids' branches and groups, the organisations of units there. Not sensitive (no members):
    the community page lists them."""
    return (
        Organisation.objects.filter(unit=community, dissolved_at__isnull=True)
        .select_related("grid", "parent")
        .order_by("kind", "code")
    )


def grid_organisations(grid_id: int) -> list[Organisation]:
    """The live Party branch or groups of one grid (the team page links them)."""
    return list(
        Organisation.objects.filter(grid_id=grid_id, dissolved_at__isnull=True)
        .select_related("secretary", "unit")
        .order_by("kind", "code")
    )


@dataclass(frozen=True)
class GridPartyRow:
    """A grid's Party branch or group as its team page shows it."""

    organisation: Organisation
    secretary_name: str  # empty unless the viewer may read Party membership there
    has_secretary: bool
    secretary_is_grid_head: bool


def grid_party_rows(
    user: User | AnonymousUser, grid: Grid, *, channel: str, path: str = ""
) -> list[GridPartyRow]:
    """The live Party branch or groups of `grid` for its team page: every viewer of the team sees
    the organisation; its secretary (a Party member) is named only to who may read Party
    membership at the grid's community, and logged. Whether the secretary is the grid head is
    said only to them too: everyone knows the grid head, so it would name a Party member."""
    orgs = grid_organisations(grid.pk)
    if not orgs:
        return []
    may_read = policies.may_read_party_membership(user, orgs[0].unit)
    heads = set(
        RoleAssignment.objects.filter(grid_id=grid.pk, role=Role.GRID_HEAD).values_list(
            "user_id", flat=True
        )
    )
    rows = [
        GridPartyRow(
            organisation=o,
            secretary_name=str(o.secretary) if o.secretary is not None and may_read else "",
            has_secretary=o.secretary_id is not None,
            secretary_is_grid_head=may_read and o.secretary_id in heads,
        )
        for o in orgs
    ]
    if may_read:
        access_log.record(
            user=user,
            kind=access_log.Kind.PARTY_MEMBERSHIP,
            channel=channel,
            subjects=[(f"user:{o.secretary_id}", ["secretary"]) for o in orgs if o.secretary_id],
            path=path,
        )
    return rows


# --- members --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    """One member as a page or answer shows them: unmasked only to who may read membership."""

    id: int
    name: str
    phone: str
    category: str
    status: str
    employer: str
    started_on: dt.date | None
    start: str
    masked: bool

    @property
    def category_label(self) -> str:
        return str(Member.Category(self.category).label) if self.category else ""


def _row(member: Member, stay: Membership | None, *, masked: bool) -> MemberRow:
    return MemberRow(
        id=member.pk,
        name=mask_name(member.name) if masked else member.name,
        phone=policies.mask_phone(member.phone) if masked and member.phone else member.phone,
        category=member.category,
        status=member.status,
        employer="" if masked else member.employer,
        started_on=stay.started_on if stay else None,
        start=stay.start if stay else "",
        masked=masked,
    )


def record_members_read(
    *, user: User | AnonymousUser, rows: Iterable[MemberRow], channel: str, path: str
) -> int:
    """Log the unmasked rows among `rows` as one read of Party membership each."""
    return access_log.record(
        user=user,
        kind=access_log.Kind.PARTY_MEMBERSHIP,
        channel=channel,
        subjects=[
            (r.id, [f for f in PERSONAL_FIELDS if getattr(r, f)]) for r in rows if not r.masked
        ],
        path=path,
    )


def members_of(
    user: User | AnonymousUser,
    organisation: Organisation,
    *,
    channel: str,
    path: str = "",
    limit: int | None = None,
) -> list[MemberRow]:
    """The current members of `organisation` (read with organisation_for first): unmasked and
    logged when `user` may read Party membership at its place, masked otherwise."""
    masked = not policies.may_read_party_membership(user, organisation.unit)
    stays = (
        Membership.objects.filter(organisation=organisation, ended_on__isnull=True)
        .select_related("member")
        .order_by("member__name", "member_id")
    )
    if limit is not None:
        stays = stays[:limit]
    rows = [_row(s.member, s, masked=masked) for s in stays]
    if not masked:
        record_members_read(user=user, rows=rows, channel=channel, path=path)
    return rows


@dataclass(frozen=True)
class HistoryRow:
    """One stay of a member in an organisation (transfers in and out)."""

    member: MemberRow
    organisation: Organisation
    started_on: dt.date
    start: str
    ended_on: dt.date | None
    end: str
    reason: str
    end_reason: str

    @property
    def start_label(self) -> str:
        return str(Membership.Start(self.start).label) if self.start else ""

    @property
    def end_label(self) -> str:
        return str(Membership.End(self.end).label) if self.end else ""


def history_of(
    user: User | AnonymousUser, organisation: Organisation, *, channel: str, path: str = ""
) -> list[HistoryRow]:
    """The stays in `organisation` that ended or began with a transfer, newest first: who came
    and went (masked and logged as members_of)."""
    masked = not policies.may_read_party_membership(user, organisation.unit)
    stays = list(
        Membership.objects.filter(organisation=organisation)
        .filter(Q(start=Membership.Start.TRANSFERRED_IN) | Q(ended_on__isnull=False))
        .select_related("member", "organisation")
        .order_by("-started_on", "-id")[:200]
    )
    rows = [
        HistoryRow(
            member=_row(s.member, s, masked=masked),
            organisation=s.organisation,
            started_on=s.started_on,
            start=s.start,
            ended_on=s.ended_on,
            end=s.end,
            reason=s.reason,
            end_reason=s.end_reason,
        )
        for s in stays
    ]
    if not masked:
        record_members_read(
            user=user,
            rows={r.member.id: r.member for r in rows}.values(),
            channel=channel,
            path=path,
        )
    return rows


def member_for(user: User | AnonymousUser, member_id: object) -> Member:
    """A member whose Party membership `user` may read (at the place of their open or last
    organisation); NotFound otherwise. The caller logs what it shows."""
    try:
        pk = int(str(member_id))
    except (TypeError, ValueError):
        raise NotFound("no such member") from None
    if not 0 < pk < 2**63:
        raise NotFound("no such member")
    member = Member.objects.filter(pk=pk).first()
    last = (
        Membership.objects.filter(member_id=pk)
        .select_related("organisation__unit")
        .order_by("-started_on", "-id")
        .first()
    )
    if (
        member is None
        or last is None
        or not policies.may_read_party_membership(user, last.organisation.unit)
    ):
        raise NotFound("no such member")
    return member


def memberships_of(member: Member) -> Sequence[Membership]:
    """A member's history, oldest first (read only through member_for)."""
    return list(
        Membership.objects.filter(member=member)
        .select_related("organisation")
        .order_by("started_on", "id")
    )
