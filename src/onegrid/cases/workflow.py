"""The one workflow table: every (state, action) → (next states, roles, guard, effect, follow-ups).

The API, the pages, the docs and the property-based tests all read this table; no other code
changes a case's state. Whether a person may take a row now is decided in one place,
`cases.evaluator`, for the engine and the offered actions alike. Task actions (a department's
own share of a joint case) name the task states they apply to as well as the case states.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from onegrid.org.models import Role
from onegrid.org.policies import CHECKERS, REPORTING_ROLES

from . import rules, whistles
from .access import REPORTER as REPORTER
from .access import SYSTEM as SYSTEM
from .models import Task
from .rules import ActionContext

# Re-exported (the `as` form says so to mypy): the table is where callers look.
from .states import FINAL_STATES as FINAL_STATES
from .states import OPEN_STATES as OPEN_STATES
from .states import STATE_LABELS as STATE_LABELS
from .states import STAY as STAY
from .states import WITH_DEPARTMENT as WITH_DEPARTMENT
from .states import State as State

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STREET_DESK = frozenset({Role.ACCEPTOR, Role.SHIFT_LEAD})
DISPATCH_DESK = frozenset({Role.DISPATCHER, Role.SHIFT_LEAD, Role.COMMAND_CENTRE})
GRID_CHECKERS = CHECKERS
DEPARTMENT = frozenset({Role.DEPT_HANDLER})
ALL_STATES = frozenset(STATE_LABELS)
# Who may comment on a case: its reporter, the street's desks (acceptor, shift lead, call-back,
# dispatcher), the command centre and the handlers of a department with a task on it.
COMMENTERS = (
    frozenset({REPORTER, Role.CALLBACK, Role.COMMAND_CENTRE}) | STREET_DESK | DISPATCH_DESK
) | DEPARTMENT
# Who approves a photo for the public pages: the street desk and the command centre.
PHOTO_APPROVERS = STREET_DESK | {Role.COMMAND_CENTRE}
# 吹哨报到: who blows the street's whistle (summons departments) and rates their work: the
# street's shift lead (held over the street's cases: org.policies.roles_over).
WHISTLERS = frozenset({Role.SHIFT_LEAD})
# The case states a street may whistle in: the matter is with a department and still open.
WHISTLE_STATES = WITH_DEPARTMENT
# Where a summoned department's work may wait for the street's rating.
RATING_STATES = frozenset({State.IN_PROGRESS, State.CHECKING, State.CHECKED, State.CLOSED})


@dataclass(frozen=True)
class FollowUp:
    """A system action the engine takes right after a row when `when(ctx)` holds."""

    action: str
    when: Callable[[ActionContext], bool]


@dataclass(frozen=True, kw_only=True)
class Transition:
    number: int  # the row of DOMAIN.md §3 it implements; 0: a row beside the loop (comments)
    action: str
    label: StrOrPromise
    sources: frozenset[str]
    # The states the row may lead to; the first is where it goes unless its effect chooses
    # another of them (ActionContext.choose). STAY: the case keeps the state it is in.
    targets: tuple[str, ...]
    roles: frozenset[str]
    task_states: frozenset[str] | None = None  # set for a department's task action
    reason_required: bool = False
    photo_kind: str | None = None  # kind of photo the action accepts
    photo_required: bool = False
    # Task roles (lead, co) whose action needs a photo even when photo_required is False.
    photo_required_for_tasks: frozenset[str] = frozenset()
    guard: Callable[[ActionContext], None] | None = None
    effect: Callable[[ActionContext], None] | None = None
    params: tuple[str, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()

    @property
    def target(self) -> str | None:
        """The state the row leads to unless its effect chooses; None when the state stays."""
        return None if self.targets[0] == STAY else self.targets[0]


T = Transition
TABLE: tuple[Transition, ...] = (
    T(
        number=1,
        action="report",
        label=_("Report"),
        sources=frozenset({""}),
        targets=(State.REPORTED,),
        roles=frozenset(REPORTING_ROLES),
    ),
    T(
        number=2,
        action="self_close",
        label=_("Self-close (fixed on the spot)"),
        sources=frozenset({State.REPORTED}),
        targets=(State.SELF_CLOSED,),
        roles=GRID_CHECKERS,
        photo_kind="after",
        photo_required=True,
        guard=rules.may_self_close,
        effect=rules.close_now,
    ),
    T(
        number=3,
        action="request_verification",
        label=_("Send for on-site verification"),
        sources=frozenset({State.REPORTED}),
        targets=(State.VERIFYING,),
        roles=STREET_DESK,
        guard=rules.needs_verification,
    ),
    T(
        number=3,
        action="verify",
        label=_("Verify on site"),
        sources=frozenset({State.VERIFYING}),
        targets=(State.REPORTED,),
        roles=GRID_CHECKERS,
        photo_kind="check",
        params=("result",),
        guard=rules.valid_verification,
    ),
    T(
        number=4,
        action="register",
        label=_("Register"),
        sources=frozenset({State.REPORTED}),
        targets=(State.REGISTERED,),
        roles=STREET_DESK,
        guard=rules.verified_if_needed,
        effect=rules.restart_dispatch_clock,
        # The dispatch rule: an urgent class with a known department is dispatched at once.
        follow_ups=(FollowUp("dispatch", rules.dispatches_at_once),),
    ),
    T(
        number=4,
        action="reject",
        label=_("Reject"),
        sources=frozenset({State.REPORTED}),
        targets=(State.REJECTED,),
        roles=STREET_DESK,
        reason_required=True,
    ),
    T(
        number=4,
        action="reclassify",
        label=_("Change the class"),
        sources=frozenset({State.REPORTED, State.VERIFYING, State.REGISTERED}),
        targets=(STAY,),
        roles=STREET_DESK | {Role.DISPATCHER},
        params=("class_code",),
        guard=rules.valid_new_class,
        effect=rules.reclassify,
        # The dispatch rule, as at registration: now urgent with a known department, it goes.
        follow_ups=(FollowUp("dispatch", rules.registered_and_dispatches_at_once),),
    ),
    T(
        number=1,
        action="merge",
        label=_("Merge into an open case"),
        sources=frozenset({State.REPORTED, State.VERIFYING, State.REGISTERED}),
        targets=(State.MERGED,),
        roles=STREET_DESK | {Role.DISPATCHER},
        params=("target",),
        effect=rules.merge_into_target,
    ),
    T(
        number=5,
        action="dispatch",
        label=_("Dispatch"),
        sources=frozenset({State.REGISTERED}),
        targets=(State.DISPATCHED,),
        roles=DISPATCH_DESK | {SYSTEM},
        params=("department", "co_departments"),
        effect=rules.create_tasks,
    ),
    T(
        number=6,
        action="arbitrate",
        label=_("Arbitrate and dispatch"),
        sources=frozenset({State.REGISTERED}),
        targets=(State.DISPATCHED,),
        roles=frozenset({Role.COMMAND_CENTRE, Role.SHIFT_LEAD}),
        reason_required=True,
        params=("department", "co_departments"),
        guard=rules.was_returned,
        effect=rules.create_arbitrated_tasks,
    ),
    T(
        number=7,
        action="sign",
        label=_("Sign for"),
        sources=WITH_DEPARTMENT,
        targets=(State.IN_PROGRESS,),
        roles=DEPARTMENT,
        task_states=frozenset({Task.State.DISPATCHED}),
        effect=rules.sign_task,
    ),
    T(
        number=6,
        action="return",
        label=_("Return (not ours)"),
        sources=WITH_DEPARTMENT,
        # A co-department's return drops its task; the lead's sends the case back to
        # registration (rules.return_task chooses).
        targets=(STAY, State.REGISTERED),
        roles=DEPARTMENT,
        task_states=frozenset({Task.State.DISPATCHED, Task.State.IN_PROGRESS}),
        reason_required=True,
        guard=rules.returnable,
        effect=rules.return_task,
    ),
    T(
        number=8,
        action="request_extension",
        label=_("Ask for an extension"),
        sources=frozenset({State.IN_PROGRESS}),
        targets=(State.IN_PROGRESS,),
        roles=DEPARTMENT,
        task_states=frozenset({Task.State.IN_PROGRESS}),
        reason_required=True,
        params=("hours",),
        guard=rules.valid_extension,
        effect=rules.request_extension,
    ),
    T(
        number=8,
        action="approve_extension",
        label=_("Approve extension"),
        sources=frozenset({State.IN_PROGRESS}),
        targets=(State.IN_PROGRESS,),
        roles=DISPATCH_DESK,
        guard=rules.extension_pending,
        params=("task",),
        effect=rules.approve_extension,
    ),
    T(
        number=8,
        action="reject_extension",
        label=_("Refuse extension"),
        sources=frozenset({State.IN_PROGRESS}),
        targets=(State.IN_PROGRESS,),
        roles=DISPATCH_DESK,
        reason_required=True,
        guard=rules.extension_pending,
        params=("task",),
        effect=rules.refuse_extension,
    ),
    T(
        number=9,
        action="feed_back",
        label=_("Feed back"),
        sources=frozenset({State.IN_PROGRESS}),
        targets=(State.IN_PROGRESS,),
        roles=DEPARTMENT,
        task_states=frozenset({Task.State.IN_PROGRESS}),
        reason_required=True,
        photo_kind="after",
        photo_required_for_tasks=frozenset({Task.Role.LEAD}),
        effect=rules.feed_back_task,
        # Transition 10: once every live task has fed back, the on-site check starts.
        follow_ups=(FollowUp("start_check", rules.every_live_task_fed_back),),
    ),
    T(
        number=10,
        action="start_check",
        label=_("Start on-site check"),
        sources=frozenset({State.IN_PROGRESS}),
        targets=(State.CHECKING,),
        roles=frozenset({SYSTEM}),
        effect=rules.start_check_clock,
    ),
    T(
        number=11,
        action="fail_check",
        label=_("Check failed: rework"),
        sources=frozenset({State.CHECKING}),
        targets=(State.IN_PROGRESS,),
        roles=GRID_CHECKERS,
        reason_required=True,
        photo_kind="check",
        effect=rules.rework,
    ),
    T(
        number=12,
        action="pass_check",
        label=_("Check passed"),
        sources=frozenset({State.CHECKING}),
        targets=(State.CHECKED,),
        roles=GRID_CHECKERS,
        photo_kind="check",
    ),
    T(
        number=12,
        action="close",
        label=_("Close"),
        sources=frozenset({State.CHECKED}),
        targets=(State.CLOSED,),
        roles=STREET_DESK,
        effect=rules.close_now,
    ),
    T(
        number=13,
        action="revisit",
        label=_("Record call-back"),
        sources=frozenset({State.CLOSED}),
        targets=(State.CLOSED,),
        roles=frozenset({Role.CALLBACK}) | STREET_DESK,
        params=("satisfaction",),
        guard=rules.valid_satisfaction,
        effect=rules.record_satisfaction,
    ),
    T(
        number=13,
        action="reopen",
        label=_("Reopen (unsatisfied)"),
        sources=frozenset({State.CLOSED}),
        targets=(State.REGISTERED,),
        roles=frozenset({Role.CALLBACK, Role.SHIFT_LEAD, REPORTER}),
        reason_required=True,
        effect=rules.reopen,
    ),
    T(
        number=13,
        action="rate",
        label=_("Rate the handling"),
        sources=frozenset({State.CLOSED}),
        targets=(STAY,),
        roles=frozenset({REPORTER}),
        params=("satisfaction",),
        guard=rules.may_rate,
        effect=rules.record_rating,
    ),
    T(
        number=0,
        action="comment",
        label=_("Comment"),
        sources=ALL_STATES - {State.MERGED},
        targets=(STAY,),
        roles=COMMENTERS,
        reason_required=True,
        photo_kind="comment",
        effect=rules.record_comment,
    ),
    T(
        number=0,
        action="approve_photo",
        label=_("Approve a photo for the public pages"),
        sources=ALL_STATES,
        targets=(STAY,),
        roles=PHOTO_APPROVERS,
        params=("photo",),
        guard=rules.photo_awaiting_approval,
        effect=rules.approve_photo,
    ),
    T(
        number=14,
        action="urge",
        label=_("Urge (督办)"),
        sources=WITH_DEPARTMENT,
        targets=(STAY,),
        roles=frozenset({Role.SHIFT_LEAD, Role.DISPATCHER, Role.COMMAND_CENTRE, Role.SUPERVISOR}),
        reason_required=True,
    ),
    T(
        number=14,
        action="escalate",
        label=_("Escalate (overdue)"),
        sources=WITH_DEPARTMENT,
        targets=(STAY,),
        roles=frozenset({SYSTEM}),
        params=("level", "task"),
        effect=rules.escalate_task,
    ),
    # 吹哨报到: the street summons departments; each reports in on its own clock, then acts on
    # its task as a co-department does (sign's place is taken by report_in).
    T(
        number=14,
        action="whistle",
        label=_("Whistle: summon departments (吹哨)"),
        sources=WHISTLE_STATES,
        targets=(STAY,),
        roles=WHISTLERS,
        reason_required=True,
        params=("departments",),
        guard=whistles.valid_departments,
        effect=whistles.summon,
    ),
    T(
        number=14,
        action="report_in",
        label=_("Report in (报到)"),
        sources=WHISTLE_STATES,
        targets=(State.IN_PROGRESS,),
        roles=DEPARTMENT,
        task_states=frozenset({Task.State.SUMMONED}),
        effect=whistles.report_in,
    ),
    T(
        number=14,
        action="report_in_late",
        label=_("Report-in overdue"),
        sources=WHISTLE_STATES,
        targets=(STAY,),
        roles=frozenset({SYSTEM}),
        task_states=frozenset({Task.State.SUMMONED}),
        params=("task",),
        effect=whistles.mark_report_in_late,
    ),
    T(
        number=14,
        action="rate_whistle",
        label=_("Rate a summoned department's work"),
        sources=RATING_STATES,
        targets=(STAY,),
        roles=WHISTLERS,
        params=("task", "rating"),
        guard=whistles.may_rate_whistle,
        effect=whistles.rate,
    ),
)

BY_ACTION: dict[str, Transition] = {t.action: t for t in TABLE}
ACTIONS = tuple(BY_ACTION)
ACTION_LABELS = {t.action: t.label for t in TABLE}


def transition_for(action: str) -> Transition | None:
    return BY_ACTION.get(action)
