"""`{% decision_panel as d %}` on the topic page (web/deliberation/_decision.html): the topic's
decision, its progress and, for the committee, what its forms need.

The topic page (web.views.deliberation) passes `topic`, `perms` (what the viewer may do),
`errors` and `values` (a failed form's messages and values by form name); the forms of
web.views.deliberation_decisions use the form names "project_add", "project_<id>",
"milestone", "decision_case" and "decision_abandon". Reading the panel first settles the
decision (deliberation.decisions.settle_decision: carried out once its work is done), so a case
closed in the loop shows at the next look.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import template
from django.urls import reverse

from onegrid.cases.models import CaseClass
from onegrid.deliberation import decision_selectors, decisions
from onegrid.deliberation import selectors as topic_selectors
from onegrid.deliberation.models import Decision
from onegrid.territory.models import Grid

register = template.Library()


@register.simple_tag(takes_context=True)
def decision_panel(context: template.Context) -> dict[str, Any] | None:
    topic = context.get("topic")
    perms = context.get("perms")
    if topic is None or perms is None or not getattr(perms, "read", False):
        return None
    decision = decision_selectors.decision_of_topic(topic)
    if decision is None:
        return None
    if decision.state == Decision.State.PUBLISHED and decisions.settle_decision(decision=decision):
        decision.refresh_from_db()
    progress = decision_selectors.progress_of(decision)
    keep = bool(getattr(perms, "keep", False)) and decision.state == Decision.State.PUBLISHED
    errors = context.get("errors") or {}
    values = context.get("values") or {}
    projects = [
        {
            "p": p,
            "errors": errors.get(f"project_{p.pk}", {}),
            "values": values.get(f"project_{p.pk}", {}),
        }
        for p in progress.projects
    ]
    panel: dict[str, Any] = {
        "decision": decision,
        "progress": progress,
        "projects": projects,
        "keep": keep,
        "errors": {k: v for k, v in errors.items() if not k.startswith("project_")},
        "values": values,
        "add_values": values.get("project_add", {}),
        "case_values": values.get("decision_case", {}),
        "add_errors": errors.get("project_add", {}),
        "case_errors": errors.get("decision_case", {}),
        "abandon_errors": errors.get("decision_abandon", {}),
        "milestone_errors": errors.get("milestone", {}),
    }
    if keep:
        panel["key"] = uuid.uuid4().hex
        panel["classes"] = list(
            CaseClass.objects.filter(active=True).order_by("code").only("code", "name")
        )
        grids = Grid.objects.filter(community_id=topic.community_id)
        if topic.grid_id is not None:
            grids = grids.filter(pk=topic.grid_id)
        panel["grids"] = list(grids.order_by("code").only("code", "name"))
    return panel


@register.simple_tag(takes_context=True)
def case_decision(context: template.Context) -> dict[str, Any] | None:
    """On the case page: the decision the case carries out, if any, with a link to its topic for
    those who may read the topic (else only the public page's number)."""
    case = context.get("case")
    request = context.get("request")
    if case is None or request is None:
        return None
    decision = decision_selectors.case_decision(case)
    if decision is None:
        return None
    topic = decision.topic
    return {
        "decision": decision,
        "topic_url": (
            reverse("web:deliberation_topic", args=[topic.pk])
            if topic_selectors.may_read_topic(request.user, topic)
            else ""
        ),
    }
