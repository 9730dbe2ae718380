"""The big screen in a browser: dark, full screen, the figures, the trend and the grids drawn
with no console error and no Content-Security-Policy violation, and a case reported while it is
open changes the figures and the map at the next poll — with no reload and nothing added: the
same chart instance and the same number of elements after many polls."""

from __future__ import annotations

from support.browser import problems, screenshot, watch_problems
from support.cases import report

NONE = "#1c2a3f"  # measures/shape.js OPEN_SCALE.none: a grid without open cases


def watched(web, username, **options):
    ctx = web.context(username, **options)
    errors = watch_problems(ctx)
    return ctx.pages[0], errors


STABLE = """() => ({
  chart: document.querySelector('#bs-trend-chart').getAttribute('_echarts_instance_'),
  canvases: document.querySelectorAll('canvas').length,
  elements: document.getElementsByTagName('*').length,
})"""


def test_the_big_screen_refreshes_in_place(web, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 1}
    world = web.world
    report(world, world.people.worker, point=world.point)
    page, errors = watched(web, "command")
    page.goto("/bigscreen/")
    page.wait_for_selector("#bs-map[data-state=ready]")
    page.wait_for_selector("#bs-trend-chart[data-chart=ready] canvas")
    assert page.inner_text("#bs-open") == "1"
    codes = [g.code for g in world.grids]
    assert page.evaluate("() => onegridScreen.gridCount()") == len(codes)
    assert page.evaluate(f"() => onegridScreen.fillOf('{codes[0]}')") != NONE
    assert page.evaluate(f"() => onegridScreen.fillOf('{codes[1]}')") == NONE
    assert page.locator("#bs-today-figures .bs-figure").count() == 4
    assert page.locator("#bs-legend li").count() == 6
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 21, 38)"  # dark
    page.evaluate("() => { window.__notReloaded = true; }")
    page.wait_for_function("() => onegridScreen.polls() >= 1")
    before = page.evaluate(STABLE)

    # A case reported in another grid: the open count and that grid's colour change.
    report(world, world.people.worker2, point=(117.115, 39.205))
    page.wait_for_function("() => document.querySelector('#bs-open').textContent === '2'")
    page.wait_for_function(f"() => onegridScreen.fillOf('{codes[1]}') !== '{NONE}'")
    reports = page.locator('#bs-today-figures .bs-figure[data-key="reports"] .bs-value')
    assert reports.inner_text() == "2"
    assert page.evaluate("() => window.__notReloaded") is True

    # More polls add nothing: the same chart, as many canvases and elements.
    polls = page.evaluate("() => onegridScreen.polls()")
    page.wait_for_function(f"() => onegridScreen.polls() >= {polls + 3}", timeout=20_000)
    assert page.evaluate(STABLE) == before
    screenshot(page, "bigscreen")
    assert problems(page, errors) == []


def test_the_big_screen_stacks_on_a_phone(web):
    world = web.world
    report(world, world.people.worker, point=world.point)
    page, errors = watched(web, "leader", phone=True)
    page.goto("/bigscreen/")
    page.wait_for_selector("#bs-map[data-state=ready]")
    width = page.evaluate("() => document.querySelector('#bs-map').getBoundingClientRect().width")
    assert width <= 390
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "bigscreen-phone")
    assert problems(page, errors) == []


def test_the_big_screen_is_refused_to_a_street_desk(web):
    page = web.context("acceptor").pages[0]
    assert page.goto("/bigscreen/").status == 403
