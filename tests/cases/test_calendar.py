"""Working time on the Chinese working calendar, checked against chinese_calendar's own data,
and against a made-up 2027 holiday schedule for the year the package does not know."""

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
from onegrid.core import clock, holiday_schedule, workdays
from onegrid.core.errors import InvalidInput
from onegrid.core.models import CalendarState, HolidayDay, HolidayYear
from support.cases import drive
from support.holidays import MAKE_UP_DAYS_2027, REST_WEEKDAYS_2027, import_2027

D = dt.date
# The calendar reads the holiday schedule (a database table) before the package.
pytestmark = pytest.mark.django_db
WORKDAYS_LOGGER = "onegrid.core.workdays"


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
    with caplog.at_level(logging.WARNING, logger=WORKDAYS_LOGGER):
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
    with caplog.at_level(logging.WARNING, logger=WORKDAYS_LOGGER):
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


# --- the holiday schedule: a made-up 2027 across the Spring Festival ---------------------------
# 2027 is past the package (1.11 stops at 2026). Schedule: 休 Fri 5 – Thu 11 February, 班 Sun 31
# January and Sun 14 February (tests/support/holidays.py).


def test_2027_is_counted_monday_to_friday_with_a_warning_until_imported(caplog):
    assert workdays.source_of(2027) == workdays.WEEKDAYS
    with caplog.at_level(logging.WARNING, logger=WORKDAYS_LOGGER):
        assert is_working_day(D(2027, 2, 8))  # a Monday of the (future) holiday
        assert not is_working_day(D(2027, 1, 31))  # a Sunday that will be a make-up day
        add_working_time(at(2027, 2, 4, 16), 4, "hours")
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1  # once per year, not once per day
    assert "onegrid calendar import" in warnings[0].getMessage()


@pytest.mark.parametrize(
    ("start", "amount", "unit", "monday_to_friday", "with_schedule"),
    [
        # Thu 4 Feb 16:00 + 4 h: one hour that day, then Fri 5 (a weekday) / Fri 12 (after 休).
        (at(2027, 2, 4, 16), 4, "hours", at(2027, 2, 5, 12), at(2027, 2, 12, 12)),
        # + 12 h: Thu 1 h, then 8 h of Fri 12 and 3 h of the make-up Sunday 14 February.
        (at(2027, 2, 4, 16), 12, "hours", at(2027, 2, 8, 12), at(2027, 2, 14, 12)),
        # Sat 30 Jan 16:00 + 1 h: Monday 1 February, or the make-up Sunday 31 January.
        (at(2027, 1, 30, 16), 1, "hours", at(2027, 2, 1, 10), at(2027, 1, 31, 10)),
        # Thu 4 Feb 10:00 + 1 and 2 working days.
        (at(2027, 2, 4, 10), 1, "days", at(2027, 2, 5, 10), at(2027, 2, 12, 10)),
        (at(2027, 2, 4, 10), 2, "days", at(2027, 2, 8, 10), at(2027, 2, 14, 10)),
        # A start inside the holiday waits for its end (Fri 12, 09:00); then the make-up Sunday.
        (at(2027, 2, 9, 11), 1, "days", at(2027, 2, 10, 11), at(2027, 2, 14, 9)),
        # From the last working day of 2026 (package) into 2027 (New Year 休 on Fri 1 January).
        (at(2026, 12, 31, 16), 2, "hours", at(2027, 1, 1, 10), at(2027, 1, 4, 10)),
    ],
)
def test_2027_deadlines_before_and_after_the_schedule_is_imported(
    start, amount, unit, monday_to_friday, with_schedule
):
    assert add_working_time(start, amount, unit) == monday_to_friday
    import_2027()
    assert workdays.source_of(2027) == workdays.SCHEDULE
    assert add_working_time(start, amount, unit) == with_schedule


def test_2027_working_hours_and_timer_over_the_spring_festival():
    first, stop = at(2027, 2, 1, 9), at(2027, 2, 15, 9)
    assert working_hours_between(first, stop) == 8 * 10  # two Monday-to-Friday weeks
    import_2027()
    # Mon 1 – Thu 4, Fri 12 and the make-up Sunday 14: six working days.
    assert working_hours_between(first, stop) == 8 * 6
    due = add_working_time(at(2027, 2, 4, 13), 8, "hours")
    assert due == at(2027, 2, 12, 13)
    # Half of the allowance was used on the 4th; the holiday week adds nothing.
    assert timer_colour(at(2027, 2, 4, 13), due, at(2027, 2, 10, 12)) == "yellow"
    assert elapsed_share(at(2027, 2, 4, 13), due, at(2027, 2, 10, 12)) == 0.5


def test_every_day_of_2027_follows_the_schedule_else_monday_to_friday():
    import_2027()
    rest = set(REST_WEEKDAYS_2027)
    work = set(MAKE_UP_DAYS_2027)
    for day in days(D(2027, 1, 1), D(2027, 12, 31)):
        expected = day in work or (day.weekday() < 5 and day not in rest)
        assert is_working_day(day) == expected, day


def test_the_schedule_is_preferred_over_the_package_for_a_year_it_has():
    # The package's 2026: Spring Festival 休 15–23 February, 班 Sat 14 and Sat 28 February.
    assert not is_working_day(D(2026, 2, 16)) and is_working_day(D(2026, 2, 14))
    assert workdays.source_of(2026) == workdays.PACKAGE
    report = holiday_schedule.import_schedule(
        data=b"date,kind\n2026-02-20,rest\n", filename="2026.csv", imported_by="t"
    )
    assert not report.problems
    assert workdays.source_of(2026) == workdays.SCHEDULE
    assert is_working_day(D(2026, 2, 16))  # only the schedule's days count now
    assert not is_working_day(D(2026, 2, 14))  # a plain Saturday again
    assert not is_working_day(D(2026, 2, 20))
    assert is_working_day(D(2026, 10, 1))  # no National Day in this (odd) schedule
    # The package still counts the years the schedule does not have.
    assert not is_working_day(D(2025, 10, 1))
    holiday_schedule.remove_year(year=2026)
    assert not is_working_day(D(2026, 2, 16))


def test_deadlines_do_not_query_the_database_per_day(django_assert_num_queries):
    import_2027()
    workdays.forget()
    # The first look-up loads the whole schedule: the version, its years, its days.
    with django_assert_num_queries(3):
        add_working_time(at(2026, 12, 1, 10), 300, "days")
    with django_assert_num_queries(0):
        for _ in range(50):
            add_working_time(at(2027, 2, 4, 16), 120, "hours")
            working_hours_between(at(2026, 6, 1, 9), at(2027, 6, 1, 9))
            assert is_working_day(D(2027, 2, 14))


def test_another_process_import_is_seen_at_the_next_version_check():
    """An import elsewhere bumps the version row; this process re-reads only that row (at most
    every CALENDAR_RECHECK_SECONDS) and reloads the schedule when it changed."""
    assert add_working_time(at(2027, 2, 4, 10), 1, "days") == at(2027, 2, 5, 10)
    # Another process imports: rows and version change, this process's cache is not told.
    year = HolidayYear.objects.create(year=2027, imported_by="other", imported_at=clock.now())
    HolidayDay.objects.create(day=D(2027, 2, 5), year=year, kind=HolidayDay.Kind.REST)
    state, _created = CalendarState.objects.get_or_create(pk=1)
    state.version += 1
    state.save()
    slow = {**settings.ONEGRID, "CALENDAR_RECHECK_SECONDS": 3600}
    with override_settings(ONEGRID=slow):
        # Still within the recheck interval: the old calendar.
        assert add_working_time(at(2027, 2, 4, 10), 1, "days") == at(2027, 2, 5, 10)
    workdays._cache.next_check = 0.0  # the interval has passed
    assert add_working_time(at(2027, 2, 4, 10), 1, "days") == at(2027, 2, 8, 10)


# --- which years to warn about ----------------------------------------------------------------


def shanghai(y, m, d, hh=12) -> dt.datetime:
    return at(y, m, d, hh)


def test_next_year_is_warned_about_from_the_first_of_december():
    assert workdays.years_without_calendar(shanghai(2026, 11, 30, 23)) == []
    assert workdays.years_without_calendar(shanghai(2026, 12, 1, 0)) == [2027]
    # 1 December in Shanghai is still 30 November in UTC.
    assert workdays.years_without_calendar(dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)) == [
        2027
    ]
    # A year the package covers needs no schedule.
    assert workdays.years_without_calendar(shanghai(2025, 12, 1)) == []
    import_2027()
    assert workdays.years_without_calendar(shanghai(2026, 12, 1)) == []
    # Into a year neither has: warned all year, and in December about the next one too.
    assert workdays.years_without_calendar(shanghai(2028, 3, 1)) == [2028]
    assert workdays.years_without_calendar(shanghai(2028, 12, 1)) == [2028, 2029]


def test_a_case_dispatched_before_the_2027_spring_festival_waits_for_it(world):
    """Through the real services: exposed rubbish (4 working hours) dispatched on Thursday
    4 February 2027 at 16:00 is due Friday 5 February without a schedule, and Friday 12 February
    with it; the building class (15 working days) runs on past the make-up Sunday."""
    clock.set_now(at(2027, 2, 4, 16))
    before = drive(world, "dispatched").tasks.get()
    long_before = drive(world, "dispatched", case_class=world.building).tasks.get()
    assert before.due_at == at(2027, 2, 5, 12)
    assert long_before.due_at == at(2027, 2, 25, 16)  # 15 weekdays
    import_2027()
    after = drive(world, "dispatched").tasks.get()
    long_after = drive(world, "dispatched", case_class=world.building).tasks.get()
    assert after.due_at == at(2027, 2, 12, 12)
    # Fri 12, Sun 14 (班), Mon 15 – Fri 26 (10), Mon 1 – Wed 3 March (3): 15 working days.
    assert long_after.due_at == at(2027, 3, 3, 16)
