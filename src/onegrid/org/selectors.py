"""Reads of people, scoped by org.policies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import InvalidInput, NotFound
from onegrid.territory.models import AdminUnit, Grid
from onegrid.territory.selectors import places_in_scope

from . import access_log
from .models import TEAM_ROLES, Department, DutyShift, Role, RoleAssignment, TeamSlot, User
from .policies import (
    GRID_TEAM,
    Place,
    grantable_team_roles,
    grid_place,
    mask_phone,
    may_read_party_membership,
    may_see_place,
    may_take_away_team_place,
    scope_for,
)
from .teams import current_slots


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str
    role_label: str
    phone: str  # masked


def grid_team(
    viewer: User, place: Place, *, channel: str = access_log.Channel.PAGE, path: str = ""
) -> list[TeamMember]:
    """The 1+3+N team bound to the grid at `place`, for a viewer who may see that place. Who
    holds its Party-member place is listed only to those who may read Party membership there,
    each such answer logged (PARTY_MEMBERSHIP, through `channel` at `path`)."""
    if place.grid_id is None or not may_see_place(viewer, place):
        return []
    rows = (
        RoleAssignment.objects.filter(grid_id=place.grid_id, role__in=GRID_TEAM)
        .select_related("user")
        .order_by("user__username")
    )
    if _party_hidden(viewer, place.community_id):
        rows = rows.exclude(role=Role.PARTY_MEMBER)
    assigned = list(rows)
    _log_party_shown(
        viewer, [a.user_id for a in assigned if a.role == Role.PARTY_MEMBER], channel, path
    )
    members = [
        TeamMember(
            name=str(a.user),
            role=a.role,
            role_label=str(Role(a.role).label),
            phone=mask_phone(a.user.phone),
        )
        for a in assigned
    ]
    members.sort(key=lambda m: TEAM_ROLES.index(Role(m.role)))
    return members


def departments() -> QuerySet[Department]:
    """Every department a case may be dispatched to, street police stations last."""
    return Department.objects.order_by("street__code", "code")


# --- grid teams (1+3+N): composition, roster, vacancies --------------------------------------


@dataclass(frozen=True)
class SlotMember(TeamMember):
    username: str = ""  # for the forms that take a member off the team
    removable: bool = False  # the viewer may take this place away (org.policies)


@dataclass(frozen=True)
class SlotView:
    role: str
    label: str
    minimum: int
    members: list[SlotMember]

    @property
    def filled(self) -> int:
        """Places of the slot filled: extra members beyond the minimum fill no other slot."""
        return min(len(self.members), self.minimum)

    @property
    def missing(self) -> int:
        return shortfall(self.minimum, len(self.members))


@dataclass(frozen=True)
class TeamGroup:
    group: str
    group_label: str
    slots: list[SlotView]

    @property
    def required(self) -> int:
        return sum(s.minimum for s in self.slots)

    @property
    def filled(self) -> int:
        """Required places filled, slot by slot (never more than `required`)."""
        return sum(s.filled for s in self.slots)

    @property
    def members(self) -> list[SlotMember]:
        return [m for s in self.slots for m in s.members]

    @property
    def missing(self) -> int:
        return sum(s.missing for s in self.slots)


def shortfall(minimum: int, have: int) -> int:
    """Empty places of one slot on one grid: what its minimum asks beyond the `have` holders."""
    return max(0, minimum - have)


def _filled_counts(
    grids: Iterable[int] | QuerySet[Grid, Any], roles: Iterable[str]
) -> dict[tuple[int, str], int]:
    """How many people hold each of `roles` on each of `grids` (ids or a Grid queryset), in one
    query: {(grid_id, role): n}; pairs nobody holds are left out."""
    rows = (
        RoleAssignment.objects.filter(grid_id__in=grids, role__in=list(roles))
        .values("grid_id", "role")
        .annotate(n=Count("user_id", distinct=True))
    )
    return {(row["grid_id"], row["role"]): row["n"] for row in rows}


def _party_hidden(viewer: User, community_id: int | None) -> bool:
    """Whether a team's Party-member places are kept from `viewer`: holding one tells who is a
    Party member (sensitive personal data, PIPL art. 28), which only Party-organisation staff
    of the grid's community or above read (org.policies.may_read_party_membership)."""
    community = AdminUnit.objects.filter(pk=community_id).first() if community_id else None
    return community is None or not may_read_party_membership(viewer, community)


def _log_party_shown(viewer: User, user_ids: Iterable[int], channel: str, path: str) -> None:
    """Record that `viewer` was shown that each of `user_ids` holds a grid's Party-member place
    (Party membership, PIPL art. 28: every unmasked read logged)."""
    access_log.record(
        user=viewer,
        kind=access_log.Kind.PARTY_MEMBERSHIP,
        channel=channel,
        subjects=[(f"user:{pk}", ["team_role"]) for pk in dict.fromkeys(user_ids)],
        path=path,
    )


def _held_labels(
    grid_id: int,
    user_ids: Iterable[int],
    slots: Iterable[TeamSlot],
    *,
    hide_party: bool = True,
    party_shown: list[int] | None = None,
) -> dict[int, list[str]]:
    """The labels of the team roles each of `user_ids` holds on the grid, sorted: {user_id:
    labels}. A role the slots leave out shows its name. The Party-member place is left out
    when `hide_party` (_party_hidden); otherwise those labelled with it are added to
    `party_shown`, for the caller to log."""
    labels = {s.role: s.label for s in slots}
    held: dict[int, list[str]] = {}
    roles = [r for r in GRID_TEAM if not (hide_party and r == Role.PARTY_MEMBER)]
    for user_id, role in RoleAssignment.objects.filter(
        grid_id=grid_id, user_id__in=set(user_ids), role__in=roles
    ).values_list("user_id", "role"):
        held.setdefault(user_id, []).append(labels.get(role) or str(Role(role).label))
        if role == Role.PARTY_MEMBER and party_shown is not None:
            party_shown.append(user_id)
    return {user_id: sorted(names) for user_id, names in held.items()}


def team_of(
    viewer: User,
    grid: Grid | None,
    slots: list[TeamSlot] | None = None,
    *,
    channel: str = access_log.Channel.PAGE,
    path: str = "",
) -> list[TeamGroup]:
    """The grid's team by slot group (core, helper, volunteer), each slot with its members.

    Empty when the viewer may not see the grid. Members holding a team role that the district's
    slots leave out are not listed. `slots`: current_slots(), when the caller has them already.
    Who holds a Party-member place is shown only to those who may read Party membership there
    (each such answer logged, PARTY_MEMBERSHIP, through `channel` at `path`); others see the
    place filled, without the person.
    """
    if grid is None:
        return []
    place = grid_place(grid)
    if not may_see_place(viewer, place):
        return []
    slots = current_slots() if slots is None else slots
    grantable = grantable_team_roles(viewer, place)
    by_role: dict[str, list[SlotMember]] = {s.role: [] for s in slots}
    rows = (
        RoleAssignment.objects.filter(grid_id=grid.pk, role__in=list(by_role))
        .select_related("user")
        .order_by("user__username")
    )
    labels = {s.role: s.label for s in slots}
    hide_party = _party_hidden(viewer, grid.community_id)
    shown_party: list[int] = []
    for a in rows:
        if a.role == Role.PARTY_MEMBER:
            if hide_party:
                by_role[a.role].append(
                    SlotMember(
                        name=gettext("(hidden: Party membership)"),
                        role=a.role,
                        role_label=labels[a.role],
                        phone="",
                    )
                )
                continue
            shown_party.append(a.user_id)
        by_role[a.role].append(
            SlotMember(
                name=str(a.user),
                role=a.role,
                role_label=labels[a.role],
                phone=mask_phone(a.user.phone),
                username=a.user.username,
                removable=may_take_away_team_place(
                    viewer, person_id=a.user_id, role=a.role, place=place, grantable=grantable
                ),
            )
        )
    _log_party_shown(viewer, shown_party, channel, path)
    groups = []
    for value, label in TeamSlot.Group.choices:
        views = [
            SlotView(s.role, s.label, s.minimum, by_role[s.role]) for s in slots if s.group == value
        ]
        if views:
            groups.append(TeamGroup(value, str(label), views))
    return groups


@dataclass(frozen=True)
class OnDuty:
    name: str
    role_labels: list[str]
    phone: str  # masked
    starts_at: dt.datetime
    ends_at: dt.datetime


def on_duty(
    viewer: User,
    grid: Grid | None,
    at: dt.datetime,
    slots: list[TeamSlot] | None = None,
    *,
    channel: str = access_log.Channel.PAGE,
    path: str = "",
) -> list[OnDuty]:
    """Who is on duty in the grid at the moment `at`; empty when the viewer may not see it.
    `slots`: current_slots(), when the caller has them already. A Party-member label shown
    (to those who may read Party membership there) is logged through `channel` at `path`."""
    if grid is None or not may_see_place(viewer, grid_place(grid)):
        return []
    shifts = list(
        DutyShift.objects.filter(grid_id=grid.pk, starts_at__lte=at, ends_at__gt=at)
        .select_related("user")
        .order_by("starts_at", "user__username")
    )
    slots = current_slots() if slots is None else slots
    party_shown: list[int] = []
    held = _held_labels(
        grid.pk,
        [s.user_id for s in shifts],
        slots,
        hide_party=_party_hidden(viewer, grid.community_id),
        party_shown=party_shown,
    )
    _log_party_shown(viewer, party_shown, channel, path)
    return [
        OnDuty(
            name=str(s.user),
            role_labels=held.get(s.user_id, []),
            phone=mask_phone(s.user.phone),
            starts_at=s.starts_at,
            ends_at=s.ends_at,
        )
        for s in shifts
    ]


@dataclass(frozen=True)
class VacancyRow:
    grid_code: str
    grid_name: str
    street: str
    community: str
    group: str
    role: str
    label: str
    required: int
    filled: int

    @property
    def missing(self) -> int:
        return max(0, self.required - self.filled)


@dataclass(frozen=True)
class VacancySummary:
    grids: int
    fully_staffed: int
    missing_core: int  # grids without their full complement of core members (the "1")
    grids_missing_helpers: int
    missing_helpers: int  # helper places empty, summed over grids
    missing_total: int


@dataclass(frozen=True)
class VacancyReport:
    rows: list[VacancyRow]  # only slots with a vacancy, by grid code then slot order
    summary: VacancySummary


def visible_grids(viewer: User | None) -> QuerySet[Grid]:
    """Live grids the viewer may see (None: the whole district, for the command line)."""
    grids = Grid.objects.all()
    if viewer is None:
        return grids
    scope = scope_for(viewer)
    if scope.district_wide:
        return grids
    where = places_in_scope(scope, grid="pk")
    return grids.filter(where) if where else grids.none()


def street_by_code(street_code: str) -> AdminUnit:
    """The street with that 12-digit code; InvalidInput(field="street") when there is none."""
    street = AdminUnit.objects.filter(
        code=str(street_code).strip(), level=AdminUnit.Level.STREET
    ).first()
    if street is None:
        raise InvalidInput(
            _("No street has the code %(code)s.") % {"code": street_code}, field="street"
        )
    return street


def visible_grid(viewer: User, grid_code: str) -> Grid:
    """The live grid with that code if the viewer may see it; NotFound(field="grid_code") when
    there is none or it lies outside the viewer's scope (the two are not told apart)."""
    grid = (
        visible_grids(viewer)
        .select_related("community", "street")
        .filter(code=str(grid_code).strip())
        .first()
    )
    if grid is None:
        raise NotFound(_("No grid %(code)s.") % {"code": grid_code}, field="grid_code")
    return grid


def visible_streets(viewer: User) -> QuerySet[AdminUnit]:
    """The streets holding at least one grid the viewer may see, by code."""
    return AdminUnit.objects.filter(
        level=AdminUnit.Level.STREET, pk__in=visible_grids(viewer).values("street_id")
    ).order_by("code")


def team_grids(
    viewer: User, street_code: str | None = None, text: str | None = None
) -> QuerySet[Grid]:
    """The grids of the team list: those the viewer may see, optionally one street's and those
    whose code, name or community name holds `text`; ordered by code."""
    grids = (
        visible_grids(viewer)
        .select_related("community", "street")
        # A list page shows names and codes: never load the boundaries.
        .defer("geometry_wkb", "community__geometry_wkb", "street__geometry_wkb")
        .order_by("code")
    )
    if street_code:
        grids = grids.filter(street=street_by_code(street_code))
    text = (text or "").strip()
    if text:
        grids = grids.filter(
            Q(code__icontains=text) | Q(name__icontains=text) | Q(community__name__icontains=text)
        )
    return grids


@dataclass(frozen=True)
class GroupCount:
    group: str
    label: str
    filled: int  # required places filled, slot by slot: Σ min(holders, minimum)
    required: int  # the sum of the group's slot minimums
    missing: int  # required places empty: Σ max(0, minimum - holders)
    members: int = 0  # people in the group's roles, however many each slot asks for

    @property
    def short(self) -> bool:
        return self.missing > 0


@dataclass(frozen=True)
class TeamRow:
    grid: Grid
    groups: list[GroupCount]  # core, helper, volunteer: places filled vs slot minimums
    vacancies: int  # empty places, counted per slot as in `vacancies`


def team_rows(grids: Iterable[Grid], slots: list[TeamSlot] | None = None) -> list[TeamRow]:
    """Places filled per group and the vacancies of each of `grids` (already scoped), in one
    query for all of them: for list pages. A slot's extra holders fill no other slot: two
    building heads do not stand in for a missing police officer."""
    grids = list(grids)
    slots = current_slots() if slots is None else slots
    filled = _filled_counts([g.pk for g in grids], [s.role for s in slots])
    rows = []
    for grid in grids:
        groups = []
        for value, label in TeamSlot.Group.choices:
            have = [(s, filled.get((grid.pk, s.role), 0)) for s in slots if s.group == value]
            groups.append(
                GroupCount(
                    group=value,
                    label=str(label),
                    filled=sum(min(n, s.minimum) for s, n in have),
                    required=sum(s.minimum for s, _n in have),
                    missing=sum(shortfall(s.minimum, n) for s, n in have),
                    members=sum(n for _s, n in have),
                )
            )
        rows.append(TeamRow(grid=grid, groups=groups, vacancies=sum(g.missing for g in groups)))
    return rows


@dataclass(frozen=True)
class Shift:
    id: int
    username: str
    name: str
    phone: str  # masked
    role_labels: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime

    def started(self, at: dt.datetime) -> bool:
        return self.starts_at <= at


def _shift(s: DutyShift, held: dict[int, list[str]]) -> Shift:
    return Shift(
        id=s.pk,
        username=s.user.username,
        name=str(s.user),
        phone=mask_phone(s.user.phone),
        role_labels=held.get(s.user_id, []),
        starts_at=s.starts_at,
        ends_at=s.ends_at,
    )


def shifts(
    viewer: User,
    grid: Grid | None,
    start: dt.datetime,
    end: dt.datetime,
    slots: list[TeamSlot] | None = None,
    *,
    channel: str = access_log.Channel.PAGE,
    path: str = "",
) -> list[Shift]:
    """The grid's shifts that overlap [start, end), by start; empty when the viewer may not see
    the grid. `slots`: current_slots(), when the caller has them already. A Party-member label
    shown (as on_duty) is logged through `channel` at `path`."""
    if grid is None or not may_see_place(viewer, grid_place(grid)):
        return []
    rows = list(
        DutyShift.objects.filter(grid_id=grid.pk, starts_at__lt=end, ends_at__gt=start)
        .select_related("user")
        .order_by("starts_at", "user__username", "pk")
    )
    slots = current_slots() if slots is None else slots
    party_shown: list[int] = []
    held = _held_labels(
        grid.pk,
        [s.user_id for s in rows],
        slots,
        hide_party=_party_hidden(viewer, grid.community_id),
        party_shown=party_shown,
    )
    _log_party_shown(viewer, party_shown, channel, path)
    return [_shift(s, held) for s in rows]


def shift_view(shift: DutyShift, slots: list[TeamSlot] | None = None) -> Shift:
    """One shift just written (org.teams.schedule_duty's result) as the roster shows it."""
    slots = current_slots() if slots is None else slots
    return _shift(shift, _held_labels(shift.grid_id, [shift.user_id], slots))


def vacancy_table(report: VacancyReport) -> tuple[list[str], list[list[str | int]]]:
    """The vacancy rows as a header and plain values, in the order they are shown: for the
    console's table, its XLSX download and the command line."""
    groups = dict(TeamSlot.Group.choices)
    header = [
        gettext("grid code"),
        gettext("grid"),
        gettext("street"),
        gettext("community"),
        gettext("group"),
        gettext("role"),
        gettext("required"),
        gettext("filled"),
        gettext("missing"),
    ]
    rows: list[list[str | int]] = [
        [
            r.grid_code,
            r.grid_name,
            r.street,
            r.community,
            str(groups.get(r.group, r.group)),
            r.label,
            r.required,
            r.filled,
            r.missing,
        ]
        for r in report.rows
    ]
    return header, rows


def vacancies(viewer: User | None, street_code: str | None = None) -> VacancyReport:
    """Empty team places per grid and a summary, over the grids the viewer may see.

    `viewer=None` reads the whole district (command line). An unknown `street_code` raises
    InvalidInput(field="street").
    """
    grids = visible_grids(viewer).order_by("code")
    if street_code:
        grids = grids.filter(street=street_by_code(street_code))
    slots = [s for s in current_slots() if s.minimum > 0]
    filled = _filled_counts(grids.values("pk"), [s.role for s in slots])
    rows: list[VacancyRow] = []
    n_grids = fully = no_core = grids_short_helpers = short_helpers = short_total = 0
    # Plain values, not Grid rows: a district has thousands of grids, each with its polygon.
    for pk, code, name, street, community in grids.values_list(
        "pk", "code", "name", "street__name", "community__name"
    ):
        n_grids += 1
        core_short = helper_short = grid_short = 0
        for s in slots:
            have = filled.get((pk, s.role), 0)
            missing = shortfall(s.minimum, have)
            if not missing:
                continue
            rows.append(
                VacancyRow(
                    grid_code=code,
                    grid_name=name,
                    street=street,
                    community=community,
                    group=s.group,
                    role=s.role,
                    label=s.label,
                    required=s.minimum,
                    filled=have,
                )
            )
            grid_short += missing
            if s.group == TeamSlot.Group.CORE:
                core_short += missing
            elif s.group == TeamSlot.Group.HELPER:
                helper_short += missing
        fully += grid_short == 0
        no_core += core_short > 0
        grids_short_helpers += helper_short > 0
        short_helpers += helper_short
        short_total += grid_short
    summary = VacancySummary(
        grids=n_grids,
        fully_staffed=fully,
        missing_core=no_core,
        grids_missing_helpers=grids_short_helpers,
        missing_helpers=short_helpers,
        missing_total=short_total,
    )
    return VacancyReport(rows=rows, summary=summary)
