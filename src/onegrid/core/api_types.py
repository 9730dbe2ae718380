"""Input types for the JSON API's schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator


def _in_utc(value: dt.datetime) -> dt.datetime:
    # A client may send any offset below ±24:00 (pydantic takes it); PostgreSQL refuses
    # offsets beyond ±15:59 ("time zone displacement out of range", a 500). The same instant
    # in UTC is what is stored and compared anyway. Naive times stay naive for the service to
    # judge, and so do instants at the ends of the calendar that have no UTC date (year 1 at
    # +08:00) — unless their offset is one the database refuses.
    offset = value.utcoffset()  # None for naive times (Python's definition of naive)
    if offset is None:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        if abs(offset) < DATABASE_MAX_OFFSET:
            return value
        raise ValueError("out of range") from None


DATABASE_MAX_OFFSET = dt.timedelta(hours=16)


Moment = Annotated[dt.datetime, AfterValidator(_in_utc)]
"""A date and time from a client, ISO 8601; with a time zone, converted to UTC."""
