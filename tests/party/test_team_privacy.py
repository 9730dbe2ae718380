"""Party membership does not leak through the grid teams: a Party-member place on a team shows
who holds it only to Party-organisation staff of the place (logged); the team page links the
grid's Party group and names its secretary only to them."""

from __future__ import annotations

from onegrid.org import teams
from onegrid.org.models import PersonalDataRead, Role, RoleAssignment
from onegrid.party import services
from support.api import token_client
from support.people import person
from support.web import client_for


def _team_url(grid) -> str:
    return f"/console/teams/{grid.code}/"


def _with_party_member(world):
    g0 = world.grids[0]
    person("neighbour", Role.RESIDENT, unit=world.district)
    teams.add_member(
        actor=world.people.acceptor, grid_code=g0.code, username="neighbour", role="party_member"
    )
    return g0


def test_street_staff_see_the_place_filled_but_not_who(party, world):
    g0 = _with_party_member(world)
    page = client_for(world, "acceptor").get(_team_url(g0)).content.decode()
    assert "neighbour" not in page
    assert 'data-role="party_member" data-username=""' in page
    answer = token_client(world.people.acceptor).get(f"/api/v1/teams/{g0.code}").json()
    party_slot = next(
        s for g in answer["groups"] for s in g["slots"] if s["role"] == "party_member"
    )
    assert [m["username"] for m in party_slot["members"]] == [""]
    assert not PersonalDataRead.objects.filter(kind="party_membership").exists()


def test_party_staff_see_who_and_the_read_is_logged(party, world):
    g0 = _with_party_member(world)
    # Party staff read the team through the API (the console is the street desks').
    answer = token_client(party.street_staff).get(f"/api/v1/teams/{g0.code}").json()
    party_slot = next(
        s for g in answer["groups"] for s in g["slots"] if s["role"] == "party_member"
    )
    assert [m["username"] for m in party_slot["members"]] == ["neighbour"]
    row = PersonalDataRead.objects.get(kind="party_membership")
    assert (row.channel, row.fields) == ("api", "team_role")
    # A desk who is also the street's Party staff sees them on the page too.
    RoleAssignment.objects.create(
        user=world.people.acceptor, role=Role.PARTY_STAFF, unit=world.street
    )
    page = client_for(world, "acceptor").get(_team_url(g0)).content.decode()
    assert 'data-username="neighbour"' in page


def test_the_team_page_links_the_grid_party_group_and_keeps_its_secretary(party, world):
    head = person("head", Role.GRID_HEAD, grid=world.grids[0])
    services.set_secretary(actor=party.street_staff, organisation=party.grid_group, secretary=head)
    page = client_for(world, "acceptor").get(_team_url(world.grids[0])).content.decode()
    assert f'href="/party/orgs/{party.grid_group.pk}/"' in page
    assert "第001网格党小组" in page
    section = page[page.index('id="team-party"') :]
    # Nor that the grid head is the secretary: that would name a Party member.
    assert "网格长" not in section[: section.index("</section>")]
    assert "head" not in section[: section.index("</section>")]
    assert not PersonalDataRead.objects.filter(kind="party_membership").exists()
