"""What the pages' scripts put on screen is text: a name that carries markup is shown as the
characters it holds and never runs, in Leaflet's tooltips and popups and in the panels the
scripts build. (The templates' own text is another matter: the broad payload test covers it.)"""

from __future__ import annotations

from onegrid.territory import addresses, selectors
from support.browser import screenshot

# Runs as soon as it is parsed as HTML: the image fails to load and its handler fires.
PAYLOAD = "<img src=x onerror=window.__xss=1>"
# Never runs on its own, so that the test can see it in place rather than race its handler.
INERT = "<b class=planted>粗</b>"


def no_script_ran(page) -> bool:
    return page.evaluate("() => window.__xss === undefined")


def test_an_address_name_is_text_in_the_address_map_tooltip(web):
    world = web.world
    grid = world.grids[0]
    rows = [addresses.AddressRow(2, "XSS-1", PAYLOAD + INERT, "", "", "", *world.point)]
    assert addresses.import_addresses(rows=rows, problems=[]).added
    page = web.context("acceptor").new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/console/addresses/XSS-1/")
    page.wait_for_selector('#address-map[data-state="ready"]')
    page.evaluate(
        "() => window.onegridAddressMap.eachLayer((l) => l.getTooltip && l.getTooltip() && "
        "l.openTooltip())"
    )
    tooltip = page.locator("#address-map .leaflet-tooltip")
    tooltip.wait_for()
    assert tooltip.inner_text() == PAYLOAD + INERT
    assert tooltip.locator("img, b").count() == 0
    page.wait_for_load_state("networkidle")
    assert no_script_ran(page)
    assert grid.code in page.inner_text("#address-facts")
    assert not errors
    screenshot(page, "address-map-tooltip-text")


def test_grid_and_team_names_are_text_on_the_live_map(web):
    world = web.world
    grid = world.grids[0]
    grid.name = PAYLOAD + INERT
    grid.save(update_fields=["name"])
    selectors.clear_cache()
    page = web.context("command").pages[0]
    page.goto("/map/")
    page.wait_for_selector("#map[data-state=ready]")
    point = page.evaluate(f"onegridMap.pagePoint('{grid.code}')")
    page.mouse.move(point["x"], point["y"])
    tooltip = page.locator("#map .leaflet-tooltip")
    tooltip.wait_for()
    assert (PAYLOAD + INERT) in tooltip.inner_text()
    assert tooltip.locator("img, b").count() == 0

    page.evaluate(f"onegridMap.select('{grid.code}')")
    title = page.locator("#grid-panel-title")
    title.wait_for()
    assert title.inner_text() == PAYLOAD + INERT
    assert page.locator("#grid-panel img, #grid-panel b.planted").count() == 0
    page.wait_for_load_state("networkidle")
    assert no_script_ran(page)
