"""A report's repeat flag against a close of its class committed at the same moment: the
rollups' stored flag must be what a recompute from the history says (found by the load test,
where `onegrid verify` failed)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from onegrid.cases import history, rollups
from onegrid.cases.models import CaseFact
from support.cases import act, drive, report


@pytest.mark.django_db(transaction=True)
def test_a_report_waits_for_a_close_stamped_before_it(world, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns from BEGIN IMMEDIATE, before any time is taken")
    checked = drive(world, "checked")
    real_append = history.append_event
    close_stamped, release = threading.Event(), threading.Event()
    closer = {}

    def append_event(**fields):
        # The close has taken its time and not committed: hold it there until released.
        if fields["action"] == "close" and threading.current_thread().name == "closer":
            close_stamped.set()
            release.wait(5)
        return real_append(**fields)

    monkeypatch.setattr(history, "append_event", append_event)

    def close():
        try:
            closer["case"] = act(checked, world.people.acceptor, "close")
        finally:
            connection.close()

    reported = {}

    def report_near():
        try:
            reported["case"] = report(world)  # the same class, at the same point
        finally:
            connection.close()

    closing = threading.Thread(target=close, name="closer")
    closing.start()
    assert close_stamped.wait(10)
    reporting = threading.Thread(target=report_near, name="reporter")
    reporting.start()
    reporting.join(1.5)
    waited = reporting.is_alive()  # the report waits for the close to commit
    release.set()
    closing.join(10)
    reporting.join(10)
    assert waited
    assert closer["case"].state == "closed"
    assert CaseFact.objects.get(case=reported["case"]).repeat is True
    assert rollups.verify() == []
