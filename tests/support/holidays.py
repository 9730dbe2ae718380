"""A made-up 2027 holiday schedule (the real one is published late in 2026) for calendar tests.

The Spring Festival of 2027 falls on Saturday 6 February. Invented here: New Year's Day on
Friday 1 January; 休 Friday 5 – Thursday 11 February (two of them a weekend anyway); make-up
working days (班) on Sunday 31 January and Sunday 14 February.
"""

from __future__ import annotations

import datetime as dt

from onegrid.core import holiday_schedule

SCHEDULE_2027_CSV = """日期,类型,名称
2027-01-01,休,元旦
2027-01-31,班,春节
2027-02-05,休,春节
2027-02-06,休,春节
2027-02-07,休,春节
2027-02-08,休,春节
2027-02-09,休,春节
2027-02-10,休,春节
2027-02-11,休,春节
2027-02-14,班,春节
"""
REST_WEEKDAYS_2027 = [dt.date(2027, 1, 1)] + [dt.date(2027, 2, d) for d in (5, 8, 9, 10, 11)]
MAKE_UP_DAYS_2027 = [dt.date(2027, 1, 31), dt.date(2027, 2, 14)]


def import_2027(**options) -> holiday_schedule.ScheduleReport:
    report = holiday_schedule.import_schedule(
        data=SCHEDULE_2027_CSV.encode("utf-8"),
        filename="2027.csv",
        imported_by=options.pop("imported_by", "tester"),
        **options,
    )
    assert not report.problems, report.problems
    return report
