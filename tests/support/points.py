"""The points store on the `world` district: the district's rules, a community store with two
items, its organiser (the counter clerk), a volunteer with points, and a street organiser."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from onegrid.core import clock
from onegrid.org.models import Role
from onegrid.volunteers import points
from onegrid.volunteers.models import PointsRule, StoreItem, Volunteer
from support.people import person


def new_key() -> str:
    return uuid.uuid4().hex


def make_store(world) -> SimpleNamespace:
    """The rules (1 a volunteer hour, 5 a verified report, 10 a confirmed claim), the first
    community's store (洗衣液 10 points × 3, 大米 25 × 1), its clerk, an organiser of the other
    street, and a volunteer (13900001111) with 30 points."""
    for kind, value in (("hours", 1), ("report", 5), ("claim", 10)):
        PointsRule.objects.create(kind=kind, points=value, changed_at=clock.now())
    clerk = person("clerk", Role.ORGANISER, unit=world.community)
    street_clerk = person("street_clerk", Role.ORGANISER, unit=world.other_street)
    volunteer = person("volunteer", Role.VOLUNTEER, unit=world.community)
    volunteer.phone = "13900001111"
    volunteer.display_name = "王志愿"
    volunteer.save(update_fields=["phone", "display_name"])
    Volunteer.objects.create(user=volunteer, community=world.community, joined_at=clock.now())
    points.award(user=volunteer, rule="hours", source_key="hours:seed", quantity=30)
    soap = StoreItem.objects.create(
        name="洗衣液", price=10, stock=3, unit=world.community, created_at=clock.now()
    )
    rice = StoreItem.objects.create(
        name="大米", price=25, stock=1, unit=world.community, created_at=clock.now()
    )
    return SimpleNamespace(
        clerk=clerk, street_clerk=street_clerk, volunteer=volunteer, soap=soap, rice=rice
    )


@pytest.fixture
def store(world):
    return make_store(world)


def holder(world, role: str):
    """A person holding `role` where that role is bound: a grid for grid-team roles, a
    department for handlers, the district otherwise."""
    from onegrid.org.models import TEAM_ROLES

    username = f"p_{role}"
    if role in TEAM_ROLES:
        return person(username, role, grid=world.grids[0])
    if role == Role.DEPT_HANDLER:
        return person(username, role, department=world.city_mgmt)
    return person(username, role, unit=world.district)


# Who holds points and reads "my points" (org.policies.PAGE_ROLES["points"]).
POINTS_HOLDERS = {
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.POLICE_OFFICER,
    Role.BUILDING_HEAD,
    Role.PARTY_MEMBER,
    Role.VOLUNTEER,
    Role.RESIDENT,
}
