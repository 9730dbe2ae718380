"""The mediation agreement on the dispute page (/mediation/disputes/<id>/): record the agreement,
the parties' application for judicial confirmation and the court's ruling (forms in
web/mediation/_agreement.html), and download the 人民调解协议书 as PDF
(/mediation/disputes/<id>/agreement.pdf).

The services decide (mediation.agreements, org.policies); a refused form shows the dispute page
again with the error at its field. The PDF is for those may_read_dispute allows, its download
recorded (PersonalDataRead, MEDIATION, channel download).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onegrid.core.errors import DomainError, InvalidInput
from onegrid.core.pdf_fonts import ReportFontMissing
from onegrid.mediation import agreement_pdf, agreements
from onegrid.mediation.models import Dispute
from onegrid.org import access_log, policies

from ..access import forbidden, page
from .mediation import _dispute_context, _dispute_or_404

FORMS = ("agreement", "confirmation", "ruling")
_AGREEMENT_FIELDS = (
    "form",
    "facts",
    "matters",
    "responsibilities",
    "terms",
    "performance_manner",
    "performance_deadline",
    "copies",
    "effective_on",
)


def _confirmed(value: str) -> bool:
    if value not in ("yes", "no"):
        raise InvalidInput(_("Say whether the court confirmed the agreement."), field="confirmed")
    return value == "yes"


def _run(request, dispute: Dispute, form: str) -> str:
    p = request.POST
    if form == "agreement":
        outcome = agreements.record_agreement(
            actor=request.user,
            dispute=dispute,
            **{name: p.get(name, "") for name in _AGREEMENT_FIELDS},
        )
        return _("Agreement %(number)s is recorded.") % {"number": outcome.agreement.number}
    if form == "confirmation":
        agreements.apply_for_confirmation(
            actor=request.user,
            dispute=dispute,
            court=p.get("court", ""),
            applied_on=p.get("applied_on", ""),
        )
        return _("The application for judicial confirmation is recorded.")
    agreements.record_ruling(
        actor=request.user,
        dispute=dispute,
        confirmed=_confirmed(p.get("confirmed", "")),
        ruled_on=p.get("ruled_on", ""),
        ruling_number=p.get("ruling_number", ""),
    )
    return _("The court's ruling is recorded.")


@page("mediation")
@require_POST
def agreement_act(request, dispute_id: str, form: str):
    if form not in FORMS:
        raise Http404(_("No such form."))
    dispute = _dispute_or_404(request, dispute_id)
    if not policies.may_read_dispute(request.user, dispute):
        return forbidden(request)
    values: dict[str, Any] = {
        k: request.POST.get(k, "") for k in request.POST if k != "csrfmiddlewaretoken"
    }
    try:
        note = _run(request, dispute, form)
    except DomainError as error:
        dispute.refresh_from_db()
        context = _dispute_context(request, dispute, form=form, error=error, values=values)
        return render(request, "web/mediation/dispute.html", context, status=error.status)
    messages.success(request, note)
    return redirect("web:mediation_dispute", dispute_id=dispute.pk)


@page("mediation")
@require_GET
def agreement_pdf_download(request, dispute_id: str):
    dispute = _dispute_or_404(request, dispute_id)
    if not policies.may_read_dispute(request.user, dispute):
        return forbidden(request)
    found = agreements.agreement_of(dispute)
    if found is None:
        raise Http404(_("No agreement is recorded for this dispute."))
    try:
        return agreement_pdf.download(request, dispute, found, channel=access_log.Channel.DOWNLOAD)
    except ReportFontMissing as error:
        messages.error(request, str(error))
        return redirect("web:mediation_dispute", dispute_id=dispute.pk)


routes = [
    path(
        "mediation/disputes/<str:dispute_id>/agreement.pdf",
        agreement_pdf_download,
        name="mediation_agreement_pdf",
    ),
    path(
        "mediation/disputes/<str:dispute_id>/agreement/<str:form>/",
        agreement_act,
        name="mediation_agreement_act",
    ),
]
