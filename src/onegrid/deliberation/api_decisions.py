"""Decision API (/api/v1/deliberation/decisions…, /projects…, /milestones…): a decision's
progress, and carrying it out — practical projects (add, edit, spending, milestones, complete,
cancel), cases reported into the one loop, and abandoning it.

Thin: parse, call one service (deliberation.decisions) or selector
(deliberation.decision_selectors), render. Readers are those who read the community's
deliberation (staff in reach, residents on its roll); a decision outside that is a 404.
Writes need the community's keepers (org.policies.may_keep_deliberation). Amounts are sent as
text ("12000.50") or JSON numbers and answered as text with two decimals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from onegrid.cases.states import FINAL_STATES
from onegrid.core.api_errors import errors
from onegrid.core.errors import NotFound
from onegrid.org.requests import SignedInRequest

from . import decision_selectors, decisions
from .models import Decision, Milestone, Project

router = Router(tags=["deliberation"])

# Text or a JSON number, read by core.text_input.yuan_amount (so an odd amount, true,
# false or null is a 422 at the field itself, not a coercion or a union's sub-path).
Money = Any


class DecisionMilestoneOut(Schema):
    id: int
    title: str
    due_on: dt.date
    done_at: dt.datetime | None
    note: str


class DecisionProjectOut(Schema):
    id: int
    title: str
    description: str
    undertaker: str
    state: str = Field(..., description="planned, underway, completed or cancelled.")
    budget: str = Field(..., description="Yuan, two decimals.")
    spent: str = Field(..., description="Yuan spent so far, two decimals.")
    completed_at: dt.datetime | None
    note: str = Field(..., description="The completion note, or why it was cancelled.")
    milestones_done: int
    milestones: list[DecisionMilestoneOut]


class DecisionCaseLineOut(Schema):
    number: str
    state: str
    open: bool


class DecisionProgressOut(Schema):
    number: str
    topic_number: str
    topic_title: str
    community: str
    text: str
    state: str = Field(..., description="published, carried_out or abandoned.")
    published_at: dt.datetime
    carried_out_at: dt.datetime | None
    abandoned_reason: str
    budget: str
    spent: str
    milestones_done: int
    milestones_total: int
    cases_open: int
    cases_closed: int
    projects: list[DecisionProjectOut]
    cases: list[DecisionCaseLineOut]


class DecisionProjectIn(Schema):
    title: str
    budget: Money = Field(..., description="Yuan, 0 or more, at most two decimals.")
    description: str = ""
    undertaker: str = ""
    idempotency_key: str = ""


class DecisionProjectEditIn(Schema):
    title: str
    budget: Money
    description: str = ""
    undertaker: str = ""


class DecisionSpendingIn(Schema):
    spent: Money = Field(..., description="The total spent so far, in yuan.")


class DecisionMilestoneIn(Schema):
    title: str
    due_on: str = Field(..., description="YYYY-MM-DD.")
    note: str = ""


class DecisionNoteIn(Schema):
    note: str = ""


class DecisionReasonIn(Schema):
    reason: str


class DecisionCaseIn(Schema):
    class_code: str
    description: str
    grid_code: str = Field("", description="A grid of the topic's place (its label point).")
    address_code: str = Field("", description="Or a standard address inside the topic's place.")
    idempotency_key: str = ""


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment else None


def _project_out(p: decision_selectors.ProjectProgress) -> dict[str, object]:
    return {
        "id": p.pk,
        "title": p.title,
        "description": p.description,
        "undertaker": p.undertaker,
        "state": p.state,
        "budget": f"{p.budget:.2f}",
        "spent": f"{p.spent:.2f}",
        "completed_at": _local(p.completed_at),
        "note": p.note,
        "milestones_done": p.milestones_done,
        "milestones": [
            {
                "id": m.pk,
                "title": m.title,
                "due_on": m.due_on,
                "done_at": _local(m.done_at),
                "note": m.note,
            }
            for m in p.milestones
        ],
    }


def _decision_out(decision: Decision) -> dict[str, object]:
    decisions.settle_decision(decision=decision)
    decision.refresh_from_db()
    progress = decision_selectors.progress_of(decision)
    topic = decision.topic
    return {
        "number": decision.number,
        "topic_number": topic.number,
        "topic_title": topic.title,
        "community": topic.community.name,
        "text": decision.text,
        "state": decision.state,
        "published_at": _local(decision.published_at),
        "carried_out_at": _local(decision.carried_out_at),
        "abandoned_reason": decision.abandoned_reason,
        "budget": f"{progress.budget:.2f}",
        "spent": f"{progress.spent:.2f}",
        "milestones_done": progress.milestones_done,
        "milestones_total": progress.milestones_total,
        "cases_open": progress.cases_open,
        "cases_closed": progress.cases_closed,
        "projects": [_project_out(p) for p in progress.projects],
        "cases": [{"number": c.number, "state": c.state, "open": c.open} for c in progress.cases],
    }


def _project(request: SignedInRequest, project_id: int) -> Project:
    project = Project.objects.select_related("decision").filter(pk=project_id).first()
    if project is None or not decision_selectors.may_read(request.user, project.decision):
        raise NotFound(_("No such project."), field="project_id")
    return project


def _project_answer(project: Project) -> dict[str, object]:
    progress = decision_selectors.progress_of(project.decision)
    return _project_out(next(p for p in progress.projects if p.pk == project.pk))


@router.get(
    "/decisions",
    response={200: list[DecisionProgressOut], **errors(401)},
    summary="The decisions of the communities the caller reads as staff, newest first",
)
def decision_list(request: SignedInRequest) -> list[dict[str, object]]:
    return [_decision_out(d) for d in decision_selectors.decisions_for(request.user)[:100]]


@router.get(
    "/decisions/{number}",
    response={200: DecisionProgressOut, **errors(401, 404)},
    summary="A decision with its projects, milestones, spending and linked cases",
)
def decision_detail(request: SignedInRequest, number: str) -> dict[str, object]:
    return _decision_out(decision_selectors.decision_for(request.user, number))


@router.post(
    "/decisions/{number}/projects",
    response={
        201: DecisionProjectOut,
        200: DecisionProjectOut,
        **errors(400, 401, 403, 404, 409, 422),
    },
    summary="Add a practical project (为民办实事) carrying out the decision",
)
def add_project(
    request: SignedInRequest, number: str, payload: DecisionProjectIn
) -> Status[dict[str, object]]:
    decision = decision_selectors.decision_for(request.user, number)
    out = decisions.add_project(actor=request.user, decision=decision, **payload.dict())
    return Status(200 if out.replayed else 201, _project_answer(out.project))


@router.put(
    "/projects/{project_id}",
    response={200: DecisionProjectOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Change a planned or underway project",
)
def edit_project(
    request: SignedInRequest, project_id: int, payload: DecisionProjectEditIn
) -> dict[str, object]:
    project = decisions.edit_project(
        actor=request.user, project=_project(request, project_id), **payload.dict()
    )
    return _project_answer(project)


@router.post(
    "/projects/{project_id}/spending",
    response={200: DecisionProjectOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Record the total the project has spent so far",
)
def record_spending(
    request: SignedInRequest, project_id: int, payload: DecisionSpendingIn
) -> dict[str, object]:
    project = decisions.record_spending(
        actor=request.user, project=_project(request, project_id), spent=payload.spent
    )
    return _project_answer(project)


@router.post(
    "/projects/{project_id}/milestones",
    response={201: DecisionProjectOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Add a milestone with its due date",
)
def add_milestone(
    request: SignedInRequest, project_id: int, payload: DecisionMilestoneIn
) -> Status[dict[str, object]]:
    project = _project(request, project_id)
    decisions.add_milestone(actor=request.user, project=project, **payload.dict())
    return Status(201, _project_answer(project))


@router.post(
    "/milestones/{milestone_id}/done",
    response={200: DecisionProjectOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Mark a milestone done",
)
def milestone_done(
    request: SignedInRequest, milestone_id: int, payload: DecisionNoteIn
) -> dict[str, object]:
    milestone = Milestone.objects.filter(pk=milestone_id).first()
    if milestone is None:
        raise NotFound(_("No such milestone."), field="milestone_id")
    project = _project(request, milestone.project_id)
    decisions.mark_milestone_done(actor=request.user, milestone=milestone, note=payload.note)
    return _project_answer(project)


@router.post(
    "/projects/{project_id}/complete",
    response={200: DecisionProjectOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Complete a project, saying what was done",
)
def complete_project(
    request: SignedInRequest, project_id: int, payload: DecisionNoteIn
) -> dict[str, object]:
    project = decisions.complete_project(
        actor=request.user, project=_project(request, project_id), note=payload.note
    )
    return _project_answer(project)


@router.post(
    "/projects/{project_id}/cancel",
    response={200: DecisionProjectOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Cancel a project, saying why",
)
def cancel_project(
    request: SignedInRequest, project_id: int, payload: DecisionReasonIn
) -> dict[str, object]:
    project = decisions.cancel_project(
        actor=request.user, project=_project(request, project_id), reason=payload.reason
    )
    return _project_answer(project)


@router.post(
    "/decisions/{number}/cases",
    response={
        201: DecisionCaseLineOut,
        200: DecisionCaseLineOut,
        **errors(400, 401, 403, 404, 409, 422),
    },
    summary="Report a case into the one loop to carry out the decision, linked to it",
)
def report_case(
    request: SignedInRequest, number: str, payload: DecisionCaseIn
) -> Status[dict[str, object]]:
    decision = decision_selectors.decision_for(request.user, number)
    out = decisions.report_case_for_decision(
        actor=request.user, decision=decision, **payload.dict()
    )
    case = out.link.case
    body = {"number": case.number, "state": case.state, "open": case.state not in FINAL_STATES}
    return Status(200 if out.replayed else 201, body)


@router.post(
    "/decisions/{number}/abandon",
    response={200: DecisionProgressOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Abandon the decision, saying why (shown on the public page)",
)
def abandon(request: SignedInRequest, number: str, payload: DecisionReasonIn) -> dict[str, object]:
    decision = decision_selectors.decision_for(request.user, number)
    return _decision_out(
        decisions.abandon_decision(actor=request.user, decision=decision, reason=payload.reason)
    )
