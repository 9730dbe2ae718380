"""Working time on the Chinese working calendar, checked against chinese_calendar's own data."""

from __future__ import annotations

import datetime as dt
import logging
import time

import chinese_calendar
import pytest
from django.conf import settings
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from onegrid.cases import calendar
from onegrid.cases.calendar import (
    TZ,
    add_working_time,
    elapsed_share,
    is_working_day,
    timer_colour,
    working_hours_between,
)
from onegrid.core.errors import InvalidInput

D = dt.date


def at(y, m, d, hh=0, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


@pytest.fixture(autouse=True, scope="module")
def _standard_window():
    # The expectations below assume 09:00-17:00, whatever the environment configures.
    conf = {**settings.ONEGRID, "WORKDAY_START": "09:00", "WORKDAY_END": "17:00"}
    with override_settings(ONEGRID=conf):
        yield


@pytest.fixture
def fresh_caches():
    calendar.clear_caches()
    yield
    calendar.clear_caches()


# --- the calendar itself ----------------------------------------------------------------------


def test_2025_spring_festival_and_national_day_per_package():
    for day in days(D(2025, 1, 28), D(2025, 2, 4)):
        assert chinese_calendar.get_holiday_detail(day)[0]
        assert not is_working_day(day)
    for day in days(D(2025, 10, 1), D(2025, 10, 8)):
        assert chinese_calendar.get_holiday_detail(day)[0]
        assert not is_working_day(day)
    # Make-up working days (调休) fall on weekends.
    for day, festival in [
        (D(2025, 1, 26), "Spring Festival"),
        (D(2025, 2, 8), "Spring Festival"),
        (D(2025, 9, 28), "National Day"),
        (D(2025, 10, 11), "National Day"),
    ]:
        assert day.weekday() >= 5
        assert chinese_calendar.get_holiday_detail(day) == (False, festival)
        assert is_working_day(day)
    # Neighbours of the holidays are ordinary working days.
    assert is_working_day(D(2025, 1, 27)) and is_working_day(D(2025, 2, 5))
    assert is_working_day(D(2025, 9, 30)) and is_working_day(D(2025, 10, 9))


def test_2026_spring_festival_and_national_day_per_package():
    # As published for 2026 and carried by chinesecalendar 1.11.
    spring = days(D(2026, 2, 15), D(2026, 2, 23))
    national = days(D(2026, 10, 1), D(2026, 10, 7))
    for day in spring + national:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        assert is_holiday and name in {"Spring Festival", "National Day"}
        assert not is_working_day(day)
    for day, festival in [
        (D(2026, 2, 14), "Spring Festival"),
        (D(2026, 2, 28), "Spring Festival"),
        (D(2026, 9, 20), "National Day"),
        (D(2026, 10, 10), "National Day"),
        (D(2026, 1, 4), "New Year's Day"),
    ]:
        assert day.weekday() >= 5
        assert chinese_calendar.get_holiday_detail(day) == (False, festival)
        assert is_working_day(day)
    assert is_working_day(D(2026, 2, 13)) and is_working_day(D(2026, 2, 24))
    assert is_working_day(D(2026, 9, 30)) and is_working_day(D(2026, 10, 8))


def test_every_day_of_2025_and_2026_agrees_with_the_package():
    for day in days(D(2025, 1, 1), D(2026, 12, 31)):
        assert is_working_day(day) == chinese_calendar.is_workday(day), day


def test_datetime_is_judged_by_its_shanghai_date():
    # 2025-01-27 20:00 UTC is already the 28th (a Spring Festival holiday) in Shanghai.
    assert not is_working_day(dt.datetime(2025, 1, 27, 20, tzinfo=dt.UTC))
    assert is_working_day(dt.datetime(2025, 1, 27, 10, tzinfo=dt.UTC))


# --- working hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2025, 3, 3, 10), 3, at(2025, 3, 3, 13)),  # inside one window
        (at(2025, 3, 3, 16), 2, at(2025, 3, 4, 10)),  # across a night
        (at(2025, 3, 7, 16), 2, at(2025, 3, 10, 10)),  # across a weekend (Fri → Mon)
        (at(2025, 9, 30, 16), 2, at(2025, 10, 9, 10)),  # across National Day 2025
        (at(2025, 10, 10, 16), 2, at(2025, 10, 11, 10)),  # into a make-up Saturday
        (at(2025, 1, 24, 16), 2, at(2025, 1, 26, 10)),  # into a make-up Sunday
        (at(2025, 1, 27, 15), 4, at(2025, 2, 5, 11)),  # across Spring Festival 2025
        (at(2026, 2, 13, 16), 10, at(2026, 2, 24, 10)),  # 2026: Fri, make-up Sat, Tue
        (at(2026, 9, 30, 16), 9, at(2026, 10, 8, 17)),  # 2026 National Day
        (at(2025, 3, 3, 7, 30), 1, at(2025, 3, 3, 10)),  # before the window
        (at(2025, 3, 3, 18), 1, at(2025, 3, 4, 10)),  # after the window
        (at(2025, 3, 3, 17), 1, at(2025, 3, 4, 10)),  # the window's end is outside it
        (at(2025, 3, 8, 11), 1, at(2025, 3, 10, 10)),  # on a Saturday
        (at(2025, 10, 3, 11), 1, at(2025, 10, 9, 10)),  # on a holiday
        (at(2025, 3, 3, 9), 8, at(2025, 3, 3, 17)),  # uses up a window exactly
        (at(2025, 3, 3, 10), 15, at(2025, 3, 4, 17)),  # ends at a later window's end
        (at(2025, 3, 3, 10, 20, 30), 1, at(2025, 3, 3, 11, 20, 30)),  # seconds are kept
        (at(2025, 3, 3, 10), 0, at(2025, 3, 3, 10)),
        (at(2025, 3, 3, 20), 0, at(2025, 3, 4, 9)),
    ],
)
def test_add_working_hours(start, hours, expected):
    result = add_working_time(start, hours, "hours")
    assert result == expected
    assert result.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (at(2025, 3, 3, 10), 1, at(2025, 3, 4, 10)),  # same clock position next day
        (at(2025, 3, 7, 10), 1, at(2025, 3, 10, 10)),  # Friday → Monday
        (at(2025, 1, 27, 10), 1, at(2025, 2, 5, 10)),  # across Spring Festival 2025
        (at(2025, 1, 27, 10), 4, at(2025, 2, 8, 10)),  # ... onto make-up Sat 8 Feb
        (at(2025, 1, 24, 10), 1, at(2025, 1, 26, 10)),  # onto make-up Sun 26 Jan
        (at(2026, 2, 13, 10), 1, at(2026, 2, 14, 10)),  # onto make-up Sat 14 Feb 2026
        (at(2026, 2, 13, 10), 2, at(2026, 2, 24, 10)),  # across Spring Festival 2026
        (at(2025, 10, 3, 14), 1, at(2025, 10, 10, 9)),  # holiday start: from 9 Oct 09:00
        (at(2025, 3, 3, 18), 1, at(2025, 3, 5, 9)),  # evening start: from next 09:00
        (at(2025, 3, 3, 8), 1, at(2025, 3, 4, 9)),  # early start: from 09:00
        (at(2025, 3, 3, 10), 15, at(2025, 3, 24, 10)),
        (at(2025, 9, 22, 10), 15, at(2025, 10, 17, 10)),  # 15 days across National Day
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_time(start, n, "days") == expected


def test_input_in_utc_gives_the_same_instant():
    start = at(2025, 3, 7, 16)
    assert add_working_time(start.astimezone(dt.UTC), 2, "hours") == add_working_time(
        start, 2, "hours"
    )


def test_bad_arguments():
    with pytest.raises(InvalidInput) as err:
        add_working_time(at(2025, 3, 3, 10), 1, "weeks")
    assert err.value.field == "unit"
    with pytest.raises(InvalidInput):
        add_working_time(at(2025, 3, 3, 10), -1, "hours")
    with pytest.raises(ValueError):
        add_working_time(dt.datetime(2025, 3, 3, 10), 1, "hours")


def test_custom_window():
    conf = {**settings.ONEGRID, "WORKDAY_START": "08:30", "WORKDAY_END": "17:30"}
    with override_settings(ONEGRID=conf):
        assert add_working_time(at(2025, 3, 3, 8, 30), 9, "hours") == at(2025, 3, 3, 17, 30)
        assert add_working_time(at(2025, 3, 3, 17), 1, "hours") == at(2025, 3, 4, 9)
        assert working_hours_between(at(2025, 3, 3, 0), at(2025, 3, 4, 0)) == 9


def test_fifteen_working_days_is_fast():
    start = at(2025, 9, 22, 10)
    began = time.perf_counter()
    for _ in range(2000):
        add_working_time(start, 15, "days")
        add_working_time(start, 120, "hours")
    assert time.perf_counter() - began < 2.0


def test_working_hours_between():
    assert working_hours_between(at(2025, 3, 3, 10, 30), at(2025, 3, 3, 11, 15)) == 0.75
    assert working_hours_between(at(2025, 3, 3, 16), at(2025, 3, 4, 10)) == 2
    assert working_hours_between(at(2025, 3, 4, 10), at(2025, 3, 3, 16)) == -2
    assert working_hours_between(at(2025, 3, 7, 12), at(2025, 3, 10, 12)) == 8  # weekend
    assert working_hours_between(at(2025, 3, 8, 0), at(2025, 3, 9, 23)) == 0
    # Spring Festival 2025: only Fri 24, Sun 26 (make-up) and Mon 27 January count.
    assert working_hours_between(at(2025, 1, 24, 9), at(2025, 2, 5, 9)) == 24
    # A whole year of 2025: 248 working days (13 statutory holidays from 2025 on).
    working_2025 = sum(chinese_calendar.is_workday(d) for d in days(D(2025, 1, 1), D(2025, 12, 31)))
    assert working_2025 == 248
    assert working_hours_between(at(2025, 1, 1), at(2026, 1, 1)) == 8 * working_2025


# --- timers -----------------------------------------------------------------------------------


def test_timer_colours_within_a_day():
    start, due = at(2025, 3, 3, 9), at(2025, 3, 3, 17)
    assert timer_colour(start, due, at(2025, 3, 3, 8)) == "green"
    assert elapsed_share(start, due, at(2025, 3, 3, 8)) == 0
    assert timer_colour(start, due, at(2025, 3, 3, 12)) == "green"
    assert elapsed_share(start, due, at(2025, 3, 3, 13)) == 0.5
    assert timer_colour(start, due, at(2025, 3, 3, 13)) == "yellow"
    assert timer_colour(start, due, at(2025, 3, 3, 16, 59)) == "yellow"
    assert timer_colour(start, due, at(2025, 3, 3, 17)) == "red"
    assert elapsed_share(start, due, at(2025, 3, 4, 13)) == 1.5
    assert timer_colour(start, due, at(2025, 3, 4, 13)) == "red"


def test_timer_stands_still_over_a_holiday():
    start = at(2025, 9, 30, 13)
    due = add_working_time(start, 8, "hours")
    assert due == at(2025, 10, 9, 13)
    # Four of eight hours used on 30 September; the holiday adds nothing.
    assert elapsed_share(start, due, at(2025, 10, 5, 12)) == 0.5
    assert timer_colour(start, due, at(2025, 10, 5, 12)) == "yellow"
    assert timer_colour(start, due, at(2025, 9, 30, 16)) == "green"


def test_deadline_at_a_window_start_is_not_red_the_evening_before():
    start = at(2025, 3, 3, 9)
    due = add_working_time(start, 1, "days")
    assert due == at(2025, 3, 4, 9)
    assert timer_colour(start, due, at(2025, 3, 3, 20)) == "yellow"
    assert elapsed_share(start, due, at(2025, 3, 3, 20)) < 1
    assert timer_colour(start, due, at(2025, 3, 4, 9)) == "red"


def test_timer_with_no_working_time_allowed():
    start = due = at(2025, 3, 3, 10)
    assert timer_colour(start, due, at(2025, 3, 3, 9)) == "green"
    assert timer_colour(start, due, at(2025, 3, 3, 10)) == "red"


# --- years the package does not cover --------------------------------------------------------


def test_uncovered_year_falls_back_to_monday_to_friday(fresh_caches, caplog):
    # chinese_calendar starts in 2004, so 2003 stays uncovered whatever release is installed.
    with caplog.at_level(logging.WARNING, logger="onegrid.cases.calendar"):
        assert is_working_day(D(2003, 1, 1))  # a Wednesday (New Year is not known)
        assert not is_working_day(D(2003, 1, 4))  # a Saturday
        assert add_working_time(at(2003, 1, 3, 16), 2, "hours") == at(2003, 1, 6, 10)
    warnings = [r for r in caplog.records if "2003" in r.getMessage()]
    assert len(warnings) == 1


def test_year_after_the_package_data_falls_back(fresh_caches, caplog, monkeypatch):
    # Pretend the package stops at 2025, as an old release would when 2026 arrives.
    real = chinese_calendar.is_workday

    def only_to_2025(day):
        if day.year > 2025:
            raise NotImplementedError(f"no available data for year {day.year}")
        return real(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", only_to_2025)
    with caplog.at_level(logging.WARNING, logger="onegrid.cases.calendar"):
        assert is_working_day(D(2026, 2, 16))  # a holiday in truth, a Monday here
        assert not is_working_day(D(2026, 2, 14))  # a make-up Saturday in truth
        assert add_working_time(at(2025, 12, 31, 16), 2, "hours") == at(2026, 1, 1, 10)
        assert not is_working_day(D(2025, 10, 1))  # covered years still use the package
    assert len([r for r in caplog.records if "2026" in r.getMessage()]) == 1


# --- properties -------------------------------------------------------------------------------

working_days_2025_2026 = st.dates(D(2025, 1, 1), D(2026, 11, 30)).filter(is_working_day)


@st.composite
def starts_in_windows(draw) -> dt.datetime:
    day = draw(working_days_2025_2026)
    seconds = draw(st.integers(0, 8 * 3600 - 1))
    micros = draw(st.integers(0, 999_999))
    return at(day.year, day.month, day.day, 9) + dt.timedelta(seconds=seconds, microseconds=micros)


@hyp_settings(max_examples=300, deadline=None)
@given(start=starts_in_windows(), n=st.integers(0, 400))
def test_hours_added_are_hours_between(start, n):
    result = add_working_time(start, n, "hours")
    assert working_hours_between(start, result) == n
    assert result >= start


@hyp_settings(max_examples=200, deadline=None)
@given(start=starts_in_windows(), n=st.integers(0, 60))
def test_days_added_keep_the_clock_position(start, n):
    result = add_working_time(start, n, "days")
    assert result.time() == start.time()
    assert is_working_day(result.date())
    assert working_hours_between(start, result) == 8 * n


@hyp_settings(max_examples=200, deadline=None)
@given(a=starts_in_windows(), b=starts_in_windows(), c=starts_in_windows())
def test_hours_between_adds_up(a, b, c):
    total = working_hours_between(a, b) + working_hours_between(b, c)
    assert total == pytest.approx(working_hours_between(a, c), abs=1e-9)
