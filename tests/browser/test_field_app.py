"""The field app on a phone-sized Chromium: offline queue, errors next to their fields, on-site
verify and check, self-close, and the installable shell (manifest and service worker)."""

from __future__ import annotations

import json
import time

from onegrid.cases.models import Case, CaseEvent, IdempotencyRecord, Photo
from support.browser import (
    OUTSIDE,
    fill_report,
    open_report,
    phone,
    photo_payload,
    screenshot,
    sign_in,
    wait_until,
)
from support.cases import act, drive, report

# Reads the whole outbox of the page's IndexedDB (the app's write-ahead queue).
READ_OUTBOX = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("onegrid-field");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("outbox").objectStore("outbox").getAll();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
    request.onerror = () => reject(request.error);
  };
})"""

# Page predicates are functions, not expressions: the page's CSP (no 'unsafe-eval') refuses
# the eval Playwright would poll an expression with.
QUEUE_SHOWS_NOTHING = "() => !document.querySelector('#queue-list .queue-item')"


def tap_map_centre(page):
    """A tap in the middle of the report map: the worker's own grid, where the map opens."""
    box = page.locator("#report-map").bounding_box()
    page.click("#report-map", position={"x": box["width"] / 2, "y": box["height"] / 2})


def queue_size(page) -> int:
    return len(page.evaluate(READ_OUTBOX))


def test_reports_made_offline_are_sent_once_when_the_network_returns(web):
    worker = web.people.worker
    ctx = phone(web, "worker")
    page = ctx.new_page()
    open_report(page)
    screenshot(page, "field-report-form")

    ctx.set_offline(True)
    page.wait_for_selector("#net-status", state="visible")
    fill_report(page, description="路口一堆垃圾", colour=(200, 40, 40))
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    assert page.inner_text("#after-report-text").strip()
    page.click("#report-another")
    fill_report(page, code="A0101", description="违建棚子", colour=(40, 40, 200))
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")

    # Both wait on the phone, with their photos and keys, and the worker sees them.
    kept = page.evaluate(READ_OUTBOX)
    assert len(kept) == 2
    assert all(len(item["photos"]) == 1 and item["key"] for item in kept)
    assert len({item["key"] for item in kept}) == 2
    page.click("#tab-button-queue")
    assert page.locator("#queue-list .queue-item").count() == 2
    assert page.inner_text("#queue-count") == "2"
    screenshot(page, "field-queue-offline")
    assert Case.objects.count() == 0
    page.evaluate(f"async () => {{ window.__kept = await ({READ_OUTBOX})(); }}")

    ctx.set_offline(False)
    wait_until(lambda: Case.objects.count() == 2, what="two cases")
    page.wait_for_function(QUEUE_SHOWS_NOTHING)
    assert page.locator("#queue-count").is_hidden()
    assert page.locator("#sent-list li").count() == 2

    cases = list(Case.objects.filter(reporter=worker).order_by("reported_at"))
    assert [c.case_class.code for c in cases] == ["A0102", "A0101"]
    assert [c.description for c in cases] == ["路口一堆垃圾", "违建棚子"]
    for case in cases:
        assert Photo.objects.filter(case=case, kind="before").count() == 1
        assert case.grid_id == web.world.grids[0].id
    assert IdempotencyRecord.objects.filter(user=worker).count() == 2

    # The same two requests sent again (a reply lost on the way) create nothing new.
    page.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("onegrid-field");
          open.onsuccess = () => {
            const tx = open.result.transaction("outbox", "readwrite");
            for (const item of window.__kept) tx.objectStore("outbox").put(item);
            tx.oncomplete = () => { open.result.close(); resolve(); };
            tx.onerror = () => reject(tx.error);
          };
        })"""
    )
    assert queue_size(page) == 2
    page.click("#queue-send")
    wait_until(lambda: queue_size(page) == 0, what="the replayed items to be answered")
    page.reload()
    page.wait_for_selector("#tab-tasks", state="attached")
    time.sleep(0.5)
    assert Case.objects.count() == 2
    assert Photo.objects.count() == 2
    assert queue_size(page) == 0


def test_a_bad_photo_is_explained_next_to_the_photo_and_the_form_is_kept(web):
    ctx = phone(web, "worker", language="en")
    page = ctx.new_page()
    open_report(page)
    bad = {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"this is not a photo"}
    fill_report(page, description="broken bench", photo_file=bad)
    page.fill("#report-address", "Gate 3")
    page.click("#report-submit")

    error = page.locator('#report-form [data-error-for="photos"]')
    error.wait_for(state="visible")
    assert "notes.jpg" in error.inner_text()
    assert "JPEG" in error.inner_text()
    # What the worker typed and picked is all still there; nothing was created or queued.
    assert page.input_value("#report-description") == "broken bench"
    assert page.input_value("#report-address") == "Gate 3"
    assert page.input_value("#report-class") == "A0102"
    assert page.evaluate("document.querySelector('#report-photo').files.length") == 1
    assert page.locator("#report-form").is_visible()
    assert Case.objects.count() == 0
    assert queue_size(page) == 0
    screenshot(page, "field-report-bad-photo")

    # A good photo in its place goes through.
    page.set_input_files("#report-photo", photo_payload())
    assert page.locator('#report-form [data-error-for="photos"]').is_hidden()
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    case = Case.objects.get()
    assert case.number in page.inner_text("#after-report-text")
    assert case.description == "broken bench" and case.address == "Gate 3"


def test_a_point_outside_the_district_is_explained_next_to_the_location(web):
    ctx = phone(web, "worker", point=OUTSIDE)
    page = ctx.new_page()
    open_report(page)
    assert page.input_value("#report-lon").startswith("116.0")
    fill_report(page, description="路灯不亮")
    page.click("#report-submit")

    error = page.locator('#report-form [data-error-for="location"]')
    error.wait_for(state="visible")
    assert "116.000000" in error.inner_text() and "39.000000" in error.inner_text()
    assert page.locator('#report-form [data-error-for="photos"]').is_hidden()
    assert page.input_value("#report-description") == "路灯不亮"
    assert page.input_value("#report-class") == "A0102"
    assert Case.objects.count() == 0
    assert queue_size(page) == 0
    screenshot(page, "field-report-outside")

    # A tap on the worker's grid on the map puts the point right; the report then goes through.
    tap_map_centre(page)
    assert "116.0" not in page.input_value("#report-lon")
    assert page.locator('#report-form [data-error-for="location"]').is_hidden()
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    case = Case.objects.get()
    assert case.grid_id == web.world.grids[0].id
    assert case.description == "路灯不亮"


def test_a_report_refused_in_the_background_waits_in_the_queue_to_be_fixed(web):
    ctx = phone(web, "worker", point=OUTSIDE)
    page = ctx.new_page()
    open_report(page)
    ctx.set_offline(True)
    fill_report(page, description="queued far away")
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    ctx.set_offline(False)

    page.click("#tab-button-queue")
    item = page.locator('#queue-list .queue-item[data-status="refused"]')
    item.wait_for()
    assert "116.000000" in item.locator(".error").inner_text()
    assert Case.objects.count() == 0
    screenshot(page, "field-queue-refused")

    # Edit puts it back in the form with the error by the location; a tap on the map fixes it.
    item.locator("[data-edit]").click()
    page.wait_for_selector("#report-form", state="visible")
    assert page.locator('#report-form [data-error-for="location"]').is_visible()
    assert page.input_value("#report-description") == "queued far away"
    tap_map_centre(page)
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    assert Case.objects.get().description == "queued far away"
    assert queue_size(page) == 0

    # A refused item can also simply be discarded.
    page.click("#report-another")
    ctx.set_offline(True)
    page.wait_for_function("() => document.querySelector('#report-lon').value.startsWith('116')")
    fill_report(page)
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    ctx.set_offline(False)
    page.click("#tab-button-queue")
    page.locator('#queue-list .queue-item[data-status="refused"] [data-discard]').click()
    page.wait_for_function(QUEUE_SHOWS_NOTHING)
    assert queue_size(page) == 0
    assert Case.objects.count() == 1


def test_a_resident_reports_without_a_photo_and_lands_on_the_report_tab(web):
    ctx = phone(web, "resident")
    page = ctx.new_page()
    page.goto("/field/")
    page.wait_for_selector("#report-form", state="visible")  # residents have no tasks
    page.wait_for_function("() => document.querySelector('#report-lon').value !== ''")
    page.fill("#class-search", "垃圾")
    page.click('#class-results .chip[data-code="A0102"]')
    page.fill("#report-description", "楼下垃圾没人清")
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    case = Case.objects.get()
    assert case.source == "resident" and case.reporter == web.people.resident
    assert case.number in page.inner_text("#after-report-text")
    assert page.locator("#fix-form").is_hidden()  # self-closing is the grid team's


def test_grid_worker_verifies_and_checks_on_site_from_the_tasks(web):
    world, p = web.world, web.people
    to_verify = report(world, who=p.resident)
    act(to_verify, p.acceptor, "request_verification")
    to_check = drive(world, "checking", case_class=world.building)
    to_fail = drive(world, "checking", case_class=world.building)

    ctx = phone(web, "worker")
    page = ctx.new_page()
    page.goto("/field/")
    for case in (to_verify, to_check, to_fail):
        page.wait_for_selector(f"#case-{case.number}")
    assert page.inner_text("#tasks-count") == "3"
    screenshot(page, "field-tasks")

    # Verify: the result is required and explained next to it.
    card = page.locator(f"#case-{to_verify.number}")
    card.locator("summary").click()
    card.locator('button[value="verify"]').click()
    assert card.locator('[data-error-for="result"]').is_visible()
    card.locator('input[type="file"]').set_input_files(photo_payload())
    card.locator('input[value="confirmed"]').check()
    card.locator("textarea").fill("现场确有垃圾")
    screenshot(page, "field-task-sheet")
    card.locator('button[value="verify"]').click()
    card.locator(".done-line").wait_for(state="visible")
    to_verify.refresh_from_db()
    assert to_verify.state == "reported"
    event = CaseEvent.objects.get(case=to_verify, action="verify")
    assert event.data["result"] == "confirmed" and event.reason == "现场确有垃圾"
    assert Photo.objects.filter(case=to_verify, kind="check").count() == 1

    # Pass a check with a photo.
    card = page.locator(f"#case-{to_check.number}")
    card.locator("summary").click()
    card.locator('input[type="file"]').set_input_files(photo_payload(colour=(10, 160, 10)))
    card.locator('button[value="pass_check"]').click()
    card.locator(".done-line").wait_for(state="visible")
    to_check.refresh_from_db()
    assert to_check.state == "checked"
    assert Photo.objects.filter(case=to_check, kind="check").count() == 1

    # Fail a check: the reason is required, then the case goes back to the department.
    card = page.locator(f"#case-{to_fail.number}")
    card.locator("summary").click()
    card.locator('button[value="fail_check"]').click()
    assert card.locator('[data-error-for="reason"]').is_visible()
    card.locator("textarea").fill("棚子还在")
    card.locator('input[type="file"]').set_input_files(photo_payload(colour=(90, 90, 90)))
    card.locator('button[value="fail_check"]').click()
    card.locator(".done-line").wait_for(state="visible")
    to_fail.refresh_from_db()
    assert to_fail.state == "in_progress" and to_fail.rework_count == 1

    # The list, fetched again, no longer offers the done work.
    page.reload()
    page.wait_for_selector("#tab-tasks", state="attached")
    assert page.inner_text("#tasks-count") == "0"
    assert page.locator("#no-tasks").is_visible()


def test_an_on_site_check_made_offline_is_sent_when_the_network_returns(web):
    case = drive(web.world, "checking", case_class=web.world.building)
    ctx = phone(web, "worker")
    page = ctx.new_page()
    page.goto("/field/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    ctx.set_offline(True)
    card = page.locator(f"#case-{case.number}")
    card.locator("summary").click()
    card.locator('input[type="file"]').set_input_files(photo_payload(colour=(10, 160, 10)))
    card.locator("textarea").fill("已整改")
    card.locator('button[value="pass_check"]').click()
    card.locator(".done-line").wait_for(state="visible")
    assert queue_size(page) == 1

    # Opened again while still offline, the card says its check waits on the phone.
    page.reload()
    card = page.locator(f"#case-{case.number}")
    card.locator(".done-line").wait_for(state="visible")
    assert card.locator("details.sheet").is_hidden()
    case.refresh_from_db()
    assert case.state == "checking"

    ctx.set_offline(False)
    wait_until(lambda: Case.objects.get(pk=case.pk).state == "checked", what="the check")
    event = CaseEvent.objects.get(case=case, action="pass_check")
    assert event.reason == "已整改"
    assert Photo.objects.filter(case=case, kind="check").count() == 1
    wait_until(lambda: queue_size(page) == 0, what="an empty queue")


def test_self_close_a_minor_problem_with_an_after_photo(web):
    world = web.world
    case = report(world)  # exposed rubbish by the worker: minor, self-closable
    ctx = phone(web, "worker")
    page = ctx.new_page()
    page.goto("/field/")
    card = page.locator(f"#case-{case.number}")
    card.locator("summary").click()
    card.locator('button[value="self_close"]').click()
    assert card.locator('[data-error-for="photos"]').is_visible()  # the after-photo is required
    card.locator('input[type="file"]').set_input_files(photo_payload(colour=(20, 180, 20)))
    card.locator('button[value="self_close"]').click()
    card.locator(".done-line").wait_for(state="visible")
    case.refresh_from_db()
    assert case.state == "self_closed"
    assert Photo.objects.filter(case=case, kind="after").count() == 1


def test_report_and_self_close_on_the_spot_while_offline(web):
    ctx = phone(web, "worker")
    page = ctx.new_page()
    open_report(page)
    ctx.set_offline(True)
    fill_report(page, description="随手清理")
    page.click("#report-submit")
    page.wait_for_selector("#fix-form", state="visible")
    screenshot(page, "field-report-queued-fix-on-the-spot")
    page.click("#fix-submit")
    assert page.locator('#fix-form [data-error-for="photos"]').is_visible()
    page.set_input_files("#fix-photo", photo_payload(colour=(20, 180, 20)))
    page.click("#fix-submit")
    page.wait_for_selector("#fix-form", state="hidden")
    kept = sorted(page.evaluate(READ_OUTBOX), key=lambda item: item["createdAt"])
    assert [item["kind"] for item in kept] == ["report", "action"]
    assert kept[1]["after"] == kept[0]["key"]  # the self-close waits for its report

    ctx.set_offline(False)
    wait_until(
        lambda: Case.objects.filter(state="self_closed").count() == 1, what="a self-closed case"
    )
    case = Case.objects.get()
    assert case.description == "随手清理"
    assert Photo.objects.filter(case=case, kind="before").count() == 1
    assert Photo.objects.filter(case=case, kind="after").count() == 1
    page.wait_for_function(QUEUE_SHOWS_NOTHING)


def test_two_open_tabs_send_each_queued_item_once(web, monkeypatch):
    from collections import Counter

    from onegrid.cases import services

    calls = Counter()
    real_report, real_action = services.report_case, services.perform_action

    def count_report(**kwargs):
        calls[kwargs["idempotency_key"]] += 1
        return real_report(**kwargs)

    def count_action(**kwargs):
        calls[kwargs["idempotency_key"]] += 1
        return real_action(**kwargs)

    monkeypatch.setattr(services, "report_case", count_report)
    monkeypatch.setattr(services, "perform_action", count_action)

    ctx = phone(web, "worker")
    first = ctx.pages[0]  # the sign-in tab, now on /field/ too
    assert "/field/" in first.url
    page = ctx.new_page()
    open_report(page)
    ctx.set_offline(True)
    fill_report(page, description="两个标签页")
    page.click("#report-submit")
    page.wait_for_selector("#fix-form", state="visible")
    page.set_input_files("#fix-photo", photo_payload(colour=(20, 180, 20)))
    page.click("#fix-submit")
    page.wait_for_selector("#fix-form", state="hidden")
    keys = [item["key"] for item in page.evaluate(READ_OUTBOX)]
    assert len(keys) == 2

    ctx.set_offline(False)
    first.evaluate("window.dispatchEvent(new Event('online'))")  # both tabs flush at once
    wait_until(
        lambda: Case.objects.filter(state="self_closed").count() == 1, what="a self-closed case"
    )
    wait_until(lambda: queue_size(page) == 0, what="an empty queue")
    time.sleep(1)
    assert {key: calls[key] for key in keys} == dict.fromkeys(keys, 1)
    assert Case.objects.count() == 1


def test_an_expired_session_keeps_the_report_until_the_worker_signs_in_again(web):
    ctx = phone(web, "worker")
    page = ctx.new_page()
    open_report(page)
    # The session ends (here: signed out in another tab); the page still holds the form.
    other = ctx.new_page()
    other.goto("/account/")
    other.click("form[action='/logout/'] button")
    other.wait_for_url("**/login/**")
    fill_report(page, description="会话过期")
    page.click("#report-submit")
    page.wait_for_selector("#auth-banner", state="visible")
    assert "/login/?next=/field/" in page.get_attribute("#auth-banner a", "href")
    assert Case.objects.count() == 0
    assert queue_size(page) == 1
    page.click("#tab-button-queue")
    assert page.locator('#queue-list .queue-item[data-status="auth"]').count() == 1

    sign_in(other, "worker")
    page.click("#queue-send")
    wait_until(lambda: Case.objects.count() == 1, what="the report after signing in")
    page.wait_for_selector("#auth-banner", state="hidden")
    assert Case.objects.get().description == "会话过期"


def test_the_app_is_installable_and_opens_offline(web):
    ctx = phone(web, "worker")
    page = ctx.new_page()
    page.goto("/field/")
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope.endswith("/field/")
    manifest_url = page.get_attribute('link[rel="manifest"]', "href")
    manifest = page.evaluate(
        "(url) => fetch(url, {credentials: 'include'}).then((r) => r.text())", manifest_url
    )
    manifest = json.loads(manifest)
    assert manifest["start_url"] == "/field/" and manifest["display"] == "standalone"

    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # Chromium's own installability check finds nothing wrong but the test's incognito profile.
    cdp = ctx.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["errors"] == []
    cdp.detach()
    ctx.set_offline(True)
    page.reload()
    page.wait_for_selector("#report-form", state="attached")
    assert page.locator("#net-status").is_visible()
    page.click("#tab-button-report")
    assert page.locator("#report-map .leaflet-pane").count() > 0  # Leaflet came from the cache
    ctx.set_offline(False)

    # Signing out drops the kept page (it lists the worker's tasks); the static shell stays.
    kept_page = """async () => {
      const names = (await caches.keys()).filter((n) => n.startsWith("onegrid-field-"));
      let found = 0;
      for (const name of names) if (await (await caches.open(name)).match("/field/")) found++;
      return [names.length, found];
    }"""
    page.reload()
    page.wait_for_selector("#report-form", state="attached")
    assert page.evaluate(kept_page) == [1, 1]
    page.click("form[action='/logout/'] button")
    page.wait_for_url("**/login/**")
    assert page.evaluate(kept_page) == [1, 0]
