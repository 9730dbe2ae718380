"""Notify's part of `onegrid verify` (core.integrity): the background queue's health and
deliveries that would reach a person twice."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Min
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.core.integrity import ERROR, WARNING, Context, Finding, check

from .models import Delivery


@check("queue", gettext_lazy("Background jobs are not failing or stuck"), order=50)
def check_queue(context: Context) -> Iterator[Finding]:
    """The database queue (django-tasks-db): jobs that failed (warnings: the Delivery and
    Forward rows are the truth, and the requeue sweep wakes their work again), jobs running
    longer than `stuck_after` (a worker died mid-job) and ready jobs waiting longer than that (no
    worker is working the queue): errors. On Redis (ONEGRID_TASKS=rq): each queue's failed jobs
    and whether Redis answers."""
    from django_tasks_db.models import DBTaskResult

    stuck_before = context.now - context.stuck_after
    results = DBTaskResult.objects.all()
    failed = results.failed().values("task_path").annotate(n=Count("id")).order_by("task_path")
    for row in failed:
        yield Finding(
            WARNING,
            "job_failed",
            _("%(n)d jobs failed (kept two weeks; their work is woken again by the sweep).")
            % {"n": row["n"]},
            row["task_path"],
        )
    running = results.running().filter(started_at__lt=stuck_before)
    for row in running.values("queue_name").annotate(n=Count("id"), since=Min("started_at")):
        yield Finding(
            ERROR,
            "job_stuck",
            _("%(n)d jobs have been running since %(since)s: a worker died mid-job?")
            % {"n": row["n"], "since": row["since"].isoformat(timespec="seconds")},
            row["queue_name"],
        )
    waiting = results.ready().filter(run_after__lt=stuck_before)
    for row in waiting.values("queue_name").annotate(n=Count("id"), since=Min("run_after")):
        yield Finding(
            ERROR,
            "job_waiting",
            _("%(n)d jobs have waited since %(since)s: no worker is working this queue.")
            % {"n": row["n"], "since": row["since"].isoformat(timespec="seconds")},
            row["queue_name"],
        )
    context.counts["jobs"] = results.count()
    if getattr(settings, "TASKS_BACKEND", "") == "rq":
        yield from _rq_queues(context)


def _rq_queues(context: Context) -> Iterator[Finding]:
    try:
        import django_rq

        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            count = queue.failed_job_registry.count
            if count:
                yield Finding(
                    WARNING, "job_failed", _("%(n)d jobs failed on Redis.") % {"n": count}, name
                )
            context.counts[f"rq_{name}_queued"] = queue.count
    except Exception as fault:  # noqa: BLE001 - Redis away is a finding, not a crash
        yield Finding(ERROR, "queue_unreachable", f"{type(fault).__name__}: {fault}", "redis")


@check("deliveries", gettext_lazy("No notification is delivered twice"), order=60)
def check_deliveries(context: Context) -> Iterator[Finding]:
    """Each delivery is one row with one key (unique), made once per notification and channel
    (`{notification key}:{channel}`) and once per event and webhook endpoint: more than one row
    for the same key, the same notification and channel, or the same event and endpoint would
    send the same message twice."""
    doubled_keys = (
        Delivery.objects.values("key").annotate(n=Count("id")).filter(n__gt=1).order_by("key")
    )
    for row in doubled_keys[: context.limit]:
        yield Finding(
            ERROR, "delivery_doubled", _("%(n)d deliveries share this key.") % row, row["key"]
        )
    doubled = (
        Delivery.objects.filter(notification__isnull=False)
        .values("notification_id", "channel")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("notification_id", "channel")
    )
    for row in doubled[: context.limit]:
        yield Finding(
            ERROR,
            "delivery_doubled",
            _("%(n)d deliveries of one notification on %(channel)s.") % row,
            str(row["notification_id"]),
        )
    webhooks = (
        Delivery.objects.filter(channel=Delivery.Channel.WEBHOOK, endpoint__isnull=False)
        .annotate(event=KT("payload__event__id"))
        .exclude(event=None)
        .values("endpoint_id", "event")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("endpoint_id", "event")
    )
    for row in webhooks[: context.limit]:
        yield Finding(
            ERROR,
            "delivery_doubled",
            _("%(n)d webhook deliveries of one event to one endpoint.") % row,
            f"{row['event']} → {row['endpoint_id']}",
        )
    context.counts["deliveries"] = Delivery.objects.count()
