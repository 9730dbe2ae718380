"""The one answer to "may this actor take this row of the workflow table now?".

The engine (`services._apply`) and the offered actions (`selectors.allowed_actions`) both ask
`admit`, so an action is offered exactly when the engine would accept it given the input its
form asks for. The checks, in order, each with the error it raises:

1. the case's state is one of the row's sources (Conflict, `action`);
2. the actor holds one of the row's roles over the case — org.policies decides which roles a
   person holds, superusers included (PermissionDenied, `action`);
3. a task action finds one of the caller's department's tasks in the row's task states
   (Conflict, `action`);
4. separation of duties: the actor's own history on the case does not bar the action
   (org.policies.EXCLUDED_AFTER; PermissionDenied, `action`);
5. the input: a reason when the row needs one, photos only where the row takes them, a photo
   where the row or the caller's task role needs one (InvalidInput, `reason` / `photos`);
6. the row's guard.

When offering, nothing has been typed yet: step 5 is skipped, and a guard failing at a field the
user still has to fill in (the row's params, the reason, the photos) does not withdraw the offer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from onegrid.org import policies
from onegrid.org.models import User

from . import access
from .models import Case, Task
from .rules import ActionContext
from .workflow import ACTION_LABELS, REPORTER, STATE_LABELS, Transition

if TYPE_CHECKING:
    from .photos import StagedPhoto

# Fields of what the user types into an action's form (besides the row's own params).
TYPED_FIELDS = ("reason", "photos")


@dataclass
class Standing:
    """What one actor is to one case, read once for all the rows asked about: the roles held
    over it, and (only when a row needs them) whether they reported it and what they did on it."""

    actor: User | None
    case: Case
    roles: set[str]
    _reporter: bool | None = None
    _own_actions: set[str] | None = field(default=None, repr=False)

    def roles_for(self, transition: Transition) -> set[str]:
        held = self.roles & transition.roles
        if REPORTER in transition.roles and self.is_reporter():
            held.add(REPORTER)
        return held

    def is_reporter(self) -> bool:
        if self._reporter is None:
            self._reporter = self.actor is not None and access.reported_by(self.case, self.actor)
        return self._reporter

    def own_actions(self) -> set[str]:
        if self._own_actions is None:
            self._own_actions = (
                set() if self.actor is None else access.own_actions(self.actor, self.case)
            )
        return self._own_actions


def standing(actor: User | None, case: Case) -> Standing:
    return Standing(actor, case, access.roles_for(actor, case))


def admit(
    standing: Standing,
    transition: Transition,
    *,
    now: dt.datetime,
    reason: str = "",
    params: dict[str, Any] | None = None,
    photos: Iterable[StagedPhoto] = (),
    task: Task | None = None,
    offering: bool = False,
) -> ActionContext:
    """The context the row's effect runs in, or the DomainError that refuses the action."""
    case = standing.case
    if case.state not in transition.sources:
        raise Conflict(
            _("“%(action)s” is not allowed while the case is “%(state)s”.")
            % {"action": transition.label, "state": STATE_LABELS.get(case.state)},
            field="action",
            code="not_allowed_now",
        )
    held = standing.roles_for(transition)
    if not held:
        raise PermissionDenied(
            _("Your role may not “%(action)s” this case.") % {"action": transition.label},
            field="action",
        )
    ctx = ActionContext(
        case=case,
        action=transition.action,
        actor=standing.actor,
        actor_roles=held,
        now=now,
        reason=reason,
        params=dict(params or {}),
        task=task,
        photos=list(photos),
        targets=transition.targets,
    )
    if transition.task_states is not None and ctx.task is None:
        ctx.task = _callers_task(
            standing, transition, transition.task_states, ctx.params.get("task")
        )
    _check_duties(standing, transition)
    if not offering:
        _check_input(transition, ctx)
    if transition.guard:
        try:
            transition.guard(ctx)
        except DomainError as error:
            if not (offering and error.field in (*transition.params, *TYPED_FIELDS)):
                raise
    return ctx


def offered(standing: Standing, transition: Transition, *, now: dt.datetime) -> bool:
    """Whether the row is offered to the actor now (the engine would accept it once the form
    is filled in)."""
    try:
        admit(standing, transition, now=now, offering=True)
    except DomainError:
        return False
    return True


def photo_required(transition: Transition, task: Task | None) -> bool:
    """Whether the row needs a photo from this caller (the lead department's feedback does)."""
    return transition.photo_required or (
        task is not None and task.role in transition.photo_required_for_tasks
    )


def _callers_task(
    standing: Standing, transition: Transition, task_states: frozenset[str], wanted: object
) -> Task:
    tasks = access.callers_tasks(standing.actor, standing.case, task_states)
    if wanted:
        tasks = [t for t in tasks if str(t.id) == str(wanted)]
    if not tasks:
        raise Conflict(
            _("Your department has no task on this case that allows “%(action)s”.")
            % {"action": transition.label},
            field="action",
            code="not_allowed_now",
        )
    return tasks[0]


def _check_duties(standing: Standing, transition: Transition) -> None:
    if standing.actor is None or not policies.has_duty_conflicts(transition.action):
        return
    earlier = policies.duty_conflict(transition.action, standing.own_actions())
    if earlier is not None:
        raise PermissionDenied(
            _(
                "You took “%(earlier)s” on this case, so someone else must “%(action)s” it: "
                "who handles a case does not also judge it."
            )
            % {"earlier": ACTION_LABELS.get(earlier, earlier), "action": transition.label},
            field="action",
            code="separation_of_duties",
        )


def _check_input(transition: Transition, ctx: ActionContext) -> None:
    if transition.reason_required and not ctx.reason:
        raise InvalidInput(_("Give a reason."), field="reason")
    if ctx.photos and transition.photo_kind is None:
        raise InvalidInput(_("This action takes no photos."), field="photos")
    if not ctx.photos and photo_required(transition, ctx.task):
        if transition.photo_required or ctx.task is None:
            raise InvalidInput(_("This action needs a photo."), field="photos")
        raise InvalidInput(
            _("The %(task_role)s's “%(action)s” needs a photo.")
            % {"task_role": ctx.task.get_role_display(), "action": transition.label},
            field="photos",
        )
