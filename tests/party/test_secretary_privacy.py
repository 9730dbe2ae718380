"""A Party organisation's secretary is a Party member: saying that the grid head is the grid
group's secretary says that the grid head is a Party member. The team page says it only to
those who may read Party membership at the grid's community (and logs it), like the name."""

from __future__ import annotations

from onegrid.org.models import PersonalDataRead, Role
from onegrid.party import selectors, services
from support.people import person
from support.web import client_for


def _head_is_secretary(party, world):
    head = person("head", Role.GRID_HEAD, grid=world.grids[0])
    services.set_secretary(actor=party.street_staff, organisation=party.grid_group, secretary=head)
    return head


def test_the_team_page_does_not_tell_others_the_grid_head_is_the_secretary(party, world):
    _head_is_secretary(party, world)
    page = client_for(world, "acceptor").get(f"/console/teams/{world.grids[0].code}/")
    section = page.content.decode()
    section = section[section.index('id="team-party"') :]
    section = section[: section.index("</section>")]
    assert "网格长" not in section and "the grid head" not in section
    rows = selectors.grid_party_rows(world.people.acceptor, world.grids[0], channel="page")
    assert [r.secretary_is_grid_head for r in rows] == [False]
    assert not PersonalDataRead.objects.filter(kind="party_membership").exists()


def test_party_staff_of_the_place_are_told_and_the_read_is_logged(party, world):
    head = _head_is_secretary(party, world)
    rows = selectors.grid_party_rows(party.street_staff, world.grids[0], channel="page")
    assert [(r.secretary_name, r.secretary_is_grid_head) for r in rows] == [(str(head), True)]
    assert PersonalDataRead.objects.filter(kind="party_membership").exists()
