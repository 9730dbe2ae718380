"""Prometheus metrics (config/metrics.py): what is counted, who may read /metrics, and the
sum over several gunicorn processes (multi-process mode)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from support.api import token_client
from support.cases import photo

from .support_ops import REPO, queued_nothing

TOKEN = "scrape-token-0123456789"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_ALLOW = ["127.0.0.1", "10.0.0.0/8"]
    settings.METRICS_TOKEN = TOKEN
    return settings


def test_metrics_are_off_unless_switched_on(client, settings):
    settings.METRICS_ENABLED = False
    assert client.get("/metrics").status_code == 404


def test_metrics_only_for_allowed_addresses_or_the_token(db, metrics_on):
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    outsider = Client(REMOTE_ADDR="203.0.113.9")
    assert outsider.get("/metrics").status_code == 403
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert outsider.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    # Behind nginx (one trusted proxy) the address is the one nginx saw, not the proxy's own.
    metrics_on.ONEGRID = {**metrics_on.ONEGRID, "PROXY_COUNT": 1}
    behind = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert behind.get("/metrics").status_code == 403
    # No token configured: a bearer header opens nothing.
    metrics_on.METRICS_TOKEN = ""
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_requests_are_counted_and_timed_by_view(db, client, metrics_on):
    before = value("onegrid_http_requests_total", view="web:login", method="GET", status="200")
    timed = value("onegrid_http_request_duration_seconds_count", view="web:login", method="GET")
    missing = value("onegrid_http_requests_total", view="unresolved", method="GET", status="404")
    for _ in range(3):
        assert client.get("/login/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    assert value("onegrid_http_requests_total", view="web:login", method="GET", status="200") == (
        before + 3
    )
    assert (
        value("onegrid_http_request_duration_seconds_count", view="web:login", method="GET")
        == timed + 3
    )
    assert (
        value("onegrid_http_requests_total", view="unresolved", method="GET", status="404")
        == missing + 1
    )
    text = client.get("/metrics").content.decode()
    assert re.search(
        r'onegrid_http_requests_total\{method="GET",status="200",view="web:login"\} \d', text
    )


def test_made_up_methods_share_one_label(db, client, metrics_on):
    before = value("onegrid_http_requests_total", view="healthz", method="other", status="200")
    for n in range(3):
        client.generic(f"BREW{n}", "/healthz")
    assert (
        value("onegrid_http_requests_total", view="healthz", method="other", status="200")
        == before + 3
    )
    assert value("onegrid_http_requests_total", view="healthz", method="BREW1", status="200") == 0


def test_database_errors_are_counted(db, client, metrics_on, settings):
    settings.ROOT_URLCONF = "ops.support_ops"
    error = (
        "ProgrammingError"
        if settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        else "OperationalError"
    )
    before = value("onegrid_db_errors_total", error=error)
    assert client.get("/broken-query/").json() == {"error": error}
    assert value("onegrid_db_errors_total", error=error) == before + 1


def test_cases_reported_are_counted_when_committed(
    world, metrics_on, django_capture_on_commit_callbacks
):
    client = token_client(world.people.worker)
    before = value("onegrid_cases_reported_total", source="grid_worker")
    data = {"lon": world.point[0], "lat": world.point[1], "class_code": "A0102"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/cases", {**data, "photos": [photo()]}, HTTP_IDEMPOTENCY_KEY="m-1"
        )
    assert response.status_code in (200, 201), response.content
    assert value("onegrid_cases_reported_total", source="grid_worker") == before + 1
    with django_capture_on_commit_callbacks(execute=True):  # the same report again: a replay
        client.post("/api/v1/cases", {**data, "photos": [photo()]}, HTTP_IDEMPOTENCY_KEY="m-1")
    assert value("onegrid_cases_reported_total", source="grid_worker") == before + 1


def test_queue_depth_is_read_when_scraped(db, client, metrics_on, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "notify"]}
    }
    for _ in range(2):
        queued_nothing.enqueue()
    text = client.get("/metrics").content.decode()
    assert 'onegrid_queue_jobs{queue="default",state="ready"} 2.0' in text
    assert 'onegrid_queue_jobs{queue="notify",state="ready"} 0.0' in text


def test_queue_depth_on_redis(db, client, metrics_on, settings):
    import django_rq
    import redis

    url = os.environ.get("ONEGRID_OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    connection = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        connection.flushdb()
    except redis.exceptions.RedisError:
        pytest.skip(f"no Redis at {url}")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["notify"]}}
    settings.RQ_QUEUES = {"notify": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    try:
        for _ in range(3):
            django_rq.get_queue("notify", commit_mode="auto").enqueue("os.getpid")
        text = client.get("/metrics").content.decode()
        assert 'onegrid_queue_jobs{queue="notify",state="ready"} 3.0' in text
        assert 'onegrid_queue_jobs{queue="notify",state="failed"} 0.0' in text
    finally:
        connection.flushdb()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_several_gunicorn_workers_add_up(tmp_path):
    """deploy/gunicorn.conf.py with 3 workers and PROMETHEUS_MULTIPROC_DIR: whichever worker
    answers /metrics, it counts every worker's requests."""
    port = _free_port()
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "stale_from_last_run.db").write_bytes(b"x")  # the master empties the folder
    env = {
        **os.environ,
        "ONEGRID_VAR_DIR": str(tmp_path / "var"),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "ONEGRID_METRICS": "on",
        "ONEGRID_METRICS_TOKEN": TOKEN,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "3",
        "GUNICORN_THREADS": "1",
    }
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "-c",
            str(REPO / "deploy" / "gunicorn.conf.py"),
            "onegrid.config.wsgi",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            time.sleep(0.2)
        assert not (folder / "stale_from_last_run.db").exists()
        # Readiness on this unmigrated database reads the migration graph each time (a tenth
        # of a second): 36 at a time keep every one-thread worker busy, so all take some.
        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(lambda _: _get(base + "/readyz")[0], range(36)))
        assert statuses == [503] * 36
        pids = {p.name.split("_")[-1] for p in folder.glob("counter_*.db")}
        totals = set()
        for _ in range(6):  # scrapes land on different workers
            status, text = _get(base + "/metrics", {"Authorization": f"Bearer {TOKEN}"})
            assert status == 200
            found = re.search(
                r'onegrid_http_requests_total\{method="GET",status="503",view="readyz"\} (\S+)',
                text,
            )
            assert found, text[:2000]
            totals.add(float(found.group(1)))
        assert totals == {36.0}, (totals, pids)
        assert len(pids) >= 2, pids  # more than one worker served (else the sum proves little)
    finally:
        server.terminate()
        server.wait(timeout=30)
