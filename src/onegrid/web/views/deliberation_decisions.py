"""The committee's forms for carrying out a decision, on the topic page
(/deliberation/topics/<id>/, include web/deliberation/_decision.html): projects (add, edit,
spending, milestones, complete, cancel), a case into the one loop, abandoning the decision.
Routes listed in `routes`.

Each form goes through deliberation.decisions; the topic page's own handling
(web.views.deliberation._topic_action) opens the topic for the reader, shows a DomainError at
the form and field it names (400), answers a refusal by policy with the 403 page and redirects
back to the topic on success. The progress itself is drawn by the include
(templatetags.onegrid_decisions).
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onegrid.core.errors import NotFound
from onegrid.deliberation import decisions
from onegrid.deliberation.models import Decision, Milestone, Project, Topic

from ..access import signed_in
from .deliberation import _topic_action


def _decision(topic: Topic) -> Decision:
    found = Decision.objects.select_related("topic", "topic__community").filter(topic=topic)
    decision = found.first()
    if decision is None:
        raise NotFound(_("This topic has no decision."), field="decision")
    return decision


def _project(topic: Topic, project_id: int) -> Project:
    project = Project.objects.filter(pk=project_id, decision__topic=topic).first()
    if project is None:
        raise NotFound(_("No such project."), field="project")
    return project


@signed_in
@require_POST
def add_project(request, topic_id: int):
    def act(topic, v):
        out = decisions.add_project(
            actor=request.user,
            decision=_decision(topic),
            title=v["title"],
            budget=v["budget"],
            undertaker=v["undertaker"],
            description=v["description"],
            idempotency_key=v["key"],
        )
        return _("Project %(title)s is added.") % {"title": out.project.title}

    fields = ["title", "budget", "undertaker", "description", "key"]
    return _topic_action(request, topic_id, "project_add", fields, act)


@signed_in
@require_POST
def edit_project(request, topic_id: int, project_id: int):
    def act(topic, v):
        project = decisions.edit_project(
            actor=request.user,
            project=_project(topic, project_id),
            title=v["title"],
            budget=v["budget"],
            undertaker=v["undertaker"],
            description=v["description"],
        )
        return _("Project %(title)s is changed.") % {"title": project.title}

    fields = ["title", "budget", "undertaker", "description"]
    return _topic_action(request, topic_id, f"project_{project_id}", fields, act)


@signed_in
@require_POST
def record_spending(request, topic_id: int, project_id: int):
    def act(topic, v):
        project = decisions.record_spending(
            actor=request.user, project=_project(topic, project_id), spent=v["spent"]
        )
        return _("%(title)s: %(spent)s yuan spent so far.") % {
            "title": project.title,
            "spent": f"{project.spent:.2f}",
        }

    return _topic_action(request, topic_id, f"project_{project_id}", ["spent"], act)


@signed_in
@require_POST
def add_milestone(request, topic_id: int, project_id: int):
    def act(topic, v):
        milestone = decisions.add_milestone(
            actor=request.user,
            project=_project(topic, project_id),
            title=v["milestone"],
            due_on=v["due_on"],
        )
        return _("Milestone %(title)s is added.") % {"title": milestone.title}

    return _topic_action(request, topic_id, f"project_{project_id}", ["milestone", "due_on"], act)


@signed_in
@require_POST
def milestone_done(request, topic_id: int, milestone_id: int):
    def act(topic, v):
        milestone = Milestone.objects.filter(
            pk=milestone_id, project__decision__topic=topic
        ).first()
        if milestone is None:
            raise NotFound(_("No such milestone."), field="milestone")
        done = decisions.mark_milestone_done(actor=request.user, milestone=milestone)
        return _("Milestone %(title)s is done.") % {"title": done.title}

    return _topic_action(request, topic_id, "milestone", [], act)


@signed_in
@require_POST
def complete_project(request, topic_id: int, project_id: int):
    def act(topic, v):
        project = decisions.complete_project(
            actor=request.user, project=_project(topic, project_id), note=v["note"]
        )
        return _("Project %(title)s is completed.") % {"title": project.title}

    return _topic_action(request, topic_id, f"project_{project_id}", ["note"], act)


@signed_in
@require_POST
def cancel_project(request, topic_id: int, project_id: int):
    def act(topic, v):
        project = decisions.cancel_project(
            actor=request.user, project=_project(topic, project_id), reason=v["reason"]
        )
        return _("Project %(title)s is cancelled.") % {"title": project.title}

    return _topic_action(request, topic_id, f"project_{project_id}", ["reason"], act)


@signed_in
@require_POST
def report_case(request, topic_id: int):
    def act(topic, v):
        out = decisions.report_case_for_decision(
            actor=request.user,
            decision=_decision(topic),
            class_code=v["class_code"],
            description=v["description"],
            grid_code=v["grid_code"],
            address_code=v["address_code"],
            idempotency_key=v["key"],
        )
        return _("Case %(number)s is reported to carry out the decision.") % {
            "number": out.link.case.number
        }

    fields = ["class_code", "description", "grid_code", "address_code", "key"]
    return _topic_action(request, topic_id, "decision_case", fields, act)


@signed_in
@require_POST
def abandon(request, topic_id: int):
    def act(topic, v):
        decision = decisions.abandon_decision(
            actor=request.user, decision=_decision(topic), reason=v["reason"]
        )
        return _("Decision %(number)s is abandoned.") % {"number": decision.number}

    return _topic_action(request, topic_id, "decision_abandon", ["reason"], act)


_AT = "deliberation/topics/<int:topic_id>/decision"

routes = [
    path(f"{_AT}/projects/", add_project, name="decision_project_add"),
    path(f"{_AT}/projects/<int:project_id>/", edit_project, name="decision_project_edit"),
    path(
        f"{_AT}/projects/<int:project_id>/spending/",
        record_spending,
        name="decision_project_spending",
    ),
    path(
        f"{_AT}/projects/<int:project_id>/milestones/",
        add_milestone,
        name="decision_milestone_add",
    ),
    path(
        f"{_AT}/milestones/<int:milestone_id>/done/",
        milestone_done,
        name="decision_milestone_done",
    ),
    path(
        f"{_AT}/projects/<int:project_id>/complete/",
        complete_project,
        name="decision_project_complete",
    ),
    path(
        f"{_AT}/projects/<int:project_id>/cancel/",
        cancel_project,
        name="decision_project_cancel",
    ),
    path(f"{_AT}/cases/", report_case, name="decision_case"),
    path(f"{_AT}/abandon/", abandon, name="decision_abandon"),
]
