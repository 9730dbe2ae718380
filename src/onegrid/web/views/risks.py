"""The risk register (/mediation/risks/): open or resolved risks by level, high first, with a
mark where a follow-up is overdue; raising a risk (/mediation/risks/new/); a risk's page
(/mediation/risks/<id>/) with its follow-ups, and the forms to follow it up (changing its
level) and resolve it. Routes in `routes`.

PAGE_ROLES["risks"] opens the door; what the pages show is mediation.risk_selectors (scoped by
org.policies.risk_reach), and the forms show only to those may_keep_risk allows (leaders and
the command centre read). Writes go through mediation.risks.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core import clock
from onegrid.core.errors import DomainError, NotFound
from onegrid.mediation import risk_selectors, risks, screening
from onegrid.mediation.models import Risk
from onegrid.org import policies
from onegrid.territory.models import Grid

from ..access import page

PAGE = "risks"


def _risk_or_404(request, risk_id: str) -> Risk:
    try:
        return risk_selectors.risk_for(request.user, risk_id)
    except NotFound:
        raise Http404(_("No such risk.")) from None


def _choice(value: str, choices) -> str:
    return value if value in {v for v, _label in choices} else ""


@page(PAGE)
@require_GET
def register(request):
    level = _choice(request.GET.get("level", ""), Risk.RiskLevel.choices)
    state = request.GET.get("state", "open")
    state = _choice(state, Risk.State.choices) if state else ""
    rows = risk_selectors.register(request.user, level=level, state=state)
    context = {
        "active_page": PAGE,
        "rows": rows,
        "level": level,
        "state": state,
        "levels": Risk.RiskLevel.choices,
        "states": Risk.State.choices,
        "may_raise": bool(_keeper_grids(request.user)),
        # The month the screening download offers first (web.views.mediation_ledgers).
        "this_month": screening.current_month().strftime("%Y-%m"),
    }
    return render(request, "web/risks/register.html", context)


def _keeper_grids(user) -> list[Grid]:
    """The grids where `user` may raise a risk (their own grids, their street's)."""
    reach = policies.risk_reach(user)
    if reach is None:
        return []
    grids = Grid.objects.all().select_related("community", "street").order_by("code")
    if not reach.district_wide:
        grids = grids.filter(
            Q(pk__in=reach.grid_ids)
            | Q(street_id__in=reach.street_ids)
            | Q(community_id__in=reach.community_ids)
        )
    return [g for g in grids[:2000] if policies.may_keep_risk(user, policies.grid_place(g))]


@page(PAGE)
@require_http_methods(["GET", "POST"])
def new(request):
    grids = _keeper_grids(request.user)
    if not grids:
        raise Http404(_("You keep no grid's risks."))
    error: DomainError | None = None
    if request.method == "POST":
        try:
            outcome = risks.raise_risk(
                actor=request.user,
                grid=request.POST.get("grid", ""),
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                level=request.POST.get("level", ""),
                owner=request.POST.get("owner", "") or request.user,
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except DomainError as e:
            error = e
        else:
            messages.success(
                request, _("Risk %(number)s raised.") % {"number": outcome.risk.number}
            )
            return redirect("web:risk", risk_id=outcome.risk.pk)
    context = {
        "active_page": PAGE,
        "grids": grids,
        "levels": Risk.RiskLevel.choices,
        "error": error,
        "posted": request.POST if request.method == "POST" else {},
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
    }
    return render(request, "web/risks/new.html", context, status=error.status if error else 200)


def _risk_page(request, risk: Risk, *, error: DomainError | None = None):
    place = risks.place_of(risk)
    may_keep = policies.may_keep_risk(request.user, place)
    follow_ups = risk_selectors.follow_ups(risk)
    last = follow_ups[-1].at if follow_ups else None
    due = risks.follow_up_due_at(risk, last)
    context = {
        "active_page": PAGE,
        "risk": risk,
        "follow_ups": follow_ups,
        "follow_up_due_at": due,
        "overdue": due is not None and due < clock.now(),
        "may_keep": may_keep and risk.state == Risk.State.OPEN,
        "levels": Risk.RiskLevel.choices,
        "error": error,
        "idempotency_key": uuid.uuid4().hex,
    }
    return render(request, "web/risks/risk.html", context, status=error.status if error else 200)


@page(PAGE)
@require_GET
def detail(request, risk_id: str):
    return _risk_page(request, _risk_or_404(request, risk_id))


@page(PAGE)
@require_POST
def follow_up(request, risk_id: str):
    risk = _risk_or_404(request, risk_id)
    try:
        outcome = risks.follow_up(
            actor=request.user,
            risk=risk,
            note=request.POST.get("note", ""),
            level=request.POST.get("level", ""),
            idempotency_key=request.POST.get("idempotency_key", ""),
        )
    except DomainError as e:
        risk.refresh_from_db()
        return _risk_page(request, risk, error=e)
    if outcome.escalated:
        messages.success(
            request, _("Saved. The risk is high: the street and the judicial office are told.")
        )
    else:
        messages.success(request, _("Saved."))
    return redirect("web:risk", risk_id=risk.pk)


@page(PAGE)
@require_POST
def resolve(request, risk_id: str):
    risk = _risk_or_404(request, risk_id)
    try:
        risks.resolve(actor=request.user, risk=risk, resolution=request.POST.get("resolution", ""))
    except DomainError as e:
        risk.refresh_from_db()
        return _risk_page(request, risk, error=e)
    messages.success(request, _("The risk is resolved."))
    return redirect("web:risk", risk_id=risk.pk)


routes = [
    path("mediation/risks/", register, name="risks"),
    path("mediation/risks/new/", new, name="risk_new"),
    path("mediation/risks/<str:risk_id>/", detail, name="risk"),
    path("mediation/risks/<str:risk_id>/follow-up/", follow_up, name="risk_follow_up"),
    path("mediation/risks/<str:risk_id>/resolve/", resolve, name="risk_resolve"),
]
