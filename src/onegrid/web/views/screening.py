"""The monthly dispute screening in the field app (/field/screening/, phone first): the grids
of the grid worker or grid head with the months still unscreened, the form for each (disputes
found, risk level, stable or not, a note), and after a screening the two next steps: register
a dispute it found in the mediation register (/field/screening/<id>/dispute/) and raise a risk
(/field/screening/<id>/risk/). Routes in `routes`.

Every write goes through mediation.screening or mediation.risks; a DomainError is shown at the
field it names. Each form carries a client key, so sending it twice records once.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onegrid.core.errors import DomainError, NotFound
from onegrid.core.text_input import row_id
from onegrid.mediation import risks, screening, screening_selectors
from onegrid.mediation.models import Level, MediationType, Risk, Screening
from onegrid.org import policies

from ..access import page

PAGE = "screening"


def _screening_or_404(request, screening_id: int) -> Screening:
    try:
        return screening.screening_for(request.user, screening_id)
    except NotFound:
        raise Http404(_("No such screening.")) from None


@page(PAGE)
@require_http_methods(["GET", "POST"])
def home(request):
    error: DomainError | None = None
    posted = {}
    if request.method == "POST":
        posted = request.POST
        try:
            month = request.POST.get("month") or None
            outcome = screening.record_screening(
                actor=request.user,
                grid=request.POST.get("grid", ""),
                month=screening.parse_month(month) if month else None,
                disputes_found=request.POST.get("disputes_found", ""),
                risk_level=request.POST.get("risk_level", ""),
                stable=request.POST.get("stable", ""),
                note=request.POST.get("note", ""),
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except DomainError as e:
            error = e
        else:
            messages.success(request, _("Screening recorded."))
            return redirect(f"{request.path}?done={outcome.screening.pk}")
    done = None
    done_id = row_id(request.GET.get("done"))
    if done_id is not None:
        done = (
            Screening.objects.filter(
                pk=done_id, grid_id__in=policies.screening_grid_ids(request.user)
            )
            .select_related("grid")
            .first()
        )
    rows = screening_selectors.my_grids(request.user)
    context = {
        "active_page": PAGE,
        "rows": rows,
        "unscreened": [r for r in rows if not r.done],
        "recent": screening_selectors.recent(request.user),
        "levels": Level.choices,
        "error": error,
        "posted": posted,
        "done": done,
        "idempotency_key": uuid.uuid4().hex,
    }
    return render(
        request, "web/screening/home.html", context, status=error.status if error else 200
    )


@page(PAGE)
@require_http_methods(["GET", "POST"])
def found_dispute(request, screening_id: int):
    row = _screening_or_404(request, screening_id)
    error: DomainError | None = None
    if request.method == "POST":
        parties = []
        for side in ("applicant", "respondent"):
            name = request.POST.get(f"{side}_name", "")
            if name.strip() or side == "applicant":
                parties.append(
                    {
                        "side": side,
                        "name": name,
                        "phone": request.POST.get(f"{side}_phone", ""),
                        "address": request.POST.get(f"{side}_address", ""),
                    }
                )
        try:
            dispute = screening.register_found_dispute(
                actor=request.user,
                screening=row,
                type=request.POST.get("type", ""),
                title=request.POST.get("title", ""),
                facts=request.POST.get("facts", ""),
                claims=request.POST.get("claims", ""),
                parties=parties,
                risk=request.POST.get("risk", ""),
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except DomainError as e:
            error = e
        else:
            messages.success(
                request,
                _("Dispute %(number)s registered for mediation.") % {"number": dispute.number},
            )
            return redirect("web:screening")
    context = {
        "active_page": PAGE,
        "screening": row,
        "types": MediationType.objects.filter(active=True).order_by("code"),
        "risks": [(v, label) for v, label in Risk.RiskLevel.choices],
        "error": error,
        "posted": request.POST if request.method == "POST" else {},
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
    }
    return render(
        request, "web/screening/dispute.html", context, status=error.status if error else 200
    )


@page(PAGE)
@require_http_methods(["GET", "POST"])
def found_risk(request, screening_id: int):
    row = _screening_or_404(request, screening_id)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            outcome = risks.raise_risk(
                actor=request.user,
                screening=row,
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                level=request.POST.get("level", ""),
                owner=request.user,
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
        "screening": row,
        "levels": Risk.RiskLevel.choices,
        "error": error,
        "posted": request.POST if request.method == "POST" else {},
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
    }
    return render(
        request, "web/screening/risk.html", context, status=error.status if error else 200
    )


routes = [
    path("field/screening/", home, name="screening"),
    path("field/screening/<int:screening_id>/dispute/", found_dispute, name="screening_dispute"),
    path("field/screening/<int:screening_id>/risk/", found_risk, name="screening_risk"),
]
