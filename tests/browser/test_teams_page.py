"""The team page in a browser: a street acceptor adds a member and schedules a shift for them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from onegrid.org.models import DutyShift, RoleAssignment, User
from support.browser import screenshot


def test_acceptor_adds_a_member_and_schedules_a_shift(web):
    grid = web.world.grids[0]
    User.objects.create_user("vol", password="pw-vol", display_name="志愿者小李")
    page = web.context("acceptor").new_page()
    page.goto("/console/")
    page.click("#teams-link")
    page.wait_for_url("**/console/teams/")
    page.click(f'tr[data-grid="{grid.code}"] a >> nth=0')
    page.wait_for_url(f"**/console/teams/{grid.code}/")

    page.fill("#id_add_username", "vol")
    page.select_option("#id_add_role", "volunteer")
    page.click("#add-member button[type=submit]")
    page.wait_for_selector('tr[data-role="volunteer"][data-username="vol"]')
    assert RoleAssignment.objects.filter(user__username="vol", grid=grid, role="volunteer").exists()

    tomorrow = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=1)
    page.fill("#id_shift_username", "vol")
    page.fill("#id_starts_at", f"{tomorrow}T08:00")
    page.fill("#id_ends_at", f"{tomorrow}T07:00")  # before the start: refused at the end field
    page.click("#schedule-shift button[type=submit]")
    page.wait_for_selector("#ends-at-error")
    assert page.input_value("#id_shift_username") == "vol"
    page.fill("#id_ends_at", f"{tomorrow}T16:00")
    page.click("#schedule-shift button[type=submit]")
    page.wait_for_selector('#shifts tr[data-username="vol"]')
    shift = DutyShift.objects.get(user__username="vol")
    local = shift.starts_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.date(), local.hour, shift.ends_at - shift.starts_at) == (
        tomorrow,
        8,
        dt.timedelta(hours=8),
    )
    screenshot(page, "team-page")
