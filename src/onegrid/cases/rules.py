"""Guards and effects named by the workflow table.

A guard raises a translated error when an action may not happen to this case now; an effect
changes the case's and its tasks' fields. Neither sets the state: the engine moves the case to
the row's first target, or to another of the row's declared targets the effect chose
(`ActionContext.choose`). A follow-up's condition says whether the row's declared follow-up
system action runs after it. Who may act at all is decided before any of these, in
`cases.evaluator`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from onegrid.core.codes import code_problem, shown
from onegrid.core.errors import Conflict, InvalidInput, NotFound
from onegrid.org.models import Department, User

from . import calendar, overrides
from .access import live_tasks, may_see
from .models import PROACTIVE_SOURCES, Case, CaseClass, CaseReporter, Photo, Source, Task
from .states import OPEN_STATES, State

if TYPE_CHECKING:
    from .photos import StagedPhoto

SATISFACTION = ("satisfied", "basically_satisfied", "unsatisfied")
UNSATISFIED = "unsatisfied"
MAX_COMMENT = 2000
# Reports from outside the grid team that are confirmed on site before registration.
VERIFIED_SOURCES = frozenset({Source.RESIDENT, Source.HOTLINE, Source.OPEN311, Source.PUBLIC})
VERIFICATION_RESULTS = ("confirmed", "not_found")
MAX_EXTENSION_HOURS = 30 * 8


@dataclass
class ActionContext:
    case: Case
    action: str
    actor: User | None
    actor_roles: set[str]
    now: dt.datetime
    reason: str = ""
    # The row's params as the caller sent them (JSON values, checked by the guards) and the
    # JSON the history event records.
    params: dict[str, Any] = field(default_factory=dict)
    task: Task | None = None
    photos: list[StagedPhoto] = field(default_factory=list)  # written, not yet recorded
    event_data: dict[str, Any] = field(default_factory=dict)
    targets: tuple[str, ...] = ()  # the row's declared targets
    target: str | None = None  # one of them, chosen by the effect; None: the row's first
    side_events: list[tuple[Case, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def acting_task(self) -> Task:
        """The task a department's task row acts on: the evaluator (or extension_pending) sets
        it before the row's guards and effects run."""
        if self.task is None:
            raise ValueError(f"{self.action} acts on no task")
        return self.task

    def choose(self, state: str) -> None:
        """Send the case to `state`, which must be one of the row's declared targets."""
        if state not in self.targets:
            raise ValueError(f"{self.action} declares no target {state!r}: {self.targets}")
        self.target = state


# --- guards ---


def may_self_close(ctx: ActionContext) -> None:
    if ctx.case.source not in PROACTIVE_SOURCES:
        raise InvalidInput(
            _("Only problems the grid team found itself can be self-closed."), field="action"
        )
    if not ctx.case.case_class.minor_self_closable:
        raise InvalidInput(
            _("Class %(code)s is not a minor problem that may be fixed on the spot.")
            % {"code": ctx.case.case_class.code},
            field="case_class",
        )


def needs_verification(ctx: ActionContext) -> None:
    if ctx.case.source in PROACTIVE_SOURCES:
        raise InvalidInput(
            _("Reports by the grid team need no on-site verification."), field="action"
        )


def valid_verification(ctx: ActionContext) -> None:
    result = ctx.params.get("result")
    if result not in VERIFICATION_RESULTS:
        raise InvalidInput(
            _("Say whether the problem was confirmed or not found on site."), field="result"
        )
    ctx.event_data["result"] = result


def _last_verification(case: Case) -> str | None:
    event = case.events.filter(action="verify").order_by("-seq").first()
    return event.data.get("result") if event else None


def verified_if_needed(ctx: ActionContext) -> None:
    if ctx.case.source in VERIFIED_SOURCES:
        result = _last_verification(ctx.case)
        if result is None:
            raise InvalidInput(
                _("Resident and hotline reports must be verified on site before registration."),
                field="action",
            )
        if result != "confirmed":
            raise InvalidInput(
                _("The problem was not found on site: reject the report instead."), field="action"
            )


def was_returned(ctx: ActionContext) -> None:
    if not ctx.case.events.filter(action="return", data__lead=True).exists():
        raise InvalidInput(
            _("Only a case a department has returned goes to arbitration."), field="action"
        )


def not_arbitrated(ctx: ActionContext) -> None:
    if ctx.acting_task.arbitrated:
        raise InvalidInput(
            _("The command centre has arbitrated this case: it cannot be returned."), field="action"
        )


def returnable(ctx: ActionContext) -> None:
    """return: not after arbitration, and never by a department the street summoned (吹哨报到:
    it reports in and acts)."""
    not_arbitrated(ctx)
    if ctx.acting_task.role == Task.Role.WHISTLE:
        raise InvalidInput(
            _("A summoned department cannot return the matter: report in and act on it."),
            field="action",
        )


def valid_extension(ctx: ActionContext) -> None:
    try:
        hours = int(ctx.params["hours"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(_("Give the extension in whole working hours."), field="hours") from None
    if not 1 <= hours <= MAX_EXTENSION_HOURS:
        raise InvalidInput(
            _("An extension is between 1 and %(max)d working hours.")
            % {"max": MAX_EXTENSION_HOURS},
            field="hours",
        )
    ctx.params["hours"] = hours


def extension_pending(ctx: ActionContext) -> None:
    pending = [t for t in ctx.case.tasks.all() if t.state == Task.State.EXTENSION_REQUESTED]
    if not pending:
        raise InvalidInput(_("No extension request is waiting on this case."), field="action")
    wanted = ctx.params.get("task")
    if wanted:
        pending = [t for t in pending if str(t.id) == str(wanted)]
        if not pending:
            raise InvalidInput(_("That task has no extension request waiting."), field="task")
    ctx.task = pending[0]


def valid_satisfaction(ctx: ActionContext) -> None:
    value = ctx.params.get("satisfaction")
    if value not in SATISFACTION:
        raise InvalidInput(
            _("Satisfaction is satisfied, basically_satisfied or unsatisfied."),
            field="satisfaction",
        )


def may_rate(ctx: ActionContext) -> None:
    """The reporter rates a closed case once (until a reopen); an unsatisfied rating says why."""
    if ctx.case.rated_at is not None:
        raise Conflict(_("This case has already been rated."), field="action", code="already_rated")
    valid_satisfaction(ctx)
    if ctx.params["satisfaction"] == UNSATISFIED and not ctx.reason:
        raise InvalidInput(_("Say what you are unsatisfied with."), field="reason")


def valid_comment(text: str) -> None:
    if len(text) > MAX_COMMENT:
        raise InvalidInput(
            _("A comment is at most %(n)d characters.") % {"n": MAX_COMMENT}, field="reason"
        )
    if any(ch < " " and ch not in "\n\r\t" for ch in text):
        raise InvalidInput(_("A comment may not contain control characters."), field="reason")


def photo_awaiting_approval(ctx: ActionContext) -> None:
    """approve_photo: a photo of this case that no one has approved yet. With none waiting the
    row is not offered; a wrong or already approved photo is refused naming the field."""
    waiting = Photo.objects.filter(case=ctx.case, approved_at__isnull=True)
    if not waiting.exists():
        raise Conflict(
            _("No photo of this case waits for approval."), field="action", code="not_allowed_now"
        )
    wanted = str(ctx.params.get("photo") or "").strip()
    if not wanted:
        raise InvalidInput(_("Choose the photo to approve."), field="photo")
    try:
        photo_id = uuid.UUID(wanted)
    except ValueError:
        raise InvalidInput(_("No such photo on this case."), field="photo") from None
    photo = Photo.objects.filter(case=ctx.case, pk=photo_id).first()
    if photo is None:
        raise InvalidInput(_("No such photo on this case."), field="photo")
    if photo.approved_at is not None:
        raise Conflict(
            _("This photo is already approved for the public pages."),
            field="photo",
            code="already_approved",
        )
    ctx.params["photo"] = str(photo.pk)


def valid_new_class(ctx: ActionContext) -> None:
    """Reclassify: an active class of the catalogue, other than the case's own."""
    code = str(ctx.params.get("class_code") or "").strip()
    if not code:
        raise InvalidInput(_("Choose the class the case belongs to."), field="class_code")
    # A code off the code rule (a NUL, a line break, 30 characters) names no class, and is not
    # sent to the database (PostgreSQL refuses NUL in text).
    max_length = CaseClass._meta.get_field("code").max_length or 20
    new_class = (
        CaseClass.objects.filter(code=code, active=True).first()
        if code_problem(code, max_length=max_length) is None
        else None
    )
    if new_class is None:
        raise InvalidInput(
            _("Unknown problem class %(code)s.") % {"code": shown(code)}, field="class_code"
        )
    # A class the case's district switched off is refused there (overrides.check_offered).
    overrides.check_offered(new_class, overrides.override_district(ctx.case))
    if new_class.pk == ctx.case.case_class_id:
        raise InvalidInput(
            _("The case is already in class %(code)s.") % {"code": code}, field="class_code"
        )
    ctx.params["class_code"] = new_class.code


# --- effects ---


def close_now(ctx: ActionContext) -> None:
    case = ctx.case
    case.closed_at = ctx.now
    tasks = live_tasks(case)
    # The disposal clock stops at the department's (last) feedback, not at the check.
    case.closed_on_time = all(t.fed_back_at and t.fed_back_at <= t.due_at for t in tasks)
    for task in tasks:
        task.state = Task.State.DONE
        task.save(update_fields=["state"])
    ctx.event_data["on_time"] = case.closed_on_time


def dispatch_due(start: dt.datetime, urgency: str, district: str = "") -> dt.datetime:
    """When a case registered at `start` is due for dispatch: its urgency's allowance
    (ONEGRID["URGENCY_DISPATCH_HOURS"], 24 for an urgency not listed) in working hours, on the
    calendar of `district` (a case's: overrides.calendar_district)."""
    hours = settings.ONEGRID["URGENCY_DISPATCH_HOURS"].get(urgency, 24)
    return calendar.add_working_time(start, hours, "hours", district)


def disposal_due(case: Case, start: dt.datetime) -> dt.datetime:
    """When a department sent to `case` at `start` is due to have acted: its class's time
    limit in working hours or days (as the case's district overrides it), on the district's
    calendar."""
    limit = overrides.for_case(case)
    return calendar.add_working_time(
        start, limit.time_limit, limit.time_unit, overrides.calendar_district(case)
    )


def restart_dispatch_clock(ctx: ActionContext) -> None:
    """A case (back) at registration waits for a dispatch within its urgency's limit."""
    case = ctx.case
    case.registered_at = ctx.now
    case.dispatch_due_at = dispatch_due(ctx.now, case.urgency, overrides.calendar_district(case))


def default_department(case: Case) -> Department | None:
    cls = case.case_class
    if cls.route_to_street_police:
        return Department.objects.filter(code=f"police_{case.street.code}").first()
    chosen = overrides.for_case(case).default_department_id
    if chosen is None or chosen == cls.default_department_id:
        return cls.default_department
    return Department.objects.filter(pk=chosen).first()


def _department(code: str, field_name: str) -> Department:
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise InvalidInput(_("Unknown department %(code)s.") % {"code": code}, field=field_name)
    return department


def create_tasks(ctx: ActionContext, *, arbitrated: bool = False) -> None:
    case = ctx.case
    code = ctx.params.get("department")
    lead = _department(code, "department") if code else default_department(case)
    if lead is None:
        raise InvalidInput(
            _("Class %(code)s has no default department: choose one.")
            % {"code": case.case_class.code},
            field="department",
        )
    co_codes = ctx.params.get("co_departments") or []
    co = [_department(c, "co_departments") for c in co_codes]
    if lead in co or len(set(co_codes)) != len(co_codes):
        raise InvalidInput(_("Each department takes one task on a case."), field="co_departments")
    due = disposal_due(case, ctx.now)
    created = []
    for role, department in [(Task.Role.LEAD, lead)] + [(Task.Role.CO, d) for d in co]:
        created.append(
            Task.objects.create(
                case=case,
                department=department,
                role=role,
                state=Task.State.DISPATCHED,
                dispatched_at=ctx.now,
                due_at=due,
                arbitrated=arbitrated,
            )
        )
    case.dispatched_at = ctx.now
    case.due_at = due
    # The case's prefetched task list predates these; drop it so later reads see them.
    getattr(case, "_prefetched_objects_cache", {}).pop("tasks", None)
    case.overdue = False
    ctx.event_data.update(
        {
            "lead": lead.code,
            "co": [d.code for d in co],
            "due_at": due.isoformat(),
            "tasks": [str(t.id) for t in created],
        }
    )


def create_arbitrated_tasks(ctx: ActionContext) -> None:
    create_tasks(ctx, arbitrated=True)


def sign_task(ctx: ActionContext) -> None:
    task = ctx.acting_task
    task.state = Task.State.IN_PROGRESS
    task.signed_at = ctx.now
    task.save(update_fields=["state", "signed_at"])


def return_task(ctx: ActionContext) -> None:
    task = ctx.acting_task
    is_lead = task.role == Task.Role.LEAD
    ctx.event_data["lead"] = is_lead
    if not is_lead:
        task.state = Task.State.RETURNED
        task.save(update_fields=["state"])
        return
    for other in live_tasks(ctx.case):
        other.state = Task.State.RETURNED if other.pk == task.pk else Task.State.CANCELLED
        other.save(update_fields=["state"])
    ctx.case.due_at = None
    ctx.case.overdue = False
    ctx.choose(State.REGISTERED)
    # Re-dispatch (or arbitration) is a new dispatch and gets a fresh dispatch clock.
    restart_dispatch_clock(ctx)


def request_extension(ctx: ActionContext) -> None:
    task = ctx.acting_task
    task.state = Task.State.EXTENSION_REQUESTED
    task.extension_hours = ctx.params["hours"]
    task.extension_reason = ctx.reason
    task.save(update_fields=["state", "extension_hours", "extension_reason"])
    ctx.event_data["hours"] = ctx.params["hours"]


def approve_extension(ctx: ActionContext) -> None:
    task = ctx.acting_task
    if task.extension_hours is None:  # extension_pending chose a task that asked for hours
        raise InvalidInput(_("No extension request is waiting on this case."), field="action")
    old_due = task.due_at
    task.due_at = calendar.add_working_time(
        old_due, task.extension_hours, "hours", overrides.calendar_district(ctx.case)
    )
    task.state = Task.State.IN_PROGRESS
    task.overdue = task.due_at < ctx.now
    task.save(update_fields=["due_at", "state", "overdue"])
    if task.role == Task.Role.LEAD:
        ctx.case.due_at = task.due_at
        ctx.case.overdue = task.overdue
    ctx.event_data.update(
        {
            "hours": task.extension_hours,
            "old_due_at": old_due.isoformat(),
            "due_at": task.due_at.isoformat(),
        }
    )


def refuse_extension(ctx: ActionContext) -> None:
    task = ctx.acting_task
    task.state = Task.State.IN_PROGRESS
    task.extension_hours = None
    task.save(update_fields=["state", "extension_hours"])


def feed_back_task(ctx: ActionContext) -> None:
    task = ctx.acting_task
    task.state = Task.State.FED_BACK
    task.fed_back_at = ctx.now
    task.save(update_fields=["state", "fed_back_at"])


def start_check_clock(ctx: ActionContext) -> None:
    # The case counts as fed back from the moment its last live task did: now.
    ctx.case.fed_back_at = ctx.now
    hours = settings.ONEGRID["CHECK_HOURS"]
    ctx.case.check_due_at = calendar.add_working_time(
        ctx.now, hours, "hours", overrides.calendar_district(ctx.case)
    )
    # Recorded, so the timely-check rate (cases.facts) needs no calendar of the time.
    ctx.event_data["check_due_at"] = ctx.case.check_due_at.isoformat()


def rework(ctx: ActionContext) -> None:
    case = ctx.case
    case.rework_count += 1
    case.check_due_at = None
    case.fed_back_at = None
    for task in live_tasks(case):
        task.state = Task.State.IN_PROGRESS
        task.fed_back_at = None
        task.save(update_fields=["state", "fed_back_at"])


def record_satisfaction(ctx: ActionContext) -> None:
    """A call-back's reply: the reporter has been called back, so no call-back is needed."""
    ctx.case.satisfaction = ctx.params["satisfaction"]
    ctx.case.callback_needed = False
    ctx.event_data["satisfaction"] = ctx.case.satisfaction


def record_rating(ctx: ActionContext) -> None:
    """The reporter's own rating: counted as a reply like a call-back's (cases.facts); an
    unsatisfied one puts the case on the call-back queue."""
    case = ctx.case
    case.satisfaction = ctx.params["satisfaction"]
    case.rated_at = ctx.now
    case.callback_needed = case.satisfaction == UNSATISFIED
    ctx.event_data["satisfaction"] = case.satisfaction


def record_comment(ctx: ActionContext) -> None:
    valid_comment(ctx.reason)


def approve_photo(ctx: ActionContext) -> None:
    updated = Photo.objects.filter(
        case=ctx.case, pk=ctx.params["photo"], approved_at__isnull=True
    ).update(approved_at=ctx.now, approved_by=ctx.actor)
    if not updated:  # (the case lock orders approvals of one case; a check, not a race)
        raise Conflict(
            _("This photo is already approved for the public pages."),
            field="photo",
            code="already_approved",
        )
    ctx.event_data["photo"] = ctx.params["photo"]


def reopen(ctx: ActionContext) -> None:
    case = ctx.case
    case.satisfaction = "unsatisfied"
    # A reopened case is handled again: it may be rated again once re-closed, and the reopening
    # is itself the answer to the reporter's dissatisfaction.
    case.rated_at = None
    case.callback_needed = False
    case.closed_at = None
    case.closed_on_time = None
    case.due_at = None
    case.overdue = False
    restart_dispatch_clock(ctx)


def merge_into_target(ctx: ActionContext) -> None:
    case = ctx.case
    ref = str(ctx.params.get("target") or "").strip()
    if not ref:
        raise InvalidInput(_("Name the open case to merge into."), field="target")
    # Locked: the target's history gets an event too.
    target = Case.objects.select_for_update().by_ref(ref)
    # The timer (no actor) sees every case; a person only the cases in their scope.
    if target is None or (ctx.actor is not None and not may_see(ctx.actor, target)):
        raise NotFound(_("No case %(ref)s.") % {"ref": ref}, field="target")
    if target.pk == case.pk or target.state not in OPEN_STATES or target.merged_into_id:
        raise Conflict(_("A case can only be merged into another open case."), field="target")
    if target.street_id != case.street_id:
        raise InvalidInput(_("Both cases must lie in the same street."), field="target")
    for reporter in case.reporters.all():
        CaseReporter.objects.create(
            case=target,
            from_case=case,
            reporter=reporter.reporter,
            reporter_name=reporter.reporter_name,
            reporter_phone=reporter.reporter_phone,
            at=ctx.now,
        )
    case.merged_into = target
    ctx.event_data["target"] = target.number
    ctx.side_events.append((target, "absorb", {"duplicate": case.number}))


def escalate_task(ctx: ActionContext) -> None:
    level = ctx.params["level"]
    task = ctx.acting_task
    task.escalation_level = max(task.escalation_level, level)
    task.overdue = True
    task.save(update_fields=["escalation_level", "overdue"])
    ctx.case.overdue = True
    ctx.case.escalation_level = max(ctx.case.escalation_level, level)
    ctx.event_data.update({"level": level, "department": task.department.code})


def reclassify(ctx: ActionContext) -> None:
    """A desk's correction of the class: the case takes the class and its urgency. A registered
    case's dispatch clock follows the new urgency from its registration, unless its deadline has
    already passed and the new one would be later; the history records the
    class before and after (`class`: the class from now on, as the report event names it)."""
    case = ctx.case
    old_class, old_urgency = case.case_class, case.urgency
    new_class = CaseClass.objects.get(code=ctx.params["class_code"], active=True)
    case.case_class = new_class
    case.urgency = overrides.for_case(case).urgency
    if case.state == State.REGISTERED and case.registered_at is not None:
        due = dispatch_due(case.registered_at, case.urgency, overrides.calendar_district(case))
        # A dispatch deadline already missed stays missed: a late desk cannot take its case off
        # the overdue list by choosing a class with a longer limit. An earlier one applies.
        missed = case.dispatch_due_at is not None and case.dispatch_due_at <= ctx.now
        if not missed or (case.dispatch_due_at is not None and due < case.dispatch_due_at):
            case.dispatch_due_at = due
    ctx.event_data.update(
        {
            "from_class": old_class.code,
            "to_class": new_class.code,
            "class": new_class.code,
            "from_urgency": old_urgency,
            "urgency": case.urgency,
        }
    )


# --- follow-up conditions ---


def dispatches_at_once(ctx: ActionContext) -> bool:
    """The dispatch rule: an urgent (red) class with a known department goes out at once."""
    return ctx.case.urgency == "red" and default_department(ctx.case) is not None


def registered_and_dispatches_at_once(ctx: ActionContext) -> bool:
    """The dispatch rule after a reclassify: a registered case now of an urgent class with a
    known department goes out at once, as it would have at registration."""
    return ctx.case.state == State.REGISTERED and dispatches_at_once(ctx)


def every_live_task_fed_back(ctx: ActionContext) -> bool:
    return all(t.state == Task.State.FED_BACK for t in live_tasks(ctx.case))
