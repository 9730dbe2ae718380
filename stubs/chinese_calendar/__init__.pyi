# Types for chinesecalendar 1.x, which ships none: the parts OneGrid uses (core/workdays.py).
import datetime as dt
from enum import Enum

class Holiday(Enum):
    # Each member's value is its English name; `chinese` and `days` are set beside it.
    chinese: str
    days: int
    new_years_day = "New Year's Day"
    spring_festival = "Spring Festival"
    tomb_sweeping_day = "Tomb-sweeping Day"
    labour_day = "Labour Day"
    dragon_boat_festival = "Dragon Boat Festival"
    national_day = "National Day"
    mid_autumn_festival = "Mid-autumn Festival"
    anti_fascist_70th_day = "Anti-Fascist 70th Day"

# day → English name of the holiday it belongs to (rest days and make-up working days).
holidays: dict[dt.date, str]
workdays: dict[dt.date, str]
in_lieu_days: dict[dt.date, str]

# Raise NotImplementedError for a year the release does not cover.
def is_holiday(date: dt.date) -> bool: ...
def is_workday(date: dt.date) -> bool: ...
def is_in_lieu(date: dt.date) -> bool: ...
def get_holiday_detail(date: dt.date) -> tuple[bool, str | None]: ...
