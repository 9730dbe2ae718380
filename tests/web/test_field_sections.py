"""The field app's home lists its other sections for those who may open them: volunteering
and points (志愿), and "my community" (the community page: where a volunteer serves, where a
Party member lives, the community of a team member's grid). Every link it shows opens; no link
is shown to someone the target would refuse."""

from __future__ import annotations

import re

from django.test import Client

from onegrid.core import clock
from onegrid.org.models import Role
from onegrid.party.models import Member
from support.people import person

LINKS = re.compile(r'<a class="button" id="(link-[a-z0-9-]+)" href="([^"]+)"')


def _links(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    page = client.get("/field/")
    assert page.status_code == 200
    links = dict(LINKS.findall(page.content.decode()))
    for url in links.values():
        assert client.get(url).status_code == 200, url
    return links


def test_each_field_role_gets_the_sections_it_may_open_and_they_open(world):
    g0 = world.grids[0]
    community = f"link-community-{g0.community_id}"
    cases = {
        # Residents, volunteers and Party members take part in their place's deliberation.
        "resident": {"link-volunteering", "link-points", "link-deliberation"},
        # A grid worker also records the monthly dispute screening of their grid.
        "worker": {"link-points", "link-screening", community},
        "volunteer_x": {"link-volunteering", "link-points", "link-deliberation", community},
        "member_x": {"link-volunteering", "link-points", "link-deliberation", community},
    }
    people = {
        "resident": world.people.resident,
        "worker": world.people.worker,
        "volunteer_x": person("volunteer_x", Role.VOLUNTEER, grid=g0),
        "member_x": person("member_x", Role.PARTY_MEMBER, grid=g0),
    }
    for name, expected in cases.items():
        assert set(_links(people[name])) == expected, name


def test_a_party_members_home_community_is_theirs_even_off_the_grid_team(world):
    user = person("member_home", Role.PARTY_MEMBER, unit=world.district)
    Member.objects.create(
        user=user,
        name="党员甲",
        category="in_service",
        created_at=clock.now(),
        home_community=world.grids[2].community,
    )
    assert f"link-community-{world.grids[2].community_id}" in _links(user)


def test_a_resident_who_is_a_party_member_gets_no_link_the_community_page_refuses(world):
    # A Member row without the Party-member role: the community page would refuse them.
    Member.objects.create(
        user=world.people.resident,
        name="居民党员",
        category="in_service",
        created_at=clock.now(),
        home_community=world.community,
    )
    assert not any(k.startswith("link-community") for k in _links(world.people.resident))


def test_desk_staff_do_not_open_the_field_app_at_all(world):
    client = Client()
    client.force_login(world.people.acceptor)
    assert client.get("/field/").status_code in (302, 403)
