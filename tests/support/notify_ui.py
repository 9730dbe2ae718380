"""Notifications made directly, for the inbox's tests (tests/notify/test_ui_*.py): what the
fan-out (notify.services) would write, without running it."""

from __future__ import annotations

import datetime as dt
import itertools

from onegrid.core import clock
from onegrid.notify.models import Notification

_keys = itertools.count(1)


def notify(
    user, *, case=None, kind="to_my_desk", title="案件到达", body="", url="", minutes=0, read=False
) -> Notification:
    """A notification for `user`, `minutes` after the test clock's now (read at once if `read`)."""
    at = clock.now() + dt.timedelta(minutes=minutes)
    return Notification.objects.create(
        user=user,
        kind=kind,
        case=case,
        title=title,
        body=body,
        url=url,
        created_at=at,
        read_at=at if read else None,
        key=f"test:{next(_keys)}:{user.pk}",
    )
