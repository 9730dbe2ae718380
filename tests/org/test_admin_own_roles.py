"""Nobody grants themselves a role (reviewer R2): the admin's user page lets a superuser or an
administrator give roles to others, never to their own account, so no one makes themselves a
mediator (and reads every dispute of a committee), a judicial office, a legal adviser or a
community committee member."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.org.models import Role, RoleAssignment, User


def _post_data(response) -> dict[str, object]:
    """The change form as the browser would send it back, unchanged."""
    data: dict[str, object] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        if name.startswith(("last_login", "password")):
            continue
        if name == "date_joined":
            joined = form[name].value()
            data["date_joined_0"], data["date_joined_1"] = str(joined.date()), "00:00:00"
            continue
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    return data


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.JUDICIAL_OFFICE, Role.LEGAL_ADVISER])
def test_a_superuser_cannot_grant_themselves_a_role_in_the_admin(world, role):
    root = User.objects.create_superuser("root", password="pw-root")
    client = Client()
    client.force_login(root)
    url = f"/admin/org/user/{root.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = _post_data(page)
    prefix = "roles"
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data[f"{prefix}-INITIAL_FORMS"] = "0"
    data[f"{prefix}-0-role"] = role
    data[f"{prefix}-0-unit"] = str(
        world.community.pk if role != Role.JUDICIAL_OFFICE else world.street.pk
    )
    data[f"{prefix}-0-user"] = str(root.pk)
    client.post(url, data)
    assert not RoleAssignment.objects.filter(user=root).exists()


def test_a_superuser_still_grants_a_role_to_someone_else(world):
    root = User.objects.create_superuser("root", password="pw-root")
    other = User.objects.create_user("newmediator", password="pw-x")
    client = Client()
    client.force_login(root)
    url = f"/admin/org/user/{other.pk}/change/"
    data = _post_data(client.get(url))
    data["roles-TOTAL_FORMS"] = "1"
    data["roles-INITIAL_FORMS"] = "0"
    data["roles-0-role"] = Role.MEDIATOR
    data["roles-0-unit"] = str(world.community.pk)
    data["roles-0-user"] = str(other.pk)
    response = client.post(url, data)
    errors = response.context and [
        response.context["adminform"].form.errors,
        [
            (f.formset.errors, f.formset.non_form_errors())
            for f in response.context["inline_admin_formsets"]
        ],
    ]
    assert response.status_code == 302, errors
    assert RoleAssignment.objects.filter(user=other, role=Role.MEDIATOR).exists()
