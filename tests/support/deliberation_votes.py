"""Rows for the ballot tests (tests/deliberation): households, voters on the roll and topics
made directly, so the vote rules are tested apart from how topics are raised."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest

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


def new_key() -> str:
    return f"k-{next(_serial)}"


@pytest.fixture
def votes(world):
    """A community topic accepted for deliberation with two proposals; its committee member;
    six voters on the roll in four households of the first grid (two households of two), one
    voter in the second grid and one in the other community; a staff reader (the street's
    acceptor) and a resident not on the roll."""
    g0, g1, g_far = world.grids
    flats = [household(g0) for _ in range(4)]
    on_roll = [
        voter(flats[0]),
        voter(flats[0]),
        voter(flats[1]),
        voter(flats[1]),
        voter(flats[2]),
        voter(flats[3]),
        voter(household(g1)),
    ]
    far = voter(household(g_far))
    of = topic(g0)
    return SimpleNamespace(
        world=world,
        committee=committee(world),
        topic=of,
        proposal=proposal(of, "方案一"),
        proposal2=proposal(of, "方案二"),
        voters=on_roll,
        far=far,
        outsider=resident("outsider"),
        households=flats,
    )


def open_online(v, *, counting: str = "person", proposal_=None, **extra):
    """An online ballot on the fixture's topic, open now for a day."""
    from onegrid.deliberation import ballots

    args = {
        "actor": v.committee,
        "topic_id": v.topic.pk,
        "proposal_id": (proposal_ or v.proposal).pk,
        "mode": "online",
        "counting": counting,
        "closes_at": clock.now() + dt.timedelta(days=1),
        "idempotency_key_": new_key(),
    }
    args.update(extra)
    return ballots.open_ballot(**args).ballot


def vote(ballot, who: Voter, choice: str = "for", key: str | None = None):
    from onegrid.deliberation import ballots

    return ballots.cast_vote(
        actor=who.user,
        ballot_id=ballot.pk,
        choice=choice,
        password="pw-" + who.user.username,
        idempotency_key_=key or new_key(),
    )
