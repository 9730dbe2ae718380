"""The rollups are bookkeeping beside the history: a fault in their hook must not lose or refuse
what a person sent. A fault in working the rollups out is logged and the event stands; their
writes run in a savepoint, so a write the database refuses is rolled back alone, logged, and the
event stands too (`onegrid rollups verify` then names the difference and `rebuild` repairs it).
A database error while reading fails the action whole (on PostgreSQL the transaction is
aborted): nothing of it is stored, and it is sent again. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection

from onegrid.cases import rollups, services
from onegrid.cases.models import Case, CaseEvent
from support.cases import act, photo, report


def _broken_statement(*_args, **_kwargs):
    # A statement the database refuses: on PostgreSQL it aborts the transaction it runs in.
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM no_such_rollup_table")


def _python_fault(*_args, **_kwargs):
    raise KeyError("a bug in the rollups")


@pytest.mark.parametrize("where", ["write", "work", "start"])
def test_a_failing_hook_neither_loses_nor_doubles_a_report(world, monkeypatch, caplog, where):
    if where == "write":
        monkeypatch.setattr(rollups, "_run", _broken_statement)
    elif where == "work":
        monkeypatch.setattr(rollups.Keeper, "statements", _python_fault)
    else:
        monkeypatch.setattr(rollups.Keeper, "note", _python_fault)
    p = world.people
    lon, lat = world.point
    sent = dict(
        actor=p.worker,
        lon=lon,
        lat=lat,
        class_code=world.rubbish.code,
        description="路边垃圾堆了三天",
        idempotency_key="hook-fault-1",
    )
    with caplog.at_level(logging.ERROR, logger="onegrid.cases.rollups"):
        first = services.report_case(**sent, photo_files=[photo()])
    case = Case.objects.get(pk=first.case.pk)
    assert case.description == "路边垃圾堆了三天"
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    assert "rollups" in caplog.text and case.number in caplog.text
    # The same request again (a phone that did not hear the answer) is the same case.
    again = services.report_case(**sent, photo_files=[photo()])
    assert again.replayed and again.case.pk == case.pk
    assert Case.objects.count() == 1
    # Later actions on it go on too, and the desk's work is kept.
    act(case, p.acceptor, "register")
    assert Case.objects.get(pk=case.pk).state == "registered"
    monkeypatch.undo()
    # The fault shows in verify, and a rebuild repairs the rollups from the history.
    with pytest.raises(CommandError):
        call_command("rollups", "verify", stdout=io.StringIO())
    call_command("rollups", "rebuild", stdout=io.StringIO())
    assert rollups.verify() == []
    # With the hook working again, the next report is counted as it comes.
    report(world)
    assert rollups.verify() == []


def test_a_database_error_while_reading_fails_the_report_whole(world, monkeypatch):
    # A new case's facts row is not read (there is none); its repeat check is the hook's read.
    monkeypatch.setattr(rollups, "recurs_now", _broken_statement)
    lon, lat = world.point
    with pytest.raises(DatabaseError):
        services.report_case(
            actor=world.people.worker,
            lon=lon,
            lat=lat,
            class_code=world.rubbish.code,
            idempotency_key="hook-fault-2",
            photo_files=[photo()],
        )
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
