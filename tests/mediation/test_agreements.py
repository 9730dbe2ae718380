"""mediation.agreements: recording an agreement (art. 29 fields, number, state, dates), the
30-day window of judicial confirmation on the working calendar (民事诉讼法 art. 85) across a
weekend, a 2027 holiday and make-up working days, the application on its last day and the day
after, the court's ruling."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.core import clock, workdays
from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.mediation import agreements
from onegrid.mediation.models import Agreement, Dispute, JudicialConfirmation
from onegrid.org import policies
from support.agreement_rows import AGREEMENT, mediation_rows
from support.holidays import import_2027

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def rows(world):
    return mediation_rows(world)


def _record(rows, actor=None, **changes):
    return agreements.record_agreement(
        actor=actor or rows.mediator, dispute=rows.dispute, **{**AGREEMENT, **changes}
    )


def test_an_agreement_is_numbered_per_committee_and_year_and_the_dispute_is_agreed(rows):
    outcome = _record(rows)
    agreement = outcome.agreement
    assert not outcome.replayed
    assert agreement.number == "（2026）120113001001调字第1号"
    assert agreement.copies == 3  # two parties and the committee
    assert agreement.form == Agreement.Form.WRITTEN
    assert agreement.effective_on == dt.date(2026, 3, 10)
    assert agreement.performance_deadline == dt.date(2026, 3, 20)
    # 10 March + 30 days = 9 April 2026, a Thursday.
    assert agreement.confirmation_deadline == dt.date(2026, 4, 9)
    dispute = Dispute.objects.get(pk=rows.dispute.pk)
    assert dispute.state == Dispute.State.AGREED
    assert dispute.outcome_at == clock.now()
    # A retry with the same content replays; another content is a conflict.
    again = _record(rows)
    assert again.replayed and again.agreement.pk == agreement.pk
    with pytest.raises(Conflict):
        _record(rows, terms="另一份协议")
    assert Agreement.objects.count() == 1


def test_who_records_an_agreement(rows, world):
    for actor in (rows.other_mediator, rows.judicial, world.people.acceptor, world.people.leader):
        with pytest.raises(PermissionDenied):
            _record(rows, actor=actor)
    assert not Agreement.objects.exists()
    assert policies.may_record_judicial_confirmation(rows.judicial, rows.dispute)
    assert not policies.may_record_judicial_confirmation(rows.other_mediator, rows.dispute)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"effective_on": "2026-03-11"}, "effective_on"),  # tomorrow
        ({"effective_on": "2026-03-01"}, "effective_on"),  # before acceptance (2 March)
        ({"effective_on": "２０２６-03-10"}, "effective_on"),  # full-width digits
        ({"effective_on": "2026-02-30"}, "effective_on"),
        ({"effective_on": 20260310}, "effective_on"),
        ({"performance_deadline": "2026-03-09"}, "performance_deadline"),
        ({"terms": ""}, "terms"),
        ({"facts": "x\x00y"}, "facts"),
        ({"matters": "长" * 4001}, "matters"),
        ({"copies": 2}, "copies"),  # fewer than the parties and the committee
        ({"copies": "９"}, "copies"),
        ({"copies": 10**30}, "copies"),
        ({"copies": True}, "copies"),
        ({"form": "sung"}, "form"),
    ],
)
def test_odd_input_is_a_422_at_its_field(rows, changes, field):
    with pytest.raises(InvalidInput) as caught:
        _record(rows, **changes)
    assert caught.value.field == field
    assert Dispute.objects.get(pk=rows.dispute.pk).state == Dispute.State.MEDIATING


def test_an_oral_agreement_and_more_copies(rows):
    agreement = _record(rows, form="oral", copies="5", performance_deadline="").agreement
    assert agreement.form == Agreement.Form.ORAL
    assert agreement.copies == 5
    assert agreement.performance_deadline is None


def test_no_agreement_outside_mediation(rows):
    Dispute.objects.filter(pk=rows.dispute.pk).update(state=Dispute.State.FAILED)
    with pytest.raises(Conflict):
        _record(rows)


def test_numbers_run_per_committee_and_year(rows, world):
    _record(rows)
    second = Dispute.objects.get(pk=rows.dispute.pk)
    second.pk = None
    second.number = "TJ202600002"
    second.state = Dispute.State.MEDIATING
    second.save()
    for party in rows.dispute.parties.all():
        party.pk = None
        party.dispute = second
        party.save()
    agreement = agreements.record_agreement(actor=rows.mediator, dispute=second, **AGREEMENT)
    assert agreement.agreement.number == "（2026）120113001001调字第2号"


# --- the window -----------------------------------------------------------------------------


def test_the_window_over_a_weekend():
    # 12 March 2026 + 30 days = Saturday 11 April: the last day is Monday 13 April.
    assert agreements.confirmation_deadline(dt.date(2026, 3, 12)) == dt.date(2026, 4, 13)
    # The day of effect is not counted: 9 March + 30 = Wednesday 8 April.
    assert agreements.confirmation_deadline(dt.date(2026, 3, 9)) == dt.date(2026, 4, 8)


def test_the_window_over_the_2027_spring_festival_and_make_up_days(db):
    # Without the 2027 schedule, Sunday 7 February moves to Monday 8 February.
    assert agreements.confirmation_deadline(dt.date(2027, 1, 8)) == dt.date(2027, 2, 8)
    import_2027()
    workdays.forget()
    # With it, 7–11 February are rest days (休): the last day is Friday 12 February.
    assert agreements.confirmation_deadline(dt.date(2027, 1, 8)) == dt.date(2027, 2, 12)
    # Sunday 31 January and Sunday 14 February are make-up working days (班): they stay.
    assert agreements.confirmation_deadline(dt.date(2027, 1, 1)) == dt.date(2027, 1, 31)
    assert agreements.confirmation_deadline(dt.date(2027, 1, 15)) == dt.date(2027, 2, 14)
    # New Year's Day 2027 (a Friday, 休): 2 December 2026 + 30 → Monday 4 January.
    assert agreements.confirmation_deadline(dt.date(2026, 12, 2)) == dt.date(2027, 1, 4)


def _agree_in_2027(rows, effective_on: str) -> Agreement:
    Dispute.objects.filter(pk=rows.dispute.pk).update(
        accepted_at=dt.datetime(2027, 1, 4, 9, tzinfo=TZ)
    )
    with clock.frozen_at(dt.datetime(2027, 1, 8, 16, tzinfo=TZ)):
        return _record(rows, effective_on=effective_on, performance_deadline="2027-01-30").agreement


def test_applying_on_the_last_day_is_accepted_and_the_day_after_refused(rows):
    import_2027()
    workdays.forget()
    agreement = _agree_in_2027(rows, "2027-01-08")
    assert agreement.number == "（2027）120113001001调字第1号"
    assert agreement.confirmation_deadline == dt.date(2027, 2, 12)
    with clock.frozen_at(dt.datetime(2027, 2, 13, 10, tzinfo=TZ)):
        with pytest.raises(InvalidInput) as caught:
            agreements.apply_for_confirmation(
                actor=rows.mediator,
                dispute=rows.dispute,
                court="天津市北辰区人民法院",
                applied_on="2027-02-13",
            )
        assert caught.value.field == "applied_on"
        assert caught.value.code == "window_closed"
        assert "2027-02-12" in str(caught.value.message)
        assert not JudicialConfirmation.objects.exists()
        outcome = agreements.apply_for_confirmation(
            actor=rows.judicial,
            dispute=rows.dispute,
            court="天津市北辰区人民法院",
            applied_on="2027-02-12",
        )
    confirmation = outcome.confirmation
    assert confirmation.state == JudicialConfirmation.State.APPLIED
    assert confirmation.applied_on == dt.date(2027, 2, 12)
    with clock.frozen_at(dt.datetime(2027, 2, 20, 10, tzinfo=TZ)):
        replay = agreements.apply_for_confirmation(
            actor=rows.mediator,
            dispute=rows.dispute,
            court="天津市北辰区人民法院",
            applied_on="2027-02-12",
        )
        assert replay.replayed
        with pytest.raises(InvalidInput) as caught:
            agreements.record_ruling(
                actor=rows.judicial,
                dispute=rows.dispute,
                confirmed=True,
                ruled_on="2027-02-11",
                ruling_number="（2027）津0113民特1号",
            )
        assert caught.value.field == "ruled_on"
        ruled = agreements.record_ruling(
            actor=rows.judicial,
            dispute=rows.dispute,
            confirmed=True,
            ruled_on="2027-02-19",
            ruling_number="（2027）津0113民特1号",
        ).confirmation
        assert ruled.state == JudicialConfirmation.State.CONFIRMED
        with pytest.raises(Conflict):
            agreements.record_ruling(
                actor=rows.judicial,
                dispute=rows.dispute,
                confirmed=False,
                ruled_on="2027-02-19",
                ruling_number="",
            )


def test_an_application_before_the_agreement_or_in_the_future_is_refused(rows, world):
    _record(rows)
    for day in ("2026-03-09", "2026-03-11"):
        with pytest.raises(InvalidInput) as caught:
            agreements.apply_for_confirmation(
                actor=rows.mediator, dispute=rows.dispute, court="北辰区法院", applied_on=day
            )
        assert caught.value.field == "applied_on"
    with pytest.raises(PermissionDenied):
        agreements.apply_for_confirmation(
            actor=world.people.acceptor,
            dispute=rows.dispute,
            court="北辰区法院",
            applied_on="2026-03-10",
        )
    with pytest.raises(InvalidInput) as caught:
        agreements.apply_for_confirmation(
            actor=rows.mediator, dispute=rows.dispute, court="  ", applied_on="2026-03-10"
        )
    assert caught.value.field == "court"


def test_no_confirmation_without_an_agreement(rows):
    with pytest.raises(Conflict):
        agreements.apply_for_confirmation(
            actor=rows.mediator, dispute=rows.dispute, court="北辰区法院", applied_on="2026-03-10"
        )
