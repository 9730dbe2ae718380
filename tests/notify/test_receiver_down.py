"""A receiver (a real local HTTP server: webhooks and the SMS gateway) down for ten minutes of
clock while cases move: once it is back, everything arrives exactly once per person and
endpoint, in order per case. The worker's loop is driven here, in the test's thread, as the
clock moves (core.clock is per thread)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from onegrid.core import clock
from onegrid.notify import worker
from onegrid.notify.models import Delivery, Notification, WebhookEndpoint
from support.cases import act, drive, photo
from support.receivers import Receiver


def step(seconds: int) -> worker.StepResult:
    clock.set_now(clock.now() + dt.timedelta(seconds=seconds))
    result = worker.sweep()
    assert not result.errors, result.errors
    return result


def test_receiver_down_ten_minutes_then_everything_once_in_order(world, settings):
    receiver = Receiver()  # not up yet: connections are refused
    settings.ONEGRID = {
        **settings.ONEGRID,
        "SMS_BACKEND": "http",
        "SMS_URL": receiver.url + "/sms",
        "NOTIFY_SEND_TIMEOUT_SECONDS": 2,
        "NOTIFY_REQUEUE_AFTER_SECONDS": 30,
    }
    WebhookEndpoint.objects.create(
        name="city", url=receiver.url + "/hook", secret="a-long-shared-secret"
    )
    p = world.people
    down_until = clock.now() + dt.timedelta(minutes=10)
    cases = [drive(world, "dispatched") for _ in range(2)]
    step(30)
    for case in cases:
        act(case, p.city_handler, "sign")
        step(30)
        act(case, p.city_handler, "feed_back", reason="done", photos=[photo()])
        step(30)
    while clock.now() < down_until:
        step(30)
    assert not receiver.requests
    assert not Delivery.objects.filter(state="sent").exists()
    assert Delivery.objects.filter(state="retrying", attempts__gte=3).exists()

    receiver.up()
    try:
        for _ in range(120):  # up to an hour of clock
            step(30)
            if not Delivery.objects.exclude(state="sent").exists():
                break
        assert not Delivery.objects.exclude(state="sent").exists()
    finally:
        receiver.down()

    # Webhooks: every one arrived exactly once (the failed tries never reached anybody).
    hooks = Delivery.objects.filter(channel="webhook")
    assert receiver.delivery_ids() == Counter({str(d.pk): 1 for d in hooks})
    # SMS: one per notification per person, exactly once.
    sms = [r["json"]["key"] for r in receiver.requests if r["path"] == "/sms"]
    expected = Delivery.objects.filter(channel="sms").values_list("key", flat=True)
    assert sorted(sms) == sorted(expected)
    assert Notification.objects.filter(deliveries__channel="sms").count() == len(sms)
    # In order per case: webhooks by the case's event order; SMS per phone by creation.
    for case in cases:
        seqs = [
            r["json"]["event"]["seq"]
            for r in receiver.requests
            if r["path"] == "/hook" and r["json"]["case"]["number"] == case.number
        ]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        by_key = {d.key: d.pk for d in Delivery.objects.filter(channel="sms", case=case)}
        arrived = [by_key[k] for k in sms if k in by_key]
        assert arrived == sorted(arrived)
