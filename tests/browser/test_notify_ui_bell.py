"""The top bar's bell in a real browser: the count comes with the page, rises by itself when a
notification arrives (no reload), and the list page marks read; no script error or CSP
violation on the way."""

from __future__ import annotations

from onegrid.web.templatetags import onegrid_notify
from support.browser import problems, screenshot, watch_problems
from support.notify_ui import notify


def test_the_bell_counts_new_notifications_without_a_reload(web, monkeypatch):
    monkeypatch.setattr(onegrid_notify, "BELL_SECONDS", 1)  # lib/bell.js asks every 5 s at most
    p = web.people
    notify(p.acceptor, title="第一条")
    ctx = web.context("acceptor", language="en")
    errors = watch_problems(ctx)
    page = ctx.pages[0]
    page.goto("/account/")
    assert page.text_content("#bell-count") == "1"
    assert page.get_attribute("#bell", "aria-label") == "Notifications: 1 unread"
    notify(p.acceptor, title="<img src=x onerror=alert(1)>")
    notify(p.dispatcher, title="not mine")
    page.wait_for_selector('#bell[data-unread="2"]', state="attached", timeout=15_000)
    assert page.text_content("#bell-count") == "2"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    page.click("#bell")
    page.wait_for_selector("#notifications")
    assert page.locator("#notifications li.unread").count() == 2
    assert "<img src=x onerror=alert(1)>" in page.text_content("#notifications")
    page.click("#read-all button")
    page.wait_for_selector("#notifications li.read")
    assert page.locator("#notifications li.unread").count() == 0
    assert page.is_hidden("#bell-count")
    assert page.get_attribute("#bell", "aria-label") == "Notifications: none unread"
    assert problems(page, errors) == []


def test_the_settings_page_saves_and_names_a_refused_field(web):
    from onegrid.notify.models import Preference

    p = web.people
    notify(p.dispatcher, title="案件 A0102 到达", body="暴露垃圾 · 第001网格")
    ctx = web.context("dispatcher")
    errors = watch_problems(ctx)
    page = ctx.pages[0]
    page.goto("/notifications/")
    screenshot(page, "notifications-list")
    page.goto("/account/notifications/")
    page.fill("#quiet_start", "22:00")
    page.click("#preferences-form button[type=submit]")
    page.wait_for_selector("#form-error[data-field=quiet_end]")
    assert page.get_attribute("#quiet_end", "aria-invalid") == "true"
    assert not Preference.objects.filter(user=p.dispatcher).exists()
    page.fill("#quiet_end", "07:00")
    page.uncheck('input[name="channel-overdue"][value="sms"]')
    page.click("#preferences-form button[type=submit]")
    page.wait_for_selector(".flash li")
    saved = Preference.objects.get(user=p.dispatcher)
    assert saved.channels["overdue"] == [] and str(saved.quiet_start) == "22:00:00"
    screenshot(page, "notification-settings")
    # The refused form came back as a 422, which the browser logs; nothing else went wrong.
    assert [e for e in problems(page, errors) if "status of 422" not in e] == []
