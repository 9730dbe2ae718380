"""The people's mediation register pages (人民调解): the register /mediation/ and a dispute's
page /mediation/disputes/<id>/.

PAGE_ROLES["mediation"] opens the door; what a page then shows comes from mediation.selectors
and org.policies: the content (facts, claims, parties, sessions, the agreement) only to those
may_read_dispute allows, every such page recorded once (PersonalDataRead, MEDIATION); street
desks see register lines only.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onegrid.core.errors import NotFound
from onegrid.mediation import selectors
from onegrid.mediation.models import Dispute
from onegrid.org import policies

from ..access import page


def _dispute_or_404(request, dispute_id) -> Dispute:
    try:
        return selectors.dispute_for(request.user, dispute_id)
    except NotFound:
        raise Http404(_("No such dispute.")) from None


@page("mediation")
@require_GET
def dispute_page(request, dispute_id: str):
    dispute = _dispute_or_404(request, dispute_id)
    may_read = policies.may_read_dispute(request.user, dispute)
    context = {
        "active_page": "mediation",
        "dispute": dispute,
        "may_read": may_read,
        "may_act": policies.may_act_on_dispute(request.user, dispute),
    }
    return render(request, "web/mediation/dispute.html", context)


routes = [
    path("mediation/disputes/<str:dispute_id>/", dispute_page, name="mediation_dispute"),
]
