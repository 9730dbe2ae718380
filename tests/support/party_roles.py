"""Who holds each role for the Party tests (tests/party): one person per role."""

from __future__ import annotations

from onegrid.org.models import Role
from support.people import person


def holder(world, role: str):
    """A person holding `role` where that role is bound: a grid for grid-team roles, a
    department for handlers, the district otherwise."""
    from onegrid.org.models import TEAM_ROLES

    username = f"r_{role}"
    if role in TEAM_ROLES:
        return person(username, role, grid=world.grids[0])
    if role == Role.DEPT_HANDLER:
        return person(username, role, department=world.city_mgmt)
    return person(username, role, unit=world.district)


# Who reads the tree (org.policies.PAGE_ROLES["party"]).
TREE_READERS = {
    Role.PARTY_STAFF,
    Role.LEADER,
    Role.COMMAND_CENTRE,
    Role.SUPERVISOR,
    Role.ADMIN,
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
}
