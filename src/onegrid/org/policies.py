"""Who may see and do what: the one place every service and selector consults.

A person holds roles, each bound to a grid, an admin unit (district, street or community) or a
department. From those bindings come the person's scope (what they may see) and, for any place,
the roles they hold over it (what they may do there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from onegrid.territory.models import AdminUnit

from . import phone_masking
from .models import TEAM_ROLES, Role, RoleAssignment, User

DISTRICT_WIDE_READERS = {
    Role.COMMAND_CENTRE,
    Role.SUPERVISOR,
    Role.LEADER,
    Role.AUDITOR,
    Role.ADMIN,
}
STREET_STAFF = {Role.ACCEPTOR, Role.DISPATCHER, Role.SHIFT_LEAD, Role.CALLBACK}
GRID_TEAM = set(TEAM_ROLES)
# Roles that see only what they reported themselves, wherever they are bound.
OWN_REPORTS_ONLY = {Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER}
# Roles that may report a problem wherever they stand: residents report anywhere in the district.
REPORTING_ROLES = GRID_TEAM | {Role.RESIDENT} | STREET_STAFF | {Role.COMMAND_CENTRE}


@dataclass(frozen=True)
class Place:
    """Where a case lies in the territory tree."""

    grid_id: int | None
    community_id: int | None
    street_id: int | None


@dataclass
class Scope:
    """What a person may see: the union over all their role bindings."""

    user_id: int
    district_wide: bool = False
    street_ids: set[int] = field(default_factory=set)
    community_ids: set[int] = field(default_factory=set)
    grid_ids: set[int] = field(default_factory=set)
    department_ids: set[int] = field(default_factory=set)
    own_reports: bool = True  # everyone sees the cases they reported themselves


def assignments(user: User) -> list[RoleAssignment]:
    cached = getattr(user, "_onegrid_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("unit"))
        user._onegrid_roles = cached
    return cached


def forget(user: User) -> None:
    """Drop the per-request cache after a role change."""
    if hasattr(user, "_onegrid_roles"):
        del user._onegrid_roles


def role_names(user: User) -> set[str]:
    return {a.role for a in assignments(user)}


def scope_for(user: User) -> Scope:
    scope = Scope(user_id=user.pk)
    if user.is_superuser:
        scope.district_wide = True
    for a in assignments(user):
        if a.role in OWN_REPORTS_ONLY:
            continue
        if a.department_id:
            scope.department_ids.add(a.department_id)
        if a.grid_id:
            scope.grid_ids.add(a.grid_id)
        if a.unit_id:
            level = a.unit.level
            if level in (AdminUnit.Level.DISTRICT, AdminUnit.Level.CITY):
                scope.district_wide = True
            elif level == AdminUnit.Level.STREET:
                scope.street_ids.add(a.unit_id)
            elif level == AdminUnit.Level.COMMUNITY:
                scope.community_ids.add(a.unit_id)
    return scope


def roles_over(user: User, place: Place, department_ids=()) -> set[str]:
    """The roles `user` holds over `place` (and over any of `department_ids`' tasks there)."""
    held: set[str] = set()
    if user.is_superuser:
        held.add(Role.ADMIN)
    for a in assignments(user):
        if a.department_id:
            if a.department_id in department_ids:
                held.add(a.role)
            continue
        if a.grid_id:
            if a.grid_id == place.grid_id:
                held.add(a.role)
            continue
        if a.unit_id:
            level = a.unit.level
            if (
                level in (AdminUnit.Level.DISTRICT, AdminUnit.Level.CITY)
                or (level == AdminUnit.Level.STREET and a.unit_id == place.street_id)
                or (level == AdminUnit.Level.COMMUNITY and a.unit_id == place.community_id)
            ):
                held.add(a.role)
    return held


def may_see_place(user: User, place: Place) -> bool:
    scope = scope_for(user)
    return (
        scope.district_wide
        or place.street_id in scope.street_ids
        or place.community_id in scope.community_ids
        or place.grid_id in scope.grid_ids
    )


def may_report(user: User) -> bool:
    return user.is_superuser or bool(role_names(user) & REPORTING_ROLES)


def may_see_reporter(user: User, place: Place) -> bool:
    """Departments never see who reported a case (PIPL: reporters are hidden from handlers)."""
    return may_see_place(user, place) and bool(role_names(user) - {Role.DEPT_HANDLER})


def may_manage_catalogue(user: User) -> bool:
    return user.is_superuser or bool(role_names(user) & {Role.ADMIN, Role.COMMAND_CENTRE})


def may_manage_territory(user: User) -> bool:
    """Base data of the territory (standard addresses): the district's GIS officers, who sit
    with the administrators or the command centre, as the layer pages do."""
    return user.is_superuser or bool(role_names(user) & {Role.ADMIN, Role.COMMAND_CENTRE})


def may_review_sign_ins(user: User) -> bool:
    """The record of failed sign-ins and throttled callers (/admin/, org/throttling.py): the
    administrators and the data-protection auditors."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(role_names(user) & {Role.ADMIN, Role.AUDITOR})


def may_keep_calendar(user: User) -> bool:
    """The holiday schedule every deadline is counted on: administrators and the command
    centre import it (core.holiday_schedule), as they keep the catalogue."""
    return user.is_superuser or bool(role_names(user) & {Role.ADMIN, Role.COMMAND_CENTRE})


def told_of_missing_calendar(user: User) -> bool:
    """Who is warned that next year has no holiday schedule: those who keep it, and the street
    desks whose deadlines it moves (they ask the administrators)."""
    return user.is_superuser or bool(
        role_names(user) & (STREET_STAFF | {Role.ADMIN, Role.COMMAND_CENTRE})
    )


def mask_phone(phone: str) -> str:
    """A phone as others see it: 138****5678, 022-****1234转****, ******34 (the rule for every
    length and format is in org.phone_masking)."""
    return phone_masking.mask_phone(phone)
