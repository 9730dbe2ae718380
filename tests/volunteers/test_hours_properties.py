"""The hours a check-in and check-out give (volunteers.activities.claimed_hours), for any
times: whole half hours, never more than the time inside the activity's window, and never
fewer for a later check-out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from onegrid.volunteers.activities import claimed_hours

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
minutes = st.integers(min_value=-600, max_value=1800)


@given(length=st.integers(min_value=1, max_value=600), a=minutes, b=minutes, c=minutes)
def test_hours_are_half_hours_inside_the_window_and_grow_with_the_check_out(length, a, b, c):
    end = START + dt.timedelta(minutes=length)
    checked_in = START + dt.timedelta(minutes=a)
    out, later = sorted((START + dt.timedelta(minutes=b), START + dt.timedelta(minutes=c)))
    hours = claimed_hours(checked_in, out, START, end)
    assert hours >= 0 and (hours * 2) == (hours * 2).to_integral_value()
    inside = max(min(out, end) - max(checked_in, START), dt.timedelta(0))
    assert hours * 3600 <= Decimal(inside.total_seconds())
    assert Decimal(inside.total_seconds()) < (hours + Decimal("0.5")) * 3600
    assert claimed_hours(checked_in, later, START, end) >= hours
