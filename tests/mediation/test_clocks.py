"""The mediation period on the working calendar: acceptance + MEDIATION_MONTHS calendar months
(the day clamped to the month's end), a last day on a rest day moved to the next working day
(the made-up 2027 holiday schedule of tests/support/holidays.py), the one extension, and the
register's overdue mark."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.core import clock
from onegrid.mediation import selectors, services
from support.holidays import import_2027
from support.mediation_world import accepted, walk_in

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2027, 3, 31), 1, dt.date(2027, 4, 30)),
        (dt.date(2027, 12, 15), 1, dt.date(2028, 1, 15)),
        (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),
        (dt.date(2027, 5, 10), 0, dt.date(2027, 5, 10)),
    ],
)
def test_calendar_months_clamp_to_the_month_end(day, months, expected):
    assert clock.add_months(day, months) == expected


def _accept_at(world, med, moment):
    dispute = walk_in(world, med)
    with clock.frozen_at(moment):
        return services.accept(by=med.mediator, dispute=dispute)


@pytest.mark.parametrize(
    ("accepted_at", "due"),
    [
        # Friday 8 Jan 2027 + 1 month = Monday 8 Feb, inside the Spring Festival (休 5–11
        # Feb): the next working day is Friday 12 Feb.
        (dt.datetime(2027, 1, 8, 16, 0, tzinfo=SHANGHAI), dt.date(2027, 2, 12)),
        # Friday 29 Jan + 1 month = Sunday 28 Feb → Monday 1 March.
        (dt.datetime(2027, 1, 29, 10, 0, tzinfo=SHANGHAI), dt.date(2027, 3, 1)),
        # Thursday 31 Dec 2026, the eve of New Year's Day: 31 Jan 2027 is a Sunday but a
        # make-up working day (班), so it stays.
        (dt.datetime(2026, 12, 31, 17, 0, tzinfo=SHANGHAI), dt.date(2027, 1, 31)),
        # Friday 5 Feb 2027 is itself a holiday: accepted then, the month still counts from
        # that date; Friday 5 March is a working day.
        (dt.datetime(2027, 2, 5, 9, 0, tzinfo=SHANGHAI), dt.date(2027, 3, 5)),
        # The date is Shanghai's: 23:30 UTC on Thursday 7 Jan is Friday 8 Jan there.
        (dt.datetime(2027, 1, 7, 23, 30, tzinfo=dt.UTC), dt.date(2027, 2, 12)),
    ],
)
def test_due_on_the_working_calendar_of_2027(world, med, accepted_at, due):
    import_2027()
    assert _accept_at(world, med, accepted_at).due_on == due


def test_the_period_is_configurable(world, med, settings):
    import_2027()
    settings.ONEGRID = {**settings.ONEGRID, "MEDIATION_MONTHS": 2}
    moment = dt.datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)  # Tuesday
    # + 2 months = Monday 8 Feb 2027 (休) → Friday 12 Feb.
    assert _accept_at(world, med, moment).due_on == dt.date(2027, 2, 12)


def test_the_extension_lands_on_a_working_day(world, med):
    import_2027()
    dispute = _accept_at(world, med, dt.datetime(2026, 12, 31, 17, 0, tzinfo=SHANGHAI))
    assert dispute.due_on == dt.date(2027, 1, 31)
    with clock.frozen_at(dt.datetime(2027, 1, 20, 9, 0, tzinfo=SHANGHAI)):
        # A day asked for inside the holiday moves to its end.
        dispute = services.extend(
            by=med.mediator, dispute=dispute, reason="等待鉴定结论", until="2027-02-08"
        )
    assert dispute.extended_on == dt.date(2027, 2, 12)
    line = selectors.register_line(dispute, today=dt.date(2027, 2, 10))
    assert line["due_on"] == dt.date(2027, 2, 12) and line["extended"]


def test_overdue_only_after_the_last_day(world, med):
    import_2027()
    dispute = _accept_at(world, med, dt.datetime(2027, 1, 8, 16, 0, tzinfo=SHANGHAI))
    assert not selectors.is_overdue(dispute, dt.date(2027, 2, 12))
    assert selectors.is_overdue(dispute, dt.date(2027, 2, 13))
    with clock.frozen_at(dt.datetime(2027, 2, 12, 18, 0, tzinfo=SHANGHAI)):
        assert not selectors.filtered(med.mediator, overdue=True).exists()
    with clock.frozen_at(dt.datetime(2027, 2, 13, 9, 0, tzinfo=SHANGHAI)):
        assert list(selectors.filtered(med.mediator, overdue=True)) == [dispute]
        # An outcome stops the clock: an agreed dispute is never overdue.
        services.assign_mediators(
            by=med.mediator, dispute=dispute, mediators=[med.mediator.pk], lead=None
        )
        services.mark_agreed(by=med.mediator, dispute=dispute)
        assert not selectors.filtered(med.mediator, overdue=True).exists()


def test_overdue_mark_on_the_register_page(world, med):
    from django.test import Client

    dispute = accepted(world, med)
    client = Client()
    client.force_login(world.people.acceptor)
    with clock.frozen_at(dt.datetime(2026, 4, 13, 9, 0, tzinfo=SHANGHAI)):
        body = client.get("/mediation/?overdue=1").content.decode()
    assert dispute.number in body and "overdue-mark" in body
    body = client.get("/mediation/?overdue=1").content.decode()
    assert dispute.number not in body


def test_due_soon_and_overdue_notices_go_once(world, med):
    from onegrid.notify.models import Notification

    import_2027()
    dispute = _accept_at(world, med, dt.datetime(2027, 1, 8, 16, 0, tzinfo=SHANGHAI))
    services.assign_mediators(
        by=med.mediator, dispute=dispute, mediators=[med.mediator2.pk], lead=None
    )
    # Last day Friday 12 Feb 2027. On Tuesday 2 Feb three working days are left before it (2,
    # 3 and 4 Feb; the holiday runs to 11 Feb): not yet; on Thursday 4 Feb, one: soon.
    assert services.notify_due(now=dt.datetime(2027, 2, 2, 9, 0, tzinfo=SHANGHAI)) == {
        "mediation_due_soon": 0,
        "mediation_overdue": 0,
    }
    for _ in range(2):
        services.notify_due(now=dt.datetime(2027, 2, 4, 9, 0, tzinfo=SHANGHAI))
    soon = Notification.objects.filter(kind="mediation_due_soon")
    assert [n.user_id for n in soon] == [med.mediator2.pk]
    assert dispute.number in soon[0].title and "张三" not in soon[0].title
    for _ in range(2):
        services.notify_due(now=dt.datetime(2027, 2, 15, 9, 0, tzinfo=SHANGHAI))
    late = Notification.objects.filter(kind="mediation_overdue")
    assert sorted(n.user_id for n in late) == sorted([med.mediator2.pk, med.judicial.pk])
    # Stored in the district's language.
    assert late[0].title == f"纠纷 {dispute.number} 已超过调解期限（2027-02-12）"


def test_the_mediation_tick_tells_of_periods_too(monkeypatch):
    """`onegrid mediation tick` runs the mediation periods' notices beside the late answers."""
    from onegrid.mediation import timers

    seen = []
    monkeypatch.setattr(
        services, "notify_due", lambda *, now: seen.append(now) or {"mediation_overdue": 2}
    )
    monkeypatch.setattr(timers.advice, "notify_overdue", lambda *, now: 1)
    moment = dt.datetime(2027, 2, 2, 9, 0, tzinfo=SHANGHAI)
    assert timers.tick(now=moment) == {"legal_overdue": 1, "mediation_overdue": 2}
    assert seen == [moment]
