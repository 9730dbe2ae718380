"""Guards and effects of 吹哨报到 (the street whistles, departments report in), named by the
workflow table like those of cases.rules.

The street's shift lead summons departments to a case the street cannot settle with its own
powers (`whistle`): each gets a task of role "whistle" in state "summoned", with a report-in
clock in working hours (ONEGRID["WHISTLE_REPORT_IN_HOURS"]) and the case class's time limit to
act. A summoned department reports in (`report_in`), which makes its task a live one that
acts, asks for extensions and feeds back as a co-department's does; the street then rates the
work once (`rate_whistle`). The timer marks a report-in missed once (`report_in_late`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from onegrid.core.codes import code_problem, shown
from onegrid.core.errors import Conflict, InvalidInput
from onegrid.org.models import Department

from . import calendar, overrides
from .access import live_tasks
from .models import Task
from .rules import SATISFACTION, UNSATISFIED, disposal_due

if TYPE_CHECKING:
    from .rules import ActionContext

# A street summons a handful of departments to one matter; more is a form filled in wrong.
MAX_SUMMONED = 20
# The work the street rates: fed back (the case still open) or done (closed with the case).
RATABLE_STATES = frozenset({Task.State.FED_BACK, Task.State.DONE})


def report_in_due(start: dt.datetime, district: str = "") -> dt.datetime:
    """When a department summoned at `start` must have reported in: the working hours of
    ONEGRID["WHISTLE_REPORT_IN_HOURS"] on the working calendar (weekends, holidays and make-up
    working days as the district's schedule has them)."""
    return calendar.add_working_time(
        start, settings.ONEGRID["WHISTLE_REPORT_IN_HOURS"], "hours", district
    )


# --- guards ---


def valid_departments(ctx: ActionContext) -> None:
    """whistle: `departments`, a list of 1 to MAX_SUMMONED department codes, each known, named
    once, and without a live task on the case already (a department takes one task on a case).
    Leaves the Department rows, in the order given, in ctx.params["departments"]."""
    raw = ctx.params.get("departments")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple) or not raw:
        raise InvalidInput(_("Choose at least one department to summon."), field="departments")
    if len(raw) > MAX_SUMMONED:
        raise InvalidInput(
            _("Summon at most %(n)d departments at once.") % {"n": MAX_SUMMONED},
            field="departments",
        )
    max_length = Department._meta.get_field("code").max_length or 40
    codes: list[str] = []
    for item in raw:
        code = item.strip() if isinstance(item, str) else ""
        # A code off the code rule (a NUL, a number, a list) names no department, and is not
        # sent to the database (PostgreSQL refuses NUL in text).
        if not code or code_problem(code, max_length=max_length) is not None:
            raise InvalidInput(
                _("Unknown department %(code)s.") % {"code": shown(str(item))[:60]},
                field="departments",
            )
        codes.append(code)
    if len(set(codes)) != len(codes):
        raise InvalidInput(_("Name each department once."), field="departments")
    found = {d.code: d for d in Department.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise InvalidInput(
            _("Unknown department %(code)s.") % {"code": unknown[0]}, field="departments"
        )
    busy = {t.department_id for t in live_tasks(ctx.case)}
    taken = [c for c in codes if found[c].pk in busy]
    if taken:
        raise InvalidInput(
            _("%(code)s already has a task on this case.") % {"code": taken[0]},
            field="departments",
        )
    ctx.params["departments"] = [found[c] for c in codes]


def may_rate_whistle(ctx: ActionContext) -> None:
    """rate_whistle: a summoned department's work that has fed back (or is done) and has not
    been rated; `task` names it when several wait. Rated once; unsatisfied says why."""
    waiting = [
        t
        for t in ctx.case.tasks.all()
        if t.role == Task.Role.WHISTLE and t.state in RATABLE_STATES and t.rated_at is None
    ]
    if not waiting:
        raise Conflict(
            _("No summoned department's work waits for the street's rating."),
            field="action",
            code="not_allowed_now",
        )
    wanted = str(ctx.params.get("task") or "").strip()
    if wanted:
        named = next((t for t in ctx.case.tasks.all() if str(t.pk) == wanted), None)
        if named is None or named.role != Task.Role.WHISTLE:
            raise InvalidInput(_("No such summoned department on this case."), field="task")
        if named.rated_at is not None:
            raise Conflict(
                _("The street has already rated this department's work."),
                field="task",
                code="already_rated",
            )
        if named not in waiting:
            raise InvalidInput(_("This department has not fed back yet."), field="task")
        task = named
    elif len(waiting) == 1:
        task = waiting[0]
    else:
        raise InvalidInput(_("Choose the department whose work you rate."), field="task")
    rating = ctx.params.get("rating")
    if rating not in SATISFACTION:
        raise InvalidInput(
            _("The rating is satisfied, basically_satisfied or unsatisfied."), field="rating"
        )
    if rating == UNSATISFIED and not ctx.reason:
        raise InvalidInput(_("Say what you are unsatisfied with."), field="reason")
    ctx.task = task


# --- effects ---


def summon(ctx: ActionContext) -> None:
    case = ctx.case
    departments: list[Department] = ctx.params["departments"]
    report_by = report_in_due(ctx.now, overrides.calendar_district(case))
    due = disposal_due(case, ctx.now)
    created = [
        Task.objects.create(
            case=case,
            department=department,
            role=Task.Role.WHISTLE,
            state=Task.State.SUMMONED,
            dispatched_at=ctx.now,
            due_at=due,
            report_in_due_at=report_by,
            whistle_reason=ctx.reason,
        )
        for department in departments
    ]
    # The case's prefetched task list predates these; drop it so later reads see them.
    getattr(case, "_prefetched_objects_cache", {}).pop("tasks", None)
    ctx.params["departments"] = [d.code for d in departments]
    ctx.event_data.update(
        {
            "departments": [d.code for d in departments],
            "tasks": [str(t.id) for t in created],
            "report_in_due_at": report_by.isoformat(),
            "due_at": due.isoformat(),
        }
    )


def report_in(ctx: ActionContext) -> None:
    task = ctx.acting_task
    task.state = Task.State.IN_PROGRESS
    task.signed_at = task.reported_in_at = ctx.now
    task.reported_in_on_time = task.report_in_due_at is None or ctx.now <= task.report_in_due_at
    task.save(update_fields=["state", "signed_at", "reported_in_at", "reported_in_on_time"])
    ctx.event_data.update({"department": task.department.code, "on_time": task.reported_in_on_time})


def mark_report_in_late(ctx: ActionContext) -> None:
    task = ctx.acting_task
    task.report_in_overdue = True
    task.save(update_fields=["report_in_overdue"])
    ctx.event_data.update(
        {
            "department": task.department.code,
            "report_in_due_at": task.report_in_due_at.isoformat()
            if task.report_in_due_at
            else None,
        }
    )


def rate(ctx: ActionContext) -> None:
    task = ctx.acting_task
    task.rating = ctx.params["rating"]
    task.rating_reason = ctx.reason
    task.rated_at = ctx.now
    task.rated_by = ctx.actor
    task.save(update_fields=["rating", "rating_reason", "rated_at", "rated_by"])
    ctx.event_data.update({"department": task.department.code, "rating": task.rating})
