"""`onegrid notify fanout|status|retry`, the console's health figures, the admin's endpoint
form (the secret is write-only)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import CommandError, call_command

from onegrid.core import clock
from onegrid.notify import health
from onegrid.notify.admin import WebhookEndpointForm
from onegrid.notify.models import Delivery, Notification, WebhookEndpoint
from support.cases import drive


def _delivery(key, state, created_at, channel="sms") -> Delivery:
    return Delivery.objects.create(
        channel=channel,
        address="13900000000",
        payload={"text": "x"},
        state=state,
        next_attempt_at=clock.now() + dt.timedelta(hours=1),
        created_at=created_at,
        key=key,
    )


def test_fanout_status_and_retry_dead(world, capsys):
    drive(world, "dispatched")
    call_command("notify", "fanout", "--once")
    out = capsys.readouterr().out
    from_events = Notification.objects.exclude(kind="due_soon").count()
    assert from_events > 0 and f" {from_events} " in out
    assert Notification.objects.filter(kind="due_soon").count() == 1
    _delivery("d1", "dead", clock.now())
    call_command("notify", "status")
    out = capsys.readouterr().out
    # In words (zh-hans), one tab-separated row per channel: 短信 … with its dead one counted.
    header, sms_row = out.splitlines()[2:4]
    assert header.split("\t")[0] == "渠道" and "dead" not in header
    dead_column = header.split("\t").index("死信")
    assert sms_row.split("\t")[0] == "短信" and sms_row.split("\t")[dead_column] == "1"
    call_command("notify", "retry", "--dead")
    assert "1 " in capsys.readouterr().out
    assert not Delivery.objects.filter(state="dead").exists()
    with pytest.raises(CommandError):
        call_command("notify", "retry")


def test_failing_deliveries_counts_dead_and_long_retrying_per_channel(db):
    now = clock.now()
    _delivery("a", "dead", now)
    _delivery("b", "retrying", now - dt.timedelta(minutes=31))
    _delivery("c", "retrying", now - dt.timedelta(minutes=5))  # not long yet
    _delivery("d", "retrying", now - dt.timedelta(hours=2), channel="webhook")
    _delivery("e", "sent", now - dt.timedelta(hours=2), channel="email")
    assert health.failing_deliveries(now) == {
        "sms": {"dead": 1, "retrying": 1},
        "webhook": {"dead": 0, "retrying": 1},
    }
    Delivery.objects.all().delete()
    assert health.failing_deliveries(now) == {}


def test_the_endpoint_secret_is_write_only(db):
    form = WebhookEndpointForm(
        data={"name": "x", "url": "https://example.org/h", "secret": "short", "kinds": []}
    )
    assert not form.is_valid() and "secret" in form.errors
    form = WebhookEndpointForm(
        data={
            "name": "x",
            "url": "https://example.org/h",
            "secret": "a-long-shared-secret",
            "kinds": ["closed", "escalated"],
        }
    )
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.kinds == ["closed", "escalated"]
    edit = WebhookEndpointForm(instance=endpoint)
    assert "a-long-shared-secret" not in str(edit["secret"])
    # The kinds are boxes to tick by name (the stored ones ticked), not a JSON text box;
    # one-time codes are never sent to webhooks, so not offered.
    boxes = str(edit["kinds"])
    ticked = re.findall(r'<input type="checkbox" name="kinds" value="(\w+)"[^>]* checked', boxes)
    assert ticked == ["escalated", "closed"] and 'value="code"' not in boxes
    # Left empty, the stored secret stays; unknown kinds are refused, naming them.
    again = WebhookEndpointForm(
        instance=endpoint,
        data={"name": "y", "url": "https://example.org/h", "secret": "", "kinds": ["closed"]},
    )
    assert again.is_valid(), again.errors
    again.save()
    assert WebhookEndpoint.objects.get().secret == "a-long-shared-secret"
    bad = WebhookEndpointForm(
        instance=endpoint,
        data={"name": "y", "url": "https://example.org/h", "secret": "", "kinds": ["nope"]},
    )
    assert not bad.is_valid() and "nope" in str(bad.errors["kinds"])


def test_the_worker_runs_database_jobs_in_process_and_prunes_old_ones(transactional_db, settings):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from onegrid.notify.jobs import deliver
    from onegrid.notify.worker import Worker

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notify", "forwarding"],
        }
    }
    d = _delivery("w1", "pending", clock.now())
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=clock.now())
    deliver.enqueue(str(d.pk))
    worker = Worker(queues=["notify"])
    assert worker.run_jobs() == 1
    d.refresh_from_db()
    assert d.state == "sent"
    assert worker.run_jobs() == 0
    DBTaskResult.objects.update(finished_at=timezone.now() - dt.timedelta(days=2))
    worker.prune()
    assert not DBTaskResult.objects.exists()
