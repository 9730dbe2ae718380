"""Quiet hours: a person's span of Asia/Shanghai wall time (it may cross midnight) in which no
SMS or e-mail reaches them; what falls inside waits until the span ends. The inbox is not held."""

from __future__ import annotations

import datetime as dt
import zoneinfo

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def quiet_until(start: dt.time | None, end: dt.time | None, now: dt.datetime) -> dt.datetime | None:
    """When the quiet span around `now` ends, or None when `now` is not inside one."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(SHANGHAI)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        day = local.date()
    else:  # across midnight: 22:00–07:00
        inside = t >= start or t < end
        day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return dt.datetime.combine(day, end, tzinfo=SHANGHAI)
