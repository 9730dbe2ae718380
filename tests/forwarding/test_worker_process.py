"""`onegrid forwarding worker` as a real process on the test database, with the database job
queue: it reads the history, delivers through the queue, and stops cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from onegrid.forwarding.models import Forward
from support.cases import drive
from support.forwarding_remotes import webhook_target


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_worker_process_delivers_through_the_database_queue(world, receiver):
    webhook_target(receiver.url)
    cases = [drive(world, "registered") for _ in range(3)]
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "ONEGRID_VAR_DIR": str(settings.VAR_DIR),
        "ONEGRID_TASKS": "database",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "onegrid.config.cli", "forwarding", "worker", "--interval", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(receiver.accepted) < 3:
            time.sleep(0.2)
        assert sorted(receiver.cases()) == sorted(c.number for c in cases)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if set(Forward.objects.values_list("state", flat=True)) == {"acknowledged"}:
                break
            time.sleep(0.2)
        assert set(Forward.objects.values_list("state", flat=True)) == {"acknowledged"}
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert receiver.posts == 3
    # The jobs went through the database queue, and it is empty now.
    from django_tasks_db.models import DBTaskResult

    jobs = DBTaskResult.objects.filter(queue_name="forwarding")
    assert jobs.count() >= 3
    assert not jobs.exclude(status="SUCCESSFUL").exists()
