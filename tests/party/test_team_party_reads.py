"""Every unmasked read of who holds a grid's Party-member place is logged (PARTY_MEMBERSHIP):
the 党员 label in the on-duty and roster rows, the live map's grid team, and the team API's
answer to adding a Party member; readers who may not read Party membership see no label and
leave no row."""

from __future__ import annotations

import datetime as dt

from onegrid.core import clock
from onegrid.org import selectors, teams
from onegrid.org.models import PersonalDataRead, Role
from onegrid.org.policies import grid_place
from support.api import token_client
from support.people import person


def _neighbour_on_duty(world):
    g0 = world.grids[0]
    neighbour = person("neighbour", Role.RESIDENT, unit=world.district)
    teams.add_member(
        actor=world.people.acceptor, grid_code=g0.code, username="neighbour", role="party_member"
    )
    now = clock.now()
    teams.schedule_duty(
        actor=world.people.acceptor,
        grid_code=g0.code,
        username="neighbour",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=3),
    )
    return g0, neighbour


def _reads(path):
    return list(
        PersonalDataRead.objects.filter(kind="party_membership", path=path).values_list(
            "user__username", "subject_id", "fields", "channel"
        )
    )


def test_on_duty_roster_and_map_rows_log_the_label_for_party_staff(party, world):
    g0, neighbour = _neighbour_on_duty(world)
    now = clock.now()
    reader = party.street_staff
    on_duty = selectors.on_duty(reader, g0, now, path="/on-duty")
    assert any("党员" in d.role_labels for d in on_duty)
    roster = selectors.shifts(reader, g0, now, now + dt.timedelta(days=1), path="/roster")
    assert any("党员" in s.role_labels for s in roster)
    team = selectors.grid_team(reader, grid_place(g0), path="/map")
    assert "party_member" in {m.role for m in team}
    for path in ("/on-duty", "/roster", "/map"):
        assert _reads(path) == [(reader.username, f"user:{neighbour.pk}", "team_role", "page")]


def test_readers_without_the_right_see_no_label_and_leave_no_row(party, world):
    g0, _neighbour = _neighbour_on_duty(world)
    now = clock.now()
    for reader in (world.people.acceptor, world.people.leader, party.other_staff):
        on_duty = selectors.on_duty(reader, g0, now, path="/on-duty")
        assert all("党员" not in d.role_labels for d in on_duty)
        roster = selectors.shifts(reader, g0, now, now + dt.timedelta(days=1), path="/roster")
        assert all("党员" not in s.role_labels for s in roster)
        team = selectors.grid_team(reader, grid_place(g0), path="/map")
        assert "party_member" not in {m.role for m in team}
    assert not PersonalDataRead.objects.filter(kind="party_membership").exists()


def test_the_api_roster_and_on_duty_log_through_the_api(party, world):
    g0, neighbour = _neighbour_on_duty(world)
    client = token_client(party.street_staff)
    assert client.get(f"/api/v1/teams/{g0.code}/shifts").status_code == 200
    assert _reads(f"/api/v1/teams/{g0.code}/shifts") == [
        (party.street_staff.username, f"user:{neighbour.pk}", "team_role", "api")
    ]
    answer = client.get(f"/api/v1/teams/{g0.code}").json()
    assert any("党员" in d["role_labels"] for d in answer["on_duty"])
    # The team's slots and its on-duty rows: one row each.
    assert len(_reads(f"/api/v1/teams/{g0.code}")) == 2


def test_the_answer_to_adding_a_party_member_is_logged(party, world):
    g0 = world.grids[0]
    newcomer = person("newcomer", Role.RESIDENT, unit=world.district)
    path = f"/api/v1/teams/{g0.code}/members"
    answer = token_client(world.people.acceptor).post(
        path, {"username": "newcomer", "role": "party_member"}, content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["username"] == "newcomer"
    assert _reads(path) == [
        (world.people.acceptor.username, f"user:{newcomer.pk}", "team_role", "api")
    ]
    # Another place named in the answer is no Party membership: nothing more logged.
    person("helper", Role.RESIDENT, unit=world.district)
    token_client(world.people.acceptor).post(
        path, {"username": "helper", "role": "volunteer"}, content_type="application/json"
    )
    assert len(_reads(path)) == 1
