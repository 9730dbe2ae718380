"""The one source of "now" for services, so the simulator can drive them through simulated time."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

_state = threading.local()


def now() -> dt.datetime:
    frozen = getattr(_state, "frozen", None)
    return frozen if frozen is not None else timezone.now()


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Make now() return `moment` inside the block (used by the simulator and tests)."""
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    previous = getattr(_state, "frozen", None)
    _state.frozen = moment
    try:
        yield
    finally:
        _state.frozen = previous


def set_now(moment: dt.datetime | None) -> None:
    _state.frozen = moment


# The district's calendar: a "day" (a due date, a month of screenings, a decision's milestone) is
# the day in Beijing, whatever zone the server runs in.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar day of an aware moment."""
    return moment.astimezone(LOCAL_TZ).date()


def local_today() -> dt.date:
    """Today in Asia/Shanghai, by now() (so a frozen clock moves it too)."""
    return local_date(now())


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (earlier when negative), the month's last day
    where it is shorter (31 January + 1 month → 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
