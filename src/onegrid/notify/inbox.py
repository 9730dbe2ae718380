"""The in-app inbox's writes: mark one notification read, mark all read. A person marks only
their own (anyone else's is a 404, as in notify.selectors); both are idempotent: marking again
keeps the first read time and changes nothing."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from onegrid.core import clock
from onegrid.core.errors import InvalidInput
from onegrid.org.models import User

from . import selectors
from .models import Notification


def mark_read(*, actor: User, notification_id: object) -> Notification:
    """Mark one of the actor's notifications read (kept as it was when already read)."""
    with transaction.atomic():
        found = selectors.get_notification(actor, notification_id)
        if found.read_at is None:
            now = clock.now()
            # Conditional: of two concurrent marks, the first time stands.
            Notification.objects.filter(pk=found.pk, read_at__isnull=True).update(read_at=now)
            found.refresh_from_db(fields=["read_at"])
    return found


def mark_all_read(*, actor: User, up_to: object = None) -> int:
    """Mark the actor's unread notifications read, up to and including the one with id
    `up_to` (the newest the page or client had seen: ids are UUIDv7, ordered by insertion), so
    one that arrived since is left unread. No `up_to`: all of them. Returns how many changed;
    an `up_to` that is not a UUID is an InvalidInput naming `up_to`."""
    rows = Notification.objects.filter(user=actor, read_at__isnull=True)
    if up_to not in (None, ""):
        rows = rows.filter(pk__lte=_uuid(up_to))
    with transaction.atomic():
        return rows.update(read_at=clock.now())


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise InvalidInput(_("up_to must be the id of a notification."), field="up_to") from None
