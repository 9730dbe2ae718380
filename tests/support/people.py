"""People made for one test beside the `world` fixture's (tests/conftest.py)."""

from __future__ import annotations

from onegrid.org.models import RoleAssignment, User


def person(username: str, role: str, **where) -> User:
    """A person holding one role at `where` (unit=, grid=, department=), password pw-<name>."""
    user = User.objects.create_user(username, password="pw-" + username, display_name=username)
    RoleAssignment.objects.create(user=user, role=role, **where)
    return user
