"""The live map in a browser: every grid drawn on the canvas, a click on a grid opens its team and
cases, and a case reported while the page is open appears without a reload."""

from __future__ import annotations

import io

from PIL import Image

from support.browser import screenshot
from support.cases import report

BACKGROUND = (0xE6, 0xEA, 0xEE)  # the plain background of the map when no tiles are set
EMPTY_FILL = "#f5f4f1"


def pixel(page, point) -> tuple[int, int, int]:
    shot = page.screenshot(clip={"x": point["x"], "y": point["y"], "width": 1, "height": 1})
    return Image.open(io.BytesIO(shot)).convert("RGB").getpixel((0, 0))


def open_map(web, username):
    page = web.context(username).pages[0]
    page.goto("/map/")
    page.wait_for_selector("#map[data-state=ready]")
    return page


def test_the_map_draws_every_grid_and_shows_a_grids_team_and_cases(web, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 1}
    world = web.world
    first = report(world, world.people.worker, point=world.point)
    page = open_map(web, "command")
    codes = [g.code for g in world.grids]

    # Every grid of the world is drawn on the canvas renderer; nothing came from the internet.
    assert page.evaluate("onegridMap.gridCount()") == len(codes)
    assert page.evaluate("onegridMap.drawnGrids()") == len(codes)
    assert page.get_attribute("#map", "data-grid-count") == str(len(codes))
    assert page.locator("#map canvas").count() >= 1
    # Coloured by open cases: the grid with a case is darker than the two without.
    assert page.evaluate(f"onegridMap.fillOf('{codes[0]}')") != EMPTY_FILL
    assert page.evaluate(f"onegridMap.fillOf('{codes[1]}')") == EMPTY_FILL
    points = {code: page.evaluate(f"onegridMap.pagePoint('{code}')") for code in codes}
    for code, point in points.items():
        assert pixel(page, point) != BACKGROUND, code  # a painted polygon, not the background
    assert pixel(page, points[codes[0]]) != pixel(page, points[codes[1]])
    assert page.locator("#map-legend li").count() == 6

    # Colour by overdue cases: no case is overdue yet, so every grid turns light.
    page.check("input[name=measure][value=overdue]")
    assert page.evaluate(f"onegridMap.fillOf('{codes[0]}')") == EMPTY_FILL
    page.check("input[name=measure][value=open]")

    # A click on the first grid opens its team (masked phone) and its open case.
    page.mouse.click(points[codes[0]]["x"], points[codes[0]]["y"])
    panel = page.locator("#grid-panel")
    panel.wait_for(state="visible")
    page.wait_for_selector(f'#grid-panel .grid-case[data-number="{first.number}"]')
    assert panel.get_attribute("data-grid") == codes[0]
    assert world.grids[0].name in panel.inner_text()
    team = page.locator("#grid-team .team-member")
    assert team.count() == 1
    assert "worker" in team.first.inner_text()
    assert "138****5678" in team.first.inner_text()
    assert "13812345678" not in page.content()
    link = page.locator(f'#grid-panel .grid-case[data-number="{first.number}"] a')
    assert link.get_attribute("href") == f"/cases/{first.number}/"
    screenshot(page, "live-map")

    # Another grid, with no cases; Escape closes the panel.
    page.mouse.click(points[codes[1]]["x"], points[codes[1]]["y"])
    page.wait_for_selector("#grid-no-cases")
    assert panel.get_attribute("data-grid") == codes[1]
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")


def test_a_new_case_appears_without_reload(web, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 1}
    world = web.world
    page = open_map(web, "other_acceptor")
    far_code = world.grids[2].code
    page.evaluate(f"onegridMap.select('{far_code}')")
    page.wait_for_selector("#grid-no-cases")
    assert page.evaluate("onegridMap.markerCount()") == 0
    page.evaluate("window.__notReloaded = true")

    # A case outside the viewer's street never shows; one inside appears at the next poll.
    report(world, world.people.worker, point=world.point)
    case = report(world, world.people.far_worker, point=world.far_point)
    notice = page.locator("#new-cases")
    notice.wait_for(state="visible")
    assert notice.get_attribute("data-count") == "1"
    assert "1" in notice.inner_text()
    page.wait_for_function("() => onegridMap.markerCount() === 1")
    page.wait_for_function(f"() => onegridMap.fillOf('{far_code}') !== '{EMPTY_FILL}'")
    assert page.evaluate(f"onegridMap.fillOf('{world.grids[0].code}')") == EMPTY_FILL
    # The open grid panel refreshes with the new case.
    page.wait_for_selector(f'#grid-panel .grid-case[data-number="{case.number}"]')
    assert page.evaluate("window.__notReloaded") is True

    # Clicking the notice takes the viewer to the new case and clears the notice.
    notice.click()
    notice.wait_for(state="hidden")
    page.wait_for_timeout(400)  # the pan's animation
    screenshot(page, "live-map-new-case")
    # The same case is not announced twice at later polls.
    page.wait_for_timeout(2500)
    assert notice.is_hidden()
    assert page.evaluate("onegridMap.markerCount()") == 1


def test_on_a_phone_the_grid_opens_as_a_sheet_over_the_map(web):
    world = web.world
    report(world, world.people.worker, point=world.point)
    page = web.context("acceptor", phone=True).pages[0]
    page.goto("/map/")
    page.wait_for_selector("#map[data-state=ready]")
    assert page.evaluate("onegridMap.drawnGrids()") == len(world.grids)
    page.fill("#grid-query", world.grids[0].code)
    page.click("#grid-find button[type=submit]")
    page.wait_for_selector("#grid-panel .grid-case")
    sheet = page.locator("#grid-panel").bounding_box()
    assert sheet["width"] < 390 and sheet["y"] > 844 * 0.3
    page.wait_for_timeout(400)  # the zoom's animation
    screenshot(page, "live-map-phone")


def test_the_map_is_refused_to_a_grid_worker(web):
    page = web.context("worker", phone=True).pages[0]
    response = page.goto("/map/")
    assert response.status == 403
    assert page.locator("#forbidden").is_visible()
