"""The city-scale queue on a real Redis (ONEGRID_TASKS=rq: django-tasks-rq and RQ workers).

Redis database 15 (ONEGRID_TEST_REDIS_URL overrides it), emptied before and after each test;
skipped only when no Redis answers there (CI starts one). The jobs run in this process, in the
test's thread, as `onegrid notify worker` runs them with Redis (an RQ SimpleWorker in burst mode
with django-tasks-rq's job class) or as the plain `onegrid rqworker …` command does."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections import Counter

import pytest
from django.db import transaction

from onegrid.core import clock
from onegrid.forwarding import services as forwarding
from onegrid.forwarding.models import Forward
from onegrid.notify import services, sms, worker
from onegrid.notify.models import Delivery, WebhookEndpoint
from support.cases import advance, drive
from support.forwarding_remotes import WebhookReceiver, webhook_target
from support.receivers import Receiver, free_port

REDIS_URL = os.environ.get("ONEGRID_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
QUEUES = ["default", "notify", "forwarding"]


@pytest.fixture
def redis_queue(settings, tmp_path):
    """The RQ backend on Redis database 15, empty; SMS to a file."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.RedisError as e:
        pytest.skip(f"no Redis at {REDIS_URL} ({e}): the RQ backend's tests need one")
    connection.flushdb()
    settings.RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60} for name in QUEUES}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": QUEUES}}
    settings.ONEGRID = {
        **settings.ONEGRID,
        "SMS_BACKEND": "file",
        "SMS_FILE": str(tmp_path / "outbox.jsonl"),
        "NOTIFY_SEND_TIMEOUT_SECONDS": 2,
    }
    yield connection
    connection.flushdb()
    connection.close()


def waiting_jobs(name: str) -> int:
    import django_rq

    return len(django_rq.get_queue(name))


def run_worker() -> int:
    """One round of `onegrid notify worker`'s job runner on Redis; how many jobs ran."""
    return worker.Worker(queues=["*"]).run_jobs()


@pytest.fixture
def hooks():
    receiver = Receiver().up()
    remote = WebhookReceiver()
    with remote.running():
        yield receiver, remote
    receiver.down()


def test_deliveries_and_forwards_are_enqueued_on_commit_and_run_exactly_once(
    transactional_db, world, redis_queue, hooks
):
    receiver, remote = hooks
    WebhookEndpoint.objects.create(name="city", url=receiver.url + "/hook", secret="s" * 20)
    webhook_target(remote.url)
    case = drive(world, "registered")

    with transaction.atomic():
        made = services.fan_out()
        created = forwarding.scan()
        # Inside the transaction nothing is on Redis yet: a worker must not look for rows
        # that are not committed (or may never be).
        assert waiting_jobs("notify") == 0 and waiting_jobs("forwarding") == 0
    assert made and created == 1
    hooks_due = list(Delivery.objects.filter(channel="webhook"))
    assert hooks_due
    assert waiting_jobs("notify") == Delivery.objects.count()
    assert waiting_jobs("forwarding") == 1

    # (a delivery waiting for an earlier one to the same address and case is woken again
    # when that one is sent: a job more)
    assert run_worker() >= Delivery.objects.count() + 1
    assert waiting_jobs("notify") == waiting_jobs("forwarding") == 0
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert receiver.delivery_ids() == Counter({str(d.pk): 1 for d in hooks_due})
    forward = Forward.objects.get()
    assert forward.state == "acknowledged" and forward.case_id == case.pk
    assert remote.posts == 1 and list(remote.accepted) == [str(forward.pk)]

    # A doubled wake-up (at least once) finds the rows done: nothing is sent again.
    from onegrid.forwarding.tasks import deliver_forward
    from onegrid.notify.jobs import deliver

    deliver.enqueue(str(hooks_due[0].pk))
    deliver_forward.enqueue(str(forward.pk))
    assert run_worker() == 2
    assert receiver.delivery_ids() == Counter({str(d.pk): 1 for d in hooks_due})
    assert remote.posts == 1
    assert run_worker() == 0


def test_a_job_enqueued_in_a_transaction_that_rolls_back_never_runs(
    transactional_db, world, redis_queue, hooks
):
    _, remote = hooks
    webhook_target(remote.url)
    drive(world, "registered")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.send_text(phone="13900000000", text="验证码 123456", key="code-1")
        assert forwarding.scan() == 1
        raise RuntimeError("rolled back")
    assert not Delivery.objects.exists() and not Forward.objects.exists()
    assert waiting_jobs("notify") == waiting_jobs("forwarding") == 0
    assert run_worker() == 0
    assert sms.outbox() == [] and remote.posts == 0


def test_a_lost_job_is_recovered_by_the_requeue_sweep(transactional_db, world, redis_queue, hooks):
    _, remote = hooks
    webhook_target(remote.url)
    drive(world, "registered")
    delivery = services.send_text(phone="13900000000", text="验证码 123456", key="code-1")
    assert forwarding.scan() == 1
    assert waiting_jobs("notify") == waiting_jobs("forwarding") == 1

    redis_queue.flushdb()  # Redis lost its data (a restart without persistence)
    assert run_worker() == 0
    delivery.refresh_from_db()
    assert delivery.state == "pending" and sms.outbox() == []
    assert Forward.objects.get().state == "pending"

    # Too early: a job may still be on its way.
    assert worker.sweep().requeued == 0
    advance(seconds=61)  # past NOTIFY_REQUEUE_AFTER_SECONDS and forwarding's grace (60 s)
    assert worker.sweep().requeued == 1
    assert forwarding.requeue() == 1
    assert run_worker() == 2
    delivery.refresh_from_db()
    assert delivery.state == "sent"
    assert [m["key"] for m in sms.outbox()] == [delivery.key]
    assert Forward.objects.get().state == "acknowledged" and remote.posts == 1


def test_a_retry_waits_on_redis_and_the_worker_moves_it_onto_the_queue_in_time(
    transactional_db, world, redis_queue, hooks
):
    receiver, _ = hooks
    WebhookEndpoint.objects.create(name="city", url=receiver.url + "/hook", secret="s" * 20)
    case = drive(world, "registered")
    receiver.status = 503
    services.fan_out()
    assert run_worker() >= 1
    first, *later = Delivery.objects.filter(channel="webhook", case=case).order_by("id")
    assert first.state == "retrying" and first.attempts == 1
    assert len(receiver.requests) == 1  # the later ones wait for it (order per case)

    # The retry is a deferred job in RQ's scheduled registry, not on the queue.
    import django_rq
    from rq.registry import ScheduledJobRegistry

    registry = ScheduledJobRegistry(queue=django_rq.get_queue("notify"))
    (job_id,) = registry.get_job_ids()
    assert waiting_jobs("notify") == 0
    assert run_worker() == 0  # not its time yet

    # Its time comes (moved here on both clocks instead of waiting for it).
    receiver.status = 200
    clock.set_now(first.next_attempt_at + dt.timedelta(seconds=1))
    redis_queue.zadd(registry.key, {job_id: 0})
    assert run_worker() == 1 + len(later)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    first.refresh_from_db()
    assert first.attempts == 2
    arrived = receiver.delivery_ids()
    assert arrived == Counter({str(first.pk): 2, **{str(d.pk): 1 for d in later}})


def test_the_plain_rqworker_command_runs_django_tasks_jobs(
    transactional_db, world, redis_queue, settings
):
    """`onegrid rqworker notify forwarding default` with no flags: settings.RQ names
    django-tasks-rq's job class (rq's own fails every job) and the no-fork SimpleWorker."""
    from django.core.management import call_command
    from django_rq.management.commands.rqworker import Command

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        delivery = services.send_text(phone="13900000000", text="one", key="one")
        call_command(Command(), *QUEUES, "--burst", verbosity=0)
        delivery.refresh_from_db()
        assert delivery.state == "sent" and len(sms.outbox()) == 1

        # Without that job class the same command fails the job and nothing is sent.
        settings.RQ = {"WORKER_CLASS": settings.RQ["WORKER_CLASS"]}
        other = services.send_text(phone="13900000001", text="two", key="two")
        call_command(Command(), *QUEUES, "--burst", verbosity=0)
        other.refresh_from_db()
        assert other.state == "pending" and len(sms.outbox()) == 1
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)


def test_sigterm_stops_the_rq_round_after_the_job_in_hand(transactional_db, world, redis_queue):
    """The notify worker keeps its own SIGTERM handling while RQ runs jobs in its process."""
    from onegrid.notify import jobs

    first = services.send_text(phone="13900000000", text="one", key="one")
    second = services.send_text(phone="13900000001", text="two", key="two")
    w = worker.Worker(queues=["notify"])
    real_attempt = jobs.attempt

    def attempt_then_stop(delivery_id, **kwargs):
        outcome = real_attempt(delivery_id, **kwargs)
        w.stop()
        return outcome

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    jobs.attempt = attempt_then_stop
    try:
        assert w.run_jobs() == 1
    finally:
        jobs.attempt = real_attempt
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    states = {d.key: d.state for d in Delivery.objects.filter(pk__in=[first.pk, second.pk])}
    assert sorted(states.values()) == ["pending", "sent"]
    assert waiting_jobs("notify") == 1


def test_an_rqworker_stops_at_once(redis_queue):
    """rq 3.0 with redis-py 8 left its command listener waiting a minute for a subscription
    when stopped (a SIGTERM took up to 60 s); the race is forced here by a slow unsubscribe."""
    import django_rq

    from onegrid.notify.rqworkers import Worker

    w = django_rq.get_worker("notify")  # the classes settings.RQ names
    assert isinstance(w, Worker)
    w.subscribe()
    time.sleep(0.2)
    unsubscribe = w.pubsub.unsubscribe

    def slow_unsubscribe(*args):
        sent = unsubscribe(*args)
        time.sleep(0.5)  # the listener reads the reply and would wait for a new subscription
        return sent

    w.pubsub.unsubscribe = slow_unsubscribe
    began = time.monotonic()
    w.unsubscribe()
    assert time.monotonic() - began < 5
    assert not w.pubsub_thread.is_alive()


def test_redis_away_fails_no_transaction_and_the_sweeps_wake_the_jobs_later(
    transactional_db, world, redis_queue, hooks, settings
):
    _, remote = hooks
    webhook_target(remote.url)
    drive(world, "registered")
    reachable = settings.RQ_QUEUES
    settings.RQ_QUEUES = {
        name: {"URL": f"redis://127.0.0.1:{free_port()}/0", "DEFAULT_TIMEOUT": 60}
        for name in QUEUES
    }
    delivery = services.send_text(phone="13900000000", text="验证码 123456", key="code-1")
    assert forwarding.scan() == 1
    assert Delivery.objects.filter(pk=delivery.pk).exists() and Forward.objects.exists()

    settings.RQ_QUEUES = reachable
    assert run_worker() == 0
    advance(seconds=61)
    assert worker.sweep().requeued == 1 and forwarding.requeue() == 1
    assert run_worker() == 2
    assert [m["key"] for m in sms.outbox()] == [delivery.key]
    assert Forward.objects.get().state == "acknowledged" and remote.posts == 1


def test_the_forwarding_worker_runs_the_forwarding_jobs_on_redis(
    transactional_db, world, redis_queue, hooks
):
    from onegrid.forwarding.management.commands.forwarding import drain_queue

    _, remote = hooks
    webhook_target(remote.url)
    drive(world, "registered")
    assert forwarding.run_once().created == 1
    assert waiting_jobs("forwarding") == 1
    drain_queue()
    assert waiting_jobs("forwarding") == 0
    assert Forward.objects.get().state == "acknowledged" and remote.posts == 1
