"""Party organisation API (/api/v1/party/): the tree, an organisation's members, and joining,
transfers (组织关系转接) and leaving for Party-organisation staff.

Thin: parse, call one selector or service, render. The tree is read by PAGE_ROLES["party"] over
their reach (others get 403); an organisation outside it is a 404. Members come masked unless
the caller may read Party membership at the organisation's place (org.policies), and every
unmasked answer is logged (org.access_log, PARTY_MEMBERSHIP, channel api). Writes carry an
optional `client_key`: a retry with the same key replays the first result.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from onegrid.core.api_errors import errors
from onegrid.core.errors import InvalidInput, PermissionDenied
from onegrid.org import access_log, policies
from onegrid.org.requests import SignedInRequest

from . import selectors, services
from .models import Member, Membership, Organisation

router = Router(tags=["party"])


class PartyOrganisationOut(Schema):
    id: int
    code: str
    name: str
    kind: str = Field(..., description="district_committee, street_committee, … unit.")
    kind_label: str
    unit_id: int = Field(..., description="The admin unit it stands on.")
    unit_name: str
    grid_code: str | None = Field(None, description="For grid Party branches and groups.")
    parent_id: int | None
    unit_kind: str = Field("", description="For a unit's organisation: organ, enterprise, …")
    member_count: int = Field(..., description="Current members (a count, not who).")
    lon: float | None
    lat: float | None
    dissolved: bool


class PartyMemberOut(Schema):
    id: int
    name: str = Field(..., description="张* unless the caller may read Party membership.")
    phone: str = Field(..., description="Masked unless the caller may read Party membership.")
    category: str
    status: str
    employer: str
    started_on: dt.date | None
    start: str
    masked: bool


class JoinIn(Schema):
    name: str
    category: str = Field(..., description="in_service, retired, student, mobile or other.")
    phone: str = ""
    status: str = Member.Status.FULL
    start: str = Field(Membership.Start.JOINED, description="joined or registered.")
    started_on: dt.date | None = None
    joined_party_on: dt.date | None = None
    employer: str = ""
    reason: str = ""
    client_key: str = ""


class TransferIn(Schema):
    to: int = Field(..., description="The receiving organisation's id.")
    reason: str
    on: dt.date | None = None
    client_key: str = ""


class LeaveIn(Schema):
    end: str = Field(Membership.End.LEFT, description="left or died.")
    reason: str = ""
    on: dt.date | None = None
    client_key: str = ""


class MembershipOut(Schema):
    id: int
    member_id: int
    organisation_id: int
    started_on: dt.date
    start: str
    ended_on: dt.date | None
    end: str


def _require_reader(request: SignedInRequest) -> None:
    if not policies.may_open_page(request.user, "party"):
        raise PermissionDenied(_("You may not read the Party organisations."))


def _org_out(o: Organisation) -> dict[str, object]:
    return {
        "id": o.pk,
        "code": o.code,
        "name": o.name,
        "kind": o.kind,
        "kind_label": str(o.get_kind_display()),
        "unit_id": o.unit_id,
        "unit_name": o.unit.name,
        "grid_code": o.grid.code if o.grid is not None else None,
        "parent_id": o.parent_id,
        "unit_kind": o.unit_kind,
        "member_count": getattr(o, "member_count", 0),
        "lon": o.lon,
        "lat": o.lat,
        "dissolved": o.dissolved_at is not None,
    }


def _membership_out(m: Membership) -> dict[str, object]:
    return {
        "id": m.pk,
        "member_id": m.member_id,
        "organisation_id": m.organisation_id,
        "started_on": m.started_on,
        "start": m.start,
        "ended_on": m.ended_on,
        "end": m.end,
    }


@router.get(
    "/organisations",
    response={200: list[PartyOrganisationOut], **errors(401, 403)},
    summary="The Party organisations the caller may see",
)
def organisations(request: SignedInRequest) -> list[dict[str, object]]:
    _require_reader(request)
    return [_org_out(o) for o in selectors.visible_organisations(request.user).order_by("code")]


@router.get(
    "/organisations/{org_id}",
    response={200: PartyOrganisationOut, **errors(401, 403, 404)},
    summary="One Party organisation",
)
def organisation(request: SignedInRequest, org_id: str) -> dict[str, object]:
    _require_reader(request)
    return _org_out(selectors.organisation_for(request.user, org_id))


@router.get(
    "/organisations/{org_id}/members",
    response={200: list[PartyMemberOut], **errors(401, 403, 404)},
    summary="An organisation's current members (masked unless allowed; reads logged)",
)
def members(request: SignedInRequest, org_id: str) -> list[dict[str, object]]:
    _require_reader(request)
    org = selectors.organisation_for(request.user, org_id)
    rows = selectors.members_of(
        request.user, org, channel=access_log.Channel.API, path=request.path
    )
    return [r.__dict__ for r in rows]


@router.post(
    "/organisations/{org_id}/members",
    response={201: MembershipOut, 200: MembershipOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="A new member joins (or an existing member is registered)",
)
def join(request: SignedInRequest, org_id: str, payload: JoinIn) -> Status[dict[str, object]]:
    _require_reader(request)
    org = selectors.organisation_for(request.user, org_id)
    stay = services.join(actor=request.user, organisation=org, **payload.dict())
    return Status(201, _membership_out(stay))


class MemberHistoryOut(Schema):
    id: int
    name: str
    phone: str
    category: str
    status: str
    organisation_id: int | None = Field(None, description="Where they are now; none once left.")
    memberships: list[MembershipOut] = Field(..., description="Oldest first.")


@router.get(
    "/members/{member_id}",
    response={200: MemberHistoryOut, **errors(401, 403, 404)},
    summary="A member and their history (Party-organisation staff of their place; logged)",
)
def member(request: SignedInRequest, member_id: str) -> dict[str, object]:
    found = _member(request, member_id)
    access_log.record_request(
        request,
        kind=access_log.Kind.PARTY_MEMBERSHIP,
        channel=access_log.Channel.API,
        subjects=[(found.pk, access_log.shown_fields(found, ["name", "phone"]) + ["history"])],
    )
    return {
        "id": found.pk,
        "name": found.name,
        "phone": found.phone,
        "category": found.category,
        "status": found.status,
        "organisation_id": found.organisation_id,
        "memberships": [_membership_out(m) for m in selectors.memberships_of(found)],
    }


def _member(request: SignedInRequest, member_id: str) -> Member:
    _require_reader(request)
    return selectors.member_for(request.user, member_id)


@router.post(
    "/members/{member_id}/transfer",
    response={201: MembershipOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="组织关系转接: move a member to another organisation",
)
def transfer(
    request: SignedInRequest, member_id: str, payload: TransferIn
) -> Status[dict[str, object]]:
    member = _member(request, member_id)
    if not 0 < payload.to < 2**63:
        raise InvalidInput(_("There is no such organisation."), field="to")
    to = Organisation.objects.filter(pk=payload.to).first()
    if to is None:
        raise InvalidInput(_("There is no such organisation."), field="to")
    stay = services.transfer(
        actor=request.user,
        member=member,
        to=to,
        reason=payload.reason,
        on=payload.on,
        client_key=payload.client_key,
    )
    return Status(201, _membership_out(stay))


@router.post(
    "/members/{member_id}/leave",
    response={200: MembershipOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Close a member's membership (left the Party or died)",
)
def leave(request: SignedInRequest, member_id: str, payload: LeaveIn) -> dict[str, object]:
    member = _member(request, member_id)
    stay = services.leave(actor=request.user, member=member, **payload.dict())
    return _membership_out(stay)
