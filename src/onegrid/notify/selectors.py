"""Reads of the in-app inbox and of preferences, always of the reader's own: nobody reads
another person's notifications, not even by id (a notification of someone else is a 404, the
same as one that does not exist)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from onegrid.cases.models import CaseReporter
from onegrid.cases.selectors import visible_cases
from onegrid.core.errors import NotFound
from onegrid.org import policies
from onegrid.org.models import User

from . import kinds as kind_table
from . import preferences as prefs
from .models import Notification, Preference

# The list pages' and the API's page size; the API lets a client ask for up to MAX_PAGE_SIZE.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The reader's own notifications, newest first."""
    rows = Notification.objects.filter(user=user).select_related("case")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """What the bell shows (the (user, read_at, created_at) index answers it)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def get_notification(user: User, notification_id: object) -> Notification:
    """One of the reader's notifications by id; anyone else's, a malformed id or none: 404."""
    try:
        pk = uuid.UUID(str(notification_id))
    except (TypeError, ValueError, AttributeError):
        raise NotFound(_("No such notification."), field="notification_id") from None
    found = notifications_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such notification."), field="notification_id")
    return found


def newest_id(user: User) -> uuid.UUID | None:
    """The id of the reader's newest notification (UUIDv7: ids grow with insertion), which
    "mark all read" takes as its limit so that nothing arriving after the page was made is
    marked read unseen."""
    return (
        Notification.objects.filter(user=user).order_by("-id").values_list("id", flat=True).first()
    )


def kind_label(kind: str) -> str:
    label = kind_table.KINDS.get(kind)
    return str(label) if label is not None else kind


def readable_case_ids(user: User, case_ids: Iterable[object]) -> set[object]:
    """Of `case_ids`, the cases the reader may still open: those cases.selectors.visible_cases
    lets them see, and those they reported (a report merged into another case included)."""
    ids = {i for i in case_ids if i is not None}
    if not ids:
        return set()
    readable: set[object] = set(visible_cases(user).filter(pk__in=ids).values_list("pk", flat=True))
    rest = ids - readable
    if rest:
        readable |= set(
            CaseReporter.objects.filter(reporter=user, case_id__in=rest).values_list(
                "case_id", flat=True
            )
        )
    return readable


@dataclass(frozen=True)
class Item:
    """One notification as the list page and the API show it."""

    id: uuid.UUID
    kind: str
    kind_label: str
    title: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    case_number: str | None
    # Where the notification leads, only while the reader may still see its case; None else.
    link: str | None


def _link(n: Notification, readable: set[object]) -> str | None:
    if n.case_id is not None and n.case_id not in readable:
        return None
    url = n.url or ""
    # Only a path on this site: never another host ("//…") or a scheme ("javascript:…").
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None  # the pages then link the case by its number (case_number)


def items(user: User, rows: Iterable[Notification]) -> list[Item]:
    """Rows of `notifications_for(user)` as Items (one query for which cases are readable)."""
    rows = list(rows)
    readable = readable_case_ids(user, (n.case_id for n in rows))
    return [
        Item(
            id=n.id,
            kind=n.kind,
            kind_label=kind_label(n.kind),
            title=n.title,
            body=n.body,
            created_at=n.created_at,
            read_at=n.read_at,
            case_number=n.case.number if n.case is not None and n.case_id in readable else None,
            link=_link(n, readable),
        )
        for n in rows
    ]


# --- preferences ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindChoice:
    kind: str
    label: str
    channels: list[str]
    about_my_reports: bool


@dataclass(frozen=True)
class PreferenceView:
    kinds: list[KindChoice]
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    # The outside channels this account can receive (a phone for SMS, an address for e-mail).
    sms_possible: bool
    email_possible: bool
    # Whether the person works cases (staff) or only follows their own reports (residents).
    works_cases: bool
    saved: bool


def works_cases(user: User) -> bool:
    """Staff (any scope beyond their own reports) choose for every kind; residents, volunteers
    and Party members, who only follow their own reports, for the reporter kinds."""
    scope = policies.scope_for(user)
    return bool(
        scope.district_wide
        or scope.street_ids
        or scope.community_ids
        or scope.grid_ids
        or scope.department_ids
    )


def current_channels(user: User) -> dict[str, list[str]]:
    """Every choosable kind's channels for `user`: as stored, or the kind's defaults."""
    stored = Preference.objects.filter(user=user).first()
    chosen = stored.channels if stored is not None and isinstance(stored.channels, dict) else {}
    out = {}
    for kind in prefs.choosable_kinds():
        value = chosen.get(kind)
        out[kind] = (
            [c for c in prefs.CHANNELS if c in value]
            if isinstance(value, list)
            else prefs.default_channels(kind)
        )
    return out


def preferences_of(user: User) -> PreferenceView:
    """The reader's preferences, each kind with its stored channels or its defaults."""
    stored = Preference.objects.filter(user=user).first()
    channels = current_channels(user)
    staff = works_cases(user)
    receivable = prefs.receivable(user)
    kinds = [
        KindChoice(
            kind=kind,
            label=kind_label(kind),
            # A channel the account can no longer receive (its phone removed) is not shown as on.
            channels=[c for c in chosen if c in receivable],
            about_my_reports=kind in prefs.REPORTER_KINDS,
        )
        for kind, chosen in channels.items()
        if staff or kind in prefs.REPORTER_KINDS
    ]
    return PreferenceView(
        kinds=kinds,
        quiet_start=stored.quiet_start if stored else None,
        quiet_end=stored.quiet_end if stored else None,
        sms_possible="sms" in receivable,
        email_possible="email" in receivable,
        works_cases=staff,
        saved=stored is not None,
    )
