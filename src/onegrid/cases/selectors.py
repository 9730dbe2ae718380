"""Reads of cases, always scoped by org.policies to what the caller may see."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import NotFound
from onegrid.org import access_log, policies
from onegrid.org.models import Department, Role, User
from onegrid.territory.models import Address, Grid
from onegrid.territory.selectors import places_in_scope

from . import calendar, evaluator, overrides, rules, tracking, workflow
from .access import (
    ACTIVE_TASK_STATES,
    REPORTER,
    callers_tasks,
    place_of,
    prefetch_own_actions,
)
from .models import Case, CaseClass, CaseEvent, CaseQuerySet, Photo, Task

# States from which a case may still be merged into another (the workflow table's merge row).
MERGEABLE_STATES = workflow.BY_ACTION["merge"].sources


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two nearby WGS-84 points (equirectangular: exact enough under 1 km)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * 6_371_000.0


def visible_cases(user: User) -> CaseQuerySet:
    scope = policies.scope_for(user)
    cases = Case.objects.select_related("case_class", "grid", "street", "community", "merged_into")
    # Polygons are large and lists never draw them.
    cases = cases.defer("grid__geometry_wkb", "street__geometry_wkb", "community__geometry_wkb")
    if scope.district_wide:
        return cases
    where = Q(reporter=user) | places_in_scope(scope)
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
    # "extension": a department waits for an extension decision; "returned": a department
    # returned the case and it waits for re-dispatch or arbitration.
    waiting: str | None = None
    # True: the reporter rated the case unsatisfied and waits for a call back.
    callback_needed: bool | None = None


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
    if filters.callback_needed is not None:
        cases = cases.filter(callback_needed=filters.callback_needed)
    if filters.waiting == "extension":
        cases = cases.filter(
            pk__in=Task.objects.filter(state=Task.State.EXTENSION_REQUESTED).values("case_id")
        )
    elif filters.waiting == "returned":
        cases = cases.filter(
            state=workflow.State.REGISTERED,
            pk__in=Task.objects.filter(state=Task.State.RETURNED).values("case_id"),
        )
    if filters.q:
        cases = cases.filter(
            Q(number__icontains=filters.q)
            | Q(description__icontains=filters.q)
            | Q(address__icontains=filters.q)
        )
    return cases


def get_case(user: User, case_id: object) -> Case:
    case = visible_cases(user).by_ref(case_id)
    if case is None:
        raise NotFound(_("No such case."), field="case_id")
    return case


def allowed_actions(user: User, case: Case) -> list[str]:
    """The actions `user` may take on `case` now: the rows `cases.evaluator` admits, as the
    engine would once the form is filled in (a guard failing only for want of what the user will
    type — a reason, hours, a result — does not withdraw the offer)."""
    # Read the tasks once: the role check and every task action look at them.
    prefetch_related_objects([case], "tasks")
    standing = evaluator.standing(user, case)
    now = clock.now()
    return [t.action for t in workflow.TABLE if evaluator.offered(standing, t, now=now)]


def prepare_for_actions(user: User, cases: Iterable[Case]) -> None:
    """Read, in a fixed number of queries for the whole list, what allowed_actions needs of
    each case: its tasks, its reporters and what `user` did on it."""
    listed = list(cases)
    prefetch_related_objects(listed, "tasks", "reporters")
    prefetch_own_actions(user, listed)


def photo_required(user: User, case: Case, action: str) -> bool:
    """Whether `action` on `case` needs a photo from `user` (the lead department's feedback)."""
    transition = workflow.BY_ACTION[action]
    task = None
    if transition.task_states is not None:
        task = next(iter(callers_tasks(user, case, transition.task_states)), None)
    return evaluator.photo_required(transition, task)


def suggested_department(case: Case) -> Department | None:
    """The department a dispatch goes to unless the dispatcher picks another."""
    return rules.default_department(case)


def running_clock(case: Case) -> tuple[dt.datetime, dt.datetime] | None:
    """The (start, due) of the clock that runs on the case now, or None when none runs.

    Registration starts the dispatch clock, dispatch the disposal clock (the lead's deadline,
    after approved extensions), feedback the on-site check clock (DOMAIN.md §3).
    """
    state = case.state
    if state == workflow.State.REGISTERED and case.dispatch_due_at and case.registered_at:
        return case.registered_at, case.dispatch_due_at
    if state in workflow.WITH_DEPARTMENT and case.due_at and case.dispatched_at:
        return case.dispatched_at, case.due_at
    if state == workflow.State.CHECKING and case.check_due_at and case.fed_back_at:
        return case.fed_back_at, case.check_due_at
    return None


def timer_colour(case: Case) -> str | None:
    """green until half the allowance, yellow until due, red when overdue (DOMAIN.md §3)."""
    running = running_clock(case)
    if running is None:
        return None
    return calendar.timer_colour(
        running[0], running[1], clock.now(), overrides.calendar_district(case)
    )


def department_tasks(user: User, *, live_only: bool = True) -> QuerySet[Task]:
    """Tasks sent to the departments `user` works for, soonest deadline first."""
    scope = policies.scope_for(user)
    tasks = Task.objects.filter(department_id__in=scope.department_ids)
    if live_only:
        tasks = tasks.filter(state__in=ACTIVE_TASK_STATES)
    return (
        tasks.select_related("case", "case__case_class", "case__grid", "department")
        .defer("case__grid__geometry_wkb")
        .order_by("due_at")
    )


def field_tasks(user: User) -> QuerySet[Case]:
    """Cases waiting for the user's own on-site work: verification or check in their grids."""
    grid_ids = {
        a.grid_id
        for a in policies.assignments(user)
        if a.grid_id and a.role in workflow.GRID_CHECKERS
    }
    states = [workflow.State.VERIFYING, workflow.State.CHECKING]
    return (
        visible_cases(user)
        .filter(grid_id__in=grid_ids, state__in=states)
        .order_by("check_due_at", "reported_at")
    )


def own_reports(user: User) -> QuerySet[Case]:
    return visible_cases(user).filter(reporters__reporter=user).distinct().order_by("-reported_at")


def grid_case_counts(user: User) -> dict[str, dict[str, int]]:
    """Per grid code, the open and overdue cases the user may see."""
    rows = (
        visible_cases(user)
        .filter(state__in=workflow.OPEN_STATES)
        .order_by()
        .values("grid__code")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(overdue=True)))
    )
    return {r["grid__code"]: {"open": r["open"], "overdue": r["overdue"]} for r in rows}


def reporter_visible(user: User, case: Case) -> bool:
    return policies.may_see_reporter(user, place_of(case))


def hidden_actor_ids(user: User, case: Case) -> set[int] | None:
    """Who must not be named to `user` in the case's history: its reporters, for viewers who
    may not see reporters (PIPL: departments never learn who reported). None: hide no one."""
    if reporter_visible(user, case):
        return None
    hidden = set(case.reporters.exclude(reporter=None).values_list("reporter_id", flat=True))
    if policies.staff_names_hidden_from(user):
        # A resident reading their own report: the steps, not the staff who took them (as
        # the resident portal's timeline shows it).
        hidden |= set(
            case.events.exclude(actor=None)
            .exclude(actor_id=user.pk)
            .values_list("actor_id", flat=True)
        )
    return hidden


def actor_visible(event: CaseEvent, hidden: set[int] | None) -> bool:
    """Whether the event's actor may be named, given `hidden_actor_ids` for the viewer.

    A reporter stays hidden in every event they caused (the report, a reopen, a call-back), not
    only in the report itself."""
    if hidden is None:
        return True
    return not (
        event.action == "report" or event.actor_role == REPORTER or event.actor_id in hidden
    )


def case_reporters(
    user: User, case: Case, *, channel: str | None = None, path: str = ""
) -> list[dict[str, str]] | None:
    """The case's reporters with masked phones, or None for viewers who may not see them.
    The names are shown in full: given the `channel` ("page", "api") the read is recorded in
    the access log (org.access_log, one insert for all of the case's reporters)."""
    if not reporter_visible(user, case):
        return None
    rows = list(case.reporters.select_related("reporter"))
    shown = [
        {
            "name": r.reporter_name or (str(r.reporter) if r.reporter else ""),
            "phone": policies.mask_phone(
                r.reporter_phone or (r.reporter.phone if r.reporter else "")
            ),
        }
        for r in rows
    ]
    if channel is not None:
        access_log.record(
            user=user,
            kind=access_log.Kind.CASE_REPORTER,
            channel=channel,
            path=path,
            subjects=[
                # One's own name read back is no one else's data.
                (r.pk, ["name"] if s["name"] and r.reporter_id != user.pk else [])
                for r, s in zip(rows, shown, strict=True)
            ],
        )
    return shown


def may_merge(user: User, case: Case) -> bool:
    """Whether `user` holds a role over the case's place that the table lets merge."""
    roles = policies.roles_over(user, place_of(case))
    return bool(roles & workflow.BY_ACTION["merge"].roles)


def get_photo(user: User, photo_id: object) -> Photo:
    try:
        photo = Photo.objects.filter(pk=uuid.UUID(str(photo_id))).first()
    except ValueError:
        photo = None
    if photo is None or not visible_cases(user).filter(pk=photo.case_id).exists():
        raise NotFound(_("No such photo."), field="photo_id")
    return photo


def action_label(action: str) -> str:
    return str(workflow.ACTION_LABELS.get(action, action))


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor", "task__department").prefetch_related("photos")


def case_tasks(case: Case) -> list[Task]:
    """The case's tasks with their departments, kept on the case so that later reads of
    `case.tasks` (roles, offered actions) do not query again."""
    prefetch_related_objects(
        [case], Prefetch("tasks", queryset=Task.objects.select_related("department"))
    )
    return list(case.tasks.all())


def active_classes(district_id: int | None = None) -> QuerySet[CaseClass]:
    """The classes a reporter may choose: the catalogue's active ones, less those the district
    (when given) switched off (cases.overrides)."""
    classes = CaseClass.objects.filter(active=True).select_related("major").order_by("code")
    off = overrides.off_in(district_id)
    return classes.exclude(pk__in=off) if off else classes


def reporting_district(user: User) -> int | None:
    """The one district a field reporter works in (the district of their grids), for the class
    list: None while no district overrides anything, or when their grids span several."""
    if not overrides.any_overrides():
        return None
    streets = {g.street_id for g in field_grids(user)}
    districts = {overrides.district_of_street(s) for s in streets}
    if len(districts) != 1:
        return None
    found = districts.pop()
    return found[0] if found else None


def frequent_classes(user: User, *, limit: int = 6, days: int = 90) -> list[str]:
    """Codes of the active classes reported most often lately in what the user may see (for a
    grid worker: their grids and their own reports), most frequent first."""
    since = clock.now() - dt.timedelta(days=days)
    rows = (
        visible_cases(user)
        .filter(reported_at__gte=since, case_class__active=True)
        .order_by()
        .values("case_class__code")
        .annotate(n=Count("pk"))
        .order_by("-n", "case_class__code")[:limit]
    )
    return [r["case_class__code"] for r in rows]


def field_grids(user: User) -> list[Grid]:
    """The grids the user is bound to (grid workers, grid heads, team members), by code."""
    grid_ids = {a.grid_id for a in policies.assignments(user) if a.grid_id}
    if not grid_ids:
        return []
    return list(Grid.objects.filter(pk__in=grid_ids).order_by("code"))


def cases_at_address(user: User, address: Address, *, limit: int = 20) -> list[Case]:
    """The user's visible cases reported against a standard address (the report event names
    its code), newest first; looked for only among the cases of the address's grid, so it stays
    cheap. An address linked to no grid has none."""
    if address.grid_id is None:
        return []
    cases = (
        visible_cases(user)
        .filter(
            grid_id=address.grid_id,
            events__action="report",
            events__data__address_code=address.code,
        )
        .distinct()
        .order_by("-reported_at")
    )
    return list(cases[:limit])


def case_by_tracking_code(code: object) -> Case | None:
    """The case a tracking code names (typed the forgiving Crockford way), or None. Not scoped:
    whoever holds the code follows the case, and the caller decides what of it to show (a
    resident's status page, the public page, Open311's tokens)."""
    normal = tracking.normalise(code)
    if normal is None:
        return None
    return (
        Case.objects.select_related("case_class", "grid", "street", "community")
        .defer("grid__geometry_wkb", "street__geometry_wkb", "community__geometry_wkb")
        .filter(tracking_code=normal)
        .first()
    )


# Who works the call-back queue: call-back staff and shift leads (over their street), and the
# command centre (over the district).
CALLBACK_QUEUE_ROLES = frozenset({Role.CALLBACK, Role.SHIFT_LEAD, Role.COMMAND_CENTRE})


def may_work_callback_queue(user: User) -> bool:
    return bool(policies.role_names(user) & CALLBACK_QUEUE_ROLES)


def callback_queue(user: User) -> QuerySet[Case]:
    """Closed cases whose reporter rated them unsatisfied and who wait for a call back (a
    revisit or a reopen takes them off), in the user's scope, longest waiting first. Empty for
    anyone who does not work the queue."""
    if not may_work_callback_queue(user):
        return Case.objects.none()
    return visible_cases(user).filter(callback_needed=True).order_by("rated_at", "reported_at")
