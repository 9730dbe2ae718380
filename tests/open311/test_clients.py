"""Registering clients: the command line and the admin show the key once and keep its digest."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from onegrid.open311.models import ApiClient
from onegrid.org.models import Role, RoleAssignment

from .conftest import errors_of
from .conftest import request_form as with_attributes


def request_form(key: str, **extra):
    # The world without the open311 fixture's attributes: no attribute to send.
    return with_attributes(key, **{"attribute[amount]": None, **extra})


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("open311", *args, stdout=out)
    return out.getvalue()


def test_add_client_prints_the_key_once_and_it_works(client, world):
    out = run("add-client", "12345 平台")
    key = out.strip().splitlines()[-1]
    made = ApiClient.objects.get(name="12345 平台")
    assert made.key_digest == ApiClient.digest_of(key)
    assert made.key_prefix == key[:8]
    assert made.jurisdiction == world.district
    assert RoleAssignment.objects.filter(
        user=made.user, role=Role.API_CLIENT, unit=world.district
    ).exists()
    assert not made.user.has_usable_password()
    response = client.post("/open311/v2/requests.json", request_form(key))
    assert response.status_code == 201, response.content
    assert "12345 平台" in run("clients")

    renewed = run("new-key", "12345 平台").strip().splitlines()[-1]
    assert renewed != key
    errors_of(client.post("/open311/v2/requests.json", request_form(key, description="x")), 403)
    run("revoke", "12345 平台")
    errors_of(client.post("/open311/v2/requests.json", request_form(renewed)), 403)
    assert "revoked" in run("clients") or "已停用" in run("clients")


def test_bad_command_input_is_an_error(world):
    with pytest.raises(CommandError):
        run("add-client", "x", "--jurisdiction", "120113001001")  # a community
    run("add-client", "x")
    with pytest.raises(CommandError):
        run("add-client", "x")  # the name is taken
    with pytest.raises(CommandError):
        run("revoke", "nobody")


def test_the_admin_adds_a_client_and_shows_its_key_once(client, world):
    from onegrid.org.models import User

    admin = User.objects.create_user("root", password="pw-root", is_staff=True)
    RoleAssignment.objects.create(user=admin, role=Role.ADMIN, unit=world.district)
    client.force_login(admin)
    response = client.post(
        "/admin/open311/apiclient/add/",
        {"name": "FixMyStreet", "jurisdiction": world.street.pk},
        follow=True,
    )
    assert response.status_code == 200
    made = ApiClient.objects.get(name="FixMyStreet")
    shown = [str(m) for m in response.context["messages"]]
    (message,) = [m for m in shown if made.key_prefix in m]
    key = re.search(re.escape(made.key_prefix) + r"[A-Za-z0-9_-]+", message).group(0)
    assert ApiClient.digest_of(key) == made.key_digest
    page = client.get(f"/admin/open311/apiclient/{made.pk}/change/")
    assert key not in page.content.decode()
    # Renamed in the admin; its jurisdiction (its role's binding) stays.
    client.post(
        f"/admin/open311/apiclient/{made.pk}/change/",
        {"name": "FixMyStreet 北辰", "jurisdiction": world.district.pk},
    )
    made.refresh_from_db()
    assert (made.name, made.jurisdiction) == ("FixMyStreet 北辰", world.street)
    # Others in the command centre may not open the clients.
    client.force_login(world.people.command)
    assert client.get("/admin/open311/apiclient/").status_code in (302, 403)
