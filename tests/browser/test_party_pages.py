"""The Party pages in a browser: Party-organisation staff land on the tree, see it on the map,
open a grid's Party group, register a member and transfer them (组织关系转接); a leader sees the
same organisation with the member masked."""

from __future__ import annotations

from onegrid.party.models import Membership
from support.browser import screenshot
from support.party_tree import build_tree


def test_party_staff_register_and_transfer_a_member(web):
    party = build_tree(web.world)
    page = web.context("party_street").new_page()
    page.goto("/")
    page.wait_for_url("**/party/")
    page.wait_for_selector('#party-map[data-state="ready"]')
    # Every organisation has a point: the district's and streets' inside their places (none
    # here: the world's units have no boundary), the grid group's and the firm's.
    assert page.get_attribute("#party-map", "data-points") == "2"
    page.click(
        f'li[data-org="{party.grid_group.pk}"] > details > summary > a, '
        f'li[data-org="{party.grid_group.pk}"] > a'
    )
    page.wait_for_url(f"**/party/orgs/{party.grid_group.pk}/")

    page.fill("#join-form input[name=name]", "王小红")
    page.fill("#join-form input[name=phone]", "13700001111")
    page.click("#join-form button[type=submit]")
    row = page.wait_for_selector('#members tr:has-text("王小红")')
    member_id = row.get_attribute("data-member")
    page.select_option("#transfer-form select[name=member]", member_id)
    page.select_option("#transfer-form select[name=to]", str(party.firm.pk))
    page.fill("#transfer-form input[name=reason]", "工作调动")
    page.click("#transfer-form button[type=submit]")
    page.wait_for_selector('#history tr:has-text("王小红")')
    assert not page.query_selector('#members tr:has-text("王小红")')
    stays = Membership.objects.filter(member_id=member_id).order_by("id")
    assert [(s.organisation_id, s.end or s.start) for s in stays] == [
        (party.grid_group.pk, "transferred_out"),
        (party.firm.pk, "transferred_in"),
    ]
    screenshot(page, "party-organisation")

    leader = web.context("leader").new_page()
    leader.goto(f"/party/orgs/{party.grid_group.pk}/")
    leader.wait_for_selector("#members-masked")
    assert "张三" not in leader.content() and "张*" in leader.content()
