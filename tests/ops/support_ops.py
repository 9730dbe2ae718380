"""Helpers of the operations tests: a Django process of its own (another database, another
environment) and a test view that makes the database raise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django_tasks import task

REPO = Path(__file__).resolve().parents[2]


def run_django(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Runs `code` after django.setup() in a fresh interpreter with `env` over this one's
    (a var directory of its own), and returns the finished process (stdout, stderr)."""
    environment = {
        **os.environ,
        "ONEGRID_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "onegrid.config.settings",
        **env,
    }
    if "PROMETHEUS_MULTIPROC_DIR" not in env:
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    program = "import django\ndjango.setup()\n" + code
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", program],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def json_lines(text: str) -> list[dict]:
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def broken_query(request: HttpRequest) -> JsonResponse:
    """Queries a table that does not exist, catches the error (in a savepoint, so PostgreSQL's
    transaction goes on) and answers 200: only the database error counter sees it."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT * FROM onegrid_no_such_table")
    except Exception as error:
        return JsonResponse({"error": type(error).__name__})
    return JsonResponse({"error": None})


@task(queue_name="default")
def queued_nothing() -> None:
    """A job to put on the queue (never run by these tests)."""


urlpatterns = [path("broken-query/", broken_query, name="ops_test_broken_query")]
