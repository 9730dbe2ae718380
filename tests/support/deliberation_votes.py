"""Rows for the ballot tests (tests/deliberation): households, voters on the roll and topics
made directly, so the vote rules are tested apart from how topics are raised."""

from __future__ import annotations

import itertools
from decimal import Decimal

from onegrid.core import clock
from onegrid.deliberation.models import Proposal, Topic, Voter
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import Address, AdminUnit, Grid

_serial = itertools.count(1)


def household(grid: Grid, building: str = "1号楼", room: str | None = None) -> Address:
    n = next(_serial)
    return Address.objects.create(
        code=f"ADDR-T{n:06d}",
        name=f"{grid.name}{building}{room or n}室",
        building=building,
        room=room or str(n),
        lon=grid.label_lon,
        lat=grid.label_lat,
        grid=grid,
    )


def resident(name: str | None = None) -> User:
    """A resident account (Role.RESIDENT bound to the district), password "pw-<name>"."""
    name = name or f"voter{next(_serial)}"
    user = User.objects.create_user(
        name, password="pw-" + name, display_name=name, phone="13900000000"
    )
    district = AdminUnit.objects.get(level="district")
    RoleAssignment.objects.create(user=user, role=Role.RESIDENT, unit=district)
    return user


def voter(address: Address, user: User | None = None, state: str = Voter.State.VERIFIED) -> Voter:
    user = user or resident()
    assert address.grid is not None
    return Voter.objects.create(
        user=user,
        household=address,
        community=address.grid.community,
        state=state,
        applied_at=clock.now(),
        checked_at=clock.now() if state != Voter.State.PENDING else None,
        method=Voter.Method.ID_CARD if state == Voter.State.VERIFIED else "",
    )


def topic(
    grid: Grid,
    scope: str = Topic.Scope.COMMUNITY,
    building: str = "",
    state: str = Topic.State.ACCEPTED,
) -> Topic:
    n = next(_serial)
    return Topic.objects.create(
        number=f"YS2026T{n:05d}",
        title=f"议题{n}",
        body="加装电梯",
        scope=scope,
        community=grid.community,
        grid=None if scope == Topic.Scope.COMMUNITY else grid,
        building=building if scope == Topic.Scope.BUILDING else "",
        state=state,
        raised_by_staff=True,
        raised_at=clock.now(),
    )


def proposal(of: Topic, title: str = "方案一") -> Proposal:
    return Proposal.objects.create(
        topic=of,
        title=title,
        body="由物业加装电梯，费用按户分摊",
        estimated_cost=Decimal("120000.00"),
        proposed_at=clock.now(),
    )


def committee(world, name: str = "committee") -> User:
    """A member of the community committee of the small world's first community."""
    user = User.objects.create_user(name, password="pw-" + name, display_name=name)
    RoleAssignment.objects.create(user=user, role=Role.COMMUNITY_COMMITTEE, unit=world.community)
    return user
