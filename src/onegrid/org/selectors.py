"""Reads of people, scoped by org.policies."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Department, Role, RoleAssignment, User
from .policies import GRID_TEAM, mask_phone, may_see_place

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
