"""`onegrid verify`: consistent data passes; each kind of corruption is found by its check,
with exit status 1 and a machine-readable report."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connections
from django.db.models import F
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from onegrid.cases import rollup_check, rollups
from onegrid.cases.models import (
    Case,
    CaseClose,
    CaseCounter,
    CaseFact,
    DailyTotal,
    GridMonthTotal,
    PersonDailyTotal,
    Photo,
)
from onegrid.core import clock
from onegrid.core.models import Serial
from onegrid.notify.models import Delivery, Notification
from support.cases import act, drive, photo, report


@pytest.fixture(autouse=True)
def _english():
    # The messages are matched in English (zh-hans is the default language).
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def cases(world, media):
    """A few cases through the real services: one closed with photos, one dispatched, one
    reported, one merged."""
    closed = drive(world, "closed")
    dispatched = drive(world, "dispatched")
    reported = report(world, photo_files=[photo(colour=(1, 2, 3))])
    duplicate = drive(world, "registered")
    act(duplicate, world.people.acceptor, "merge", target=dispatched.number)
    return closed, dispatched, reported


def verify(*args: str) -> tuple[dict, int]:
    """The JSON report and the exit status."""
    out = io.StringIO()
    try:
        call_command("verify", "--json", *args, stdout=out)
        status = 0
    except CommandError as error:
        status = error.returncode
    return json.loads(out.getvalue()), status


def findings(report: dict, check: str) -> list[dict]:
    return next(c for c in report["checks"] if c["name"] == check)["findings"]


def kinds(report: dict, level: str = "error") -> set[tuple[str, str]]:
    return {
        (c["name"], f["kind"])
        for c in report["checks"]
        for f in c["findings"]
        if f["level"] == level
    }


def test_consistent_data_passes(cases):
    report, status = verify()
    assert status == 0, report
    assert report["ok"] and report["errors"] == 0
    counts = {c["name"]: c["counts"] for c in report["checks"]}
    assert counts["history"]["cases"] == Case.objects.count() == 4
    assert counts["photos"]["photos"] == Photo.objects.count() > 0
    assert {"history", "rollups", "photos", "counters", "queue", "deliveries"} <= set(counts)


def test_a_state_that_differs_from_the_history(cases):
    closed, dispatched, _reported = cases
    Case.objects.filter(pk=dispatched.pk).update(state="in_progress")
    report, status = verify("--only", "history")
    assert status == 1 and not report["ok"]
    [finding] = findings(report, "history")
    assert finding["kind"] == "state" and finding["subject"] == dispatched.number
    assert "in_progress" in finding["message"] and "dispatched" in finding["message"]


def test_other_fields_the_history_determines(cases):
    closed, dispatched, _reported = cases
    Case.objects.filter(pk=closed.pk).update(
        closed_at=closed.closed_at + dt.timedelta(hours=1), rework_count=2
    )
    Case.objects.filter(pk=dispatched.pk).update(escalation_level=3)
    report, status = verify("--only", "history")
    assert status == 1
    found = {(f["subject"], f["kind"]) for f in findings(report, "history")}
    assert found == {
        (closed.number, "closed_at"),
        (closed.number, "rework"),
        (dispatched.number, "escalation"),
    }


def test_a_rollup_off_by_one(cases):
    row = DailyTotal.objects.filter(reports__gt=0).first()
    DailyTotal.objects.filter(pk=row.pk).update(reports=F("reports") + 1)
    report, status = verify("--only", "rollups")
    assert status == 1
    tables = {f["subject"] for f in findings(report, "rollups")}
    assert "daily_total" in tables
    message = next(
        f["message"] for f in findings(report, "rollups") if f["subject"] == "daily_total"
    )
    assert f"reports: {row.reports + 1} ≠ {row.reports}" in message


def test_a_missing_photo_file_and_a_wrong_size(cases):
    first, second = Photo.objects.order_by("created_at", "id")[:2]
    default_storage.delete(first.file.name)
    default_storage.delete(second.thumb.name)
    report, status = verify("--only", "photos")
    assert status == 1
    found = {(f["kind"], f["subject"].split(" ", 1)[1]) for f in findings(report, "photos")}
    assert ("missing_file", first.file.name) in found
    assert ("missing_file", second.thumb.name) in found


def test_a_file_cut_short_and_a_changed_one(cases):
    photo_row = Photo.objects.order_by("created_at", "id").first()
    name = photo_row.file.name
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"x" * 10))
    report, status = verify("--only", "photos")
    assert status == 1 and {f["kind"] for f in findings(report, "photos")} == {"file_size"}
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"y" * photo_row.size))
    report, status = verify("--only", "photos")
    assert status == 0  # same size: only reading the file tells
    report, status = verify("--only", "photos", "--hash-files")
    assert status == 1 and {f["kind"] for f in findings(report, "photos")} == {"file_hash"}


def test_orphan_files_are_warnings_not_errors(cases):
    default_storage.save("photos/ab/" + "ab" * 32 + ".jpg", ContentFile(b"left behind"))
    report, status = verify("--only", "photos")
    assert status == 0 and report["warnings"] == 1
    assert kinds(report, "warning") == {("photos", "orphan_file")}


def test_a_doubled_delivery(cases, world):
    note = Notification.objects.create(
        user=world.people.acceptor,
        kind="case_for_desk",
        case=cases[0],
        title="t",
        created_at=clock.now(),
        key="ev:1",
    )
    for key in ("ev:1:sms", "ev:1:sms-again"):
        Delivery.objects.create(
            notification=note,
            case=cases[0],
            channel="sms",
            address="13812345678",
            next_attempt_at=clock.now(),
            created_at=clock.now(),
            state="sent",
            key=key,
        )
    report, status = verify("--only", "deliveries")
    assert status == 1
    [finding] = findings(report, "deliveries")
    assert finding["kind"] == "delivery_doubled" and finding["subject"] == str(note.pk)


def test_counters_behind_the_numbers_given(cases):
    closed = cases[0]
    day = closed.number.split("-")[1]
    CaseCounter.objects.filter(day=day).update(last=1)
    Serial.objects.create(series="dispute-2026", last=0)
    report, status = verify("--only", "counters")
    assert status == 1
    [finding] = findings(report, "counters")
    assert finding["subject"] == day and finding["kind"] == "counter"


def test_stuck_and_failed_jobs(cases):
    long_ago = clock.now() - dt.timedelta(hours=2)
    common = {
        "args_kwargs": {"args": [], "kwargs": {}},
        "task_path": "onegrid.notify.jobs.deliver",
        "backend_name": "default",
        "queue_name": "notify",
        "run_after": long_ago,
    }
    DBTaskResult.objects.create(status="FAILED", finished_at=long_ago, **common)
    report, status = verify("--only", "queue")
    assert status == 0 and kinds(report, "warning") == {("queue", "job_failed")}
    DBTaskResult.objects.create(status="RUNNING", started_at=long_ago, **common)
    report, status = verify("--only", "queue")
    assert status == 1 and kinds(report) == {("queue", "job_stuck")}
    report, status = verify("--only", "queue", "--stuck-minutes", "180")
    assert status == 0


def test_exit_status_and_text_of_the_command_line(cases, capsys, monkeypatch):
    # The command line closes the connections when it ends; the test's transaction needs it.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    ManagementUtility(["onegrid", "verify"]).execute()  # returns: exit status 0
    out = capsys.readouterr().out
    assert "0 errors, 0 warnings" in out
    Case.objects.filter(pk=cases[2].pk).update(state="closed")
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["onegrid", "verify", "--only", "history"]).execute()
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert cases[2].number in captured.out


def test_bad_options_are_refused(db):
    with pytest.raises(CommandError, match="--only"):
        call_command("verify", "--only", "nonsense")
    with pytest.raises(CommandError, match="--limit"):
        call_command("verify", "--limit", "0")


def test_the_bounded_rollup_check_finds_what_rollups_verify_finds(cases):
    """cases.rollup_check (temporary tables compared in the database) against
    cases.rollups.verify (everything in memory), on several kinds of damage at once."""
    first = DailyTotal.objects.filter(reports__gt=0).first()
    DailyTotal.objects.filter(pk=first.pk).update(reports=F("reports") + 1)
    DailyTotal.objects.exclude(pk=first.pk).filter(dispatches__gt=0).first().delete()
    PersonDailyTotal.objects.filter(reports__gt=0).update(reports=F("reports") + 2)
    GridMonthTotal.objects.filter(reports__gt=0).update(closed=F("closed") + 1)
    CaseFact.objects.filter(pk=cases[1].pk).update(lead="nobody")
    CaseClose.objects.all().delete()
    expected = sorted(str(d) for d in rollups.verify(limit=None))
    found = sorted(str(d) for d in rollup_check.differences(limit=100))
    assert found == expected, (found, expected)
    assert {d.split(" ", 1)[0] for d in found} == {
        "daily_total",
        "person_daily_total",
        "cases_gridmonthtotal",
        "case_fact",
        "case_close",
    }
