"""Prometheus metrics (prometheus-client) at /metrics, for every app process together.

Several gunicorn workers each count their own requests: with PROMETHEUS_MULTIPROC_DIR set
(deploy/onegrid.env.example; it must be set before the process starts, and emptied when the
master starts — deploy/gunicorn.conf.py does both ends) each process writes its values to
files there and a scrape of any one of them adds up all (prometheus-client's multiprocess
mode). Without it (`make serve` with one worker, tests) the process' own registry answers.

Counted as they happen: requests by view (the URL pattern's name: bounded, no ids), method and
status, their duration, database errors by class, cases reported by source (on commit only).
Read at scrape time: jobs waiting and running per queue (the database's or Redis'), so a
scrape costs one grouped query or a few Redis calls.

/metrics answers only when ONEGRID_METRICS is on, and then only to an address in
ONEGRID_METRICS_ALLOW (networks; the client address as org.throttling reads it behind
ONEGRID_PROXY_COUNT proxies) or to `Authorization: Bearer <ONEGRID_METRICS_TOKEN>`.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from onegrid.cases.models import Case
from onegrid.org.throttling import client_address

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "onegrid_http_requests_total",
    "HTTP requests answered, by view (URL pattern name), method and status",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "onegrid_http_request_duration_seconds",
    "Time from the request reaching the app to its response, by view and method",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_ERRORS = Counter(
    "onegrid_db_errors_total",
    "Database queries that raised, by exception class",
    ["error"],
)
CASES_REPORTED = Counter(
    "onegrid_cases_reported_total",
    "Cases reported (committed), by source",
    ["source"],
)


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def count_request(view: str, method: str, status: int, seconds: float) -> None:
    """One request counted and timed. The labelled children are kept per label set: looking
    them up through `labels()` (validation and a lock) each time cost more than the rest."""
    if method not in METHODS:
        method = "other"  # any token is a method to HTTP: the label set stays bounded
    key = (view, method, status)
    children = _children.get(key)
    if children is None:
        children = (REQUESTS.labels(view, method, str(status)), LATENCY.labels(view, method))
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def count_db_errors(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
    """A connection.execute_wrapper: counts the queries that raise (and lets them raise)."""
    try:
        return execute(sql, params, many, context)
    except Exception as error:
        DB_ERRORS.labels(type(error).__name__).inc()
        raise


def _case_saved(sender: type[Case], instance: Case, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        source = str(instance.source or "unknown")
        transaction.on_commit(lambda: CASES_REPORTED.labels(source).inc(), robust=True)


post_save.connect(_case_saved, sender=Case, dispatch_uid="onegrid.config.metrics.cases")


class QueueCollector(Collector):
    """Jobs per queue and state, read when scraped."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "onegrid_queue_jobs",
            "Background jobs per queue and state (ready, running; scheduled, failed on Redis)",
            labels=["queue", "state"],
        )
        try:
            for (queue, state), count in sorted(queue_depth().items()):
                family.add_metric([queue, state], count)
        except Exception:  # a scrape must answer even with the queue away: the gauge is absent
            logger.warning("metrics: queue depth not read", exc_info=True)
            return
        yield family


def queue_depth() -> dict[tuple[str, str], int]:
    backend = settings.TASKS["default"]["BACKEND"]
    queues = list(settings.TASKS["default"].get("QUEUES", ["default"]))
    depth = {(queue, state): 0 for queue in queues for state in ("ready", "running")}
    if backend == "django_tasks_rq.RQBackend":
        import django_rq
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        for queue_name in queues:
            queue = django_rq.get_queue(queue_name)
            depth[(queue_name, "ready")] = queue.count
            depth[(queue_name, "running")] = StartedJobRegistry(queue=queue).count
            depth[(queue_name, "scheduled")] = ScheduledJobRegistry(queue=queue).count
            depth[(queue_name, "failed")] = FailedJobRegistry(queue=queue).count
    elif backend == "django_tasks_db.DatabaseBackend":
        from django.db.models import Count
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        rows = (
            DBTaskResult.objects.filter(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
            )
            .values_list("queue_name", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for queue_name, status, n in rows:
            depth[(queue_name, str(status).lower())] = n
    return depth


def exposition() -> bytes:
    """Every process' counters (multiprocess mode) or this one's, then the queue gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(QueueCollector())
    return counted + generate_latest(scraped)


def allowed(request: HttpRequest) -> bool:
    token: str = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    seen = client_address(request)
    if not seen:
        return False
    address = ipaddress.ip_address(seen)
    return any(address in network for network in allowed_networks())


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOW]


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        return JsonResponse({"detail": _("Metrics are switched off.")}, status=404)
    if not allowed(request):
        return JsonResponse(
            {"detail": _("Metrics are only for the monitoring addresses or token.")}, status=403
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
