"""Evaluation periods: bounds in Beijing time, the period before, a year earlier, parsing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onegrid.core import clock
from onegrid.core.errors import InvalidInput
from onegrid.insight import periods
from onegrid.insight.periods import Period, parse_period

D = dt.date


def test_a_month_runs_from_midnight_to_midnight_in_beijing():
    march = periods.month(2026, 3)
    assert (march.first, march.last, march.days) == (D(2026, 3, 1), D(2026, 3, 31), 31)
    assert march.start.isoformat() == "2026-03-01T00:00:00+08:00"
    assert march.end.isoformat() == "2026-04-01T00:00:00+08:00"
    assert march.start.astimezone(dt.UTC).isoformat() == "2026-02-28T16:00:00+00:00"
    assert march.key == "2026-03" and march.query() == {"month": "2026-03"}


def test_the_default_is_the_last_full_month_in_beijing_time():
    # 1 April 00:30 in Beijing is still 31 March in UTC: the last full month is March.
    clock.set_now(dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC))
    try:
        assert parse_period({}) == periods.month(2026, 3)
        assert periods.last_full_month() == periods.month(2026, 3)
    finally:
        clock.set_now(None)
    january = dt.datetime(2026, 1, 5, tzinfo=periods.TZ)
    assert periods.last_full_month(january) == periods.month(2025, 12)


@pytest.mark.parametrize(
    ("period", "previous", "last_year"),
    [
        (periods.month(2026, 1), periods.month(2025, 12), periods.month(2025, 1)),
        (periods.month(2024, 2), periods.month(2024, 1), periods.month(2023, 2)),
        (periods.quarter(2026, 1), periods.quarter(2025, 4), periods.quarter(2025, 1)),
        (periods.quarter(2026, 3), periods.quarter(2026, 2), periods.quarter(2025, 3)),
        (periods.year(2026), periods.year(2025), periods.year(2025)),
        (periods.week(2026, 1), periods.week(2025, 52), periods.week(2025, 1)),
        # 2026 has 53 ISO weeks, 2025 has 52: week 53 a year earlier is week 52.
        (periods.week(2026, 53), periods.week(2026, 52), periods.week(2025, 52)),
        (
            periods.custom(D(2026, 3, 1), D(2026, 3, 10)),
            periods.custom(D(2026, 2, 19), D(2026, 2, 28)),
            periods.custom(D(2025, 3, 1), D(2025, 3, 10)),
        ),
        (
            periods.custom(D(2024, 2, 29), D(2024, 3, 1)),
            periods.custom(D(2024, 2, 27), D(2024, 2, 28)),
            periods.custom(D(2023, 2, 28), D(2023, 3, 1)),
        ),
    ],
)
def test_previous_period_and_same_period_last_year(period, previous, last_year):
    assert period.previous() == previous
    assert period.last_year() == last_year


def test_a_week_is_iso_monday_to_sunday():
    w = periods.week(2026, 10)
    assert (w.first, w.last) == (D(2026, 3, 2), D(2026, 3, 8))
    assert w.key == "2026-W10"
    assert periods.week_of(D(2026, 3, 8)) == w
    # ISO week 1 of 2026 starts on Monday 29 December 2025.
    assert periods.week(2026, 1).first == D(2025, 12, 29)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"month": "2026-03"}, periods.month(2026, 3)),
        ({"month": " 2026-03 "}, periods.month(2026, 3)),
        ({"week": "2026-W10"}, periods.week(2026, 10)),
        ({"week": "2026w10"}, periods.week(2026, 10)),
        ({"quarter": "2026-Q2"}, periods.quarter(2026, 2)),
        ({"year": "2026"}, periods.year(2026)),
        (
            {"start": "2026-03-01", "end": "2026-03-15"},
            periods.custom(D(2026, 3, 1), D(2026, 3, 15)),
        ),
        (
            {"start": "2026-03-01", "end": "2026-03-01"},
            periods.custom(D(2026, 3, 1), D(2026, 3, 1)),
        ),
        ({"month": "", "year": "2025"}, periods.year(2025)),
        ({"month": None, "quarter": "2025-Q4"}, periods.quarter(2025, 4)),
    ],
)
def test_parsing(params, expected):
    assert parse_period(params) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-00"}, "month"),
        ({"month": "2026-3"}, "month"),
        ({"month": "March"}, "month"),
        ({"month": "２０２６-０３"}, "month"),  # full-width digits
        ({"month": "٢٠٢٦-٠٣"}, "month"),  # Arabic-Indic digits
        ({"month": "99999999999999999999-01"}, "month"),
        ({"month": "0001-01"}, "month"),
        ({"month": "2026-03\x00"}, "month"),
        ({"week": "2026-W54"}, "week"),
        ({"week": "2025-W53"}, "week"),  # 2025 has 52 ISO weeks
        ({"week": "2026-W00"}, "week"),
        ({"quarter": "2026-Q5"}, "quarter"),
        ({"year": "+2026"}, "year"),
        ({"year": "9999"}, "year"),
        ({"year": "2026.0"}, "year"),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "start"),
        ({"start": "2026-03-01"}, "end"),
        ({"end": "2026-03-01"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"start": "2000-01-01", "end": "2026-03-01"}, "end"),  # longer than ten years
        ({"month": "2026-03", "year": "2026"}, "year"),
    ],
)
def test_bad_input_is_refused_naming_the_field(params, field):
    with pytest.raises(InvalidInput) as refused:
        parse_period(params)
    assert refused.value.field == field
    assert refused.value.message.startswith(field)


def test_errors_are_translated():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        parse_period({"month": "2026-13"})
    assert "月" in str(refused.value.message)


@given(st.text(max_size=30))
def test_any_text_parses_or_is_refused_cleanly(text):
    for name in ("month", "week", "quarter", "year", "start"):
        try:
            period = parse_period({name: text, "end": text})
        except InvalidInput as error:
            assert error.field in ("month", "week", "quarter", "year", "start", "end")
        else:
            assert isinstance(period, Period)
            assert periods.MIN_YEAR <= period.first.year <= periods.MAX_YEAR


@given(st.dates(min_value=D(1991, 1, 1), max_value=D(2998, 12, 31)))
def test_every_kind_round_trips_through_its_query(day):
    for period in (
        periods.month(day.year, day.month),
        periods.week_of(day),
        periods.quarter(day.year, (day.month - 1) // 3 + 1),
        periods.year(day.year),
        periods.custom(day, day + dt.timedelta(days=9)),
    ):
        assert parse_period(period.query()) == period
        assert period.contains(day) or period.kind == "custom"
        before = period.previous()
        assert before.last + dt.timedelta(days=1) == period.first
        if period.kind == "custom":
            assert before.days == period.days
