"""Append-only case history: every change to a case is one event, numbered within the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db.models import Max

from onegrid.org.models import User

from . import rollups
from .models import Case, CaseEvent, Task


def append_event(
    *,
    case: Case,
    action: str,
    from_state: str,
    to_state: str,
    actor: User | None,
    actor_role: str,
    at: dt.datetime,
    task: Task | None = None,
    reason: str = "",
    data: Mapping[str, object] | None = None,
    seq: int | None = None,
) -> CaseEvent:
    """Write the case's next event, and bring its rollups (cases.rollups) up to date with it
    in the same transaction. `case` carries the changes the action made (saved or not yet).
    A fault in the rollups is logged and leaves the event standing; their writes run in a
    savepoint (rollups.start, rollups.finish). `seq`: the event's number when the caller knows
    it (1 for a case it has just created), which saves reading the last one."""
    new_case = seq == 1  # told by the caller that made the case: it has no facts row yet
    if seq is None:
        # The caller holds the case's row lock, so the next number cannot be taken concurrently.
        seq = (CaseEvent.objects.filter(case=case).aggregate(m=Max("seq"))["m"] or 0) + 1
    keeper, noted = rollups.start(case, action, dict(data or {}), first=new_case)
    event = CaseEvent.objects.create(
        case=case,
        seq=seq,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_role=actor_role,
        task=task,
        at=at,
        reason=reason,
        data=noted,
    )
    rollups.finish(keeper, event)
    return event


def replay_states(events: Iterable[CaseEvent]) -> list[str]:
    """The states a case passed through, as its history tells it; raises if the chain breaks."""
    states: list[str] = []
    current = ""
    for event in events:
        if event.from_state != current:
            raise ValueError(f"event {event.seq} starts from {event.from_state!r}, not {current!r}")
        current = event.to_state
        states.append(current)
    return states
