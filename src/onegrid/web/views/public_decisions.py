"""The public pages of resident deliberation's decisions (/public/decisions/ and
/public/decisions/<number>/): anyone, signed in or not, reads what the communities decided and
how far each decision is carried out.

Switched on and scoped like the public pages of reports: only decisions of the communities of
the districts whose public pages are on (residents.public.enabled_settings); off, the page
says so (404). What is shown carries no person (deliberation.decision_selectors.public_progress):
the decision's number, text and state, the topic's title and place (community, grid, building
as the topic names them), the projects (budget, spending, undertaker, milestones) and the
linked cases as counts; never who raised, signed, voted, published or recorded, nor case
numbers. All text is escaped by the templates.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from onegrid.core.errors import DomainError
from onegrid.deliberation import decision_selectors, decisions
from onegrid.deliberation.models import Decision
from onegrid.residents import public

from .paging import query_without_page
from .public import _off, _page_number


def _settled(decision: Decision) -> Decision:
    if decision.state == Decision.State.PUBLISHED and decisions.settle_decision(decision=decision):
        decision.refresh_from_db()
    return decision


@require_safe
def decision_list(request):
    """The decisions, newest first, each with its progress, a page at a time."""
    enabled = public.enabled_settings()
    if not enabled:
        return _off(request)
    try:
        page_number = _page_number(request.GET.get("page", ""))
    except DomainError as error:
        return render(
            request, "web/public/decisions.html", {"error": error, "rows": []}, status=400
        )
    paginator = Paginator(
        decision_selectors.public_decisions(enabled.keys()), settings.ONEGRID["PUBLIC_PAGE_SIZE"]
    )
    page = paginator.get_page(page_number)
    shown = list(page.object_list)
    decisions.settle_shown(shown)
    rows = decision_selectors.public_progress_of_page(shown)
    return render(
        request,
        "web/public/decisions.html",
        {"rows": rows, "page": page, "query": query_without_page(request)},
    )


@require_safe
def decision_page(request, number: str):
    """One decision: its text, state, projects with milestones and spending, cases as counts."""
    enabled = public.enabled_settings()
    if not enabled:
        return _off(request)
    found = decision_selectors.public_decision(number, enabled.keys())
    if found is None:
        raise Http404(_("No public decision has this number."))
    progress = decision_selectors.public_progress(_settled(found))
    # The vote behind the decision, made public with it (公示): counts and rules, no voter.
    vote = decision_selectors.public_vote(found)
    return render(request, "web/public/decision.html", {"progress": progress, "vote": vote})


routes = [
    path("public/decisions/", decision_list, name="public_decisions"),
    path("public/decisions/<str:number>/", decision_page, name="public_decision"),
]
