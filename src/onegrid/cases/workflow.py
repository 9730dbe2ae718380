"""The one workflow table: every (state, action) → (next state, roles, guard, effect).

The API, the pages, the docs and the property-based tests all read this table; no other code
changes a case's state. Task actions (a department's own share of a joint case) name the task
states they apply to as well as the case states.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from onegrid.org.models import Role
from onegrid.org.policies import REPORTING_ROLES

from . import rules
from .access import REPORTER, SYSTEM
from .states import (  # noqa: F401 - re-exported: the table is where callers look
    FINAL_STATES,
    OPEN_STATES,
    STATE_LABELS,
    WITH_DEPARTMENT,
    State,
)

STREET_DESK = frozenset({Role.ACCEPTOR, Role.SHIFT_LEAD})
DISPATCH_DESK = frozenset({Role.DISPATCHER, Role.SHIFT_LEAD, Role.COMMAND_CENTRE})
GRID_CHECKERS = frozenset({Role.GRID_WORKER, Role.GRID_HEAD})
DEPARTMENT = frozenset({Role.DEPT_HANDLER})


@dataclass(frozen=True)
class Transition:
    number: int  # the row of DOMAIN.md §3 it implements
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the effect decides (or the state stays)
    roles: frozenset[str]
    task_states: frozenset[str] | None = None  # set for a department's task action
    reason_required: bool = False
    photo_kind: str | None = None  # kind of photo the action accepts
    photo_required: bool = False
    guard: Callable | None = None
    effect: Callable | None = None
    params: tuple[str, ...] = ()


T = Transition
TABLE: tuple[Transition, ...] = (
    T(1, "report", _("Report"), frozenset({""}), State.REPORTED, frozenset(REPORTING_ROLES)),
    T(
        2,
        "self_close",
        _("Self-close (fixed on the spot)"),
        frozenset({State.REPORTED}),
        State.SELF_CLOSED,
        GRID_CHECKERS,
        photo_kind="after",
        photo_required=True,
        guard=rules.may_self_close,
        effect=rules.close_now,
    ),
    T(
        3,
        "request_verification",
        _("Send for on-site verification"),
        frozenset({State.REPORTED}),
        State.VERIFYING,
        STREET_DESK,
        guard=rules.needs_verification,
    ),
    T(
        3,
        "verify",
        _("Verify on site"),
        frozenset({State.VERIFYING}),
        State.REPORTED,
        GRID_CHECKERS,
        photo_kind="check",
        params=("result",),
        guard=rules.valid_verification,
    ),
    T(
        4,
        "register",
        _("Register"),
        frozenset({State.REPORTED}),
        State.REGISTERED,
        STREET_DESK,
        guard=rules.verified_if_needed,
        effect=rules.start_dispatch_clock,
    ),
    T(
        4,
        "reject",
        _("Reject"),
        frozenset({State.REPORTED}),
        State.REJECTED,
        STREET_DESK,
        reason_required=True,
    ),
    T(
        1,
        "merge",
        _("Merge into an open case"),
        frozenset({State.REPORTED, State.VERIFYING, State.REGISTERED}),
        State.MERGED,
        STREET_DESK | {Role.DISPATCHER},
        params=("target",),
        effect=rules.merge_into_target,
    ),
    T(
        5,
        "dispatch",
        _("Dispatch"),
        frozenset({State.REGISTERED}),
        State.DISPATCHED,
        DISPATCH_DESK | {SYSTEM},
        params=("department", "co_departments"),
        effect=rules.create_tasks,
    ),
    T(
        6,
        "arbitrate",
        _("Arbitrate and dispatch"),
        frozenset({State.REGISTERED}),
        State.DISPATCHED,
        frozenset({Role.COMMAND_CENTRE, Role.SHIFT_LEAD}),
        reason_required=True,
        params=("department", "co_departments"),
        guard=rules.was_returned,
        effect=rules.create_arbitrated_tasks,
    ),
    T(
        7,
        "sign",
        _("Sign for"),
        WITH_DEPARTMENT,
        State.IN_PROGRESS,
        DEPARTMENT,
        task_states=frozenset({"dispatched"}),
        effect=rules.sign_task,
    ),
    T(
        6,
        "return",
        _("Return (not ours)"),
        WITH_DEPARTMENT,
        None,
        DEPARTMENT,
        task_states=frozenset({"dispatched", "in_progress"}),
        reason_required=True,
        guard=rules.not_arbitrated,
        effect=rules.return_task,
    ),
    T(
        8,
        "request_extension",
        _("Ask for an extension"),
        frozenset({State.IN_PROGRESS}),
        None,
        DEPARTMENT,
        task_states=frozenset({"in_progress"}),
        reason_required=True,
        params=("hours",),
        guard=rules.valid_extension,
        effect=rules.request_extension,
    ),
    T(
        8,
        "approve_extension",
        _("Approve extension"),
        frozenset({State.IN_PROGRESS}),
        None,
        DISPATCH_DESK,
        guard=rules.extension_pending,
        params=("task",),
        effect=rules.approve_extension,
    ),
    T(
        8,
        "reject_extension",
        _("Refuse extension"),
        frozenset({State.IN_PROGRESS}),
        None,
        DISPATCH_DESK,
        reason_required=True,
        guard=rules.extension_pending,
        params=("task",),
        effect=rules.refuse_extension,
    ),
    T(
        9,
        "feed_back",
        _("Feed back"),
        frozenset({State.IN_PROGRESS}),
        None,
        DEPARTMENT,
        task_states=frozenset({"in_progress"}),
        reason_required=True,
        photo_kind="after",
        guard=rules.after_photo_for_lead,
        effect=rules.feed_back_task,
    ),
    T(
        10,
        "start_check",
        _("Start on-site check"),
        frozenset({State.IN_PROGRESS}),
        State.CHECKING,
        frozenset({SYSTEM}),
        effect=rules.start_check_clock,
    ),
    T(
        11,
        "fail_check",
        _("Check failed: rework"),
        frozenset({State.CHECKING}),
        State.IN_PROGRESS,
        GRID_CHECKERS,
        reason_required=True,
        photo_kind="check",
        effect=rules.rework,
    ),
    T(
        12,
        "pass_check",
        _("Check passed"),
        frozenset({State.CHECKING}),
        State.CHECKED,
        GRID_CHECKERS,
        photo_kind="check",
    ),
    T(
        12,
        "close",
        _("Close"),
        frozenset({State.CHECKED}),
        State.CLOSED,
        STREET_DESK,
        effect=rules.close_now,
    ),
    T(
        13,
        "revisit",
        _("Record call-back"),
        frozenset({State.CLOSED}),
        State.CLOSED,
        frozenset({Role.CALLBACK}) | STREET_DESK,
        params=("satisfaction",),
        guard=rules.valid_satisfaction,
        effect=rules.record_satisfaction,
    ),
    T(
        13,
        "reopen",
        _("Reopen (unsatisfied)"),
        frozenset({State.CLOSED}),
        State.REGISTERED,
        frozenset({Role.CALLBACK, Role.SHIFT_LEAD, REPORTER}),
        reason_required=True,
        effect=rules.reopen,
    ),
    T(
        14,
        "urge",
        _("Urge (督办)"),
        WITH_DEPARTMENT,
        None,
        frozenset({Role.SHIFT_LEAD, Role.DISPATCHER, Role.COMMAND_CENTRE, Role.SUPERVISOR}),
        reason_required=True,
    ),
    T(
        14,
        "escalate",
        _("Escalate (overdue)"),
        WITH_DEPARTMENT,
        None,
        frozenset({SYSTEM}),
        params=("level", "task"),
        effect=rules.escalate_task,
    ),
)
# Effects may ask for follow-up system actions: feed_back asks for start_check once every live
# task has fed back (transition 10); register asks for dispatch for urgent classes (dispatch rule).

BY_ACTION: dict[str, Transition] = {t.action: t for t in TABLE}
ACTIONS = tuple(BY_ACTION)
ACTION_LABELS = {t.action: t.label for t in TABLE}


def transition_for(action: str) -> Transition | None:
    return BY_ACTION.get(action)
