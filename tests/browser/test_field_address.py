"""The field app's standard address picker: search online, pick one, and the report carries
the address alone, so the case lands in the address's grid whatever the GPS says; offline the
picker says it needs the network while GPS and map taps still work."""

from __future__ import annotations

import json

from django.utils import translation

from onegrid.cases.models import Case, CaseEvent
from onegrid.territory import addresses
from onegrid.web.views import field
from support.browser import (
    OUTSIDE,
    at,
    fill_report,
    open_report,
    phone,
    screenshot,
    sign_in,
    wait_until,
)

GRID_0_ADDRESSES = [
    ("GY-3-2-501", "佳园里3号楼2单元501", 117.1032, 39.2031),
    ("GY-3-2-502", "佳园里3号楼2单元502", 117.1032, 39.2031),
    ("HS-1-1-101", "华顺苑1号楼1单元101", 117.1071, 39.2072),
]


def load_addresses(world) -> None:
    rows = [
        addresses.AddressRow(i, code, name, "", "", "", lon, lat)
        for i, (code, name, lon, lat) in enumerate(GRID_0_ADDRESSES, 2)
    ]
    report = addresses.import_addresses(rows=rows, problems=[])
    assert len(report.added) == len(rows)


def test_a_report_at_a_chosen_address_lands_in_the_address_grid(web):
    load_addresses(web.world)
    grid_0, grid_1 = web.world.grids[0], web.world.grids[1]
    # The worker stands in the next grid: a point sent with the address would be refused.
    ctx = phone(web, "worker", point=(grid_1.label_lon, grid_1.label_lat))
    page = ctx.new_page()
    open_report(page)
    page.fill("#address-search", "佳园里 502")
    option = page.locator('#address-results .address-option[data-address="GY-3-2-502"]')
    option.wait_for()
    assert page.locator("#address-results .address-option").count() == 1
    option.click()
    assert "佳园里3号楼2单元502" in page.inner_text("#address-selected")
    assert page.input_value("#report-address-code") == "GY-3-2-502"
    screenshot(page, "field-report-address")
    fill_report(page, description="楼道堆物")
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    wait_until(lambda: Case.objects.count() == 1, what="the case")
    case = Case.objects.get()
    assert case.grid_id == grid_0.id
    assert (case.lon, case.lat) == (117.1032, 39.2031)
    assert case.address.startswith("佳园里3号楼2单元502")
    event = CaseEvent.objects.get(case=case, action="report")
    assert event.data["address_code"] == "GY-3-2-502"

    # The next report starts without the address: a GPS point again.
    page.click("#report-another")
    assert page.locator("#address-selected").is_hidden()
    assert page.input_value("#report-address-code") == ""


ADDRESS_DOT = '#report-map path[fill="#0b57d0"][fill-opacity="1"]'  # the chosen address


def test_a_map_tap_after_choosing_an_address_replaces_it(web):
    load_addresses(web.world)
    ctx = phone(web, "worker")
    page = ctx.new_page()
    open_report(page)
    page.fill("#address-search", "佳园里 501")
    page.click('#address-results .address-option[data-address="GY-3-2-501"]')
    assert page.input_value("#report-address-code") == "GY-3-2-501"
    page.wait_for_selector(ADDRESS_DOT)
    # The map now centres on the address; the worker taps a little beside it.
    box = page.locator("#report-map").bounding_box()
    page.click("#report-map", position={"x": box["width"] / 2 + 30, "y": box["height"] / 2})
    assert page.locator("#address-selected").is_hidden()
    assert page.input_value("#report-address-code") == ""
    assert page.locator(ADDRESS_DOT).count() == 0  # only the tapped point is drawn
    tapped = (float(page.input_value("#report-lon")), float(page.input_value("#report-lat")))
    fill_report(page, description="地图点选")
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    wait_until(lambda: Case.objects.count() == 1, what="the case")
    case = Case.objects.get()
    assert (case.lon, case.lat) == tapped != (117.1032, 39.2031)
    assert "address_code" not in CaseEvent.objects.get(case=case, action="report").data


def address_note(page) -> str:
    note = page.locator("#address-results p.muted")
    note.wait_for()
    return note.inner_text()


def test_address_search_errors_say_what_went_wrong(web):
    load_addresses(web.world)
    with translation.override("zh-hans"):
        strings = {key: str(text) for key, text in field._strings().items()}
    ctx = phone(web, "worker")
    page = ctx.new_page()
    open_report(page)
    answers = []

    def answer(route):
        if not answers:
            return route.continue_()
        status, body = answers[0]
        return route.fulfill(status=status, content_type="application/json", body=body)

    page.route("**/api/v1/addresses?**", answer)
    search = lambda text: page.fill("#address-search", text)  # noqa: E731
    # Another 4xx: the server's own (translated) message.
    refusal = {"code": "invalid_input", "message": "q：太长了", "field": "q"}
    answers[:] = [(422, json.dumps(refusal, ensure_ascii=False))]
    search("佳园里")
    wait_until(lambda: address_note(page) == "q：太长了", what="the server's message")
    # A 5xx (or no answer at all): the network text.
    answers[:] = [(502, "<html>bad gateway</html>")]
    search("华顺苑")
    wait_until(lambda: address_note(page) == strings["addressNeedsNetwork"], what="network text")
    assert page.locator("#auth-banner").is_hidden()

    # The session ends in another tab: the search asks for a sign-in, as the queue does.
    answers.clear()
    other = ctx.new_page()
    other.goto("/account/")
    other.click("form[action='/logout/'] button")
    other.wait_for_url("**/login/**")
    search("佳园里 502")
    wait_until(lambda: address_note(page) == strings["addressSignIn"], what="the sign-in note")
    page.wait_for_selector("#auth-banner", state="visible")
    assert "/login/?next=/field/" in page.get_attribute("#auth-banner a", "href")

    sign_in(other, "worker")
    search("佳园里 501")
    page.locator('#address-results .address-option[data-address="GY-3-2-501"]').wait_for()
    page.wait_for_selector("#auth-banner", state="hidden")


def test_offline_the_picker_needs_the_network_and_a_map_tap_still_reports(web):
    load_addresses(web.world)
    ctx = phone(web, "worker", point=OUTSIDE)
    page = ctx.new_page()
    page.goto("/field/#report")
    page.wait_for_selector("#address-search")
    ctx.set_offline(True)
    page.wait_for_selector("#address-offline", state="visible")
    assert page.locator("#address-search").is_disabled()
    box = page.locator("#report-map").bounding_box()
    page.click("#report-map", position={"x": box["width"] / 2, "y": box["height"] / 2})
    fill_report(page)
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    ctx.set_offline(False)
    page.wait_for_selector("#address-offline", state="hidden")
    assert page.locator("#address-search").is_enabled()
    wait_until(lambda: Case.objects.count() == 1, what="the queued case")
    assert Case.objects.get().grid_id == web.world.grids[0].id


def test_residents_get_no_picker(web):
    ctx = phone(web, "resident", point=at(web.world.point))
    page = ctx.new_page()
    page.goto("/field/#report")
    page.wait_for_selector("#report-map")
    assert page.locator("#address-search").count() == 0


def test_the_console_detail_page_draws_the_address_in_its_grid(web):
    load_addresses(web.world)
    page = web.context("acceptor").new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/console/addresses/?q=华顺苑")
    page.click('tr[data-code="HS-1-1-101"] a')
    page.wait_for_selector('#address-map[data-state="ready"]')
    centre = page.evaluate("() => window.onegridAddressMap.getCenter()")
    grid = web.world.grids[0].geometry.bounds
    assert grid[0] < centre["lng"] < grid[2] and grid[1] < centre["lat"] < grid[3]
    assert page.locator("#address-map .leaflet-interactive").count() >= 1
    assert not errors
    screenshot(page, "console-address-detail")
