"""What a superuser may do is decided in org.policies alone (issue 9 §4): no other module reads
the flag, the pages and the admin site ask the policies, and the behaviour is as before."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

import onegrid
from onegrid.org import policies
from onegrid.org.models import Role, RoleAssignment, User

EVERY_PAGE = [
    "/field/",
    "/console/",
    "/inbox/",
    "/map/",
    "/console/layers/",
    "/console/calendar/",
    "/console/teams/",
    "/console/measures/",
    "/bigscreen/",
    "/console/reports/",
    "/party/",
    "/field/screening/",
    "/mediation/risks/",
    "/legal/",
    "/resident/legal/",
    "/legal/advisers/",
    "/console/governance/",
    "/deliberation/",
]


def superuser_reads() -> list[str]:
    """Every place under src/ outside org/policies.py that reads `<something>.is_superuser`
    (setting the flag when a person is made, `is_superuser=True`, is no decision)."""
    root = Path(onegrid.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        if path.relative_to(root).as_posix() == "org/policies.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "is_superuser":
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_only_the_policies_read_the_superuser_flag():
    assert superuser_reads() == []


def test_a_superuser_opens_every_page(world):
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-root"))
    for url in EVERY_PAGE:
        assert client.get(url).status_code == 200, url


def test_pages_open_by_role_and_never_for_anonymous_visitors(world):
    assert not any(policies.may_open_page(AnonymousUser(), p) for p in policies.PAGE_ROLES)
    staff = User.objects.create_user("staffer", password="pw-staffer", is_staff=True)
    assert not any(policies.may_open_page(staff, p) for p in policies.PAGE_ROLES)
    admin = User.objects.create_user("adm", password="pw-adm")
    RoleAssignment.objects.create(user=admin, role=Role.ADMIN, unit=world.district)
    opened = {p for p in policies.PAGE_ROLES if policies.may_open_page(admin, p)}
    assert opened == {
        "console",
        "map",
        "layers",
        "calendar",
        "measures",
        "hotspots",
        "reports",
        "party",
        "centres",
        "participation",
        "governance",
        "deliberation",
        "legal_advisers",
    }


@pytest.mark.parametrize(
    ("who", "may"), [("root", True), ("admin", False), ("auditor", False), ("anonymous", False)]
)
def test_only_a_superuser_lifts_a_sign_in_lockout(world, who, may):
    if who == "root":
        user = User.objects.create_superuser("root", password="pw-root")
    elif who == "anonymous":
        user = AnonymousUser()
    else:
        user = User.objects.create_user(who, password="pw-" + who, is_staff=True)
        RoleAssignment.objects.create(user=user, role=who, unit=world.district)
    assert policies.may_lift_sign_in_lockout(user) is may
