"""Forwarding's use cases: scan the case history for cases to forward, deliver one forward,
requeue what is due, reconcile with the remotes, revive dead letters.

The case history is the outbox: cases never imports forwarding. `scan` reads the events after
its mark (and a safety window behind it, so an event committed late by a long transaction is
not skipped) and creates at most one Forward per (case, target) — the unique constraint makes
re-reading harmless. The Forward row is the truth; the job queue ("forwarding") is only the
wake-up, so a lost job or a killed worker loses nothing (`requeue` finds what is due).

A delivery never holds a database transaction over the network: it claims the row (attempts+1,
and a lease: next_attempt_at moves past the time the attempt may take), talks to the remote,
then records the answer. A worker killed in between leaves the row claimed until the lease ends,
then it is sent again — at least once; receivers dedupe by X-OneGrid-Delivery (webhooks) or the
Idempotency-Key header and the reference in the description (Open311, see `reconcile`).
A forward is acknowledged only when the remote gave its id (or a webhook "ack": true).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onegrid.cases import rules as case_rules
from onegrid.cases.models import Case, CaseEvent
from onegrid.core import clock
from onegrid.notify import backoff
from onegrid.org import access_log

from . import remotes
from .models import Forward, Mark, Rule, Target

MARK = "forwarding"
# The case actions that trigger a rule: Rule.On → the history's actions.
TRIGGERS = {
    "register": Rule.On.REGISTER,
    "dispatch": Rule.On.DISPATCH,
    "arbitrate": Rule.On.DISPATCH,
}
SCAN_BATCH = 2000
# A due forward whose job has not run this long after its time is requeued (the job was lost).
REQUEUE_GRACE = dt.timedelta(seconds=60)
# How long after the first attempt reconcile searches the remote for an unacknowledged one.
SEARCH_SLACK = dt.timedelta(minutes=10)


def _rescan() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ONEGRID["FORWARDING_RESCAN_SECONDS"])


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=remotes.timeout_seconds() + 30)


def _id_at(moment_ms: int) -> uuid.UUID:
    """The smallest UUIDv7 of a millisecond: ids at or after it were made at or after it."""
    return uuid.UUID(int=max(0, moment_ms) << 80)


def _ms_of(event_id: uuid.UUID) -> int:
    return event_id.int >> 80


def reference(forward: Forward) -> str:
    """What identifies a forward inside the description it sends to an Open311 remote, so that
    reconcile can find the request again: "ref " and 14 capital letters from the random part of
    the forward's id. Letters only, because a remote's public answers mask digit runs (phone,
    ID and card numbers) — the case number itself may come back as "***" — and it goes at the
    start, because they may shorten long descriptions."""
    value = forward.pk.int & ((1 << 64) - 1)
    letters = []
    for _ in range(14):
        value, digit = divmod(value, 26)
        letters.append(chr(ord("A") + digit))
    return "ref " + "".join(letters)


# ---------------------------------------------------------------------------- scan


def _matches(rule: Rule, event: CaseEvent, case: Case) -> bool:
    if TRIGGERS.get(event.action) != rule.on:
        return False
    if event.at < rule.created_at:  # a step taken before the rule was made
        return False
    if rule.class_prefix and not case.case_class.code.startswith(rule.class_prefix):
        return False
    if rule.department is None:
        return True
    if rule.on == Rule.On.DISPATCH:
        data = event.data or {}
        codes = [data.get("lead")] + list(data.get("co") or [])
        return rule.department.code in {c for c in codes if c}
    department = case_rules.default_department(case)
    return department is not None and department.pk == rule.department_id


def scan(*, now: dt.datetime | None = None) -> int:
    """Create the Forwards the rules ask for, from the case history after the mark; enqueue a
    delivery for each. Returns how many were created. Safe to run again and concurrently: the
    mark's row lock orders scanners, and each batch is its own short transaction (a scan after
    a long stop does not hold SQLite's write lock for all of it)."""
    now = now or clock.now()
    rules = list(
        Rule.objects.filter(active=True, target__active=True).select_related("target", "department")
    )
    created = 0
    lower: uuid.UUID | None = None
    while True:
        with transaction.atomic():
            mark, fresh = Mark.objects.select_for_update().get_or_create(name=MARK)
            if lower is None:
                if fresh or mark.last_event_id is None:
                    # A new installation forwards from now on, not the whole history.
                    since_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
                else:
                    since_ms = _ms_of(mark.last_event_id)
                lower = _id_at(since_ms - int(_rescan().total_seconds() * 1000))
            events = list(
                CaseEvent.objects.filter(id__gte=lower, action__in=list(TRIGGERS))
                .select_related("case__case_class", "case__street")
                .order_by("id")[:SCAN_BATCH]
            )
            made = _create_forwards(rules, events, now) if rules and events else []
            for forward in made:
                _enqueue_after_commit(forward.pk)
            created += len(made)
            if events and (mark.last_event_id is None or events[-1].id > mark.last_event_id):
                mark.last_event_id = events[-1].id
            mark.scanned_at = now
            mark.save()
        if len(events) < SCAN_BATCH:
            return created
        lower = uuid.UUID(int=events[-1].id.int + 1)


def _create_forwards(rules: list[Rule], events: list[CaseEvent], now: dt.datetime) -> list[Forward]:
    wanted: dict[tuple[uuid.UUID, int], Forward] = {}
    for event in events:
        case = event.case
        for rule in rules:
            pair = (case.pk, rule.target_id)
            if pair in wanted or not _matches(rule, event, case):
                continue
            wanted[pair] = Forward(
                case=case,
                target=rule.target,
                rule=rule,
                event=event,
                next_attempt_at=now,
                created_at=now,
            )
    if not wanted:
        return []
    existing = set(
        Forward.objects.filter(
            case_id__in={c for c, _ in wanted}, target_id__in={t for _, t in wanted}
        ).values_list("case_id", "target_id")
    )
    new = [f for pair, f in wanted.items() if pair not in existing]
    # A concurrent scan may have made the same pair since: the constraint keeps one.
    Forward.objects.bulk_create(new, ignore_conflicts=True)
    return new


def _enqueue_after_commit(forward_id: uuid.UUID, wait: dt.timedelta | None = None) -> None:
    """Wake a worker for the forward once this transaction commits (`wait`: not before then).
    A backend that cannot defer gets no deferred job: the requeue sweep finds it when due."""
    from . import tasks

    job = tasks.deliver_forward
    if wait is not None:
        if not job.get_backend().supports_defer:
            return
        # The queue runs on the real clock, whatever clock.now() says (the simulator's).
        job = job.using(run_after=timezone.now() + wait)

    # robust: Redis away for a moment (ONEGRID_TASKS=rq) must not fail the caller once the
    # forward is committed; the requeue sweep wakes it later.
    transaction.on_commit(lambda: job.enqueue(str(forward_id)), robust=True)


# ---------------------------------------------------------------------------- deliver


@dataclass
class _Claim:
    forward: Forward
    attempt: int


def _claim(forward_id: uuid.UUID | str, now: dt.datetime) -> _Claim | None:
    with transaction.atomic():
        forward = (
            # Lock the forward's row only (the event is on the nullable side of a join).
            Forward.objects.select_for_update(of=("self",))
            .select_related("target", "case__case_class", "case__street", "case__grid", "event")
            .filter(pk=forward_id)
            .first()
        )
        if forward is None or forward.state in (Forward.State.ACKNOWLEDGED, Forward.State.DEAD):
            return None
        if forward.next_attempt_at > now or not forward.target.active:
            return None  # not due: another attempt holds the lease, or it waits for back-off
        forward.attempts += 1
        forward.first_attempt_at = forward.first_attempt_at or now
        forward.last_attempt_at = now
        forward.next_attempt_at = now + _lease()
        forward.save(
            update_fields=["attempts", "first_attempt_at", "last_attempt_at", "next_attempt_at"]
        )
        return _Claim(forward, forward.attempts)


def deliver(*, forward_id: uuid.UUID | str, now: dt.datetime | None = None) -> str:
    """One attempt at a forward, if it is due; returns its state afterwards ("" if unknown).
    Idempotent: an acknowledged or dead forward, or one not due, is left alone."""
    now = now or clock.now()
    claim = _claim(forward_id, now)
    if claim is None:
        state = Forward.objects.filter(pk=forward_id).values_list("state", flat=True).first()
        return state or ""
    forward = claim.forward
    target = forward.target
    if forward.state == Forward.State.SENT and forward.token and target.kind == Target.Kind.OPEN311:
        lookup = remotes.resolve_token(target, forward.token)
        if lookup.found and lookup.external_id:
            answer = remotes.Answer(
                accepted=True, acknowledged=True, external_id=lookup.external_id
            )
        elif lookup.found:
            answer = remotes.Answer(
                accepted=True, token=forward.token, error="token not yet resolved"
            )
        elif lookup.found is False:
            # The remote does not know the token: it lost the request; send it again now.
            answer = _send(forward)
        else:
            answer = remotes.Answer(accepted=False, error=lookup.error)
    else:
        answer = _send(forward)
    return _record(forward.pk, claim.attempt, answer, now)


def _send(forward: Forward) -> remotes.Answer:
    target = forward.target
    if target.include_reporter:
        _record_disclosure(forward)
    if target.kind == Target.Kind.WEBHOOK:
        return remotes.post_webhook(target, webhook_payload(forward), delivery_id=str(forward.pk))
    return remotes.post_request(target, open311_fields(forward), idempotency_key=str(forward.pk))


def _record_disclosure(forward: Forward) -> None:
    """The reporter's name and phone leave for another system (a target allowed them): the
    access log records each attempt, by the system, against the case's own reporter row."""
    case = forward.case
    fields = [f for f, v in (("name", case.reporter_name), ("phone", case.reporter_phone)) if v]
    if not fields:
        return
    own = case.reporters.filter(from_case=case).values_list("pk", flat=True).first()
    access_log.record(
        user=None,
        kind=access_log.Kind.CASE_REPORTER,
        channel=access_log.Channel.FORWARD,
        path=f"{forward.target.kind}:{forward.target.name}",
        subjects=[(own if own is not None else f"case:{case.pk}", fields)],
    )


def _record(
    forward_id: uuid.UUID | str, attempt: int, answer: remotes.Answer, now: dt.datetime
) -> str:
    with transaction.atomic():
        forward = Forward.objects.select_for_update().get(pk=forward_id)
        if forward.state == Forward.State.ACKNOWLEDGED:
            return forward.state  # a parallel attempt got there first
        if forward.attempts != attempt and not answer.acknowledged:
            # This attempt outlived its lease and a newer one holds the row: leave it to that.
            return forward.state
        if answer.acknowledged:
            forward.state = Forward.State.ACKNOWLEDGED
            forward.external_id = answer.external_id or forward.external_id
            forward.token = answer.token or forward.token
            forward.sent_at = forward.sent_at or now
            forward.acknowledged_at = now
            forward.last_error = ""
        elif answer.accepted:
            # 2xx but no acknowledgement yet: ask (or send) again after the back-off.
            forward.state = Forward.State.SENT
            forward.token = answer.token or forward.token
            forward.sent_at = forward.sent_at or now
            forward.last_error = answer.error
            _schedule_retry(forward, attempt, now)
        else:
            forward.last_error = answer.error[:2000]
            if answer.permanent:
                forward.state = Forward.State.DEAD
            else:
                if forward.state != Forward.State.SENT:
                    forward.state = Forward.State.FAILED
                _schedule_retry(forward, attempt, now)
        forward.save()
        return forward.state


def _schedule_retry(forward: Forward, attempt: int, now: dt.datetime) -> None:
    if backoff.is_dead(attempt):
        forward.state = Forward.State.DEAD
        return
    wait = backoff.delay_after(attempt)
    forward.next_attempt_at = now + wait
    _enqueue_after_commit(forward.pk, wait=wait)


# ---------------------------------------------------------------------------- payloads


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def webhook_payload(forward: Forward) -> dict:
    """What a webhook receiver gets: the case as it is now and what triggered the forward.
    No personal data unless the target is allowed it."""
    case = forward.case
    event = forward.event
    body: dict = {
        "type": "case.forwarded",
        "forward_id": str(forward.pk),
        "target": forward.target.name,
        "trigger": {"action": event.action, "at": _iso(event.at)} if event else None,
        "case": {
            "number": case.number,
            "tracking_code": getattr(case, "tracking_code", ""),
            "class_code": case.case_class.code,
            "class_name": case.case_class.name,
            "state": case.state,
            "urgency": case.urgency,
            "description": case.description,
            "address": case.address,
            "lon": case.lon,
            "lat": case.lat,
            "street": case.street.code,
            "grid": case.grid.code,
            "reported_at": _iso(case.reported_at),
            "due_at": _iso(case.due_at),
            "departments": sorted(set(case.tasks.values_list("department__code", flat=True))),
        },
    }
    if forward.target.include_reporter:
        body["case"]["reporter"] = {"name": case.reporter_name, "phone": case.reporter_phone}
    return body


def open311_fields(forward: Forward) -> dict[str, str]:
    """The POST requests form fields (GeoReport v2) for the forward's case."""
    case = forward.case
    fields = {
        "service_code": forward.target.service_code_for(case.case_class.code),
        "lat": f"{case.lat:.7f}",
        "long": f"{case.lon:.7f}",
        "description": f"[OneGrid {case.number} {reference(forward)}] {case.description}".rstrip(),
    }
    if case.address:
        fields["address_string"] = case.address
    if forward.target.include_reporter:
        if case.reporter_name:
            fields["first_name"] = case.reporter_name
        if case.reporter_phone:
            fields["phone"] = case.reporter_phone
    return fields


# ---------------------------------------------------------------------------- sweeps


def due(now: dt.datetime, *, grace: dt.timedelta = dt.timedelta(0)) -> Iterable[uuid.UUID]:
    return (
        Forward.objects.filter(
            state__in=[Forward.State.PENDING, Forward.State.FAILED, Forward.State.SENT],
            next_attempt_at__lte=now - grace,
            target__active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )


def requeue(*, now: dt.datetime | None = None) -> int:
    """Enqueue again the forwards whose time came a while ago (their job was lost). Each one's
    time is moved to now (still due), so a forward whose job only waits in a long queue is
    requeued once a REQUEUE_GRACE at most, not on every pass of the worker."""
    now = now or clock.now()
    with transaction.atomic():
        ids = list(due(now, grace=REQUEUE_GRACE))
        Forward.objects.filter(pk__in=ids, next_attempt_at__lte=now - REQUEUE_GRACE).update(
            next_attempt_at=now
        )
        for pk in ids:
            _enqueue_after_commit(pk)
    return len(ids)


@dataclass
class RunResult:
    created: int = 0
    requeued: int = 0


def run_once(*, now: dt.datetime | None = None) -> RunResult:
    """What the worker does every few seconds: scan the history, requeue lost jobs."""
    now = now or clock.now()
    return RunResult(created=scan(now=now), requeued=requeue(now=now))


def deliver_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Attempt every due forward here and now (the `run --now` command); counts by state."""
    now = now or clock.now()
    counts: dict[str, int] = {}
    for pk in list(due(now)):
        state = deliver(forward_id=pk, now=now)
        counts[state] = counts.get(state, 0) + 1
    return counts


@dataclass
class ReconcileResult:
    acknowledged: int = 0  # found at the remote: the lost acknowledgement
    resend: int = 0  # the remote does not have it: sent again
    unreachable: int = 0  # the remote could not be asked
    details: list[str] = field(default_factory=list)


def reconcile(*, now: dt.datetime | None = None, days: int = 7) -> ReconcileResult:
    """Ask the remotes about every forward not acknowledged yet that was attempted (and, for
    Open311, about those acknowledged in the last `days`): resolve tokens, find requests whose
    acknowledgement was lost (by the reference in their description), and send again what the
    remote does not have. Webhook receivers dedupe by delivery id, so an unacknowledged webhook
    is simply sent again now."""
    now = now or clock.now()
    result = ReconcileResult()
    open_forwards = Forward.objects.filter(
        state__in=[Forward.State.PENDING, Forward.State.FAILED, Forward.State.SENT],
        attempts__gt=0,
        target__active=True,
    ).select_related("target", "case__case_class")
    for forward in open_forwards.iterator():
        if forward.target.kind == Target.Kind.WEBHOOK:
            _make_due(forward, now, result)
            continue
        lookup = _ask_remote(forward, now)
        if lookup.found is None:
            result.unreachable += 1
            result.details.append(f"{forward.case.number}: {lookup.error}")
        elif lookup.found and lookup.external_id:
            _acknowledge(forward.pk, lookup.external_id, now)
            result.acknowledged += 1
        elif lookup.found:
            pass  # a token the remote knows, without an id yet: wait for it
        else:
            _make_due(forward, now, result)
    since = now - dt.timedelta(days=days)
    acknowledged = (
        Forward.objects.filter(
            state=Forward.State.ACKNOWLEDGED,
            target__kind=Target.Kind.OPEN311,
            target__active=True,
            acknowledged_at__gte=since,
        )
        .exclude(external_id="")
        .select_related("target", "case")
    )
    for forward in acknowledged.iterator():
        lookup = remotes.has_request(forward.target, forward.external_id)
        if lookup.found is None:
            result.unreachable += 1
        elif not lookup.found:
            with transaction.atomic():
                Forward.objects.filter(pk=forward.pk, state=Forward.State.ACKNOWLEDGED).update(
                    state=Forward.State.PENDING,
                    external_id="",
                    token="",
                    acknowledged_at=None,
                    next_attempt_at=now,
                    last_error=f"the remote no longer has request {forward.external_id}",
                )
                _enqueue_after_commit(forward.pk)
            result.resend += 1
            result.details.append(f"{forward.case.number}: lost by the remote, sent again")
    return result


def _ask_remote(forward: Forward, now: dt.datetime) -> remotes.Lookup:
    if forward.token:
        return remotes.resolve_token(forward.target, forward.token)
    since = (forward.first_attempt_at or forward.created_at) - SEARCH_SLACK
    return remotes.find_request(
        forward.target,
        service_code=forward.target.service_code_for(forward.case.case_class.code),
        since=since,
        until=max(now, forward.last_attempt_at or now) + SEARCH_SLACK,
        marker=reference(forward),
    )


def _acknowledge(forward_id: uuid.UUID | str, external_id: str, now: dt.datetime) -> None:
    Forward.objects.filter(pk=forward_id).exclude(state=Forward.State.ACKNOWLEDGED).update(
        state=Forward.State.ACKNOWLEDGED,
        external_id=external_id,
        acknowledged_at=now,
        sent_at=now,
        last_error="",
    )


def _make_due(forward: Forward, now: dt.datetime, result: ReconcileResult) -> None:
    with transaction.atomic():
        updated = (
            Forward.objects.filter(pk=forward.pk)
            .exclude(state__in=[Forward.State.ACKNOWLEDGED, Forward.State.DEAD])
            .update(next_attempt_at=now)
        )
        if updated:
            _enqueue_after_commit(forward.pk)
    result.resend += updated


def retry_dead(
    *,
    target: str | None = None,
    forward_ids: Iterable[uuid.UUID | str] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Dead forwards back to pending (after the cause was fixed), attempts counted afresh:
    all of them, a target's, or the ones named."""
    now = now or clock.now()
    dead = Forward.objects.filter(state=Forward.State.DEAD)
    if target:
        dead = dead.filter(target__name=target)
    if forward_ids is not None:
        dead = dead.filter(pk__in=list(forward_ids))
    with transaction.atomic():
        ids = list(dead.values_list("pk", flat=True))
        Forward.objects.filter(pk__in=ids, state=Forward.State.DEAD).update(
            state=Forward.State.PENDING, attempts=0, first_attempt_at=None, next_attempt_at=now
        )
        for pk in ids:
            _enqueue_after_commit(pk)
    return len(ids)


def send_again(*, forward_ids: Iterable[uuid.UUID | str], now: dt.datetime | None = None) -> int:
    """Make the named forwards that are not done (acknowledged or dead) due now."""
    now = now or clock.now()
    with transaction.atomic():
        ids = list(
            Forward.objects.filter(pk__in=list(forward_ids))
            .exclude(state__in=[Forward.State.ACKNOWLEDGED, Forward.State.DEAD])
            .values_list("pk", flat=True)
        )
        Forward.objects.filter(pk__in=ids).update(next_attempt_at=now)
        for pk in ids:
            _enqueue_after_commit(pk)
    return len(ids)
