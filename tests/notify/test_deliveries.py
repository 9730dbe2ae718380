"""Deliveries: at least once, never again once sent, retried with back-off until dead, in order
per case and address, held by quiet hours; the SMS, e-mail and webhook channels."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail

from onegrid.core import clock
from onegrid.notify import backoff, health, jobs, signing, sms
from onegrid.notify.models import Delivery, Notification, Preference, WebhookEndpoint
from onegrid.notify.quiet import SHANGHAI, quiet_until
from onegrid.notify.services import fan_out, requeue, retry_dead, run_due, send_text, sweep_due_soon
from support.cases import advance, drive
from support.receivers import Receiver, free_port


@pytest.fixture
def sms_file(settings, tmp_path):
    path = tmp_path / "sms" / "outbox.jsonl"
    settings.ONEGRID = {**settings.ONEGRID, "SMS_FILE": str(path), "SMS_BACKEND": "file"}
    return path


@pytest.fixture
def receiver():
    r = Receiver().up()
    yield r
    r.down()


def webhook_delivery(case, url, n=0, secret="s" * 20) -> Delivery:
    endpoint, _ = WebhookEndpoint.objects.get_or_create(name="hook", url=url, secret=secret)
    now = clock.now()
    return Delivery.objects.create(
        case=case,
        channel="webhook",
        address=url,
        endpoint=endpoint,
        payload={"n": n},
        next_attempt_at=now,
        created_at=now,
        key=f"test:{case.pk}:{n}",
    )


def test_send_text_is_idempotent_on_its_key_and_lands_in_the_outbox(db, sms_file):
    first = send_text(phone="13900000000", text="验证码 123456", key="code-1")
    again = send_text(phone="13900000000", text="验证码 123456", key="code-1")
    assert first.pk == again.pk
    assert first.state == "sent"
    messages = sms.outbox("13900000000")
    assert [(m["text"], m["key"]) for m in messages] == [("验证码 123456", first.key)]
    assert sms.outbox("13900000001") == []
    # A sent delivery is never sent again, whatever wakes it.
    assert jobs.attempt(first.pk) == "sent"
    assert len(sms.outbox()) == 1


def test_the_http_gateway_needs_a_2xx_with_a_json_ack(db, settings, receiver):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "SMS_BACKEND": "http",
        "SMS_URL": receiver.url + "/sms",
        "SMS_TOKEN": "t0ken",
    }
    d = send_text(phone="13900000000", text="hello", key="k")
    assert d.state == "sent"
    request = receiver.requests[0]
    assert request["headers"]["Authorization"] == "Bearer t0ken"
    assert request["json"] == {"phone": "13900000000", "text": "hello", "key": d.key}
    receiver.status = 503
    d2 = send_text(phone="13900000000", text="hello", key="k2")
    assert d2.state == "retrying" and "503" in d2.last_error
    # A 2xx without a JSON acknowledgement (a captive portal, a proxy's page) is not "sent".
    receiver.status = 200
    receiver.answer = b"<html>ok</html>"
    d3 = send_text(phone="13900000000", text="hello", key="k3")
    assert d3.state == "retrying" and "acknowledgement" in d3.last_error


def test_failures_back_off_then_die_and_come_back_by_hand(world, settings):
    settings.ONEGRID = {**settings.ONEGRID, "NOTIFY_SEND_TIMEOUT_SECONDS": 1}
    case = drive(world, "registered")
    url = f"http://127.0.0.1:{free_port()}/down"
    d = webhook_delivery(case, url)
    for attempt in range(1, backoff.MAX_ATTEMPTS + 1):
        before = clock.now()
        state = jobs.attempt(d.pk)
        d.refresh_from_db()
        assert d.attempts == attempt
        if attempt < backoff.MAX_ATTEMPTS:
            assert state == "retrying"
            wait = d.next_attempt_at - before
            ceiling = min(backoff.CAP_SECONDS, backoff.BASE_SECONDS * 2 ** (attempt - 1))
            assert dt.timedelta(seconds=ceiling / 2) <= wait <= dt.timedelta(seconds=ceiling)
            # Not its time yet: an early wake-up does nothing.
            assert jobs.attempt(d.pk) == "early"
            clock.set_now(d.next_attempt_at)
    assert state == "dead" and d.state == "dead" and d.last_error
    assert jobs.attempt(d.pk) == "dead"
    assert health.failing_deliveries() == {"webhook": {"dead": 1, "retrying": 0}}
    assert retry_dead() == 1
    d.refresh_from_db()
    assert (d.state, d.attempts) == ("retrying", 1)  # tried at once again, still down


def test_a_sent_delivery_is_never_sent_again(world, receiver):
    case = drive(world, "registered")
    d = webhook_delivery(case, receiver.url + "/hook")
    assert jobs.attempt(d.pk) == "sent"
    for _ in range(3):
        assert jobs.attempt(d.pk) == "sent"
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=clock.now() - dt.timedelta(hours=1))
    assert requeue() == 0
    assert receiver.delivery_ids() == {str(d.pk): 1}


def test_webhooks_are_signed_for_the_endpoints_secret(world, receiver):
    case = drive(world, "registered")
    d = webhook_delivery(case, receiver.url + "/hook", secret="a-long-shared-secret")
    jobs.attempt(d.pk)
    request = receiver.requests[0]
    header = request["headers"][signing.SIGNATURE_HEADER]
    assert signing.verify("a-long-shared-secret", request["body"], header)
    assert not signing.verify("another-secret-entirely", request["body"], header)
    assert request["headers"][signing.DELIVERY_HEADER] == str(d.pk)
    assert json.loads(request["body"]) == {"n": 0}


def test_order_per_case_and_address_holds_later_ones_until_earlier_ones_end(world, receiver):
    case = drive(world, "registered")
    other = drive(world, "registered")
    url = receiver.url + "/hook"
    receiver.status = 500
    first = webhook_delivery(case, url, 1)
    second = webhook_delivery(case, url, 2)
    elsewhere = webhook_delivery(other, url, 3)
    assert jobs.attempt(first.pk) == "retrying"
    receiver.status = 200
    # The second waits for the first; another case's delivery does not.
    assert jobs.attempt(second.pk) == "waiting"
    assert jobs.attempt(elsewhere.pk) == "sent"
    first.refresh_from_db()
    clock.set_now(first.next_attempt_at)
    # The first goes, and the second is woken at once after it (immediate backend in tests).
    assert jobs.attempt(first.pk) == "sent"
    second.refresh_from_db()
    assert second.state == "sent"
    arrived = [r["json"]["n"] for r in receiver.requests if r["json"]["n"] in (1, 2)]
    assert arrived == [1, 1, 2]  # the failed try, then the two in order


def test_a_dead_earlier_delivery_no_longer_holds_the_next(world, receiver):
    case = drive(world, "registered")
    url = receiver.url + "/hook"
    first = webhook_delivery(case, url, 1)
    second = webhook_delivery(case, url, 2)
    Delivery.objects.filter(pk=first.pk).update(state="dead")
    assert jobs.attempt(second.pk) == "sent"


def test_quiet_hours_hold_sms_but_not_the_inbox(world, sms_file):
    p = world.people
    Preference.objects.create(
        user=p.city_handler, quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0)
    )
    # 23:00 Beijing time: inside the span over midnight.
    clock.set_now(dt.datetime(2026, 3, 10, 23, 0, tzinfo=SHANGHAI))
    drive(world, "dispatched")
    fan_out()
    n = Notification.objects.get(user=p.city_handler, kind="to_my_department")
    d = n.deliveries.get(channel="sms")
    assert d.state == "held"
    assert d.next_attempt_at == dt.datetime(2026, 3, 11, 7, 0, tzinfo=SHANGHAI)
    assert sms.outbox() == [] or all(m["phone"] != "" for m in sms.outbox())
    assert jobs.attempt(d.pk) == "early"
    clock.set_now(dt.datetime(2026, 3, 11, 7, 0, tzinfo=SHANGHAI))
    assert run_due() >= 1
    d.refresh_from_db()
    assert d.state == "sent"
    assert any(m["key"] == d.key for m in sms.outbox("13812345678"))


@pytest.mark.parametrize(
    ("start", "end", "at", "until"),
    [
        ((22, 0), (7, 0), (23, 30), (1, 7, 0)),
        ((22, 0), (7, 0), (3, 0), (0, 7, 0)),
        ((22, 0), (7, 0), (7, 0), None),
        ((22, 0), (7, 0), (12, 0), None),
        ((12, 0), (14, 0), (13, 0), (0, 14, 0)),
        ((12, 0), (14, 0), (14, 30), None),
        ((9, 0), (9, 0), (9, 0), None),
    ],
)
def test_quiet_until(start, end, at, until):
    now = dt.datetime(2026, 3, 10, *at, tzinfo=SHANGHAI)
    got = quiet_until(dt.time(*start), dt.time(*end), now)
    if until is None:
        assert got is None
    else:
        days, h, m = until
        assert got == dt.datetime(2026, 3, 10 + days, h, m, tzinfo=SHANGHAI)


def test_one_time_codes_ignore_quiet_hours(world, sms_file):
    Preference.objects.create(
        user=world.people.resident, quiet_start=dt.time(0, 0), quiet_end=dt.time(23, 59)
    )
    d = send_text(phone=world.people.resident.phone, text="code", key="c")
    assert d.state == "sent"


def test_email_goes_through_djangos_mail(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    p = world.people
    p.city_handler.email = "city@example.org"
    p.city_handler.save()
    Preference.objects.create(user=p.city_handler, channels={"to_my_department": ["email"]})
    case = drive(world, "dispatched")
    fan_out()
    d = Delivery.objects.get(channel="email")
    assert d.state == "sent" and d.address == "city@example.org"
    assert len(mail.outbox) == 1
    assert case.number in mail.outbox[0].subject
    assert mail.outbox[0].to == ["city@example.org"]


def test_due_soon_and_overdue_are_told_once_each(world):
    p = world.people
    drive(world, "in_progress")  # rubbish: 4 working hours, due 13:30
    advance(hours=1)
    assert sweep_due_soon() == 1  # due within 4 hours: city_handler
    assert sweep_due_soon() == 0
    advance(hours=4)
    assert sweep_due_soon() == 1  # now overdue
    assert sweep_due_soon() == 0
    kinds = list(
        Notification.objects.filter(user=p.city_handler)
        .filter(kind__in=["due_soon", "overdue"])
        .order_by("created_at")
        .values_list("kind", flat=True)
    )
    assert kinds == ["due_soon", "overdue"]


def test_requeue_wakes_only_deliveries_late_beyond_the_grace(world, receiver, settings):
    settings.ONEGRID = {**settings.ONEGRID, "NOTIFY_REQUEUE_AFTER_SECONDS": 60}
    case = drive(world, "registered")
    d = webhook_delivery(case, receiver.url + "/hook")
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=clock.now() - dt.timedelta(seconds=30))
    assert requeue() == 0
    advance(seconds=31)
    assert requeue() == 1
    d.refresh_from_db()
    assert d.state == "sent"


def test_due_soon_reaches_every_task_past_the_first_batch(world, monkeypatch):
    from onegrid.notify import services

    monkeypatch.setattr(services, "BATCH", 1)
    for _ in range(3):
        drive(world, "in_progress")
    advance(hours=1)
    assert sweep_due_soon() == 3
    assert sweep_due_soon() == 0


def test_a_deactivated_endpoints_delivery_is_dead_at_once(world, receiver):
    case = drive(world, "registered")
    d = webhook_delivery(case, receiver.url + "/hook")
    WebhookEndpoint.objects.update(active=False)
    assert jobs.attempt(d.pk) == "dead"
    d.refresh_from_db()
    assert d.attempts == 1 and "deactivated" in d.last_error
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_four_senders_at_once_send_a_delivery_once(world, receiver):
    from support.cases import run_concurrently

    case = drive(world, "registered")
    d = webhook_delivery(case, receiver.url + "/hook")
    now = clock.now()
    outcomes = run_concurrently(lambda: jobs.attempt(d.pk, now=now), copies=4)
    assert sorted(outcomes).count("sent") >= 1
    assert set(outcomes) <= {"sent", "early"}
    assert receiver.delivery_ids() == {str(d.pk): 1}
