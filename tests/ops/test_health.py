"""/healthz (liveness: no database) and /readyz (readiness: database, migrations, cache and
queue; 503 naming what fails) — config/health.py, answered first by config/ops.py."""

from __future__ import annotations

import json
import os

import pytest
from django.db.migrations.executor import MigrationExecutor

from onegrid.config import health

from .support_ops import run_django

WRONG_REDIS = "redis://127.0.0.1:1/5"  # nothing listens on port 1
REDIS = os.environ.get("ONEGRID_OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: any query would raise here (pytest-django blocks the database).
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_readyz_is_ready_on_a_migrated_database(db, client, settings):
    settings.TASKS = DATABASE_QUEUE  # the embedded default (tests run jobs at once otherwise)
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and "failing" not in body
    assert body["checks"] == {"database": "ok", "migrations": "ok", "queue": "ok"}


def test_probes_ignore_the_host_check_and_the_https_redirect(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["onegrid.example.gov.cn"]
    for url in ("/healthz", "/readyz"):
        assert client.get(url, HTTP_HOST="10.0.0.7:8000").status_code == 200
    # Every other page still gets both.
    assert client.get("/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_readyz_names_the_cache_when_its_redis_is_down(db, client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": WRONG_REDIS,
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failing"] == ["cache"]
    assert body["checks"]["cache"] == "error: ConnectionError"
    assert body["checks"]["database"] == "ok"
    assert "127.0.0.1" not in response.content.decode()  # the class only, never the address


def test_readyz_names_the_queue_when_its_redis_is_down(db, client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": WRONG_REDIS, "DEFAULT_TIMEOUT": 60}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["queue"]


def test_readyz_is_ready_with_a_live_redis_for_cache_and_queue(db, client, settings):
    if not redis_answers():
        pytest.skip(f"no Redis at {REDIS}")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS, "DEFAULT_TIMEOUT": 60}}
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "cache": "ok",
        "queue": "ok",
    }


def test_readyz_names_pending_migrations(db, client, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == "pending: 1"


def test_readyz_names_the_database_when_it_is_down_and_healthz_stays_up(tmp_path):
    done = run_django(
        "import json\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "r = c.get('/readyz'); print(json.dumps([r.status_code, r.json()]))\n"
        "h = c.get('/healthz'); print(json.dumps([h.status_code, h.json()]))\n",
        # a PostgreSQL server that is not there: connection refused
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/onegrid_down"},
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    ready, live = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert ready[0] == 503
    assert ready[1]["failing"] == ["database"]
    assert ready[1]["checks"] == {"database": "error: OperationalError"}
    assert live == [200, {"status": "ok"}]
