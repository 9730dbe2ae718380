"""Reads of cases, always scoped by org.policies to what the caller may see."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import DomainError, NotFound
from onegrid.org import policies
from onegrid.org.models import User

from . import calendar, workflow
from .access import callers_tasks, place_of, roles_for
from .models import Case, Photo, Task
from .rules import ActionContext


def visible_cases(user: User) -> QuerySet[Case]:
    scope = policies.scope_for(user)
    cases = Case.objects.select_related("case_class", "grid", "street", "community", "merged_into")
    # Polygons are large and lists never draw them.
    cases = cases.defer("grid__geometry_wkb", "street__geometry_wkb", "community__geometry_wkb")
    if scope.district_wide:
        return cases
    where = Q(reporter=user)
    if scope.street_ids:
        where |= Q(street_id__in=scope.street_ids)
    if scope.community_ids:
        where |= Q(community_id__in=scope.community_ids)
    if scope.grid_ids:
        where |= Q(grid_id__in=scope.grid_ids)
    if scope.department_ids:
        where |= Q(
            pk__in=Task.objects.filter(department_id__in=scope.department_ids).values("case_id")
        )
    return cases.filter(where)


@dataclass
class CaseFilters:
    state: str | None = None
    class_code: str | None = None
    grid: str | None = None
    street: str | None = None
    source: str | None = None
    overdue: bool | None = None
    open: bool | None = None
    department: str | None = None
    reported_from: dt.datetime | None = None
    reported_to: dt.datetime | None = None
    q: str | None = None


def list_cases(user: User, filters: CaseFilters) -> QuerySet[Case]:
    cases = visible_cases(user)
    if filters.state:
        cases = cases.filter(state__in=filters.state.split(","))
    if filters.class_code:
        cases = cases.filter(case_class__code__startswith=filters.class_code)
    if filters.grid:
        cases = cases.filter(grid__code=filters.grid)
    if filters.street:
        cases = cases.filter(street__code=filters.street)
    if filters.source:
        cases = cases.filter(source=filters.source)
    if filters.overdue is not None:
        cases = cases.filter(overdue=filters.overdue)
    if filters.open is not None:
        in_open = Q(state__in=workflow.OPEN_STATES)
        cases = cases.filter(in_open if filters.open else ~in_open)
    if filters.department:
        cases = cases.filter(
            pk__in=Task.objects.filter(department__code=filters.department).values("case_id")
        )
    if filters.reported_from:
        cases = cases.filter(reported_at__gte=filters.reported_from)
    if filters.reported_to:
        cases = cases.filter(reported_at__lt=filters.reported_to)
    if filters.q:
        cases = cases.filter(
            Q(number__icontains=filters.q)
            | Q(description__icontains=filters.q)
            | Q(address__icontains=filters.q)
        )
    return cases


def get_case(user: User, case_id) -> Case:
    case = visible_cases(user).by_ref(case_id)
    if case is None:
        raise NotFound(_("No such case."), field="case_id")
    return case


def allowed_actions(user: User, case: Case) -> list[str]:
    """The actions `user` may take on `case` now, read from the workflow table.

    Guards that depend on what the user will type (a reason, hours, a result) cannot be judged
    yet, so an action is offered when its guard fails only for want of such input.
    """
    # Read the tasks once: the role check and every task action look at them.
    prefetch_related_objects([case], "tasks")
    held = roles_for(user, case)
    available = []
    for transition in workflow.TABLE:
        if workflow.SYSTEM in transition.roles and len(transition.roles) == 1:
            continue
        if transition.action == "report" or case.state not in transition.sources:
            continue
        if not (held & transition.roles or user.is_superuser):
            continue
        ctx = ActionContext(
            case=case, action=transition.action, actor=user, actor_roles=held, now=clock.now()
        )
        if transition.task_states is not None:
            mine = callers_tasks(user, case, transition.task_states)
            if not mine:
                continue
            ctx.task = mine[0]
        if transition.guard:
            try:
                transition.guard(ctx)
            except DomainError as error:
                if error.field not in (*transition.params, "photos", "reason"):
                    continue
        available.append(transition.action)
    return available


def timer_colour(case: Case) -> str | None:
    if case.due_at is None or case.dispatched_at is None or case.state not in workflow.OPEN_STATES:
        return None
    return calendar.timer_colour(case.dispatched_at, case.due_at, clock.now())


def reporter_visible(user: User, case: Case) -> bool:
    return policies.may_see_reporter(user, place_of(case))


def actor_visible(user: User, case: Case, event) -> bool:
    """Departments see who acted, except the reporter (PIPL: reporters hidden from handlers)."""
    return event.action != "report" or reporter_visible(user, case)


def get_photo(user: User, photo_id) -> Photo:
    try:
        photo = Photo.objects.filter(pk=uuid.UUID(str(photo_id))).first()
    except ValueError:
        photo = None
    if photo is None or not visible_cases(user).filter(pk=photo.case_id).exists():
        raise NotFound(_("No such photo."), field="photo_id")
    return photo
