"""Reads of people, scoped by org.policies."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import InvalidInput
from onegrid.territory.models import AdminUnit, Grid

from .models import Department, DutyShift, Role, RoleAssignment, TeamSlot, User
from .policies import GRID_TEAM, Place, mask_phone, may_see_place, scope_for
from .teams import current_slots

# The order a grid's team is listed in: the accountable worker first (1+3+N).
TEAM_ORDER = [
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.POLICE_OFFICER,
    Role.BUILDING_HEAD,
    Role.PARTY_MEMBER,
    Role.VOLUNTEER,
]


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str
    role_label: str
    phone: str  # masked


def grid_team(viewer: User, place) -> list[TeamMember]:
    """The 1+3+N team bound to the grid at `place`, for a viewer who may see that place."""
    if place.grid_id is None or not may_see_place(viewer, place):
        return []
    rows = (
        RoleAssignment.objects.filter(grid_id=place.grid_id, role__in=GRID_TEAM)
        .select_related("user")
        .order_by("user__username")
    )
    members = [
        TeamMember(
            name=str(a.user),
            role=a.role,
            role_label=str(Role(a.role).label),
            phone=mask_phone(a.user.phone),
        )
        for a in rows
    ]
    members.sort(key=lambda m: TEAM_ORDER.index(m.role))
    return members


def departments():
    """Every department a case may be dispatched to, street police stations last."""
    return Department.objects.order_by("street__code", "code")


# --- grid teams (1+3+N): composition, roster, vacancies --------------------------------------


@dataclass(frozen=True)
class SlotView:
    role: str
    label: str
    minimum: int
    members: list[TeamMember]

    @property
    def missing(self) -> int:
        return max(0, self.minimum - len(self.members))


@dataclass(frozen=True)
class TeamGroup:
    group: str
    group_label: str
    slots: list[SlotView]

    @property
    def required(self) -> int:
        return sum(s.minimum for s in self.slots)

    @property
    def members(self) -> list[TeamMember]:
        return [m for s in self.slots for m in s.members]

    @property
    def missing(self) -> int:
        return sum(s.missing for s in self.slots)


def _place_of(grid) -> Place:
    return Place(grid.pk, grid.community_id, grid.street_id)


def team_of(viewer: User, grid) -> list[TeamGroup]:
    """The grid's team by slot group (core, helper, volunteer), each slot with its members.

    Empty when the viewer may not see the grid. Members holding a team role that the district's
    slots leave out are not listed.
    """
    if grid is None or not may_see_place(viewer, _place_of(grid)):
        return []
    slots = current_slots()
    by_role: dict[str, list[TeamMember]] = {s.role: [] for s in slots}
    rows = (
        RoleAssignment.objects.filter(grid_id=grid.pk, role__in=list(by_role))
        .select_related("user")
        .order_by("user__username")
    )
    labels = {s.role: s.label for s in slots}
    for a in rows:
        by_role[a.role].append(
            TeamMember(
                name=str(a.user),
                role=a.role,
                role_label=labels[a.role],
                phone=mask_phone(a.user.phone),
            )
        )
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
    starts_at: object
    ends_at: object


def on_duty(viewer: User, grid, at) -> list[OnDuty]:
    """Who is on duty in the grid at the moment `at`; empty when the viewer may not see it."""
    if grid is None or not may_see_place(viewer, _place_of(grid)):
        return []
    shifts = list(
        DutyShift.objects.filter(grid_id=grid.pk, starts_at__lte=at, ends_at__gt=at)
        .select_related("user")
        .order_by("starts_at", "user__username")
    )
    labels = {s.role: s.label for s in current_slots()}
    held: dict[int, list[str]] = {}
    for a in RoleAssignment.objects.filter(
        grid_id=grid.pk, user_id__in=[s.user_id for s in shifts], role__in=GRID_TEAM
    ):
        held.setdefault(a.user_id, []).append(labels.get(a.role) or str(Role(a.role).label))
    return [
        OnDuty(
            name=str(s.user),
            role_labels=sorted(held.get(s.user_id, [])),
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


def visible_grids(viewer: User | None):
    """Live grids the viewer may see (None: the whole district, for the command line)."""
    grids = Grid.objects.all()
    if viewer is None:
        return grids
    scope = scope_for(viewer)
    if scope.district_wide:
        return grids
    return grids.filter(
        Q(street_id__in=scope.street_ids)
        | Q(community_id__in=scope.community_ids)
        | Q(pk__in=scope.grid_ids)
    )


def vacancies(viewer: User | None, street_code: str | None = None) -> VacancyReport:
    """Empty team places per grid and a summary, over the grids the viewer may see.

    `viewer=None` reads the whole district (command line). An unknown `street_code` raises
    InvalidInput(field="street").
    """
    grids = visible_grids(viewer).select_related("community", "street").order_by("code")
    if street_code:
        street = AdminUnit.objects.filter(
            code=str(street_code).strip(), level=AdminUnit.Level.STREET
        ).first()
        if street is None:
            raise InvalidInput(
                _("No street has the code %(code)s.") % {"code": street_code}, field="street"
            )
        grids = grids.filter(street=street)
    slots = [s for s in current_slots() if s.minimum > 0]
    filled: dict[tuple[int, str], int] = {}
    for row in (
        RoleAssignment.objects.filter(grid__in=grids, role__in=[s.role for s in slots])
        .values("grid_id", "role")
        .annotate(n=Count("user_id", distinct=True))
    ):
        filled[(row["grid_id"], row["role"])] = row["n"]
    rows: list[VacancyRow] = []
    n_grids = fully = no_core = grids_short_helpers = short_helpers = short_total = 0
    for grid in grids:
        n_grids += 1
        core_short = helper_short = grid_short = 0
        for s in slots:
            row = VacancyRow(
                grid_code=grid.code,
                grid_name=grid.name,
                street=grid.street.name,
                community=grid.community.name,
                group=s.group,
                role=s.role,
                label=s.label,
                required=s.minimum,
                filled=filled.get((grid.pk, s.role), 0),
            )
            if row.missing:
                rows.append(row)
                grid_short += row.missing
                if s.group == TeamSlot.Group.CORE:
                    core_short += row.missing
                elif s.group == TeamSlot.Group.HELPER:
                    helper_short += row.missing
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
