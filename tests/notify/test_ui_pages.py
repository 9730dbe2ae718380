"""The bell in the top bar, /notifications/, /account/notifications/ and the console's red
alert when deliveries fail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from onegrid.core import clock
from onegrid.notify.models import Delivery, Notification, Preference
from support.cases import report
from support.notify_ui import notify
from support.web import client_for


def _bell(html: str) -> str:
    found = re.search(r'<a [^>]*id="bell".*?</a>', html, re.S)
    assert found, "the bell is in the top bar"
    return found.group(0)


def test_the_bell_shows_my_unread_count_on_every_signed_in_page(world):
    p = world.people
    for _ in range(3):
        notify(p.acceptor)
    notify(p.acceptor, read=True)
    notify(p.dispatcher)
    client = client_for(world, "acceptor")
    for url in ("/console/", "/account/", "/notifications/"):
        bell = _bell(client.get(url).content.decode())
        assert 'data-unread="3"' in bell
        assert re.search(r'id="bell-count">3</span>', bell)
        assert 'href="/notifications/"' in bell
        assert 'data-unread-url="/api/v1/notifications/unread"' in bell
        assert 'data-seconds="60"' in bell
    html = client.get("/console/").content.decode()
    assert re.search(r'<script type="module" src="[^"]*web/bell\.js"', html)
    assert 'id="bell"' not in Client().get("/login/").content.decode()


def test_no_unread_hides_the_badge_and_over_99_shows_99_plus(world):
    p = world.people
    client = client_for(world, "acceptor", language="en")
    bell = _bell(client.get("/account/").content.decode())
    assert 'id="bell-count" hidden>0<' in bell
    assert 'aria-label="Notifications: none unread"' in bell
    Notification.objects.bulk_create(
        Notification(
            user=p.acceptor, kind="to_my_desk", title="x", created_at=clock.now(), key=f"many:{i}"
        )
        for i in range(120)
    )
    bell = _bell(client.get("/account/").content.decode())
    assert ">99+</span>" in bell and 'aria-label="Notifications: 120 unread"' in bell


def test_the_list_shows_only_mine_as_text_newest_first(world):
    p = world.people
    case = report(world)
    notify(p.acceptor, title="older", minutes=-3)
    notify(
        p.acceptor,
        title="<script>alert(1)</script>",
        body="line",
        case=case,
        url=f"/cases/{case.number}/",
    )
    notify(p.dispatcher, title="someone else's")
    html = client_for(world, "acceptor").get("/notifications/").content.decode()
    assert "someone else&#x27;s" not in html and "someone else's" not in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.index("alert(1)") < html.index("older")
    assert case.number in html


def test_the_list_pages_50_at_a_time(world):
    p = world.people
    Notification.objects.bulk_create(
        Notification(
            user=p.acceptor,
            kind="due_soon",
            title=f"n{i}",
            created_at=clock.now() + dt.timedelta(seconds=i),
            key=f"page:{i}",
        )
        for i in range(55)
    )
    client = client_for(world, "acceptor")
    first = client.get("/notifications/").content.decode()
    assert first.count('data-kind="due_soon"') == 50
    assert "n54" in first and "n4<" not in first
    second = client.get("/notifications/?page=2").content.decode()
    assert second.count('data-kind="due_soon"') == 5
    assert client.get("/notifications/?page=%00").status_code == 200


def test_marking_one_and_all_read_from_the_page(world):
    p = world.people
    one = notify(p.acceptor, minutes=-2)
    two = notify(p.acceptor, minutes=-1)
    client = client_for(world, "acceptor")
    answer = client.post(f"/notifications/{one.pk}/read/", {"next": "/notifications/?tab=unread"})
    assert answer.status_code == 302 and answer["Location"] == "/notifications/?tab=unread"
    assert Notification.objects.get(pk=one.pk).read_at is not None
    page = client.get("/notifications/?tab=unread").content.decode()
    up_to = re.search(r'name="up_to" value="([^"]*)"', page).group(1)
    assert up_to == str(two.pk)
    late = notify(p.acceptor)
    client.post("/notifications/read-all/", {"up_to": up_to})
    assert Notification.objects.get(pk=two.pk).read_at is not None
    assert Notification.objects.get(pk=late.pk).read_at is None, "arrived after the page"
    # An outside address in `next` is not followed.
    answer = client.post(f"/notifications/{late.pk}/read/", {"next": "https://evil.example/"})
    assert answer["Location"] == "/notifications/"
    assert client.get(f"/notifications/{late.pk}/read/").status_code == 405


def test_someone_elses_notification_is_a_404_on_the_pages(world):
    p = world.people
    theirs = notify(p.dispatcher)
    client = client_for(world, "acceptor")
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert client.post("/notifications/%E2%80%AE/open/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_opening_marks_read_and_leads_to_the_case_only_while_visible(world):
    p = world.people
    case = report(world)
    mine = notify(p.acceptor, case=case, url=f"/cases/{case.number}/")
    answer = client_for(world, "acceptor").post(f"/notifications/{mine.pk}/open/")
    assert answer.status_code == 302 and answer["Location"] == f"/cases/{case.number}/"
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    # The other street's desk was (wrongly, or before a move) told of it: no way in.
    stray = notify(p.other_acceptor, case=case, url=f"/cases/{case.number}/")
    other = client_for(world, "other_acceptor")
    html = other.get("/notifications/").content.decode()
    assert case.number not in html
    answer = other.post(f"/notifications/{stray.pk}/open/")
    assert answer["Location"] == "/notifications/"


def test_anonymous_visitors_are_sent_to_sign_in(world):
    answer = Client().get("/notifications/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")
    assert Client().get("/account/notifications/").status_code == 302


# --- /account/notifications/ -----------------------------------------------------------------


def test_the_settings_form_saves_channels_and_quiet_hours(world):
    p = world.people
    client = client_for(world, "dispatcher")
    page = client.get("/account/notifications/").content.decode()
    assert 'name="channel-overdue" value="sms" checked' in page
    assert re.search(r'name="channel-overdue" value="email"[^>]* disabled', page), (
        "no e-mail address on the account"
    )
    answer = client.post(
        "/account/notifications/",
        {"channel-due_soon": ["sms"], "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert answer.status_code == 302
    saved = Preference.objects.get(user=p.dispatcher)
    assert saved.channels["due_soon"] == ["sms"] and saved.channels["overdue"] == []
    assert saved.quiet_start == dt.time(22) and saved.quiet_end == dt.time(7)
    page = client.get("/account/notifications/").content.decode()
    assert 'value="22:00"' in page and 'name="channel-due_soon" value="sms" checked' in page


@pytest.mark.parametrize(
    "form, field",
    [
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_start": "٢٢:٠٠", "quiet_end": "07:00"}, "quiet_start"),
        ({"channel-overdue": ["email"]}, "channels.overdue"),
        ({"channel-overdue": ["pager"]}, "channels.overdue"),
    ],
)
def test_a_refused_form_names_the_field_keeps_what_was_sent_and_saves_nothing(world, form, field):
    p = world.people
    client = client_for(world, "dispatcher", language="en")
    answer = client.post("/account/notifications/", form)
    assert answer.status_code == 422
    html = answer.content.decode()
    assert f'data-field="{field}"' in html
    if "quiet_start" in form:
        assert f'value="{form["quiet_start"]}"' in html
    assert not Preference.objects.filter(user=p.dispatcher).exists()


def test_a_resident_sees_the_kinds_about_their_reports_only(world):
    page = client_for(world, "resident").get("/account/notifications/").content.decode()
    assert 'data-kind="reporter_closed"' in page
    assert 'data-kind="to_my_desk"' not in page
    assert 'id="work-kinds"' not in page
    # A resident has no administrator to ask for an e-mail address; staff do.
    assert "请联系管理员添加" not in page
    staff = client_for(world, "acceptor").get("/account/notifications/").content.decode()
    assert "请联系管理员添加" in staff


# --- the console's alert ---------------------------------------------------------------------


def _delivery(state, *, channel="sms", minutes_old=0, n=1):
    now = clock.now()
    for i in range(n):
        Delivery.objects.create(
            channel=channel,
            address="13800000000",
            state=state,
            attempts=3,
            next_attempt_at=now,
            created_at=now - dt.timedelta(minutes=minutes_old),
            key=f"alert:{state}:{channel}:{minutes_old}:{i}",
        )


def test_the_console_alerts_the_command_centre_when_deliveries_fail(world):
    client = client_for(world, "command", language="en")
    assert 'id="delivery-alert"' not in client.get("/console/").content.decode()
    _delivery(Delivery.State.RETRYING, minutes_old=5)  # a fresh retry is no alarm
    _delivery(Delivery.State.SENT)
    assert 'id="delivery-alert"' not in client.get("/console/").content.decode()
    _delivery(Delivery.State.DEAD, n=2)
    _delivery(Delivery.State.RETRYING, channel="webhook", minutes_old=90)
    html = client.get("/console/").content.decode()
    alert = re.search(
        r'<section class="delivery-alert" id="delivery-alert".*?</section>', html, re.S
    )
    assert alert, html
    alert = alert.group(0)
    assert 'data-dead="2"' in alert and 'data-retrying="1"' in alert
    assert re.search(r'data-channel="sms"><th scope="row">SMS</th><td>2</td><td>0</td>', alert)
    assert re.search(
        r'data-channel="webhook"><th scope="row">Webhook</th><td>0</td><td>1</td>', alert
    )
    assert 'id="delivery-alert-link"' in alert and 'href="/admin/notify/delivery/"' in alert
    assert 'href="/admin/notify/delivery/?state__exact=dead"' in alert
    # Street desks work the console too, but gateways are not theirs to fix.
    desk = client_for(world, "acceptor").get("/console/").content.decode()
    assert 'id="delivery-alert"' not in desk


def test_the_console_alerts_of_failing_forwards_in_a_box_of_their_own(world):
    from onegrid.forwarding.models import Forward, Target

    case = report(world)
    target = Target.objects.create(name="12345 <热线>", kind="webhook", url="http://127.0.0.1:9/")
    client = client_for(world, "command")
    assert 'id="forwarding-alert"' not in client.get("/console/").content.decode()
    Forward.objects.create(
        case=case,
        target=target,
        state=Forward.State.DEAD,
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )
    html = client.get("/console/").content.decode()
    alert = re.search(r'id="forwarding-alert".*?</section>', html, re.S)
    assert alert, html
    assert "12345 &lt;热线&gt;" in alert.group(0)
    assert re.search(r"<td>1</td><td>0</td><td>0</td>", alert.group(0))
    assert 'id="delivery-alert"' not in html, "the two alerts are apart"
    assert 'href="/admin/forwarding/forward/"' in alert.group(0)
    assert (
        'id="forwarding-alert"'
        not in client_for(world, "acceptor").get("/console/").content.decode()
    )


def test_my_account_links_my_notifications_and_their_settings(world):
    html = client_for(world, "resident").get("/account/").content.decode()
    assert 'id="my-notifications"' in html and 'href="/account/notifications/"' in html
