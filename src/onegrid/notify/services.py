"""Notify's use cases: fan the case history out to the people it concerns (the event log is the
outbox: cases never imports notify), warn of tasks due soon, send one SMS (one-time codes), and
keep the deliveries moving (requeue, dead letters back). docs/architecture.md "Notifications"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from onegrid.cases.models import Case, CaseEvent, Task
from onegrid.core import clock
from onegrid.org.models import Role, RoleAssignment, User

from . import jobs, kinds, quiet, recipients
from .models import (
    Delivery,
    FanOutMark,
    FanOutSeen,
    Notification,
    Preference,
    WebhookEndpoint,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = Delivery.State
MARK = "notify"
BATCH = 500
# Overdue tasks older than this are not announced (an old backlog is the console's business).
OVERDUE_LOOKBACK = dt.timedelta(days=7)
LIVE_TASK_STATES = (
    Task.State.DISPATCHED,
    Task.State.IN_PROGRESS,
    Task.State.EXTENSION_REQUESTED,
)

# The kinds that link a resident to their own report page rather than the staff case page.
RESIDENT_KINDS = frozenset(
    {
        kinds.REPORTER_RECEIVED,
        kinds.REPORTER_REGISTERED,
        kinds.REPORTER_DISPATCHED,
        kinds.REPORTER_FIXED,
        kinds.REPORTER_CLOSED,
        kinds.PLEASE_RATE,
    }
)

# The kinds an event stands for, whoever hears of it: what webhook endpoints filter on.
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "report": (kinds.TO_MY_DESK, kinds.REPORTER_RECEIVED),
    "request_verification": (kinds.TO_MY_DESK,),
    "verify": (kinds.TO_MY_DESK,),
    "register": (kinds.TO_MY_DESK, kinds.REPORTER_REGISTERED),
    "dispatch": (kinds.TO_MY_DEPARTMENT, kinds.REPORTER_DISPATCHED),
    "arbitrate": (kinds.TO_MY_DEPARTMENT, kinds.REPORTER_DISPATCHED),
    "return": (kinds.RETURNED,),
    "fail_check": (kinds.RETURNED,),
    "escalate": (kinds.ESCALATED,),
    "start_check": (kinds.TO_MY_DESK, kinds.REPORTER_FIXED),
    "pass_check": (kinds.CHECKED,),
    "close": (kinds.CLOSED, kinds.PLEASE_RATE),
    "self_close": (kinds.CLOSED, kinds.REPORTER_CLOSED),
    "reopen": (kinds.TO_MY_DESK,),
    "rate": (kinds.TO_MY_DESK,),
    "comment": (kinds.TO_MY_DESK,),
    # 吹哨报到 (notify.recipients): the summons, the report-in, a missed report-in.
    "whistle": (kinds.TO_MY_DEPARTMENT,),
    "report_in": (kinds.TO_MY_DESK,),
    "report_in_late": (kinds.OVERDUE,),
}


# --- one SMS -----------------------------------------------------------------------------------


def send_text(*, phone: str, text: str, key: str) -> Delivery:
    """One SMS through the gateway, on the queue; idempotent on `key` (a second call with the
    same key returns the first delivery and sends nothing). Not held by quiet hours."""
    now = clock.now()
    with transaction.atomic():
        delivery, created = Delivery.objects.get_or_create(
            key=f"text:{key}"[:200],
            defaults={
                "channel": Delivery.Channel.SMS,
                "address": phone,
                "payload": {"kind": kinds.CODE, "text": text},
                "state": S.PENDING,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        if created:
            jobs.wake(delivery, now=now)
    if created:
        delivery.refresh_from_db()
    return delivery


# --- fan-out -----------------------------------------------------------------------------------


@dataclass
class _Person:
    id: int
    phone: str
    email: str
    channels: dict[str, list[str]]
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    resident: bool


def _people(user_ids: Iterable[int]) -> dict[int, _Person]:
    ids = set(user_ids)
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=ids)}
    residents = set(
        RoleAssignment.objects.filter(user_id__in=ids, role=Role.RESIDENT).values_list(
            "user_id", flat=True
        )
    )
    out = {}
    for user in User.objects.filter(pk__in=ids, is_active=True).only("id", "phone", "email"):
        pref = prefs.get(user.pk)
        out[user.pk] = _Person(
            id=user.pk,
            phone=user.phone,
            email=user.email,
            channels=dict(pref.channels) if pref else {},
            quiet_start=pref.quiet_start if pref else None,
            quiet_end=pref.quiet_end if pref else None,
            resident=user.pk in residents,
        )
    return out


def channels_for(person: _Person, kind: str) -> list[str]:
    chosen = person.channels.get(kind)
    wanted = chosen if isinstance(chosen, list) else kinds.DEFAULT_CHANNELS.get(kind, [])
    out = []
    for channel in wanted:
        if (channel == "sms" and person.phone) or (channel == "email" and person.email):
            out.append(channel)
    return out


def _case_url(case: Case, *, resident: bool) -> str:
    code = getattr(case, "tracking_code", "")
    if resident and code:
        return f"/resident/reports/{code}/"
    try:
        return reverse("web:case", args=[case.number])
    except NoReverseMatch:
        return ""


def _texts(kind: str, case: Case | None, event: CaseEvent | None = None) -> tuple[str, str]:
    """The title and text of a notification (in the site's language: they are stored)."""
    title: StrOrPromise = kinds.label(kind)
    if case is not None:
        title = _("%(kind)s: case %(number)s") % {"kind": title, "number": case.number}
    parts = []
    if case is not None:
        parts.append(case.case_class.name)
        # Not to reporters: one whose report joined another's case follows that case, whose
        # address the other reporter typed (a flat, a name). Their own page shows their own.
        if case.address and kind not in kinds.FOR_REPORTERS:
            parts.append(case.address)
    if event is not None and event.reason and event.action in ("return", "fail_check", "whistle"):
        parts.append(_("Reason: %(reason)s") % {"reason": event.reason})
    # Why the call-back desk and the dispatch desk are told: without it, "a case for my desk"
    # does not say that the reporter was unsatisfied or reopened it, nor why.
    if event is not None and event.action == "rate":
        parts.append(_("The reporter is not satisfied: %(reason)s") % {"reason": event.reason})
    if event is not None and event.action == "reopen":
        parts.append(_("Reopened: %(reason)s") % {"reason": event.reason})
    if event is not None and event.action == "comment":
        parts.append(_("The reporter wrote: %(reason)s") % {"reason": event.reason})
    if kind == kinds.PLEASE_RATE:
        parts.append(_("Your report was closed. Please tell us how it was handled."))
    return str(title)[:200], " · ".join(str(p) for p in parts)


def _new_deliveries(
    notification: Notification, person: _Person, now: dt.datetime
) -> list[Delivery]:
    out = []
    sms_text = f"【{_('OneGrid')}】{notification.title}"
    if notification.body:
        sms_text += f" {notification.body}"
    held_until = quiet.quiet_until(person.quiet_start, person.quiet_end, now)
    for channel in channels_for(person, notification.kind):
        out.append(
            Delivery(
                notification=notification,
                case_id=notification.case_id,
                channel=channel,
                address=person.phone if channel == "sms" else person.email,
                payload={
                    "kind": notification.kind,
                    "subject": notification.title,
                    "text": sms_text[:500] if channel == "sms" else notification.body,
                },
                state=S.HELD if held_until else S.PENDING,
                next_attempt_at=held_until or now,
                created_at=now,
                key=f"{notification.key}:{channel}",
            )
        )
    return out


def _webhook_payload(event: CaseEvent, case: Case, event_kinds: Sequence[str]) -> dict[str, Any]:
    """What a webhook receiver learns of an event: the case's public facts, no personal data."""
    return {
        "event": {
            "id": str(event.id),
            "action": event.action,
            "seq": event.seq,
            "at": event.at.isoformat(),
            "from_state": event.from_state,
            "to_state": event.to_state,
            "data": {k: v for k, v in (event.data or {}).items() if k in ("level", "lead", "co")},
        },
        "kinds": list(event_kinds),
        "case": {
            "number": case.number,
            "state": case.state,
            "class": case.case_class.code,
            "class_name": case.case_class.name,
            "street": case.street.code,
            "grid": case.grid.code,
            "address": case.address,
            "due_at": case.due_at.isoformat() if case.due_at else None,
        },
    }


def _webhooks(
    event: CaseEvent, case: Case, endpoints: list[WebhookEndpoint], now: dt.datetime
) -> list[Delivery]:
    event_kinds = EVENT_KINDS.get(event.action, ())
    if not event_kinds or not endpoints:
        return []
    departments: set[int] | None = None
    out = []
    for endpoint in endpoints:
        if endpoint.kinds and not set(endpoint.kinds) & set(event_kinds):
            continue
        if endpoint.department_id is not None:
            if departments is None:
                departments = set(
                    Task.objects.filter(case=case).values_list("department_id", flat=True)
                )
            if endpoint.department_id not in departments:
                continue
        out.append(
            Delivery(
                case=case,
                channel=Delivery.Channel.WEBHOOK,
                address=endpoint.url[:300],
                endpoint=endpoint,
                payload=_webhook_payload(event, case, event_kinds),
                state=S.PENDING,
                next_attempt_at=now,
                created_at=now,
                key=f"{event.id}:webhook:{endpoint.pk}",
            )
        )
    return out


def _store(notifications: list[Notification], deliveries: list[Delivery], now: dt.datetime) -> int:
    """Insert what is new (keys decide: a rescan or a second process adds nothing), wake the
    deliveries; returns the count of new notifications."""
    if not notifications and not deliveries:
        return 0
    known = set(
        Notification.objects.filter(key__in=[n.key for n in notifications]).values_list(
            "key", flat=True
        )
    )
    fresh = [n for n in notifications if n.key not in known]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    fresh_ids = {n.pk for n in fresh}
    candidates = [
        d for d in deliveries if d.notification_id is None or d.notification_id in fresh_ids
    ]
    known_d = set(
        Delivery.objects.filter(key__in=[d.key for d in candidates]).values_list("key", flat=True)
    )
    new_d = [d for d in candidates if d.key not in known_d]
    Delivery.objects.bulk_create(new_d, ignore_conflicts=True)
    for delivery in new_d:
        jobs.wake(delivery, now=now)
    return len(fresh)


def fan_out(*, now: dt.datetime | None = None) -> int:
    """Read the case history since the mark (and a safety window behind it) and write the
    notifications it calls for, one per event per person, with their deliveries and webhooks;
    returns how many notifications were new. One process at a time (the mark's row lock)."""
    now = now or clock.now()
    window = dt.timedelta(seconds=settings.ONEGRID["NOTIFY_FAN_OUT_WINDOW_SECONDS"])
    created = 0
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        FanOutMark.objects.get_or_create(name=MARK)
        mark = FanOutMark.objects.select_for_update().get(name=MARK)
        since = (mark.at if mark.at is not None else now) - window
        events = (
            CaseEvent.objects.filter(at__gte=since, action__in=EVENT_KINDS)
            .select_related("case", "case__case_class", "case__street", "case__grid")
            .order_by("at", "id")
        )
        endpoints = list(WebhookEndpoint.objects.filter(active=True))
        people_of = recipients.Lookup()
        newest = mark.at
        batch: list[CaseEvent] = []
        for event in events.iterator(chunk_size=BATCH):
            batch.append(event)
            if len(batch) >= BATCH:
                created += _fan_out_batch(batch, endpoints, now, people_of)
                batch = []
            newest = event.at if newest is None or event.at > newest else newest
        created += _fan_out_batch(batch, endpoints, now, people_of)
        mark.at = newest or now
        mark.save(update_fields=["at", "updated_at"])
        # What lies wholly behind the window can no longer be rescanned.
        FanOutSeen.objects.filter(at__lt=since - window).delete()
    return created


def _fan_out_batch(
    events: list[CaseEvent],
    endpoints: list[WebhookEndpoint],
    now: dt.datetime,
    people_of: recipients.Lookup,
) -> int:
    if not events:
        return 0
    # Events already read (a rescan of the window) are skipped with one indexed look-up.
    seen = set(
        FanOutSeen.objects.filter(event_id__in=[e.id for e in events]).values_list(
            "event_id", flat=True
        )
    )
    fresh_events = [e for e in events if e.id not in seen]
    if not fresh_events:
        return 0
    people_of.preload_reporters({e.case_id: e.case for e in fresh_events}.values())
    plan = [(event, recipients.for_event(event, event.case, people_of)) for event in fresh_events]
    people = _people(u for _e, rs in plan for u, _k in rs)
    notifications: list[Notification] = []
    deliveries: list[Delivery] = []
    for event, rs in plan:
        case = event.case
        for user_id, kind in rs:
            person = people.get(user_id)
            if person is None:
                continue
            title, body = _texts(kind, case, event)
            n = Notification(
                user_id=user_id,
                kind=kind,
                case=case,
                title=title,
                body=body,
                url=_case_url(case, resident=person.resident and kind in RESIDENT_KINDS),
                created_at=now,
                key=f"{event.id}:{user_id}",
            )
            notifications.append(n)
            deliveries.extend(_new_deliveries(n, person, now))
        deliveries.extend(_webhooks(event, case, endpoints, now))
    created = _store(notifications, deliveries, now)
    FanOutSeen.objects.bulk_create(
        [FanOutSeen(event_id=e.id, at=e.at) for e in fresh_events], ignore_conflicts=True
    )
    return created


# --- due soon and overdue ----------------------------------------------------------------------


def sweep_due_soon(*, now: dt.datetime | None = None) -> int:
    """Tell each department's handlers once of a task due within
    ONEGRID["NOTIFY_DUE_SOON_HOURS"] (due_soon) and once of a task past its deadline (overdue,
    when it fell due within the last week); returns how many notifications were new."""
    now = now or clock.now()
    soon = now + dt.timedelta(hours=settings.ONEGRID["NOTIFY_DUE_SOON_HOURS"])
    tasks = (
        Task.objects.filter(state__in=LIVE_TASK_STATES, due_at__lte=soon)
        .filter(due_at__gte=now - OVERDUE_LOOKBACK)
        .select_related("case", "case__case_class")
        .order_by("due_at")
    )
    created = 0
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        batch: list[Task] = []
        for task in tasks.iterator(chunk_size=BATCH):
            batch.append(task)
            if len(batch) >= BATCH:
                created += _due_batch(batch, now)
                batch = []
        created += _due_batch(batch, now)
    return created


def _due_batch(batch: list[Task], now: dt.datetime) -> int:
    if not batch:
        return 0
    handlers: dict[int, list[int]] = {}
    for user_id, department_id in RoleAssignment.objects.filter(
        role=Role.DEPT_HANDLER, department_id__in={t.department_id for t in batch}
    ).values_list("user_id", "department_id"):
        handlers.setdefault(department_id, []).append(user_id)
    people = _people(u for us in handlers.values() for u in us)
    notifications: list[Notification] = []
    deliveries: list[Delivery] = []
    for t in batch:
        kind = kinds.OVERDUE if t.due_at <= now else kinds.DUE_SOON
        for user_id in handlers.get(t.department_id, []):
            person = people.get(user_id)
            if person is None:
                continue
            title, body = _texts(kind, t.case)
            n = Notification(
                user_id=user_id,
                kind=kind,
                case=t.case,
                title=title,
                body=body,
                url=_case_url(t.case, resident=False),
                created_at=now,
                key=f"{kind}:{t.pk}:{user_id}",
            )
            notifications.append(n)
            deliveries.extend(_new_deliveries(n, person, now))
    return _store(notifications, deliveries, now)


# --- keeping deliveries moving -----------------------------------------------------------------


def requeue(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Wake the open deliveries whose time came more than NOTIFY_REQUEUE_AFTER_SECONDS ago and
    that nothing has attempted since (a lost job, a worker killed mid-send, a backend that
    cannot defer): the Delivery table is the truth, the queue only the wake-up."""
    now = now or clock.now()
    grace = dt.timedelta(seconds=settings.ONEGRID["NOTIFY_REQUEUE_AFTER_SECONDS"])
    due = list(
        Delivery.objects.filter(state__in=jobs.OPEN, next_attempt_at__lte=now - grace).order_by(
            "next_attempt_at"
        )[:limit]
    )
    woken = 0
    with transaction.atomic():
        for delivery in due:
            # Its time is now: a wake-up still queued behind a backlog is doubled only a whole
            # grace period later, not by the next sweep. Not if a sender claimed it meanwhile.
            updated = Delivery.objects.filter(
                pk=delivery.pk, state__in=jobs.OPEN, next_attempt_at__lte=now - grace
            ).update(next_attempt_at=now)
            if updated:
                delivery.next_attempt_at = now
                jobs.wake(delivery, now=now)
                woken += 1
    return woken


def run_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Attempt every open delivery whose time has come, in this thread (in order of creation);
    for tests, benchmarks and `onegrid notify worker --inline`. Returns how many were tried."""
    now = now or clock.now()
    due = list(
        Delivery.objects.filter(state__in=jobs.OPEN, next_attempt_at__lte=now)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for delivery_id in due:
        jobs.attempt(delivery_id, now=now)
    return len(due)


def retry_dead(*, now: dt.datetime | None = None) -> int:
    """Dead letters back to pending, to be tried afresh (after the cause was fixed)."""
    now = now or clock.now()
    with transaction.atomic():
        dead = list(Delivery.objects.select_for_update().filter(state=S.DEAD).order_by("id"))
        for delivery in dead:
            delivery.state = S.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = now
            delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
            jobs.wake(delivery, now=now)
    return len(dead)


# --- notifications of the apps above (no case event behind them) -----------------------------


def tell(
    *,
    kind: str,
    user_ids: Iterable[int],
    key: str,
    title: StrOrPromise,
    body: StrOrPromise = "",
    url: str = "",
    params: dict[str, object] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Notify each of `user_ids` of one thing that is not a case event (a high risk escalated,
    a legal question answered or late): one Notification per person keyed f"{key}:{user_id}",
    with its deliveries on the person's channels for `kind`. Idempotent on `key`: a second call
    (a retry, a second tick) adds nothing. The title and text are written in the site's language
    (they are stored): pass lazy texts, with `params` to fill their placeholders. Call it
    inside the writer's transaction: the rows commit with it. Returns the count of new
    notifications."""
    if kind not in kinds.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = now or clock.now()
    people = _people(user_ids)
    notifications: list[Notification] = []
    deliveries: list[Delivery] = []
    with translation.override(settings.LANGUAGE_CODE):
        title_text = (str(title) % params if params else str(title))[:200]
        body_text = str(body) % params if params and body else str(body)
    for person in people.values():
        notification = Notification(
            user_id=person.id,
            kind=kind,
            title=title_text,
            body=body_text,
            url=url[:300],
            created_at=now,
            key=f"{key}:{person.id}"[:160],
        )
        notifications.append(notification)
        deliveries.extend(_new_deliveries(notification, person, now))
    with translation.override(settings.LANGUAGE_CODE):
        return _store(notifications, deliveries, now)
