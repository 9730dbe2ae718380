"""org.policies applied to one case: who may see it, which roles a person holds over it, their
tasks on it and what they did on it (for separation of duties)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable

from onegrid.org import policies
from onegrid.org.models import User

from .models import Case, CaseEvent, Task

# Pseudo-roles a person or process holds over one case: who reported it, and the timer.
REPORTER = "reporter"
SYSTEM = "system"

LIVE_TASK_STATES = {
    Task.State.SUMMONED,
    Task.State.DISPATCHED,
    Task.State.IN_PROGRESS,
    Task.State.EXTENSION_REQUESTED,
    Task.State.FED_BACK,
}
# Live tasks a department still has to act on (its clock runs until it feeds back).
ACTIVE_TASK_STATES = LIVE_TASK_STATES - {Task.State.FED_BACK}


def live_tasks(case: Case) -> list[Task]:
    return [t for t in case.tasks.all() if t.state in LIVE_TASK_STATES]


def place_of(case: Case) -> policies.Place:
    return policies.Place(case.grid_id, case.community_id, case.street_id)


def roles_for(actor: User | None, case: Case) -> set[str]:
    """The roles `actor` holds over `case` (the timer: SYSTEM). Not the REPORTER pseudo-role:
    whether they reported it (`reported_by`) costs a query, asked only by a row that names it."""
    if actor is None:
        return {SYSTEM}
    department_ids = {t.department_id for t in case.tasks.all()}
    return policies.roles_over(actor, place_of(case), department_ids)


def reported_by(case: Case, actor: User) -> bool:
    # Lists prefetch the reporters of all their cases at once; a single case asks the database.
    prefetched = getattr(case, "_prefetched_objects_cache", {}).get("reporters")
    if prefetched is not None:
        return any(r.reporter_id == actor.pk for r in prefetched)
    return case.reporters.filter(reporter=actor).exists()


def may_see(actor: User, case: Case) -> bool:
    if policies.may_see_place(actor, place_of(case)) or case.reporter_id == actor.pk:
        return True
    scope = policies.scope_for(actor)
    return any(t.department_id in scope.department_ids for t in case.tasks.all())


def callers_tasks(actor: User | None, case: Case, task_states: Collection[str]) -> list[Task]:
    """The case's live tasks, in `task_states`, that belong to a department `actor` works for."""
    scope = policies.scope_for(actor) if actor else None
    return [
        t
        for t in live_tasks(case)
        if t.state in task_states and (scope is None or t.department_id in scope.department_ids)
    ]


# Set on a case by prefetch_own_actions: (actor id, {action, ...}).
OWN_ACTIONS_ATTR = "_onegrid_own_actions"


def own_actions(actor: User, case: Case) -> set[str]:
    """The actions `actor` took on `case`, from its history (separation of duties)."""
    cached: tuple[int, set[str]] | None = getattr(case, OWN_ACTIONS_ATTR, None)
    if cached is not None and cached[0] == actor.pk:
        return cached[1]
    return set(CaseEvent.objects.filter(case=case, actor=actor).values_list("action", flat=True))


def prefetch_own_actions(actor: User, cases: Iterable[Case]) -> None:
    """Read what `actor` did on each of `cases` in one query (lists that offer actions)."""
    listed = list(cases)
    done: dict[uuid.UUID, set[str]] = {c.pk: set() for c in listed}
    rows = CaseEvent.objects.filter(case__in=list(done), actor=actor).values_list(
        "case_id", "action"
    )
    for case_id, action in rows.distinct():
        done[case_id].add(action)
    for case in listed:
        setattr(case, OWN_ACTIONS_ATTR, (actor.pk, done[case.pk]))
