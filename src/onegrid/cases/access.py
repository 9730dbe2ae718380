"""org.policies applied to one case: who may see it and which roles a person holds over it."""

from __future__ import annotations

from onegrid.org import policies
from onegrid.org.models import User

from .models import Case
from .workflow import REPORTER, SYSTEM


def place_of(case: Case) -> policies.Place:
    return policies.Place(case.grid_id, case.community_id, case.street_id)


def roles_for(actor: User | None, case: Case, *, as_reporter: bool = True) -> set[str]:
    """The roles `actor` holds over `case`; the reporter pseudo-role only when asked for."""
    if actor is None:
        return {SYSTEM}
    department_ids = {t.department_id for t in case.tasks.all()}
    held = policies.roles_over(actor, place_of(case), department_ids)
    if as_reporter and case.reporters.filter(reporter=actor).exists():
        held.add(REPORTER)
    return held


def may_see(actor: User, case: Case) -> bool:
    if policies.may_see_place(actor, place_of(case)) or case.reporter_id == actor.pk:
        return True
    scope = policies.scope_for(actor)
    return any(t.department_id in scope.department_ids for t in case.tasks.all())
