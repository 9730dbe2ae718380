"""The in-app inbox and notification preferences over the JSON API (/api/v1/notifications/).

Thin: parse, call one selector (notify.selectors) or service (notify.inbox, notify.preferences),
render. Every call reads or changes the caller's own notifications only: another person's
notification is a 404 (`not_found`, field `notification_id`), the same as one that does not
exist. Times are ISO 8601 in Beijing time (+08:00).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from onegrid.core import jsonlimits
from onegrid.core.api_errors import errors
from onegrid.core.errors import InvalidInput
from onegrid.org.requests import SignedInRequest

from . import inbox, selectors
from . import preferences as prefs

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: uuid.UUID
    kind: str = Field(..., description="One of the kinds in the preferences, e.g. due_soon.")
    kind_label: str = Field(..., description="The kind in the caller's language.")
    title: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None = Field(None, description="When the caller read it; null: unread.")
    case_number: str | None = Field(
        None, description="The case it is about, while the caller may still see that case."
    )
    url: str | None = Field(
        None, description="A page of this site it leads to, while the caller may still see it."
    )


class NotificationPage(Schema):
    count: int = Field(..., description="Notifications matching (all pages).")
    unread: int = Field(..., description="The caller's unread notifications (what the bell shows).")
    page: int
    pages: int
    items: list[NotificationOut]


class NotificationListQuery(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    page: int = Field(1, ge=1, le=10**6)
    page_size: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class UnreadOut(Schema):
    unread: int = Field(..., description="How many of the caller's notifications are unread.")


class ReadAllIn(Schema):
    up_to: uuid.UUID | None = Field(
        None,
        description="The newest notification id the client has shown: later ones stay unread. "
        "Left out: every unread notification.",
    )


class ReadAllOut(Schema):
    marked: int = Field(..., description="Notifications marked read by this call.")
    unread: int


class KindChoiceOut(Schema):
    kind: str
    label: str
    channels: list[str] = Field(..., description="Outside channels: sms, email (or none).")
    about_my_reports: bool = Field(..., description="A kind about the caller's own reports.")


class PreferencesOut(Schema):
    kinds: list[KindChoiceOut] = Field(
        ..., description="Each kind with its channels; the in-app inbox always gets every kind."
    )
    quiet_start: str | None = Field(None, description="HH:MM, Beijing time; null: no quiet hours.")
    quiet_end: str | None = Field(
        None, description="HH:MM; may be before the start (over midnight)."
    )
    sms_possible: bool = Field(..., description="The account has a phone number for SMS.")
    email_possible: bool = Field(..., description="The account has an e-mail address.")


class PreferencesIn(Schema):
    channels: dict[str, list[str]] = Field(
        default_factory=dict,
        description="{kind: [channels]} with channels from sms, email; kinds left out take "
        "their defaults.",
    )
    quiet_start: str | None = Field(None, description="HH:MM (Beijing time) or null.")
    quiet_end: str | None = Field(None, description="HH:MM or null; both or neither.")


def _out(item: selectors.Item) -> dict[str, object]:
    return {
        "id": item.id,
        "kind": item.kind,
        "kind_label": item.kind_label,
        "title": item.title,
        "body": item.body,
        "created_at": timezone.localtime(item.created_at),
        "read_at": timezone.localtime(item.read_at) if item.read_at else None,
        "case_number": item.case_number,
        "url": item.link,
    }


def _object_body(request: SignedInRequest) -> None:
    """Django Ninja lets a body that is not a JSON object (a bare number) through as one with
    no fields, which would read as "all defaults": refused here, naming the body."""
    if not isinstance(jsonlimits.loads(request.body, field="body"), dict):
        raise InvalidInput(_("body must be a JSON object."), field="body")


def _hhmm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _preferences_out(request: SignedInRequest) -> dict[str, object]:
    view = selectors.preferences_of(request.user)
    return {
        "kinds": [
            {
                "kind": k.kind,
                "label": k.label,
                "channels": k.channels,
                "about_my_reports": k.about_my_reports,
            }
            for k in view.kinds
        ],
        "quiet_start": _hhmm(view.quiet_start),
        "quiet_end": _hhmm(view.quiet_end),
        "sms_possible": view.sms_possible,
        "email_possible": view.email_possible,
    }


# Fixed paths are declared before /notifications/{notification_id}.


@router.get(
    "/unread",
    response={200: UnreadOut, **errors(401)},
    url_name="notifications_unread",
    summary="How many of my notifications are unread (the bell)",
)
def unread(request: SignedInRequest) -> dict[str, object]:
    return {"unread": selectors.unread_count(request.user)}


@router.get(
    "/preferences",
    response={200: PreferencesOut, **errors(401)},
    summary="My notification channels and quiet hours",
)
def get_preferences(request: SignedInRequest) -> dict[str, object]:
    return _preferences_out(request)


@router.put(
    "/preferences",
    response={200: PreferencesOut, **errors(400, 401, 403, 413, 422)},
    summary="Set my notification channels and quiet hours",
)
def put_preferences(request: SignedInRequest, payload: PreferencesIn) -> dict[str, object]:
    """Replaces the caller's preferences. SMS needs a phone on the account, e-mail an address;
    quiet hours need both ends (or neither) and may span midnight. A refusal (422 naming the
    field, e.g. `channels.due_soon` or `quiet_end`) changes nothing; the same body again is a
    no-op."""
    _object_body(request)
    prefs.set_preferences(
        actor=request.user,
        channels=payload.channels,
        quiet_start=payload.quiet_start,
        quiet_end=payload.quiet_end,
    )
    return _preferences_out(request)


@router.post(
    "/read-all",
    response={200: ReadAllOut, **errors(400, 401, 403, 413, 422)},
    summary="Mark my notifications read",
)
def read_all(request: SignedInRequest, payload: ReadAllIn) -> dict[str, object]:
    """Every unread notification up to `up_to` (all when left out: send `{}`). Idempotent."""
    _object_body(request)
    marked = inbox.mark_all_read(actor=request.user, up_to=payload.up_to)
    return {"marked": marked, "unread": selectors.unread_count(request.user)}


@router.get(
    "/",
    response={200: NotificationPage, **errors(401, 422)},
    summary="My notifications, newest first",
)
def list_notifications(
    request: SignedInRequest, query: Query[NotificationListQuery]
) -> dict[str, object]:
    rows = selectors.notifications_for(request.user, unread_only=query.unread)
    count = rows.count()
    pages = max(1, -(-count // query.page_size))
    start = (query.page - 1) * query.page_size
    return {
        "count": count,
        "unread": selectors.unread_count(request.user),
        "page": query.page,
        "pages": pages,
        "items": [
            _out(i) for i in selectors.items(request.user, rows[start : start + query.page_size])
        ],
    }


@router.get(
    "/{notification_id}",
    response={200: NotificationOut, **errors(401, 404)},
    summary="One of my notifications",
)
def detail(request: SignedInRequest, notification_id: str) -> dict[str, object]:
    found = selectors.get_notification(request.user, notification_id)
    return _out(selectors.items(request.user, [found])[0])


@router.post(
    "/{notification_id}/read",
    response={200: NotificationOut, **errors(401, 403, 404)},
    summary="Mark one of my notifications read",
)
def read(request: SignedInRequest, notification_id: str) -> dict[str, object]:
    """Idempotent: marking again keeps the first read time."""
    found = inbox.mark_read(actor=request.user, notification_id=notification_id)
    return _out(selectors.items(request.user, [found])[0])
