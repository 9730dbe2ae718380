"""Delivering one Delivery: the job `deliver(delivery_id)` on queue "notify", run at least once.

The Delivery row is the truth; the queue only wakes the deliverer. A delivery is claimed in a
short transaction (the row locked and re-checked: a sent or dead one is never sent again, one
whose time has not come is left alone), sent outside any transaction, and its outcome recorded
in another. The claim moves `next_attempt_at` a lease ahead: a worker killed mid-send leaves the
row pending, and the requeue sweep wakes it once the lease has run out (the receiver may then
see it twice, with the same X-OneGrid-Delivery id: deliveries are at least once).

Order: a delivery waits while an earlier one (by id, UUIDv7: creation order) for the same
channel, address and case is neither sent nor dead; when that one ends, the next is woken.
Quiet hours: an SMS or e-mail inside its person's quiet hours is held until they end.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends

from onegrid.core import clock

from . import backoff, channels, quiet
from .models import Delivery, Preference
from .sending import GiveUp, SendError

logger = logging.getLogger(__name__)

S = Delivery.State
OPEN = (S.PENDING, S.RETRYING, S.HELD)
DONE = (S.SENT, S.DEAD)


def lease() -> dt.timedelta:
    """How long a claimed delivery is left to its sender before it counts as lost."""
    return dt.timedelta(seconds=2 * settings.ONEGRID["NOTIFY_SEND_TIMEOUT_SECONDS"] + 5)


@task(queue_name="notify")
def deliver(delivery_id: str) -> str:
    return attempt(delivery_id)


def wake(delivery: Delivery, *, now: dt.datetime | None = None) -> None:
    """Enqueue the delivery's job for its time. The database backend commits the job with the
    row; Redis (RQ) gets it once the transaction commits (a job must not run before its row
    exists). A backend that cannot defer (tests' immediate one) is not woken for a later time:
    the requeue sweep does it then."""
    now = now or clock.now()
    delay = delivery.next_attempt_at - now
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    job = deliver
    if delay > dt.timedelta(0):
        if not backend.supports_defer:
            return
        job = deliver.using(run_after=timezone.now() + delay)
    delivery_id = str(delivery.pk)
    module = type(backend).__module__
    if module.startswith(("django_tasks_db", "django_tasks.backends.immediate")):
        job.enqueue(delivery_id)
    else:
        # robust: Redis away for a moment must not fail the transaction's caller; the requeue
        # sweep wakes the delivery later (its row is committed either way).
        transaction.on_commit(lambda: job.enqueue(delivery_id), robust=True)


def _quiet_end(delivery: Delivery, now: dt.datetime) -> dt.datetime | None:
    if delivery.channel == Delivery.Channel.WEBHOOK or delivery.notification_id is None:
        return None
    if delivery.payload.get("kind") == "code":
        return None
    if delivery.notification is None:
        return None
    pref = Preference.objects.filter(user_id=delivery.notification.user_id).first()
    if pref is None:
        return None
    return quiet.quiet_until(pref.quiet_start, pref.quiet_end, now)


def _open_in_line(delivery: Delivery, *, before: bool) -> Delivery | None:
    """The first open delivery (by id: creation order) in `delivery`'s line — the same channel,
    address and case — created before it, or after it; None for a delivery without a case."""
    if delivery.case_id is None:
        return None
    side = {"id__lt": delivery.id} if before else {"id__gt": delivery.id}
    return (
        Delivery.objects.filter(
            channel=delivery.channel,
            address=delivery.address,
            case_id=delivery.case_id,
            state__in=OPEN,
            **side,
        )
        .order_by("id")
        .first()
    )


def _claim(delivery_id: uuid.UUID | str, now: dt.datetime) -> tuple[str, Delivery | None]:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "notification")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "missing", None
        if delivery.state in DONE:
            return delivery.state, None
        if delivery.next_attempt_at > now:
            return "early", None
        until = _quiet_end(delivery, now)
        if until is not None:
            delivery.state = S.HELD
            delivery.next_attempt_at = until
            delivery.save(update_fields=["state", "next_attempt_at"])
            wake(delivery, now=now)
            return "held", None
        earlier = _open_in_line(delivery, before=True)
        if earlier is not None:
            # Woken again when the earlier one ends (_wake_next), or by the requeue sweep.
            delivery.state = S.PENDING if delivery.state == S.HELD else delivery.state
            delivery.next_attempt_at = max(now, earlier.next_attempt_at)
            delivery.save(update_fields=["state", "next_attempt_at"])
            return "waiting", None
        delivery.attempts += 1
        if delivery.state == S.HELD:
            delivery.state = S.PENDING
        delivery.next_attempt_at = now + lease()
        delivery.save(update_fields=["attempts", "state", "next_attempt_at"])
        return "claimed", delivery


def attempt(delivery_id: uuid.UUID | str, *, now: dt.datetime | None = None) -> str:
    """Try one delivery now; returns what happened: sent, retrying, dead, held, waiting, early
    (not its time yet, or another sender has it), missing, or the final state it already had."""
    now = now or clock.now()
    outcome, delivery = _claim(delivery_id, now)
    if delivery is None:
        return outcome
    error = ""
    give_up = False
    try:
        channels.send(delivery)
    except SendError as e:
        error = str(e)[:2000]
        give_up = isinstance(e, GiveUp)
    except Exception as e:  # a bug in a channel must not lose the delivery
        logger.exception("delivery %s failed unexpectedly", delivery.pk)
        error = f"{type(e).__name__}: {e}"[:2000]
    with transaction.atomic():
        row = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if row.state in DONE:
            return row.state
        if not error:
            row.state = S.SENT
            row.sent_at = clock.now()
            row.last_error = ""
        elif give_up or backoff.is_dead(row.attempts):
            row.state = S.DEAD
            row.last_error = error
        else:
            row.state = S.RETRYING
            row.last_error = error
            row.next_attempt_at = now + backoff.delay_after(row.attempts)
        row.save(update_fields=["state", "sent_at", "last_error", "next_attempt_at"])
        if row.state == S.RETRYING:
            wake(row, now=now)
        else:
            _wake_next(row, now)
    return row.state


def _wake_next(delivery: Delivery, now: dt.datetime) -> None:
    following = _open_in_line(delivery, before=False)
    if following is None or following.state != S.PENDING:
        return
    if following.next_attempt_at > now:
        following.next_attempt_at = now
        following.save(update_fields=["next_attempt_at"])
    wake(following, now=now)
