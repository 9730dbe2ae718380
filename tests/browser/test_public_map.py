"""The public pages in a browser, signed out: the map draws the page's reports at their public
places with text-only popups linking to each report, the tracking form leads to the status
page, and nothing breaks the Content-Security-Policy."""

from __future__ import annotations

from onegrid.residents import public
from onegrid.residents.public_models import PublicSettings
from support.browser import problems, screenshot, watch_problems
from support.cases import act, drive, report


def test_a_visitor_reads_the_map_and_follows_a_report(web):
    world = web.world
    PublicSettings.objects.create(district=world.district, enabled=True)
    hostile = report(world, description="<img src=x onerror=alert(1)> 电话13812345678")
    hostile = act(hostile, world.people.acceptor, "register")
    fixed = drive(world, "closed")

    ctx = web.context()  # signed out
    errors = watch_problems(ctx)
    page = ctx.new_page()
    page.goto("/public/")
    page.wait_for_selector("#public-map[data-state=ready]")
    assert page.get_attribute("#public-map", "data-markers") == "2"
    assert page.locator("#public-list li").count() == 2
    item = page.locator(f'#public-list li[data-number="{hostile.number}"]')
    assert "<img src=x" in item.inner_text() and "13812345678" not in item.inner_text()
    assert page.locator("#public-list img[src='x']").count() == 0

    # Both reports are in the first grid: one marker at its point, whose popup lists both
    # (class and grid, progress, a link to each report).
    marker = page.locator("#public-map path.leaflet-interactive")
    assert marker.count() == 1 and marker.get_attribute("data-count") == "2"
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert world.grids[0].name in popup.inner_text()
    links = [a.get_attribute("href") for a in popup.locator("a").all()]
    assert sorted(links) == sorted(f"/public/cases/{c.number}/" for c in (hostile, fixed))
    screenshot(page, "public-map")

    # The tracking form, with the code typed loosely.
    page.goto("/public/track/")
    code = fixed.tracking_code
    page.fill("#track-code", f"{code[:5].lower()} {code[5:]}")
    page.click("#track-form button[type=submit]")
    page.wait_for_selector("#public-state")
    assert page.url.endswith(f"/public/reports/{code}/")
    assert str(public.STATE_WORDS["closed"]) in page.inner_text("#public-state")
    page.wait_for_selector("#public-map[data-state=ready]")
    screenshot(page, "public-status")
    assert problems(page, errors) == []
