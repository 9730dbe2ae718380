"""People and places for the topic tests (tests/deliberation): a committee member bound to
the small world's first community, residents on its roll, a household in a grid."""

from __future__ import annotations

from django.test import Client

from onegrid.org.models import Role, RoleAssignment, User
from support import deliberation_votes as dv


def committee(world, name: str = "committee", unit=None) -> User:
    user = User.objects.create_user(name, password="pw-" + name, display_name=name)
    RoleAssignment.objects.create(
        user=user, role=Role.COMMUNITY_COMMITTEE, unit=unit or world.community
    )
    return user


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def voters(world, n: int, grid_index: int = 0, building: str = "1号楼"):
    """`n` verified voters, each in their own household of the grid."""
    return [dv.voter(dv.household(world.grids[grid_index], building)) for _ in range(n)]
