"""The field app's "already reported nearby": a reporter near an open case of the same problem
is told so before sending, as text and without the other reporter's words, and can still send;
offline the hint stays away and nothing breaks."""

from __future__ import annotations

import math

from onegrid.cases.models import Case
from support.browser import phone, screenshot, wait_until
from support.cases import report


def east(point, metres):
    lon, lat = point
    return lon + metres / (111_320.0 * math.cos(math.radians(lat))), lat


def _pick_rubbish(page, words=""):
    page.fill("#class-search", "垃圾")
    page.click('#class-results .chip[data-code="A0102"]')
    if words:
        page.fill("#report-description", words)


def test_a_resident_near_an_open_case_sees_the_hint_and_can_still_send(web):
    world = web.world
    first = report(world, description="佳园里3号楼东侧垃圾袋堆在路边没人清运 王师傅电话")
    ctx = phone(web, "resident", point=east(world.point, 25))
    page = ctx.new_page()
    page.goto("/field/")
    page.wait_for_selector("#report-form", state="visible")
    page.wait_for_function("() => document.querySelector('#report-lon').value !== ''")
    assert page.locator("#duplicate-hint").is_hidden()
    _pick_rubbish(page, "三号楼东边垃圾好几天没人收")
    page.wait_for_selector("#duplicate-hint", state="visible")
    hint = page.inner_text("#duplicate-hint")
    screenshot(page, "field-duplicate-hint")
    assert "暴露垃圾" in hint and "果园新村街道" in hint and "50" in hint
    # Nothing of the other report's words, number or reporter.
    for secret in ("佳园里", "王师傅", first.number, "worker"):
        assert secret not in hint
    assert page.locator("#duplicate-hint a").count() == 0

    # Sending anyway is never blocked: the report goes in as a case of its own.
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    wait_until(lambda: Case.objects.count() == 2, what="the second report")
    mine = Case.objects.exclude(pk=first.pk).get()
    assert mine.reporter == web.people.resident and mine.state == "reported"
    assert page.locator("#duplicate-hint").is_hidden()


def test_leaving_the_report_unsent_empties_the_form(web):
    world = web.world
    report(world, description="3号楼东侧垃圾")
    ctx = phone(web, "resident", point=east(world.point, 10))
    page = ctx.new_page()
    page.goto("/field/")
    page.wait_for_function("() => document.querySelector('#report-lon').value !== ''")
    _pick_rubbish(page, "垃圾")
    page.wait_for_selector("#duplicate-hint", state="visible")
    page.click("#duplicate-hint [data-duplicate-skip]")
    page.wait_for_selector("#duplicate-hint", state="hidden")
    assert page.input_value("#report-class") == ""
    assert page.input_value("#report-description") == ""
    assert Case.objects.count() == 1


def test_a_grid_worker_sees_the_case_in_full_with_its_link(web):
    world = web.world
    first = report(world, description="3号楼东侧垃圾袋没人清运")
    ctx = phone(web, "worker", point=east(world.point, 15))
    page = ctx.new_page()
    page.goto("/field/#report")
    page.wait_for_function("() => document.querySelector('#report-lon').value !== ''")
    page.click('#class-chips .chip[data-code="A0102"]')
    page.wait_for_selector("#duplicate-hint", state="visible")
    hint = page.inner_text("#duplicate-hint")
    assert first.number in hint and "3号楼东侧垃圾袋没人清运" in hint
    assert page.get_attribute("#duplicate-hint a", "href") == f"/cases/{first.number}/"


def test_offline_there_is_no_hint_and_no_error(web):
    world = web.world
    report(world)
    ctx = phone(web, "resident", point=east(world.point, 10))
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/field/")
    page.wait_for_function("() => document.querySelector('#report-lon').value !== ''")
    ctx.set_offline(True)
    page.wait_for_selector("#net-status", state="visible")
    _pick_rubbish(page)
    page.wait_for_timeout(2500)  # the watch and the debounce have had their time
    assert page.locator("#duplicate-hint").is_hidden()
    assert not errors
