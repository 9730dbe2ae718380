"""The people's mediation register API (/api/v1/mediation/).

Thin: parse, call one selector or service, render. The register (lines without names or
content) is read by PAGE_ROLES["mediation"] over their reach; a dispute outside it is a 404.
The content (facts, claims, parties, mediators, sessions, follow-ups) comes only to those
org.policies.may_read_dispute allows, each answer recorded once (PersonalDataRead, MEDIATION,
channel api); everyone else gets the register line alone. Residents apply and follow their
own applications' state. Every write a client may retry carries an idempotency key or is a
state move that replays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from onegrid.cases.selectors import get_case
from onegrid.core.api_errors import errors
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import row_id
from onegrid.org import access_log, policies
from onegrid.org.requests import SignedInRequest
from onegrid.territory.models import AdminUnit

from . import selectors, services
from .models import Dispute, DisputeParty, MediationCommittee, MediationSession

router = Router(tags=["mediation"])


class LineOut(Schema):
    id: int
    number: str
    type: str
    type_code: str
    source: str
    source_label: str
    state: str
    state_label: str
    risk: str
    community: str
    street: str
    committee: str
    registered_at: dt.datetime
    accepted_at: dt.datetime | None
    due_on: dt.date | None = Field(None, description="The last day, extension included.")
    extended: bool
    outcome_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue: bool


class DisputePartyIn(Schema):
    side: str = Field("applicant", description="applicant, respondent or third.")
    kind: str = Field("person", description="person or organisation.")
    name: str
    sex: str = ""
    age: int | None = None
    ethnicity: str = ""
    occupation: str = ""
    address: str = ""
    phone: str = ""
    representative: str = Field("", description="An organisation's legal representative.")


class PartyOut(DisputePartyIn):
    id: int


class SessionOut(Schema):
    id: int
    held_at: dt.datetime
    place: str
    attendees: str
    notes: str


class DisputeFollowUpOut(Schema):
    id: int
    visited_at: dt.datetime
    performance: str
    note: str


class MediatorOut(Schema):
    user_id: int
    name: str
    lead: bool
    chosen_by_parties: bool = Field(False, description="The parties chose this mediator.")


class RefusedMediatorOut(Schema):
    user_id: int
    name: str
    reason: str
    at: dt.datetime


class DisputeOut(LineOut):
    content: bool = Field(..., description="Whether the content below is shown to the caller.")
    title: str = ""
    facts: str = ""
    claims: str = ""
    parties: list[PartyOut] = Field(default_factory=list)
    mediators: list[MediatorOut] = Field(default_factory=list)
    sessions: list[SessionOut] = Field(default_factory=list)
    follow_ups: list[DisputeFollowUpOut] = Field(default_factory=list)
    declined_reason: str = ""
    failure_reason: str = ""
    referral: str = ""
    referral_note: str = ""
    extension_reason: str = ""
    public_hearing: str = Field(
        "", description="unspecified, public or private: what the parties asked (art. 23)."
    )
    refused_mediators: list[RefusedMediatorOut] = Field(default_factory=list)
    withdrawal_reason: str = ""


class DisputeRegisterIn(Schema):
    source: str = Field("walk_in", description="walk_in or referred (at the committee).")
    community_id: int
    type: str = Field(..., description="A mediation type's code.")
    title: str
    facts: str
    claims: str = ""
    risk: str = ""
    public_hearing: str = Field("unspecified", description="unspecified, public or private.")
    parties: list[DisputePartyIn]
    idempotency_key: str = ""


class CaseReferIn(Schema):
    case: str = Field(..., description="The case number.")
    type: str
    title: str = ""
    facts: str = ""
    claims: str = ""
    risk: str = ""
    parties: list[DisputePartyIn]
    idempotency_key: str = ""


class DisputeApplyIn(Schema):
    community_id: int
    type: str
    title: str
    facts: str
    claims: str = ""
    public_hearing: str = Field("unspecified", description="unspecified, public or private.")
    parties: list[DisputePartyIn]
    idempotency_key: str = ""


class DisputeReasonIn(Schema):
    reason: str = ""


class DisputeWithdrawIn(Schema):
    reason: str = Field("", description="Why the party withdraws (required).")


class AssignIn(Schema):
    mediators: list[int]
    lead: int | None = None
    chosen_by_parties: bool = Field(False, description="The parties chose those named.")


class RefuseMediatorIn(Schema):
    mediator: int
    reason: str = ""


class PublicHearingIn(Schema):
    public_hearing: str = Field(..., description="unspecified, public or private.")


class SessionIn(Schema):
    held_at: dt.datetime
    place: str
    attendees: str = ""
    notes: str
    idempotency_key: str = ""


class FailIn(Schema):
    reason: str
    referral: str = Field(..., description="litigation, arbitration, administrative, petition.")
    referral_note: str = ""


class DisputeFollowUpIn(Schema):
    visited_at: dt.datetime
    performance: str = Field(..., description="performed, partly or not_performed.")
    note: str = ""
    idempotency_key: str = ""


class ExtendIn(Schema):
    reason: str
    until: dt.date | None = None


class ApplicationOut(Schema):
    id: int
    number: str
    type: str
    title: str
    state: str
    state_label: str
    registered_at: dt.datetime
    accepted_at: dt.datetime | None
    due_on: dt.date | None
    declined_reason: str


def _require_page(request: SignedInRequest) -> None:
    if not policies.may_open_page(request.user, "mediation"):
        raise PermissionDenied(_("You may not read the mediation register."))


def _community(community_id: int) -> AdminUnit:
    pk = row_id(community_id)
    found = AdminUnit.objects.filter(pk=pk, level=AdminUnit.Level.COMMUNITY).first() if pk else None
    if found is None:
        raise InvalidInput(_("No such community."), field="community_id")
    return found


def _parties(rows: list[DisputePartyIn]) -> list[dict[str, Any]]:
    return [r.dict() for r in rows]


def dispute_out(request: SignedInRequest, dispute: Dispute) -> dict[str, Any]:
    """The line, and the content when the caller may read it (that read recorded)."""
    body: dict[str, Any] = selectors.register_line(dispute)
    content = selectors.content_of(
        request.user, dispute, channel=access_log.Channel.API, path=request.path
    )
    body["content"] = content is not None
    if content is None:
        return body
    body.update(
        title=content.title,
        facts=content.facts,
        claims=content.claims,
        parties=[
            {
                "id": p.pk,
                **{f: getattr(p, f) for f in ("side", "kind", *selectors.PARTY_FIELDS)},
            }
            for p in content.parties
        ],
        mediators=[
            {
                "user_id": a.mediator_id,
                "name": str(a.mediator),
                "lead": a.lead,
                "chosen_by_parties": a.chosen_by_parties,
            }
            for a in content.mediators
        ],
        refused_mediators=[
            {"user_id": r.mediator_id, "name": str(r.mediator), "reason": r.reason, "at": r.at}
            for r in content.refusals
        ],
        public_hearing=content.public_hearing,
        withdrawal_reason=content.withdrawal_reason,
        sessions=[
            {
                "id": s.pk,
                "held_at": s.held_at,
                "place": s.place,
                "attendees": s.attendees,
                "notes": s.notes,
            }
            for s in content.sessions
        ],
        follow_ups=[
            {"id": f.pk, "visited_at": f.visited_at, "performance": f.performance, "note": f.note}
            for f in content.follow_ups
        ],
        declined_reason=dispute.declined_reason,
        failure_reason=dispute.failure_reason,
        referral=dispute.referral,
        referral_note=dispute.referral_note,
        extension_reason=dispute.extension_reason,
    )
    return body


def _status(dispute: Dispute) -> int:
    return 200 if getattr(dispute, "replayed", False) else 201


@router.get(
    "/disputes",
    response={200: list[LineOut], **errors(401, 403, 422)},
    summary="The mediation register (lines without names or content)",
)
def register(
    request: SignedInRequest,
    state: str = "",
    type: str = "",
    overdue: bool = False,
    number: str = "",
) -> list[dict[str, Any]]:
    _require_page(request)
    rows = selectors.filtered(
        request.user, state=state[:20], type_code=type[:20], overdue=overdue, number=number[:30]
    )[:500]
    return [selectors.register_line(d) for d in rows]


# Before "/disputes/{dispute_id}": a literal path after a parametrised one of the same prefix is
# shadowed by it (Django tries the URL patterns in order; the GET route answered 405).
@router.post(
    "/disputes/from-case",
    response={201: DisputeOut, 200: DisputeOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="转人民调解: refer a case's dispute to mediation (one dispute per case)",
)
def refer_case(request: SignedInRequest, payload: CaseReferIn) -> Status[dict[str, Any]]:
    try:
        case = get_case(request.user, payload.case)
    except NotFound:
        raise NotFound(_("No such case."), field="case") from None
    found = services.refer_case(
        by=request.user,
        case=case,
        type=payload.type,
        title=payload.title,
        facts=payload.facts,
        claims=payload.claims,
        risk=payload.risk,
        parties=_parties(payload.parties),
        idempotency_key=payload.idempotency_key,
    )
    body = dispute_out(request, found)
    return Status(_status(found), body)


@router.get(
    "/disputes/{dispute_id}",
    response={200: DisputeOut, **errors(401, 403, 404)},
    summary="One dispute: its line, and its content to those who may read it (logged)",
)
def dispute(request: SignedInRequest, dispute_id: str) -> dict[str, Any]:
    _require_page(request)
    return dispute_out(request, selectors.dispute_for(request.user, dispute_id))


def _acting_on(request: SignedInRequest, dispute_id: str) -> Dispute:
    _require_page(request)
    return selectors.dispute_for(request.user, dispute_id)


@router.post(
    "/disputes",
    response={201: DisputeOut, 200: DisputeOut, **errors(400, 401, 403, 409, 422)},
    summary="Register a walk-in or a referred dispute at the committee",
)
def register_dispute(
    request: SignedInRequest, payload: DisputeRegisterIn
) -> Status[dict[str, Any]]:
    if payload.source not in (Dispute.Source.WALK_IN, Dispute.Source.REFERRED):
        raise InvalidInput(_("Not one of the choices."), field="source")
    found = services.register_at_committee(
        by=request.user,
        community=_community(payload.community_id),
        type=payload.type,
        title=payload.title,
        facts=payload.facts,
        claims=payload.claims,
        risk=payload.risk,
        parties=_parties(payload.parties),
        referred=payload.source == Dispute.Source.REFERRED,
        public_hearing=payload.public_hearing,
        idempotency_key=payload.idempotency_key,
    )
    return Status(_status(found), dispute_out(request, found))


@router.post(
    "/applications",
    response={201: ApplicationOut, 200: ApplicationOut, **errors(400, 401, 403, 409, 422)},
    summary="A resident applies for mediation",
)
def apply(request: SignedInRequest, payload: DisputeApplyIn) -> Status[dict[str, Any]]:
    found = services.apply_as_resident(
        by=request.user,
        community=_community(payload.community_id),
        type=payload.type,
        title=payload.title,
        facts=payload.facts,
        claims=payload.claims,
        parties=_parties(payload.parties),
        public_hearing=payload.public_hearing,
        idempotency_key=payload.idempotency_key,
    )
    return Status(_status(found), application_out(found))


def application_out(d: Dispute) -> dict[str, Any]:
    return {
        "id": d.pk,
        "number": d.number,
        "type": d.type.name,
        "title": d.title,
        "state": d.state,
        "state_label": str(d.get_state_display()),
        "registered_at": d.registered_at,
        "accepted_at": d.accepted_at,
        "due_on": d.extended_on or d.due_on,
        "declined_reason": d.declined_reason,
    }


@router.get(
    "/applications",
    response={200: list[ApplicationOut], **errors(401)},
    summary="My applications for mediation and their state",
)
def my_applications(request: SignedInRequest) -> list[dict[str, Any]]:
    return [application_out(d) for d in selectors.my_applications(request.user)[:100]]


@router.post(
    "/applications/{dispute_id}/withdraw",
    response={200: ApplicationOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Withdraw my application, with the reason",
)
def withdraw_application(
    request: SignedInRequest, dispute_id: str, payload: DisputeWithdrawIn
) -> dict[str, Any]:
    mine = selectors.my_applications(request.user)
    pk = row_id(dispute_id)
    found = mine.filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound(_("No such dispute."))
    return application_out(services.withdraw(by=request.user, dispute=found, reason=payload.reason))


def _act(request: SignedInRequest, dispute_id: str, move, **kwargs) -> dict[str, Any]:
    found = _acting_on(request, dispute_id)
    moved = move(by=request.user, dispute=found, **kwargs)
    return dispute_out(request, moved)


ACT = {200: DisputeOut, **errors(400, 401, 403, 404, 409, 422)}


@router.post("/disputes/{dispute_id}/accept", response=ACT, summary="Accept a dispute")
def accept(request: SignedInRequest, dispute_id: str) -> dict[str, Any]:
    return _act(request, dispute_id, services.accept)


@router.post("/disputes/{dispute_id}/decline", response=ACT, summary="Decline, with a reason")
def decline(request: SignedInRequest, dispute_id: str, payload: DisputeReasonIn) -> dict[str, Any]:
    return _act(request, dispute_id, services.decline, reason=payload.reason)


@router.post("/disputes/{dispute_id}/mediators", response=ACT, summary="Assign mediators")
def assign(request: SignedInRequest, dispute_id: str, payload: AssignIn) -> dict[str, Any]:
    return _act(
        request,
        dispute_id,
        services.assign_mediators,
        mediators=payload.mediators,
        lead=payload.lead,
        chosen_by_parties=payload.chosen_by_parties,
    )


@router.post(
    "/disputes/{dispute_id}/refused-mediators",
    response=ACT,
    summary="A party refused a mediator: they leave the dispute (art. 23), with the reason",
)
def refuse_mediator(
    request: SignedInRequest, dispute_id: str, payload: RefuseMediatorIn
) -> dict[str, Any]:
    return _act(
        request,
        dispute_id,
        services.refuse_mediator,
        mediator=payload.mediator,
        reason=payload.reason,
    )


@router.post(
    "/disputes/{dispute_id}/public-hearing",
    response=ACT,
    summary="Whether the parties asked for the mediation in public or not (art. 23)",
)
def public_hearing(
    request: SignedInRequest, dispute_id: str, payload: PublicHearingIn
) -> dict[str, Any]:
    return _act(
        request, dispute_id, services.set_public_hearing, public_hearing=payload.public_hearing
    )


@router.post(
    "/disputes/{dispute_id}/parties",
    response={201: PartyOut, 200: PartyOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Add a party, or complete one of the same side and name (before the outcome)",
)
def add_party(request: SignedInRequest, dispute_id: str, payload: DisputePartyIn) -> Status[Any]:
    found = _acting_on(request, dispute_id)
    before = found.parties.count()
    row = services.add_party(by=request.user, dispute=found, party=payload.dict())
    after = DisputeParty.objects.filter(dispute_id=found.pk).count()
    # The party's facts go back to the caller: a read of personal data, recorded.
    access_log.record(
        user=request.user,
        kind=access_log.Kind.MEDIATION,
        channel=access_log.Channel.API,
        subjects=[(f"party:{row.pk}", access_log.shown_fields(row, selectors.PARTY_FIELDS))],
        path=request.path,
    )
    return Status(
        201 if after > before else 200,
        {"id": row.pk, **{f: getattr(row, f) for f in ("side", "kind", *selectors.PARTY_FIELDS)}},
    )


@router.post(
    "/disputes/{dispute_id}/sessions",
    response={201: SessionOut, 200: SessionOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Record a session (confidential)",
)
def session(request: SignedInRequest, dispute_id: str, payload: SessionIn) -> Status[Any]:
    found = _acting_on(request, dispute_id)
    row: MediationSession = services.record_session(
        by=request.user, dispute=found, **payload.dict()
    )
    return Status(
        200 if getattr(row, "replayed", False) else 201,
        {
            "id": row.pk,
            "held_at": row.held_at,
            "place": row.place,
            "attendees": row.attendees,
            "notes": row.notes,
        },
    )


@router.post("/disputes/{dispute_id}/fail", response=ACT, summary="Mediation failed: referral")
def fail(request: SignedInRequest, dispute_id: str, payload: FailIn) -> dict[str, Any]:
    return _act(request, dispute_id, services.fail, **payload.dict())


@router.post(
    "/disputes/{dispute_id}/follow-ups",
    response={
        201: DisputeFollowUpOut,
        200: DisputeFollowUpOut,
        **errors(400, 401, 403, 404, 409, 422),
    },
    summary="A follow-up visit after an agreement",
)
def follow_up(request: SignedInRequest, dispute_id: str, payload: DisputeFollowUpIn) -> Status[Any]:
    found = _acting_on(request, dispute_id)
    row = services.record_follow_up(by=request.user, dispute=found, **payload.dict())
    return Status(
        200 if getattr(row, "replayed", False) else 201,
        {
            "id": row.pk,
            "visited_at": row.visited_at,
            "performance": row.performance,
            "note": row.note,
        },
    )


@router.post("/disputes/{dispute_id}/close", response=ACT, summary="Close the file")
def close(request: SignedInRequest, dispute_id: str) -> dict[str, Any]:
    return _act(request, dispute_id, services.close)


@router.post(
    "/disputes/{dispute_id}/withdraw", response=ACT, summary="Record a withdrawal, with the reason"
)
def withdraw(
    request: SignedInRequest, dispute_id: str, payload: DisputeWithdrawIn
) -> dict[str, Any]:
    return _act(request, dispute_id, services.withdraw, reason=payload.reason)


@router.post("/disputes/{dispute_id}/extend", response=ACT, summary="Extend the period once")
def extend(request: SignedInRequest, dispute_id: str, payload: ExtendIn) -> dict[str, Any]:
    return _act(request, dispute_id, services.extend, reason=payload.reason, until=payload.until)


class CommitteeOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str
    address: str
    phone: str
    active: bool


class CommitteeIn(Schema):
    name: str
    address: str = ""
    phone: str = ""
    active: bool = True


def _committee_out(c: MediationCommittee) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "unit_id": c.unit_id,
        "unit_name": c.unit.name,
        "address": c.address,
        "phone": c.phone,
        "active": c.active,
    }


@router.get(
    "/committees",
    response={200: list[CommitteeOut], **errors(401)},
    summary="The people's mediation committees (names and addresses: base data)",
)
def committees(request: SignedInRequest) -> list[dict[str, Any]]:
    rows = MediationCommittee.objects.select_related("unit").order_by("unit__code")
    return [_committee_out(c) for c in rows[:2000]]


@router.put(
    "/committees/{unit_id}",
    response={200: CommitteeOut, **errors(400, 401, 403, 404, 422)},
    summary="Set up or change the committee of a street or community (judicial office, admins)",
)
def keep_committee(request: SignedInRequest, unit_id: str, payload: CommitteeIn) -> dict[str, Any]:
    pk = row_id(unit_id)
    unit = AdminUnit.objects.filter(pk=pk).first() if pk else None
    if unit is None:
        raise NotFound(_("No such community."), field="unit_id")
    found = services.keep_committee(by=request.user, unit=unit, **payload.dict())
    return _committee_out(MediationCommittee.objects.select_related("unit").get(pk=found.pk))
