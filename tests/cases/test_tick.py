"""The timer: overdue tasks escalate exactly once per step, however often and wherever it runs."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from onegrid.cases import services
from onegrid.cases.models import Escalation, Task
from onegrid.core import clock
from support.cases import act, advance, drive, run_concurrently


def test_tick_before_the_deadline_does_nothing(world):
    drive(world, "in_progress")
    assert services.tick().escalated == 0
    assert Escalation.objects.count() == 0


def test_overdue_escalates_once_per_step(world):
    case = drive(world, "in_progress")  # exposed rubbish: 4 working hours
    advance(hours=5)  # 14:30, past the 13:30 deadline
    assert services.tick().escalated == 1
    assert services.tick().escalated == 0
    case.refresh_from_db()
    assert case.overdue and case.escalation_level == 1
    advance(days=1)  # more than 8 working hours later: step 2 (whistle to the district)
    assert services.tick().escalated == 1
    advance(days=3)
    assert services.tick().escalated == 1
    for _ in range(3):
        assert services.tick().escalated == 0
    levels = list(case.escalations.order_by("level").values_list("level", flat=True))
    assert levels == [1, 2, 3]
    assert case.events.filter(action="escalate").count() == 3


def test_fed_back_tasks_do_not_escalate(world):
    drive(world, "checking")
    advance(days=10)
    assert services.tick().escalated == 0


def test_extension_moves_the_deadline_away_from_the_timer(world):
    p = world.people
    case = drive(world, "in_progress")
    act(case, p.city_handler, "request_extension", reason="machine needed", hours=16)
    act(case, p.dispatcher, "approve_extension")
    advance(hours=5)
    assert services.tick().escalated == 0


def test_tick_command_is_idempotent(world, capsys):
    drive(world, "dispatched")
    advance(days=2)
    call_command("tick")
    call_command("tick")
    assert Escalation.objects.filter(level=1).count() == 1
    assert "escalated" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_escalate_exactly_once(world):
    for _ in range(3):
        drive(world, "dispatched")
    later = clock.now() + dt.timedelta(days=6)
    run_concurrently(lambda: services.tick(now=later))
    tasks = Task.objects.count()
    assert Escalation.objects.count() == tasks * 3
    for task in Task.objects.all():
        assert sorted(task.escalations.values_list("level", flat=True)) == [1, 2, 3]
        assert task.case.events.filter(action="escalate").count() == 3


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_ticks_from_several_processes_escalate_exactly_once(world):
    for _ in range(2):
        drive(world, "dispatched")  # on 2026-03-10: long overdue by the real clock now
    env = {**os.environ, "DATABASE_URL": _database_url(), "ONEGRID_VAR_DIR": str(settings.VAR_DIR)}
    command = [sys.executable, "-m", "onegrid.config.cli", "tick"]
    processes = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert sum(int(out.split("escalated ")[1].split()[0]) for out, _ in outputs) == 2 * 3
    for task in Task.objects.all():
        assert sorted(task.escalations.values_list("level", flat=True)) == [1, 2, 3]
        assert task.case.events.filter(action="escalate").count() == 3
