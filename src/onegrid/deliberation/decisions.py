"""Writes that carry out a published decision (决议): practical projects (为民办实事) with a
budget, an undertaker, milestones, spending, completion or cancellation; cases reported into the
one loop to carry out (part of) it; and the decision's own state.

A decision is published by the ballot that carried it (deliberation.ballots). From then on the
community committee adds the work: projects, and cases reported through
cases.services.report_case (source "deliberation", a class of the catalogue the committee
chooses, at a grid of the topic's place or a standard address inside it) and linked to the
decision (DecisionCase). The case page links the decision back.

The decision is carried out (CARRIED_OUT) on its own once every project is completed or
cancelled, every linked case has ended (closed, self-closed, rejected or merged), and at least
one piece of work was done (a completed project or a closed case): `settle_decision` decides it
and is called after every project change here, after a case is linked, by the pages and the
API when they read a decision's progress (decision_selectors), and for every open decision by
`settle_decisions` (the deliberation tick), so a case closing in the loop (cases cannot call
up into deliberation) is seen at the next read or tick. Or the committee abandons the decision,
with a reason.

Who may do what is org.policies: the keepers of the topic's community
(may_keep_deliberation). Money is yuan with two decimals, written with the digits 0-9.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.cases import services as case_services
from onegrid.cases.models import Case, IdempotencyRecord, Source
from onegrid.cases.states import FINAL_STATES, State
from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import bounded_text, idempotency_key, yuan_amount
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import Address, Grid

from .models import Decision, DecisionCase, Milestone, Project, Topic

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DONE_CASE_STATES = frozenset({State.CLOSED, State.SELF_CLOSED})
OPEN_PROJECT_STATES = (Project.State.PLANNED, Project.State.UNDERWAY)
MAX_MILESTONES = 50
MAX_PROJECTS = 50


# --- input ------------------------------------------------------------------------------------


def parse_date(value: object, field: str) -> dt.date:
    """A date written YYYY-MM-DD (a date object passes), between 2000 and 2100."""
    if isinstance(value, dt.datetime):
        raise InvalidInput(_("Give a date as YYYY-MM-DD."), field=field)
    if isinstance(value, dt.date):
        day = value
    else:
        text = "" if value is None else str(value).strip()
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise InvalidInput(_("Give a date as YYYY-MM-DD."), field=field)
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(_("No such date."), field=field) from None
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise InvalidInput(_("Give a date between 2000 and 2100."), field=field)
    return day


def _key(value: object, missing: StrOrPromise) -> str:
    return idempotency_key(value, missing=missing)


# --- who --------------------------------------------------------------------------------------


def _require_keeper(actor: User, decision: Decision, field: str = "decision") -> None:
    if not policies.may_keep_deliberation(actor, decision.topic.community):
        raise PermissionDenied(
            _("Only the community committee carries out this community's decisions."),
            field=field,
        )


def _require_published(decision: Decision, field: str = "decision") -> None:
    if decision.state != Decision.State.PUBLISHED:
        raise Conflict(
            _("This decision is %(state)s: nothing more is done under it.")
            % {"state": decision.get_state_display()},
            field=field,
        )


def _locked_decision(decision: Decision) -> Decision:
    return (
        Decision.objects.select_for_update()
        .select_related("topic", "topic__community")
        .get(pk=decision.pk)
    )


def _locked_project(project_id: int) -> tuple[Project, Decision]:
    """The project and its decision, locked in that order (decision first, as every write
    under a decision takes them)."""
    decision_id = Project.objects.filter(pk=project_id).values_list("decision_id", flat=True)
    decision = _locked_decision(Decision(pk=decision_id.get()))
    row = Project.objects.select_for_update().get(pk=project_id)
    row.decision = decision
    return row, decision


def _require_open_project(project: Project, field: str = "project") -> None:
    if project.state not in OPEN_PROJECT_STATES:
        raise Conflict(
            _("This project is %(state)s.") % {"state": project.get_state_display()},
            field=field,
        )


# --- projects ---------------------------------------------------------------------------------


def _project_fields(
    *, title: object, budget: object, description: object = "", undertaker: object = ""
) -> dict[str, object]:
    return {
        "title": bounded_text(title, "title", max_length=100, required=True),
        "description": bounded_text(description, "description", max_length=4000),
        "budget": yuan_amount(budget, "budget"),
        "undertaker": bounded_text(undertaker, "undertaker", max_length=100),
    }


@dataclass(frozen=True)
class ProjectOutcome:
    project: Project
    replayed: bool = False


@transaction.atomic
def add_project(
    *,
    actor: User,
    decision: Decision,
    title: object,
    budget: object,
    description: object = "",
    undertaker: object = "",
    idempotency_key: object,
) -> ProjectOutcome:
    """Add a practical project (为民办实事) carrying out `decision`: a title, a budget in yuan
    (0 allowed: work without money), who carries it out. A retry with the same key returns the
    first project."""
    key = _key(
        idempotency_key, _("Send an idempotency key so a retry cannot add the project twice.")
    )
    decision = _locked_decision(decision)
    _require_keeper(actor, decision)
    earlier = Project.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        if earlier.decision_id != decision.pk:
            raise Conflict(
                _("This idempotency key was already used for another project."),
                field="idempotency_key",
            )
        return ProjectOutcome(earlier, replayed=True)
    _require_published(decision)
    fields = _project_fields(
        title=title, budget=budget, description=description, undertaker=undertaker
    )
    if decision.projects.count() >= MAX_PROJECTS:
        raise InvalidInput(
            _("At most %(n)d projects per decision.") % {"n": MAX_PROJECTS}, field="title"
        )
    try:
        with transaction.atomic():
            project = Project.objects.create(
                decision=decision,
                state=Project.State.PLANNED,
                created_at=clock.now(),
                created_by=actor,
                idempotency_key=key,
                **fields,
            )
    except IntegrityError:
        return ProjectOutcome(Project.objects.get(idempotency_key=key), replayed=True)
    return ProjectOutcome(project)


@transaction.atomic
def edit_project(
    *,
    actor: User,
    project: Project,
    title: object,
    budget: object,
    description: object = "",
    undertaker: object = "",
) -> Project:
    """Change a planned or underway project's title, description, budget or undertaker."""
    project, decision = _locked_project(project.pk)
    _require_keeper(actor, decision, "project")
    _require_open_project(project)
    for name, value in _project_fields(
        title=title, budget=budget, description=description, undertaker=undertaker
    ).items():
        setattr(project, name, value)
    project.save()
    return project


@transaction.atomic
def record_spending(*, actor: User, project: Project, spent: object) -> Project:
    """Record what the project has spent so far, in yuan (the total to date, not an addition:
    sending it again changes nothing). More than the budget is allowed and shown as such.
    A planned project with money spent is underway."""
    project, decision = _locked_project(project.pk)
    _require_keeper(actor, decision, "project")
    _require_open_project(project)
    project.spent = yuan_amount(spent, "spent")
    if project.spent > 0 and project.state == Project.State.PLANNED:
        project.state = Project.State.UNDERWAY
    project.save(update_fields=["spent", "state"])
    return project


@transaction.atomic
def add_milestone(
    *, actor: User, project: Project, title: object, due_on: object, note: object = ""
) -> Milestone:
    """Add a milestone (title, due date) to an open project. The same title and date again
    (a retried form) return the milestone already there."""
    project, decision = _locked_project(project.pk)
    _require_keeper(actor, decision, "project")
    _require_open_project(project)
    title = bounded_text(title, "title", max_length=100, required=True)
    day = parse_date(due_on, "due_on")
    note = bounded_text(note, "note", max_length=300)
    same = project.milestones.filter(title=title, due_on=day).first()
    if same is not None:
        return same
    if project.milestones.count() >= MAX_MILESTONES:
        raise InvalidInput(
            _("At most %(n)d milestones per project.") % {"n": MAX_MILESTONES}, field="title"
        )
    return Milestone.objects.create(project=project, title=title, due_on=day, note=note)


@transaction.atomic
def mark_milestone_done(*, actor: User, milestone: Milestone, note: object = "") -> Milestone:
    """Mark a milestone done (now); done already: unchanged. The project is underway then."""
    project, decision = _locked_project(milestone.project_id)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    _require_keeper(actor, decision, "milestone")
    if milestone.done_at is not None:
        return milestone
    _require_open_project(project, "milestone")
    note = bounded_text(note, "note", max_length=300)
    milestone.done_at = clock.now()
    if note:
        milestone.note = note
    milestone.save(update_fields=["done_at", "note"])
    if project.state == Project.State.PLANNED:
        project.state = Project.State.UNDERWAY
        project.save(update_fields=["state"])
    return milestone


@transaction.atomic
def complete_project(*, actor: User, project: Project, note: object) -> Project:
    """The project is completed (what was done, as the note says); completed already: unchanged.
    The decision may then be carried out."""
    project, decision = _locked_project(project.pk)
    _require_keeper(actor, decision, "project")
    if project.state == Project.State.COMPLETED:
        return project
    _require_open_project(project)
    project.completion_note = bounded_text(note, "note", max_length=500, required=True)
    project.state = Project.State.COMPLETED
    project.completed_at = clock.now()
    project.save(update_fields=["completion_note", "state", "completed_at"])
    _settle_locked(decision)
    return project


@transaction.atomic
def cancel_project(*, actor: User, project: Project, reason: object) -> Project:
    """Cancel a project, saying why (kept as its note); cancelled already: unchanged."""
    project, decision = _locked_project(project.pk)
    _require_keeper(actor, decision, "project")
    if project.state == Project.State.CANCELLED:
        return project
    _require_open_project(project)
    project.completion_note = bounded_text(reason, "reason", max_length=500, required=True)
    project.state = Project.State.CANCELLED
    project.completed_at = clock.now()
    project.save(update_fields=["completion_note", "state", "completed_at"])
    _settle_locked(decision)
    return project


# --- cases in the one loop --------------------------------------------------------------------


@dataclass(frozen=True)
class CaseOutcome:
    link: DecisionCase
    replayed: bool = False


def _case_place(
    topic: Topic, grid_code: object, address_code: object
) -> tuple[Grid | None, Address | None]:
    """The grid (its label point) or the standard address where the case is reported: inside
    the topic's place (its community; its grid for a grid or building topic)."""
    code = bounded_text(address_code, "address_code", max_length=40)
    if code:
        address = Address.objects.select_related("grid").filter(code=code, active=True).first()
        if address is None or address.grid is None:
            raise InvalidInput(_("No standard address has this code."), field="address_code")
        grid = address.grid
        inside = grid.community_id == topic.community_id and (
            topic.grid_id is None or grid.pk == topic.grid_id
        )
        if topic.scope == Topic.Scope.BUILDING and address.building != topic.building:
            inside = False
        if not inside:
            raise InvalidInput(
                _("The address lies outside the topic's place."), field="address_code"
            )
        return None, address
    if topic.grid_id is not None:
        grid_text = bounded_text(grid_code, "grid_code", max_length=15)
        grid = Grid.objects.get(pk=topic.grid_id)
        if grid_text and grid_text != grid.code:
            raise InvalidInput(_("Choose a grid of the topic's place."), field="grid_code")
        return grid, None
    grid_text = bounded_text(grid_code, "grid_code", max_length=15, required=True)
    found = Grid.objects.filter(code=grid_text, community_id=topic.community_id).first()
    if found is None:
        raise InvalidInput(_("Choose a grid of the topic's place."), field="grid_code")
    return found, None


@transaction.atomic
def report_case_for_decision(
    *,
    actor: User,
    decision: Decision,
    class_code: object,
    description: object,
    grid_code: object = "",
    address_code: object = "",
    idempotency_key: object,
) -> CaseOutcome:
    """Report a case into the one loop to carry out `decision` (cases.services.report_case with
    source "deliberation") and link it. Where: a standard address in the topic's place, or a
    grid of it (the case at the grid's label point; a grid or building topic's own grid by
    default). A retry with the same key returns the same case and link."""
    key = _key(
        idempotency_key, _("Send an idempotency key so a retry cannot report the case twice.")
    )
    decision = _locked_decision(decision)
    _require_keeper(actor, decision)
    case_key = f"decision-{decision.pk}-{key}"[:64]
    # cases.services keeps a reporter's keys (IdempotencyRecord): a retry finds its case there.
    reported = IdempotencyRecord.objects.filter(user=actor, key=case_key).values_list(
        "case_id", flat=True
    )
    earlier = DecisionCase.objects.filter(case_id__in=list(reported)).first()
    if earlier is not None:
        if earlier.decision_id != decision.pk:
            raise Conflict(
                _("This idempotency key was already used for another case."),
                field="idempotency_key",
            )
        return CaseOutcome(earlier, replayed=True)
    _require_published(decision)
    code = bounded_text(class_code, "class_code", max_length=20, required=True)
    text = bounded_text(description, "description", max_length=case_services.MAX_DESCRIPTION)
    if not text:
        raise InvalidInput(_("Say what the case is to do."), field="description")
    grid, address = _case_place(decision.topic, grid_code, address_code)
    prefix = _("Carrying out decision %(number)s:") % {"number": decision.number}
    full = f"{prefix} {text}"[: case_services.MAX_DESCRIPTION]
    if address is not None:
        outcome = case_services.report_case(
            actor=actor,
            address_code=address.code,
            class_code=code,
            source=Source.DELIBERATION,
            description=full,
            idempotency_key=case_key,
        )
    else:
        assert grid is not None
        outcome = case_services.report_case(
            actor=actor,
            lon=grid.label_lon,
            lat=grid.label_lat,
            class_code=code,
            source=Source.DELIBERATION,
            description=full,
            address=grid.name,
            idempotency_key=case_key,
        )
    link, made = DecisionCase.objects.get_or_create(
        case=outcome.case,
        defaults={"decision": decision, "linked_at": clock.now(), "linked_by": actor},
    )
    if link.decision_id != decision.pk:
        raise Conflict(_("This case carries out another decision."), field="idempotency_key")
    return CaseOutcome(link, replayed=not made)


# --- the decision's state ---------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """What is done and what is open under a decision (the rule of `settle_decision`)."""

    projects_open: int
    projects_completed: int
    projects_cancelled: int
    cases_open: int
    cases_done: int
    cases_ended: int  # rejected or merged: no longer open, nothing done by them

    @classmethod
    def of_states(cls, project_states: list[str], case_states: list[str]) -> Work:
        """Count projects and cases by their states."""
        return cls(
            projects_open=sum(1 for s in project_states if s in OPEN_PROJECT_STATES),
            projects_completed=project_states.count(Project.State.COMPLETED),
            projects_cancelled=project_states.count(Project.State.CANCELLED),
            cases_open=sum(1 for s in case_states if s not in FINAL_STATES),
            cases_done=sum(1 for s in case_states if s in DONE_CASE_STATES),
            cases_ended=sum(
                1 for s in case_states if s in FINAL_STATES and s not in DONE_CASE_STATES
            ),
        )

    @property
    def carried_out(self) -> bool:
        return (
            self.projects_open == 0
            and self.cases_open == 0
            and (self.projects_completed + self.cases_done) > 0
        )


def work_of(decision: Decision) -> Work:
    """Count the decision's projects and linked cases by where they stand (two queries)."""
    states = list(decision.projects.values_list("state", flat=True))
    case_states = list(
        Case.objects.filter(decision_link__decision=decision).values_list("state", flat=True)
    )
    return Work.of_states(states, case_states)


def _settle_locked(decision: Decision) -> bool:
    if decision.state != Decision.State.PUBLISHED or not work_of(decision).carried_out:
        return False
    decision.state = Decision.State.CARRIED_OUT
    decision.carried_out_at = clock.now()
    decision.save(update_fields=["state", "carried_out_at"])
    return True


@transaction.atomic
def settle_decision(*, decision: Decision) -> bool:
    """Mark a published decision carried out when its work is all done (Work.carried_out).
    Idempotent, by no one in particular (the system): True when it changed now."""
    if decision.state != Decision.State.PUBLISHED:
        return False
    return _settle_locked(_locked_decision(decision))


def settle_shown(shown: list[Decision]) -> int:
    """Settle the published decisions among `shown` (a page about to be read, or every
    published one for the tick) whose work is done, in two queries however many there are;
    only a decision that changes is locked and written (settle_decision), and its row in
    `shown` takes the new state. Returns how many were carried out now."""
    published = {d.pk: d for d in shown if d.state == Decision.State.PUBLISHED}
    if not published:
        return 0
    settled = 0
    project_states: dict[int, list[str]] = {pk: [] for pk in published}
    case_states: dict[int, list[str]] = {pk: [] for pk in published}
    for decision_id, state in Project.objects.filter(decision_id__in=published).values_list(
        "decision_id", "state"
    ):
        project_states[decision_id].append(state)
    for decision_id, state in DecisionCase.objects.filter(decision_id__in=published).values_list(
        "decision_id", "case__state"
    ):
        case_states[decision_id].append(state)
    for pk, decision in published.items():
        work = Work.of_states(project_states[pk], case_states[pk])
        if work.carried_out and settle_decision(decision=decision):
            decision.refresh_from_db(fields=["state", "carried_out_at"])
            settled += 1
    return settled


def settle_decisions() -> int:
    """Settle every published decision whose work is done (the tick, every minute): the
    states of their projects and cases in two queries, a lock only on a decision that
    changes. How many were carried out now."""
    return settle_shown(
        list(Decision.objects.filter(state=Decision.State.PUBLISHED).only("pk", "state"))
    )


@transaction.atomic
def abandon_decision(*, actor: User, decision: Decision, reason: object) -> Decision:
    """The committee abandons a published decision, saying why (shown publicly); abandoned
    already: unchanged. Its open projects stay as they are, its cases run on in the loop."""
    decision = _locked_decision(decision)
    _require_keeper(actor, decision)
    if decision.state == Decision.State.ABANDONED:
        return decision
    _require_published(decision)
    decision.abandoned_reason = bounded_text(reason, "reason", max_length=300, required=True)
    decision.state = Decision.State.ABANDONED
    decision.save(update_fields=["abandoned_reason", "state"])
    return decision


# --- finding rows by what a form or path names --------------------------------------------------


def decision_by_number(number: object) -> Decision:
    text = str(number or "").strip()
    if not text or len(text) > 30 or not text.isascii() or not text.isalnum():
        raise NotFound(_("No such decision."), field="number")
    found = Decision.objects.select_related("topic", "topic__community").filter(number=text)
    decision = found.first()
    if decision is None:
        raise NotFound(_("No such decision."), field="number")
    return decision
