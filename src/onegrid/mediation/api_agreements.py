"""Mediation agreement API (/api/v1/mediation/disputes/{id}/agreement…): read the agreement
and its judicial confirmation, record the agreement, the parties' application for judicial
confirmation and the court's ruling, download the 人民调解协议书 as PDF; the mediation types
with their legal basis.

Thin: parse, call one service (mediation.agreements), render. The agreement is part of the
dispute's confidential file: a dispute outside the caller's register is a 404, one on it whose
content they may not read (a street desk's register line) a 403; every read is recorded
(PersonalDataRead, MEDIATION, channel api). Dates are ``YYYY-MM-DD`` text, checked by the
service (a 422 naming the field).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from onegrid.core import clock
from onegrid.core.api_errors import errors
from onegrid.core.errors import NotFound, PermissionDenied
from onegrid.core.pdf_fonts import ReportFontMissing
from onegrid.org import access_log, policies
from onegrid.org.requests import SignedInRequest

from . import agreement_pdf, agreements, selectors
from .legal_basis import basis_text
from .models import Agreement, Dispute, MediationType

router = Router(tags=["mediation"])


class LegalBasisOut(Schema):
    law: str = Field(..., description="The law (法律依据), empty when none is named.")
    article: str = Field(..., description="Its article(s).")
    text: str = Field(..., description="Law and article in one line.")


class MediationTypeOut(Schema):
    code: str
    name: str
    name_en: str
    legal_basis: LegalBasisOut


class ConfirmationOut(Schema):
    court: str
    applied_on: dt.date
    state: str = Field(..., description="applied, confirmed or refused.")
    state_label: str
    ruled_on: dt.date | None
    ruling_number: str


class AgreementOut(Schema):
    id: int
    dispute_id: int
    number: str
    form: str = Field(..., description="written or oral (人民调解法 art. 28).")
    facts: str
    matters: str
    responsibilities: str
    terms: str
    performance_manner: str
    performance_deadline: dt.date | None
    copies: int
    effective_on: dt.date
    confirmation_deadline: dt.date = Field(
        ...,
        description="The last day to apply for judicial confirmation: 30 days after "
        "effective_on, a rest day moving to the next working day (民事诉讼法 art. 85).",
    )
    confirmation_open: bool = Field(..., description="Whether the window is open today.")
    confirmation: ConfirmationOut | None
    legal_basis: LegalBasisOut = Field(..., description="The basis of the dispute's type.")
    recorded_at: dt.datetime
    replayed: bool = False


class AgreementIn(Schema):
    form: str = Field("written", description="written or oral.")
    facts: str = Field(..., description="The main facts of the dispute.")
    matters: str = Field(..., description="The matters in dispute.")
    responsibilities: str = Field(..., description="Each party's responsibility.")
    terms: str = Field(..., description="What the parties agreed.")
    performance_manner: str = Field(..., description="How it is performed.")
    performance_deadline: str = Field("", description="Performed by (YYYY-MM-DD), optional.")
    copies: int | None = Field(None, description="Copies; default one per party plus one.")
    effective_on: str = Field(..., description="The day all signed (YYYY-MM-DD).")


class ApplicationIn(Schema):
    court: str = Field(..., description="The people's court applied to.")
    applied_on: str = Field(..., description="The day the parties applied (YYYY-MM-DD).")


class RulingIn(Schema):
    confirmed: bool = Field(..., description="Whether the court confirmed the agreement.")
    ruled_on: str = Field(..., description="The day of the ruling (YYYY-MM-DD).")
    ruling_number: str = Field("", description="The ruling's number (民事裁定书).")


def legal_basis_out(law: str, article: str) -> dict[str, str]:
    return {"law": law, "article": article, "text": basis_text(law, article)}


def agreement_out(agreement: Agreement, *, replayed: bool = False) -> dict[str, Any]:
    confirmation = getattr(agreement, "confirmation", None)
    kind: MediationType = agreement.dispute.type
    return {
        "id": agreement.pk,
        "dispute_id": agreement.dispute_id,
        "number": agreement.number,
        "form": agreement.form,
        "facts": agreement.facts,
        "matters": agreement.matters,
        "responsibilities": agreement.responsibilities,
        "terms": agreement.terms,
        "performance_manner": agreement.performance_manner,
        "performance_deadline": agreement.performance_deadline,
        "copies": agreement.copies,
        "effective_on": agreement.effective_on,
        "confirmation_deadline": agreement.confirmation_deadline,
        "confirmation_open": agreement.effective_on
        <= clock.local_today()
        <= agreement.confirmation_deadline,
        "confirmation": None
        if confirmation is None
        else {
            "court": confirmation.court,
            "applied_on": confirmation.applied_on,
            "state": confirmation.state,
            "state_label": confirmation.get_state_display(),
            "ruled_on": confirmation.ruled_on,
            "ruling_number": confirmation.ruling_number,
        },
        "legal_basis": legal_basis_out(kind.legal_basis_law, kind.legal_basis_article),
        "recorded_at": timezone.localtime(agreement.recorded_at),
        "replayed": replayed,
    }


def _readable(request: SignedInRequest, dispute_id: str) -> Dispute:
    if not policies.may_open_page(request.user, "mediation"):
        raise PermissionDenied(_("You may not read the mediation register."))
    dispute = selectors.dispute_for(request.user, dispute_id)
    if not policies.may_read_dispute(request.user, dispute):
        raise PermissionDenied(
            _("Only the committee's mediators and the judicial office read the agreement."),
            field="dispute_id",
        )
    return dispute


def _agreement(dispute: Dispute) -> Agreement:
    found = agreements.agreement_of(dispute)
    if found is None:
        raise NotFound(_("No agreement is recorded for this dispute."), field="dispute_id")
    return found


def _fresh(agreement: Agreement) -> Agreement:
    found = agreements.agreement_of(agreement.dispute)
    assert found is not None
    return found


@router.get(
    "/disputes/{dispute_id}/agreement",
    response={200: AgreementOut, **errors(401, 403, 404)},
    summary="The dispute's mediation agreement and its judicial confirmation (logged)",
)
def agreement(request: SignedInRequest, dispute_id: str) -> dict[str, Any]:
    dispute = _readable(request, dispute_id)
    found = _agreement(dispute)
    agreements.record_read(
        request.user, dispute, found, channel=access_log.Channel.API, path=request.path, pdf=False
    )
    return agreement_out(found)


@router.post(
    "/disputes/{dispute_id}/agreement",
    response={201: AgreementOut, 200: AgreementOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Record the agreement the parties reached (the dispute becomes agreed)",
)
def record(
    request: SignedInRequest, dispute_id: str, payload: AgreementIn
) -> Status[dict[str, Any]]:
    dispute = _readable(request, dispute_id)
    outcome = agreements.record_agreement(
        actor=request.user, dispute=dispute, **payload.model_dump()
    )
    return Status(
        200 if outcome.replayed else 201,
        agreement_out(_fresh(outcome.agreement), replayed=outcome.replayed),
    )


@router.post(
    "/disputes/{dispute_id}/agreement/confirmation",
    response={201: AgreementOut, 200: AgreementOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Record the parties' joint application for judicial confirmation (within 30 days)",
)
def apply(request: SignedInRequest, dispute_id: str, payload: ApplicationIn) -> Status[Any]:
    dispute = _readable(request, dispute_id)
    outcome = agreements.apply_for_confirmation(
        actor=request.user, dispute=dispute, court=payload.court, applied_on=payload.applied_on
    )
    found = _agreement(dispute)
    return Status(200 if outcome.replayed else 201, agreement_out(found, replayed=outcome.replayed))


@router.post(
    "/disputes/{dispute_id}/agreement/ruling",
    response={200: AgreementOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Record the court's ruling on the judicial confirmation",
)
def ruling(request: SignedInRequest, dispute_id: str, payload: RulingIn) -> dict[str, Any]:
    dispute = _readable(request, dispute_id)
    outcome = agreements.record_ruling(
        actor=request.user,
        dispute=dispute,
        confirmed=payload.confirmed,
        ruled_on=payload.ruled_on,
        ruling_number=payload.ruling_number,
    )
    return agreement_out(_agreement(dispute), replayed=outcome.replayed)


@router.get(
    "/disputes/{dispute_id}/agreement.pdf",
    response={200: None, **errors(401, 403, 404)},
    summary="The mediation agreement (人民调解协议书) as PDF (logged)",
)
def agreement_pdf_file(request: SignedInRequest, dispute_id: str) -> HttpResponse:
    dispute = _readable(request, dispute_id)
    found = _agreement(dispute)
    try:
        return agreement_pdf.download(request, dispute, found, channel=access_log.Channel.API)
    except ReportFontMissing as error:
        raise HttpError(503, str(error)) from None


@router.get(
    "/types",
    response={200: list[MediationTypeOut], **errors(401, 403)},
    summary="The mediation types and the legal basis of each",
)
def types(request: SignedInRequest) -> list[dict[str, Any]]:
    if not policies.may_open_page(request.user, "mediation"):
        raise PermissionDenied(_("You may not read the mediation register."))
    return [
        {
            "code": t.code,
            "name": t.name,
            "name_en": t.name_en,
            "legal_basis": legal_basis_out(t.legal_basis_law, t.legal_basis_article),
        }
        for t in MediationType.objects.filter(active=True).order_by("code")
    ]
