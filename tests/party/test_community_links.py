"""The community page is reached from the pages that name a community (a new user has no other
way to find /communities/<id>/): a Party organisation's place, a centre's place, a grid team's
community and the confirmed report-ins by community; only for those the page would let in."""

from __future__ import annotations

from django.test import Client

from onegrid.org.models import Role
from onegrid.party import report_ins
from support.party_roles import holder
from support.party_rows import party_rows
from support.party_tree import build_tree


def _page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.content.decode()


def _link(world) -> str:
    return f'href="/communities/{world.community.pk}/"'


def test_an_organisation_page_links_its_community_for_those_who_may_open_it(world):
    party = build_tree(world)
    url = f"/party/orgs/{party.community.pk}/"
    assert _link(world) in _page(party.street_staff, url)
    _page(party.street_staff, f"/communities/{world.community.pk}/")  # and the link opens
    # Supervision reads the tree but not the community page: no link that would be refused.
    assert "/communities/" not in _page(holder(world, Role.SUPERVISOR), url)
    # A street committee stands on a street: no community to link.
    assert "/communities/" not in _page(party.street_staff, f"/party/orgs/{party.street.pk}/")


def test_a_grid_team_page_links_its_community(world):
    page = _page(world.people.shift_lead, f"/console/teams/{world.grids[0].code}/")
    assert _link(world) in page


def test_the_confirmed_report_ins_link_their_community(world):
    rows = party_rows(world)
    out = report_ins.report_in_unit(
        actor=rows.secretary, organisation=rows.firm, idempotency_key="k"
    )
    report_ins.confirm(actor=rows.community_staff, report_in=out.report_in)
    assert _link(world) in _page(rows.community_staff, "/party/report-ins/")
