"""The worker as a real process on a file database: killed (SIGKILL) in the middle of a slow
delivery and started again, it loses nothing and repeats only the delivery it was killed in
(at least once: the receiver sees that one's X-OneGrid-Delivery twice and keeps it once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection

from onegrid.notify.models import Delivery, WebhookEndpoint
from onegrid.notify.services import fan_out
from support.cases import drive
from support.receivers import Receiver


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _start_worker(env):
    return subprocess.Popen(
        [sys.executable, "-m", "onegrid.config.cli", "notify", "worker", "--period", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def webhook_ids(case=None) -> list[str]:
    rows = Delivery.objects.filter(channel="webhook").order_by("id")
    if case is not None:
        rows = rows.filter(case=case)
    return [str(i) for i in rows.values_list("id", flat=True)]


def _wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing(world, settings, tmp_path):
    # Jobs go to the database queue, where the worker process finds them.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notify", "forwarding"],
        }
    }
    receiver = Receiver()
    receiver.stall_first_seconds = 20  # the first webhook hangs: the worker is killed then
    receiver.up()
    try:
        WebhookEndpoint.objects.create(
            name="city", url=receiver.url + "/hook", secret="a-long-shared-secret"
        )
        cases = [drive(world, "dispatched") for _ in range(3)]
        assert fan_out() > 0
        hooks = set(webhook_ids())
        assert len(hooks) == 3 * 3  # report, register, dispatch of each case
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "ONEGRID_VAR_DIR": str(django_settings.VAR_DIR),
            "ONEGRID_SMS_FILE": str(tmp_path / "sms.jsonl"),
            "ONEGRID_NOTIFY_SEND_TIMEOUT": "1",  # a lease of 7 s
            "ONEGRID_NOTIFY_REQUEUE_AFTER_SECONDS": "1",
        }
        first = _start_worker(env)
        try:
            assert receiver.stalled.wait(60), "the worker never sent a webhook"
        finally:
            first.kill()
            first.communicate(timeout=30)
        in_flight = Delivery.objects.filter(channel="webhook", sent_at__isnull=True).count()
        assert in_flight >= 1  # the killed one was never recorded as sent

        second = _start_worker(env)
        try:
            done = _wait_until(
                lambda: not Delivery.objects.exclude(state="sent").exists(), seconds=90
            )
        finally:
            second.terminate()
            out, _ = second.communicate(timeout=30)
        assert done, (list(Delivery.objects.exclude(state="sent").values()), out)
        assert second.returncode == 0, out  # SIGTERM: a clean stop

        seen = receiver.delivery_ids()
        assert set(seen) == hooks  # every webhook arrived
        repeated = [d for d, n in seen.items() if n > 1]
        assert len(repeated) <= 1 and all(seen[d] == 2 for d in repeated)
        # In order per case: each case's webhooks first arrived in the order of its events.
        for case in cases:
            ids = webhook_ids(case)
            arrivals: list[str] = []
            for r in receiver.requests:
                d = r["headers"].get("X-OneGrid-Delivery")
                if d in ids and d not in arrivals:
                    arrivals.append(d)
            assert arrivals == ids
        # The SMS of the notifications went out exactly once each.
        lines = [json.loads(x) for x in (tmp_path / "sms.jsonl").read_text().splitlines()]
        sms_keys = set(Delivery.objects.filter(channel="sms").values_list("key", flat=True))
        assert sorted(m["key"] for m in lines) == sorted(sms_keys)
    finally:
        receiver.down()


@pytest.mark.django_db(transaction=True)
def test_sigterm_lets_the_delivery_in_hand_finish(world, settings, tmp_path):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notify", "forwarding"],
        }
    }
    receiver = Receiver()
    receiver.stall_first_seconds = 3  # answered (200) after 3 s
    receiver.up()
    try:
        WebhookEndpoint.objects.create(
            name="city", url=receiver.url + "/hook", secret="a-long-shared-secret"
        )
        drive(world, "registered")
        fan_out()
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "ONEGRID_VAR_DIR": str(django_settings.VAR_DIR),
            "ONEGRID_SMS_FILE": str(tmp_path / "sms.jsonl"),
            "ONEGRID_NOTIFY_SEND_TIMEOUT": "10",
        }
        worker = _start_worker(env)
        try:
            assert receiver.stalled.wait(60), "the worker never sent a webhook"
            worker.terminate()  # SIGTERM while the first webhook waits for its answer
            out, _ = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == 0, out
        first = receiver.requests[0]["headers"]["X-OneGrid-Delivery"]
        # The delivery in hand was finished and recorded, not abandoned to the lease.
        assert Delivery.objects.get(pk=first).state == "sent"
    finally:
        receiver.down()
