"""A report's progress as a resident reads it: the state in plain words, the expected completion
time, and a timeline that names no member of staff.

The workflow table's labels are written for staff ("Register", "Dispatch"); a resident wants to
know where their problem stands ("已受理，正在派往责任部门"). Each state and each action has one
plain sentence here. Staff names never appear: an event says what happened, not who did it; a
comment is marked as the resident's own or as the staff's, and comments by other reporters of a
merged case are left out (they are someone else's words, possibly with their contact details).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from onegrid.cases import calendar, overrides, rules
from onegrid.cases.access import REPORTER
from onegrid.cases.models import Case, CaseEvent
from onegrid.cases.states import State
from onegrid.core import clock

PLAIN_STATES = {
    State.REPORTED: _("Received; waiting to be checked and accepted"),
    State.VERIFYING: _("A grid worker is confirming the problem on site"),
    State.REGISTERED: _("Accepted; being sent to the department responsible"),
    State.REJECTED: _("Not accepted"),
    State.DISPATCHED: _("Sent to the department responsible"),
    State.IN_PROGRESS: _("The department responsible is working on it"),
    State.CHECKING: _("The department reports it fixed; a grid worker will check on site"),
    State.CHECKED: _("Checked on site; about to be closed"),
    State.CLOSED: _("Handled and closed"),
    State.SELF_CLOSED: _("Fixed on the spot by the grid worker"),
    State.MERGED: _("Handled together with another report of the same problem"),
}

SATISFACTION_LABELS = {
    "satisfied": _("Satisfied"),
    "basically_satisfied": _("Basically satisfied"),
    "unsatisfied": _("Unsatisfied"),
}

# One plain sentence per action of the workflow table; actions not listed are not shown.
PLAIN_ACTIONS = {
    "report": _("Report received"),
    "request_verification": _("A grid worker was asked to confirm it on site"),
    "verify": _("Confirmed on site"),
    "register": _("Accepted"),
    "reject": _("Not accepted"),
    "reclassify": _("The kind of problem was corrected"),
    "merge": _("Handled together with another report of the same problem"),
    "dispatch": _("Sent to the department responsible"),
    "arbitrate": _("The command centre decided which department handles it"),
    "sign": _("The department has taken it on"),
    "return": _("Being passed to another department"),
    "approve_extension": _("The department was given more time"),
    "feed_back": _("The department reports it fixed"),
    "start_check": _("A grid worker is checking the repair on site"),
    "fail_check": _("Not fixed yet: sent back to the department"),
    "pass_check": _("The repair passed the on-site check"),
    "close": _("Closed"),
    "self_close": _("Fixed on the spot by the grid worker"),
    "revisit": _("Call-back recorded"),
    "reopen": _("Reopened"),
    "urge": _("The department was urged to hurry"),
    "escalate": _("Taken up by a higher level"),
    "rate": _("Rated"),
    "comment": _("Comment"),
}
# Actions whose reason the resident is shown: their own words, and why a report was refused.
REASONS_SHOWN = {"reject", "reopen", "rate", "comment"}


@dataclass(frozen=True)
class Expected:
    """When the report should be done: `at` (None: nothing pending), `estimated` when no
    clock runs yet (before dispatch), `late` when a running deadline has passed."""

    at: dt.datetime | None
    estimated: bool = False
    late: bool = False


def plain_state(case: Case) -> str:
    return str(PLAIN_STATES.get(case.state, case.state))


def expected_completion(case: Case, now: dt.datetime | None = None) -> Expected:
    """The running deadline, or before dispatch an estimate: the dispatch allowance of the
    case's urgency (from now, or the dispatch deadline once registered), then the class's
    time limit, both on the working calendar."""
    now = now or clock.now()
    state = case.state
    if state in (State.DISPATCHED, State.IN_PROGRESS) and case.due_at:
        return Expected(case.due_at, late=case.due_at < now)
    if state == State.CHECKING and case.check_due_at:
        return Expected(case.check_due_at, late=case.check_due_at < now)
    if state in (State.REPORTED, State.VERIFYING, State.REGISTERED):
        # The class's limit and the calendar as the case's district has them (cases.overrides).
        district = overrides.calendar_district(case)
        if state == State.REGISTERED and case.dispatch_due_at:
            start = max(case.dispatch_due_at, now)
        else:
            start = rules.dispatch_due(now, case.urgency, district)
        limit = overrides.for_case(case)
        return Expected(
            calendar.add_working_time(start, limit.time_limit, limit.time_unit, district), True
        )
    return Expected(None)


@dataclass
class Step:
    at: dt.datetime
    action: str
    text: str
    detail: str = ""
    by_me: bool = False
    by_staff: bool = False
    photo_ids: list[str] = field(default_factory=list)


def _detail(event: CaseEvent) -> str:
    if event.action == "rate":
        label = SATISFACTION_LABELS.get(str(event.data.get("satisfaction", "")), "")
        if label and event.reason:  # the colon in the reader's language (：in Chinese)
            return _("%(rating)s: %(reason)s") % {"rating": label, "reason": event.reason}
        return f"{label}{event.reason}"
    if event.action in REASONS_SHOWN:
        return event.reason
    return ""


def timeline(case: Case, viewer_id: int) -> list[Step]:
    """The case's history for its reporter, oldest first, without staff names. Photos only to
    the case's own reporter: they are served by the case's scope, and a report merged into this
    case follows it without being its reporter."""
    own = case.reporter_id == viewer_id
    steps = []
    events = case.events.prefetch_related("photos").order_by("seq")
    for event in events:
        text = PLAIN_ACTIONS.get(event.action)
        if text is None:
            continue
        by_me = event.actor_id == viewer_id
        by_reporter = event.action == "report" or event.actor_role == REPORTER
        another_reporter = by_reporter and not by_me
        if event.action == "comment" and another_reporter:
            continue  # another reporter's words
        steps.append(
            Step(
                at=event.at,
                action=event.action,
                text=str(text),
                # Another reporter's rating or reopening is shown as a step, never in their
                # words (a reason may hold their name, flat or phone).
                detail="" if another_reporter else _detail(event),
                by_me=by_me,
                by_staff=event.action == "comment" and not by_reporter,
                photo_ids=[str(p.pk) for p in event.photos.all()] if own else [],
            )
        )
    return steps
