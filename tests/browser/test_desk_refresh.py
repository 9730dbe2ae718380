"""The desks' queues bring in new work without a reload, and leave a half-typed filter alone."""

from __future__ import annotations

from support.cases import report


def test_a_new_case_appears_in_the_console_without_reload(web, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 1}
    page = web.context("acceptor").pages[0]
    page.goto("/console/")
    page.wait_for_selector("#queue")
    case = report(web.world)
    page.wait_for_selector(f'#queue tr[data-number="{case.number}"]', timeout=15_000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_the_console_does_not_refresh_under_a_person_typing(web, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 1}
    page = web.context("acceptor").pages[0]
    page.goto("/console/")
    page.click("input[name=q]")
    page.keyboard.type("垃圾")
    case = report(web.world)
    page.wait_for_timeout(5_000)
    assert page.locator(f'#queue tr[data-number="{case.number}"]').count() == 0
    assert page.input_value("input[name=q]") == "垃圾"
    page.click("h1")  # done typing: the next refresh brings the case in
    page.wait_for_selector(f'#queue tr[data-number="{case.number}"]', timeout=15_000)
