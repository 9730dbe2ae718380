"""The rollups are bookkeeping beside the history: a fault in their hook must not lose or refuse
what a person sent. The hook runs in a savepoint of the action's transaction; when it fails, the
savepoint is rolled back, the fault logged, and the event stands (`onegrid rollups verify` then
names the difference and `rebuild` repairs it). Run on SQLite and on PostgreSQL, where a failed
statement would otherwise abort the whole transaction."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from onegrid.cases import rollups, services
from onegrid.cases.models import Case, CaseEvent, CaseFact
from support.cases import act, photo, report


def _broken_statement(*_args, **_kwargs):
    # A statement the database refuses: on PostgreSQL it aborts the transaction it runs in.
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM no_such_rollup_table")


@pytest.mark.parametrize("where", ["record", "start"])
def test_a_failing_hook_neither_loses_nor_doubles_a_report(world, monkeypatch, caplog, where):
    if where == "record":
        monkeypatch.setattr(rollups.Keeper, "record", _broken_statement)
    else:
        monkeypatch.setattr(rollups, "_load_fact", _broken_statement)
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
    if where == "record" or not CaseFact.objects.filter(case=case).exists():
        with pytest.raises(CommandError):
            call_command("rollups", "verify", stdout=io.StringIO())
    call_command("rollups", "rebuild", stdout=io.StringIO())
    assert rollups.verify() == []
    # With the hook working again, the next report is counted as it comes.
    report(world)
    assert rollups.verify() == []
