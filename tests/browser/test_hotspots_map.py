"""Hotspots in a browser: the page's map fills the hot grids by their Gi* class, outlines the
streets with a surge alert, draws repeat places and, on demand, the heat map (a canvas of our own
as a blob: image, within the CSP); the live map offers the same layers; the console shows the
desk's alerts. No script error, no CSP violation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from onegrid.core import clock
from support.browser import problems, screenshot, watch_problems
from support.hotspots import build_lattice, place_cases, set_cache_seconds

HOT_99 = "#b2182b"
CLEAR = "#ffffff"
WEEK = dt.timedelta(days=7)


@pytest.fixture
def scene(web, settings):
    """The lattice (the live server runs on the real clock, so cases are placed before now): a
    hot cluster in the west half (the world's street), a repeat place, and a surge of rubbish
    in the east half (the other street) over ten weeks of steady reports."""
    set_cache_seconds(settings, 0)
    world = web.world
    lattice = build_lattice(world)
    now = clock.now()
    rng = np.random.default_rng(8)
    for grid in lattice.grids:
        n = int(rng.poisson(4))
        place_cases(grid, n, world.building, at=now, spread_days=70, jitter_m=150, rng=rng)
    for r in (2, 3, 4):
        for c in (1, 2, 3):
            place_cases(lattice.at(r, c), 40, world.building, at=now, spread_days=20, jitter_m=150)
    place_cases(lattice.at(6, 1), 4, world.rubbish, at=now, spread_days=30)
    east = lattice.at(0, 6)
    for k, n in enumerate([45, 2, 3, 2, 2, 3, 2, 2, 3, 2]):
        place_cases(east, n, world.rubbish, at=now - k * WEEK, spread_days=6.5, jitter_m=100)
    return lattice


def test_the_hotspots_page_draws_its_layers(web, scene):
    ctx = web.context("command")
    errors = watch_problems(ctx)
    page = ctx.pages[0]
    page.goto("/console/hotspots/")
    page.wait_for_selector("#hotspot-map[data-state=drawn]")
    hot = scene.at(3, 2).code
    assert page.evaluate(f"onegridHotspots.fillOf('{hot}')") == HOT_99
    assert page.evaluate(f"onegridHotspots.fillOf('{scene.at(7, 7).code}')") == CLEAR
    assert page.locator(f'#hotspot-grids tr[data-grid="{hot}"]').count() == 1
    assert page.evaluate("onegridHotspots.placeCount()") >= 1
    # The other street has a surge: its grids are outlined.
    east = scene.at(0, 6).code
    assert page.evaluate(f"onegridHotspots.weightOf('{east}')") > page.evaluate(
        f"onegridHotspots.weightOf('{hot}')"
    )
    # Layers on and off.
    page.uncheck("#layer-hotspots")
    assert page.evaluate(f"onegridHotspots.fillOf('{hot}')") == CLEAR
    page.check("#layer-hotspots")
    page.uncheck("#layer-places")
    assert page.evaluate("onegridHotspots.placeCount()") == 0
    page.check("#layer-places")
    # The heat map: fetched, drawn on a canvas, shown as a blob: image.
    page.check("#layer-heat")
    page.wait_for_selector("#hotspot-map[data-heat=on]")
    assert page.evaluate("onegridHotspots.heatShown()")
    src = page.locator("img.heat-layer").get_attribute("src")
    assert src.startswith("blob:")
    page.uncheck("#layer-heat")
    assert not page.evaluate("onegridHotspots.heatShown()")
    page.check("#layer-heat")
    assert page.evaluate("onegridHotspots.heatShown()")
    assert page.locator("#hotspot-legend li").count() == 9
    screenshot(page, "hotspots")
    assert problems(page, errors) == []


def test_a_street_desk_sees_its_own_street_only(web, scene):
    ctx = web.context("acceptor")
    page = ctx.pages[0]
    page.goto("/console/hotspots/")
    page.wait_for_selector("#hotspot-map[data-state=drawn]")
    assert page.evaluate(f"onegridHotspots.fillOf('{scene.at(3, 2).code}')") == HOT_99
    # The east half is drawn (geometry is not personal) but carries none of its figures.
    assert page.evaluate(f"onegridHotspots.weightOf('{scene.at(0, 6).code}')") < 1
    assert page.locator("#surge-alerts tr[data-level]").count() == 0


def test_the_live_map_offers_gi_star_and_heat(web, scene):
    ctx = web.context("leader")
    errors = watch_problems(ctx)
    page = ctx.pages[0]
    page.goto("/map/")
    page.wait_for_selector("#map[data-state=ready]")
    hot = scene.at(3, 2).code
    assert page.evaluate(f"onegridMap.fillOf('{hot}')") != HOT_99
    page.check("input[name=measure][value=hotspot]")
    page.wait_for_function(f"() => onegridMap.fillOf('{hot}') === '{HOT_99}'")
    assert page.locator("#map-legend li").count() == 8
    page.check("#heat-layer")
    page.wait_for_selector("#map[data-heat=on]")
    assert page.evaluate("onegridMap.heatShown()")
    screenshot(page, "live-map-hotspots")
    assert problems(page, errors) == []


def test_the_console_shows_the_desks_alerts(web, scene):
    page = web.context("other_acceptor").pages[0]
    page.goto("/console/")
    panel = page.locator("#alerts-panel")
    panel.wait_for()
    assert page.locator("#alerts-panel-table tr[data-class=A0102]").count() >= 1
    quiet = web.context("acceptor").pages[0]
    quiet.goto("/console/")
    assert quiet.locator("#alerts-panel-table").count() == 0
    assert quiet.locator("#alerts-panel").get_attribute("data-count") == "0"


PAYLOAD = '<img src=x onerror="window.__xss=1">'


def test_names_stay_text_in_the_tables_and_tooltips(web, scene):
    from onegrid.cases.models import CaseClass
    from onegrid.territory import selectors
    from onegrid.territory.models import Grid

    hot = scene.at(3, 2)
    Grid.objects.filter(pk=hot.pk).update(name=PAYLOAD)
    CaseClass.objects.filter(code="A0102").update(name=PAYLOAD)
    selectors.clear_cache()
    ctx = web.context("command")
    errors = watch_problems(ctx)
    page = ctx.pages[0]
    page.goto("/console/hotspots/?class=A01")
    page.wait_for_selector("#hotspot-map[data-state=drawn]")
    cell = page.locator(f'#hotspot-grids tr[data-grid="{hot.code}"] td a').first
    assert cell.inner_text() == PAYLOAD
    assert page.locator('#repeat-places tr[data-class="A0102"] td a').first.inner_text() == PAYLOAD
    # The grid's tooltip, opened by hovering over the grid (the places' circles set aside).
    page.uncheck("#layer-places")
    page.locator("#hotspot-map").scroll_into_view_if_needed()
    point = page.evaluate(
        f"""() => {{
          const m = onegridHotspots.map, box = m.getContainer().getBoundingClientRect();
          const p = m.latLngToContainerPoint([{hot.label_lat}, {hot.label_lon}]);
          return {{x: box.left + p.x, y: box.top + p.y}};
        }}"""
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector(".leaflet-tooltip")
    assert PAYLOAD in page.locator(".leaflet-tooltip").inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert problems(page, errors) == []
