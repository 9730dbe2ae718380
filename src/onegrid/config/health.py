"""Liveness and readiness for the load balancer, systemd and Kubernetes-style probes.

`/healthz` (liveness) answers 200 as long as the process serves requests: it touches nothing
else, so a database outage never gets healthy app processes restarted. `/readyz` (readiness)
answers 200 only when this process can do its work — the database answers, every migration
is applied, the cache's Redis (REDIS_URL) and the queue's Redis (ONEGRID_TASKS=rq) answer,
or on the database queue its table is readable — else 503, naming each failing dependency
with the error's class (never its message, which may hold host names or passwords). Each
Redis check connects with a one-second timeout, so a probe ends within seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

REDIS_TIMEOUT_SECONDS = 1.0
_migrated = False  # once every migration is applied, a process' code never has new ones


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    results = readiness()
    failing = [name for name, result in results.items() if result != "ok"]
    body: dict[str, object] = {"status": "unavailable" if failing else "ok", "checks": results}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


def readiness() -> dict[str, str]:
    """Each dependency's check: "ok" or "error: <class>" (or "pending: …" for migrations)."""
    results: dict[str, str] = {}
    checks: list[tuple[str, Callable[[], str]]] = [("database", _database)]
    for name, check in checks + _redis_checks():
        try:
            results[name] = check()
        except Exception as error:
            results[name] = f"error: {type(error).__name__}"
    if results["database"] == "ok":
        try:
            results["migrations"] = _migrations()
        except Exception as error:
            results["migrations"] = f"error: {type(error).__name__}"
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            try:
                results["queue"] = _database_queue()
            except Exception as error:
                results["queue"] = f"error: {type(error).__name__}"
    return results


def _database() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _migrations() -> str:
    global _migrated
    if _migrated:
        return "ok"
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"pending: {len(plan)}"
    _migrated = True
    return "ok"


def _database_queue() -> str:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.only("id").first()
    return "ok"


def _redis_checks() -> list[tuple[str, Callable[[], str]]]:
    checks: list[tuple[str, Callable[[], str]]] = []
    cache = settings.CACHES["default"]
    if "redis" in cache["BACKEND"].lower():
        location = cache["LOCATION"]
        url = location[0] if isinstance(location, list | tuple) else location
        checks.append(("cache", lambda: _ping(url)))
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
        queue_url = str(settings.RQ_QUEUES["default"]["URL"])
        checks.append(("queue", lambda: _ping(queue_url)))
    return checks


def _ping(url: str) -> str:
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"
