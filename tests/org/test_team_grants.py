"""Who may give whom which place on a grid team (org.policies.check_team_change), through the
service, the API and the console page alike: no one changes their own places, staff places come
only from administrators and the command centre, residents never hold a staff place, street
staff fill the volunteer places with people of their street or residents."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.cases import selectors
from onegrid.core.errors import PermissionDenied
from onegrid.org import policies, teams
from onegrid.org.models import Role, RoleAssignment, User
from support.api import token_client
from support.cases import drive

STAFF_PLACES = ["building_head", "grid_head", "grid_worker", "police_officer"]


def _user(username: str) -> User:
    return User.objects.create_user(username, password="pw-" + username, display_name=username)


def _places() -> set:
    return set(RoleAssignment.objects.values_list("user_id", "role", "grid_id", "unit_id"))


def _refused(world, actor, username, role, field, *, grid=0, adding=True):
    before = _places()
    change = teams.add_member if adding else teams.remove_member
    with pytest.raises(PermissionDenied) as refused:
        change(actor=actor, grid_code=world.grids[grid].code, username=username, role=role)
    assert refused.value.field == field, refused.value.message
    assert str(refused.value.message)
    assert _places() == before
    return refused.value


# --- street staff ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["grid_worker", "grid_head", "volunteer"])
def test_street_staff_may_not_give_themselves_a_place(world, role):
    _refused(world, world.people.acceptor, "acceptor", role, "username")


@pytest.mark.parametrize("role", ["grid_worker", "grid_head", "police_officer", "building_head"])
@pytest.mark.parametrize("who", ["resident", "other_acceptor", "worker2", "fresh"])
def test_street_staff_appoint_no_staff_place_to_anyone(world, who, role):
    if who == "fresh":
        _user("fresh")
    _refused(world, world.people.dispatcher, who, role, "role")


def test_street_staff_add_residents_and_people_of_their_street_as_volunteers(world):
    g0 = world.grids[0]
    for username in ["resident", "worker2"]:  # a resident; the grid worker of the next grid
        teams.add_member(
            actor=world.people.acceptor, grid_code=g0.code, username=username, role="volunteer"
        )
    _user("neighbour")
    teams.add_member(
        actor=world.people.acceptor, grid_code=g0.code, username="neighbour", role="party_member"
    )
    assert set(
        RoleAssignment.objects.filter(grid=g0, role__in=["volunteer", "party_member"])
        .values_list("user__username", flat=True)
        .distinct()
    ) == {"resident", "worker2", "neighbour"}


@pytest.mark.parametrize("who", ["other_acceptor", "far_worker", "city_handler", "leader"])
def test_street_staff_add_no_one_from_outside_their_street(world, who):
    _refused(world, world.people.acceptor, who, "volunteer", "username")


def test_street_staff_change_no_team_outside_their_street(world):
    _user("fresh")
    _refused(world, world.people.acceptor, "fresh", "volunteer", "actor", grid=2)


def test_street_staff_remove_volunteers_but_not_staff(world):
    g0 = world.grids[0]
    teams.add_member(
        actor=world.people.command, grid_code=g0.code, username="resident", role="volunteer"
    )
    assert teams.remove_member(
        actor=world.people.acceptor, grid_code=g0.code, username="resident", role="volunteer"
    )
    _refused(world, world.people.acceptor, "worker", "grid_worker", "role", adding=False)
    assert RoleAssignment.objects.filter(user=world.people.worker, grid=g0).exists()


def test_a_refused_grant_stays_refused_when_the_place_exists_already(world):
    """The replay of an add must not turn into a way of confirming someone else's grant."""
    _refused(world, world.people.acceptor, "worker", "grid_worker", "role")


def test_street_staff_gain_no_case_action_through_a_team(world):
    case = drive(world, "checking")
    acceptor = world.people.acceptor
    for role in ["grid_worker", "grid_head"]:
        with pytest.raises(PermissionDenied):
            teams.add_member(
                actor=acceptor, grid_code=world.grids[0].code, username="acceptor", role=role
            )
    policies.forget(acceptor)
    assert not {"pass_check", "fail_check"} & set(selectors.allowed_actions(acceptor, case))


# --- those who appoint staff -----------------------------------------------------------------


def _admin(world, *, superuser: bool = False, unit=None) -> User:
    if superuser:
        return User.objects.create_superuser("root", password="pw-root")
    admin = _user("admin1")
    RoleAssignment.objects.create(user=admin, role=Role.ADMIN, unit=unit or world.district)
    return admin


@pytest.mark.parametrize("appointer", ["command", "admin", "superuser"])
@pytest.mark.parametrize("role", STAFF_PLACES)
def test_administrators_and_the_command_centre_appoint_staff(world, appointer, role):
    actor = (
        world.people.command
        if appointer == "command"
        else _admin(world, superuser=appointer == "superuser")
    )
    _user("hired")
    a = teams.add_member(actor=actor, grid_code=world.grids[2].code, username="hired", role=role)
    assert (a.role, a.grid_id, a.replayed) == (role, world.grids[2].pk, False)
    assert teams.remove_member(
        actor=actor, grid_code=world.grids[2].code, username="hired", role=role
    )


def test_an_administrator_of_one_street_appoints_only_there(world):
    admin = _admin(world, unit=world.street)
    _user("hired")
    teams.add_member(actor=admin, grid_code=world.grids[0].code, username="hired", role="grid_head")
    _refused(world, admin, "hired", "grid_head", "actor", grid=2)


@pytest.mark.parametrize("who", ["resident", "volunteer_only"])
def test_no_one_gives_a_resident_account_a_staff_place(world, who):
    if who == "volunteer_only":
        _user("volunteer_only")
        teams.add_member(
            actor=world.people.acceptor,
            grid_code=world.grids[1].code,
            username="volunteer_only",
            role="volunteer",
        )
    for role in STAFF_PLACES:
        _refused(world, world.people.command, who, role, "username")
    # A resident may still join the N.
    teams.add_member(
        actor=world.people.command, grid_code=world.grids[0].code, username=who, role="volunteer"
    )


def test_who_fixes_cases_is_not_made_a_checker(world):
    for role in ["grid_worker", "grid_head"]:
        _refused(world, world.people.command, "city_handler", role, "username")
    # The street police station's handler may be the grid's community police officer.
    teams.add_member(
        actor=world.people.command,
        grid_code=world.grids[0].code,
        username="police_handler",
        role="police_officer",
    )


@pytest.mark.parametrize("adding", [True, False])
def test_appointers_do_not_change_their_own_places(world, adding):
    if not adding:
        RoleAssignment.objects.create(
            user=world.people.command, role="volunteer", grid=world.grids[0]
        )
    _refused(world, world.people.command, "command", "volunteer", "username", adding=adding)


# --- the API and the console page call the same service ----------------------------------------


@pytest.mark.parametrize(
    ("username", "role", "field"),
    [
        ("acceptor", "grid_worker", "username"),  # themselves
        ("resident", "grid_worker", "role"),
        ("other_acceptor", "grid_head", "role"),
        ("other_acceptor", "volunteer", "username"),
    ],
)
def test_the_api_refuses_a_grant_with_403_at_its_field(world, username, role, field):
    before = _places()
    response = token_client(world.people.acceptor).post(
        f"/api/v1/teams/{world.grids[0].code}/members",
        {"username": username, "role": role},
        content_type="application/json",
    )
    assert response.status_code == 403, response.content
    body = response.json()
    assert (body["code"], body["field"]) == ("forbidden", field) and body["message"]
    assert _places() == before


def test_the_api_lets_the_command_centre_appoint(world):
    _user("hired")
    response = token_client(world.people.command).post(
        f"/api/v1/teams/{world.grids[0].code}/members",
        {"username": "hired", "role": "grid_worker"},
        content_type="application/json",
    )
    assert response.status_code == 201


def test_the_console_page_refuses_a_grant_at_its_field_in_chinese(world):
    client = Client()
    client.force_login(world.people.acceptor)
    url = f"/console/teams/{world.grids[0].code}/"
    before = _places()
    response = client.post(f"{url}members/add/", {"username": "resident", "role": "grid_worker"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="add-role-error"' in page and "指挥中心" in page
    response = client.post(f"{url}members/add/", {"username": "acceptor", "role": "volunteer"})
    assert response.status_code == 400 and 'id="add-username-error"' in response.content.decode()
    assert _places() == before
