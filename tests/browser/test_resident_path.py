"""A resident's whole path in the browser: register with the code the SMS gateway's file backend
received, report a problem from the phone, be notified (the bell), follow it in plain words while
the staff take it to closure, rate it 不满意 with a reason, and reopen it."""

from __future__ import annotations

import re

from onegrid.cases.models import Case, CaseEvent
from onegrid.notify import services as notify_services
from onegrid.notify import sms
from onegrid.notify.models import Notification
from onegrid.org.models import User
from support.browser import phone, photo_payload, screenshot, wait_until
from support.residents import staff_take

MOBILE = "13811112222"


def sms_code(number: str) -> str:
    wait_until(lambda: sms.outbox(number), what="the code's SMS")
    text = sms.outbox(number)[-1]["text"]
    return re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", text).group(1)


def test_a_resident_registers_reports_is_notified_rates_and_reopens(web, settings, tmp_path):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "SMS_BACKEND": "file",
        "SMS_FILE": str(tmp_path / "sms" / "outbox.jsonl"),
    }
    world = web.world
    page = phone(web, None).new_page()

    # 1. Register with a one-time code read from the SMS gateway's file backend.
    page.goto("/resident/register/")
    page.fill("#id_phone", MOBILE)
    page.click("#send-code")
    page.wait_for_selector(".flash li")
    page.fill("#id_code", sms_code(MOBILE))
    page.fill("#id_display_name", "王小丽")
    page.fill("#id_password", "a-long-passphrase")
    page.fill("#id_password2", "a-long-passphrase")
    screenshot(page, "resident-register")
    page.click("#register")
    page.wait_for_url("**/resident/")
    assert page.locator("#no-reports").is_visible()
    resident = User.objects.get(username=MOBILE)

    # 2. Report from the phone: the GPS fills the place, a class, a photo, a description.
    page.click("#new-report")
    page.wait_for_url("**/resident/report/")
    page.wait_for_function("() => document.querySelector('#id_lon').value !== ''")
    page.select_option("#id_class_code", world.rubbish.code)
    page.fill("#id_description", "小区门口垃圾堆了三天没人清")
    page.set_input_files("#id_photos", photo_payload())
    screenshot(page, "resident-report-form")
    page.click("#send-report")
    page.wait_for_url(re.compile(r".*/resident/reports/[0-9A-Z]{10}/$"))
    case = Case.objects.get(reporter=resident)
    assert case.tracking_code in page.url
    assert case.source == "resident" and case.photos.count() == 1
    assert page.locator("#plain-state").inner_text().strip() == "已收到，等待核实受理"
    assert "预计办结时间约为" in page.locator("#expected").inner_text()

    # 3. Notified: the desk accepts it (after the on-site check); the fan-out writes the
    # reporter's notification, which the bell counts and which leads back to this page.
    staff_take(world, case, until="registered")
    notify_services.fan_out()
    told = Notification.objects.get(user=resident, case=case, kind="reporter_registered")
    assert told.url == f"/resident/reports/{case.tracking_code}/"
    page.reload()
    assert page.locator("#plain-state").inner_text().strip() == "已受理，正在派往责任部门"
    count = page.locator("#bell-count")
    count.wait_for(state="visible")
    assert int(count.inner_text()) >= 1

    # 4. The staff take it on to closure (through the services, as the desks and department
    # would); the reporter is told of each step and asked to rate.
    staff_take(world, case, until="closed")
    notify_services.fan_out()
    kinds = set(Notification.objects.filter(user=resident).values_list("kind", flat=True))
    assert {"reporter_registered", "reporter_dispatched", "please_rate"} <= kinds
    page.goto("/resident/")
    row = page.locator(f'.my-report[data-code="{case.tracking_code}"]')
    assert row.locator(".plain-state").inner_text().strip() == "已办结"
    page.goto(f"/resident/reports/{case.tracking_code}/")
    timeline = page.locator("#timeline").inner_text()
    for step in ("报告已收到", "已受理", "已派往责任部门", "责任部门反馈已处理", "已结案"):
        assert step in timeline
    for staff in ("acceptor", "dispatcher", "city_handler", "worker"):
        assert staff not in timeline
    screenshot(page, "resident-report-closed")

    # 5. Rate 不满意 with a reason: the case goes to the call-back queue.
    page.check('#rate-form input[value="unsatisfied"]')
    page.fill("#rate-reason", "门口还有残留垃圾")
    page.click("#rate-form button[type=submit]")
    page.wait_for_selector("#rated")
    assert "不满意" in page.locator("#rated").inner_text()
    case.refresh_from_db()
    assert case.satisfaction == "unsatisfied" and case.callback_needed

    # 6. Reopen: back to the street desk, off the call-back queue.
    page.fill("#reopen-reason", "残留垃圾没有清理")
    page.click("#reopen-form button[type=submit]")
    page.wait_for_selector('#plain-state[data-state="registered"]')
    case.refresh_from_db()
    assert case.state == "registered" and not case.callback_needed
    assert CaseEvent.objects.filter(case=case, action="reopen", actor=resident).exists()
    screenshot(page, "resident-reopened")
