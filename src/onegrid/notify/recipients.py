"""Who hears of a case event, and as which kind (docs/architecture.md "Notifications").

Staff, by the role that has the next step:
- report, verify → the street desk of the case's street (acceptors, shift leads): to_my_desk;
- register → the dispatch desk (dispatchers and shift leads of the street or the district);
- dispatch, arbitrate → the handlers of each new task's department: to_my_department;
- return → the dispatch desk and the street desk: returned;
- fail_check → the handlers of the case's live tasks: returned;
- escalate level 1 → the task's department; level 2 → + the street's leaders; level 3 → + the
  district command centre: escalated;
- start_check → the checkers of the case's grid (grid workers and heads): to_my_desk;
- pass_check → the street desk: checked; close, self_close → the street desk: closed;
- reopen → the dispatch desk (the case is theirs again): to_my_desk;
- rate, unsatisfied → the street's call-back desk (call-back staff, shift leads): to_my_desk;
- comment by the reporter → the street desk, or the call-back desk once the case is closed.
- 吹哨报到: whistle → the handlers of each summoned department: to_my_department; report_in →
  the street's shift leads (who whistled): to_my_desk; report_in_late (the timer) → the
  summoned department's handlers and the street's shift leads: overdue.
The reporter (the case's own and every merged duplicate's with an account): report → received,
register → registered, dispatch/arbitrate → dispatched, start_check → fixed,
close → please_rate (closed: how was it handled?; a merged duplicate's reporter, who cannot rate
the case, hears closed), self_close → closed.
Nobody hears of their own action, except a resident's receipt of their own report (the
acknowledgement with the case number and tracking code is the point of it; staff who report
see the case in their lists at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q

from onegrid.cases.access import REPORTER as REPORTER_ROLE
from onegrid.cases.states import FINAL_STATES
from onegrid.org.models import Role, RoleAssignment

from . import kinds

if TYPE_CHECKING:
    from onegrid.cases.models import Case, CaseEvent

STREET_DESK = (Role.ACCEPTOR, Role.SHIFT_LEAD)
CALLBACK_DESK = (Role.CALLBACK, Role.SHIFT_LEAD)
DISPATCH_DESK = (Role.DISPATCHER, Role.SHIFT_LEAD)
CHECKERS = (Role.GRID_WORKER, Role.GRID_HEAD)
LIVE_TASK_STATES = ("summoned", "dispatched", "in_progress", "extension_requested", "fed_back")

Recipient = tuple[int, str]  # (user id, kind)


def _users(q: Q) -> list[int]:
    return list(RoleAssignment.objects.filter(q).values_list("user_id", flat=True).distinct())


class Lookup:
    """Who holds which desk, read once per fan-out pass (many events share a street, a grid,
    a department): the same answers as the plain functions below, fewer queries."""

    def __init__(self) -> None:
        self._memo: dict[tuple[object, ...], list[int]] = {}

    def _get(self, key: tuple[object, ...], q: Q) -> list[int]:
        if key not in self._memo:
            self._memo[key] = _users(q)
        return self._memo[key]

    def street_desk(self, case: Case) -> list[int]:
        return self._get(("desk", case.street_id), Q(role__in=STREET_DESK, unit_id=case.street_id))

    def dispatch_desk(self, case: Case) -> list[int]:
        street = case.street
        units = [street.pk] + ([street.parent_id] if street.parent_id else [])
        return self._get(("dispatch", *units), Q(role__in=DISPATCH_DESK, unit_id__in=units))

    def department_handlers(self, department_ids: Iterable[int]) -> list[int]:
        ids = sorted(set(department_ids))
        return self._get(("dept", *ids), Q(role=Role.DEPT_HANDLER, department_id__in=ids))

    def grid_checkers(self, case: Case) -> list[int]:
        return self._get(("checkers", case.grid_id), Q(role__in=CHECKERS, grid_id=case.grid_id))

    def callback_desk(self, case: Case) -> list[int]:
        return self._get(
            ("callback", case.street_id), Q(role__in=CALLBACK_DESK, unit_id=case.street_id)
        )

    def shift_leads(self, case: Case) -> list[int]:
        """The street's shift leads: who blows its whistle (吹哨报到)."""
        return self._get(
            ("shift_leads", case.street_id), Q(role=Role.SHIFT_LEAD, unit_id=case.street_id)
        )

    def street_leaders(self, case: Case) -> list[int]:
        return self._get(("leaders", case.street_id), Q(role=Role.LEADER, unit_id=case.street_id))

    def command_centre(self) -> list[int]:
        return self._get(("command",), Q(role=Role.COMMAND_CENTRE))

    def preload_reporters(self, cases: Iterable[Case]) -> None:
        """Read the reporters of many cases in one query (a batch of events)."""
        from onegrid.cases.models import CaseReporter

        cases = list(cases)
        found: dict[object, list[int]] = {
            c.pk: ([c.reporter_id] if c.reporter_id else []) for c in cases
        }
        rows = CaseReporter.objects.filter(
            case_id__in=list(found), reporter__isnull=False
        ).values_list("case_id", "reporter_id")
        for case_id, reporter_id in rows:
            if reporter_id is not None:
                found[case_id].append(reporter_id)
        for pk, ids in found.items():
            self._memo[("reporters", pk)] = list(dict.fromkeys(ids))

    def reporters(self, case: Case) -> list[int]:
        key = ("reporters", case.pk)
        if key not in self._memo:
            self._memo[key] = reporters(case)
        return self._memo[key]


def reporters(case: Case) -> list[int]:
    from onegrid.cases.models import CaseReporter

    ids = [case.reporter_id] if case.reporter_id else []
    ids += CaseReporter.objects.filter(case=case, reporter__isnull=False).values_list(
        "reporter_id", flat=True
    )
    return list(dict.fromkeys(i for i in ids if i))


def _task_departments(event: CaseEvent) -> list[int]:
    from onegrid.cases.models import Task

    task_ids = (event.data or {}).get("tasks") or []
    if task_ids:
        return list(Task.objects.filter(pk__in=task_ids).values_list("department_id", flat=True))
    if event.task_id:
        return list(Task.objects.filter(pk=event.task_id).values_list("department_id", flat=True))
    return []


def _live_departments(case: Case) -> list[int]:
    from onegrid.cases.models import Task

    return list(
        Task.objects.filter(case=case, state__in=LIVE_TASK_STATES).values_list(
            "department_id", flat=True
        )
    )


REPORTER_KINDS: dict[str, tuple[str, ...]] = {
    "report": (kinds.REPORTER_RECEIVED,),
    "register": (kinds.REPORTER_REGISTERED,),
    "dispatch": (kinds.REPORTER_DISPATCHED,),
    "arbitrate": (kinds.REPORTER_DISPATCHED,),
    "start_check": (kinds.REPORTER_FIXED,),
    # Closed by the desk after the check: the reporter is told and asked to rate in one.
    "close": (kinds.PLEASE_RATE,),
    "self_close": (kinds.REPORTER_CLOSED,),
}


def for_event(event: CaseEvent, case: Case, people: Lookup | None = None) -> list[Recipient]:
    """(user id, kind) for everyone who hears of `event`: one kind per person (a member of
    staff who also reported the case hears as staff); never the actor."""
    action = event.action
    people_of = people or Lookup()
    street_desk = people_of.street_desk
    dispatch_desk = people_of.dispatch_desk
    department_handlers = people_of.department_handlers
    grid_checkers = people_of.grid_checkers
    street_leaders = people_of.street_leaders
    command_centre = people_of.command_centre
    staff: list[tuple[list[int], str]] = []
    if action in ("report", "verify"):
        staff.append((street_desk(case), kinds.TO_MY_DESK))
    elif action == "register":
        staff.append((dispatch_desk(case), kinds.TO_MY_DESK))
    elif action in ("dispatch", "arbitrate"):
        staff.append((department_handlers(_task_departments(event)), kinds.TO_MY_DEPARTMENT))
    elif action == "return":
        staff.append(([*dispatch_desk(case), *street_desk(case)], kinds.RETURNED))
    elif action == "fail_check":
        staff.append((department_handlers(_live_departments(case)), kinds.RETURNED))
    elif action == "escalate":
        level = int((event.data or {}).get("level") or 1)
        told = list(department_handlers(_task_departments(event)))
        if level >= 2:
            told += street_leaders(case)
        if level >= 3:
            told += command_centre()
        staff.append((told, kinds.ESCALATED))
    elif action == "whistle":
        staff.append((department_handlers(_task_departments(event)), kinds.TO_MY_DEPARTMENT))
    elif action == "report_in":
        staff.append((people_of.shift_leads(case), kinds.TO_MY_DESK))
    elif action == "report_in_late":
        told = [*department_handlers(_task_departments(event)), *people_of.shift_leads(case)]
        staff.append((told, kinds.OVERDUE))
    elif action in ("request_verification", "start_check"):
        # The grid's workers go and look: to confirm a report, or to check the fix.
        staff.append((grid_checkers(case), kinds.TO_MY_DESK))
    elif action == "pass_check":
        staff.append((street_desk(case), kinds.CHECKED))
    elif action in ("close", "self_close"):
        staff.append((street_desk(case), kinds.CLOSED))
    elif action == "reopen":
        staff.append((dispatch_desk(case), kinds.TO_MY_DESK))
    elif action == "rate" and (event.data or {}).get("satisfaction") == "unsatisfied":
        staff.append((people_of.callback_desk(case), kinds.TO_MY_DESK))
    elif action == "comment" and event.actor_role == REPORTER_ROLE:
        # A reporter's word on their report: the street desk while it is open, the call-back
        # desk once it is closed. Staff's comments tell no one (they read the case page).
        desk = people_of.callback_desk if case.state in FINAL_STATES else street_desk
        staff.append((desk(case), kinds.TO_MY_DESK))

    for kind in REPORTER_KINDS.get(action, ()):
        if kind == kinds.PLEASE_RATE:
            # Only the case's own reporter may rate it; a merged duplicate's reporter is told
            # it is closed.
            own = [case.reporter_id] if case.reporter_id else []
            staff.append((own, kind))
            kind = kinds.REPORTER_CLOSED
        staff.append((people_of.reporters(case), kind))
    out: dict[int, str] = {}
    for group, kind in staff:
        for user_id in group:
            out.setdefault(user_id, kind)
    resident_receipt = action == "report" and event.actor_role == Role.RESIDENT
    return [
        (u, k)
        for u, k in out.items()
        if u != event.actor_id or (resident_receipt and k == kinds.REPORTER_RECEIVED)
    ]
