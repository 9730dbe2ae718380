"""The community API (/api/v1/communities/<id>/…): its three lists with who claimed what, claims,
service records and confirmations, and its co-building units.

Thin: parse, call one service (volunteers.lists, volunteers.partners) or selector
(volunteers.list_selectors), render. Every operation first opens the community as the caller
(list_selectors.community_for: 404 for no such community, 403 outside the caller's reach); an
item, claim or unit of another community is a 404. Member names and partners' contacts come
masked unless org.policies lets the caller read them, and unmasked reads are logged.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.params import functions as param

from onegrid.core.api_errors import errors
from onegrid.core.api_types import Moment
from onegrid.org.access_log import Channel
from onegrid.org.requests import SignedInRequest
from onegrid.territory.models import AdminUnit

from . import list_selectors, lists, partners
from .models import Claim, CoBuildingUnit, ListItem

router = Router(tags=["communities"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CommunityId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
ItemId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
ClaimId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
PartnerId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
IDEMPOTENCY_KEY = param.Header(
    None,
    alias="Idempotency-Key",
    max_length=64,
    description="A key the client makes for this claim (at most 64 printable characters): "
    "sent again, it returns the first claim instead of claiming twice.",
)


# --- schemas ---------------------------------------------------------------------------------


class ListClaimOut(Schema):
    id: int
    claimant_kind: str = Field(
        ..., description="member, organisation, partner or volunteer_organisation."
    )
    claimant_kind_label: str
    claimant: str = Field(
        ..., description="The claimant's name; a member's is masked unless you read membership."
    )
    state: str = Field(..., description="claimed, done, confirmed or withdrawn.")
    state_label: str
    claimed_at: dt.datetime
    service_note: str
    service_hours: Decimal | None = Field(None, description="Person-hours recorded.")
    done_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    may_act: bool = Field(..., description="Whether you may withdraw it or record its service.")
    may_confirm: bool = Field(..., description="Whether you may confirm its service.")


class ListItemOut(Schema):
    id: int
    kind: str = Field(..., description="need, resource or project.")
    kind_label: str
    title: str
    description: str
    capacity: int = Field(..., description="Claimants wanted.")
    state: str = Field(..., description="open or closed.")
    state_label: str
    live_claims: int
    places_left: int
    claims: list[ListClaimOut]


class ClaimantChoiceOut(Schema):
    field: str = Field(..., description="The claim body's field to send this id in (…_id).")
    id: int
    label: str


class CommunityListsOut(Schema):
    community_id: int
    community: str
    may_keep: bool = Field(..., description="Whether you keep this community's lists.")
    items: list[ListItemOut]
    claim_as: list[ClaimantChoiceOut] = Field(..., description="Whom you may claim for here.")


class CommunityListsQuery(Schema):
    kind: ListItem.Kind | None = Field(None, description="Only one list.")
    withdrawn: bool = Field(False, description="Show withdrawn claims too.")


class ListItemIn(Schema):
    kind: ListItem.Kind
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    capacity: int = Field(1, ge=1, le=lists.MAX_CAPACITY)


class ListItemPatch(Schema):
    title: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=2000)
    capacity: int | None = Field(None, ge=1, le=lists.MAX_CAPACITY)
    state: ListItem.State | None = Field(None, description="open or closed.")


class ListClaimIn(Schema):
    member_id: Id | None = Field(None, description="Claim as yourself, a reported-in member.")
    organisation_id: Id | None = Field(None, description="A reported-in unit's organisation.")
    partner_id: Id | None = Field(None, description="A co-building unit of the community.")
    volunteer_organisation_id: Id | None = None
    idempotency_key: str | None = Field(
        None, max_length=64, description="Or send the Idempotency-Key header."
    )


class ListClaimResultOut(Schema):
    id: int
    item_id: int
    state: str
    replayed: bool = Field(..., description="True when this key already made the claim.")


class ServiceRecordIn(Schema):
    note: str = Field(..., max_length=2000, description="What was done.")
    hours: Decimal = Field(..., ge=0, le=lists.MAX_SERVICE_HOURS, description="Person-hours.")
    done_at: Moment | None = Field(None, description="When it was done (default: now).")


class ListClaimStateOut(Schema):
    id: int
    state: str
    service_hours: Decimal | None
    done_at: dt.datetime | None
    confirmed_at: dt.datetime | None


class CoBuildingUnitOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    credit_code: str
    address: str
    contact_name: str = Field(..., description="Masked unless you keep the community's lists.")
    contact_phone: str = Field(..., description="Masked unless you keep the community's lists.")
    active: bool


class CoBuildingUnitIn(Schema):
    name: str = Field(..., max_length=100)
    kind: CoBuildingUnit.Kind
    credit_code: str = Field("", max_length=40, description="统一社会信用代码 (GB 32100-2015).")
    address: str = Field("", max_length=200)
    contact_name: str = Field("", max_length=100)
    contact_phone: str = Field("", max_length=20)


class CoBuildingUnitPatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: CoBuildingUnit.Kind | None = None
    credit_code: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=200)
    contact_name: str | None = Field(None, max_length=100)
    contact_phone: str | None = Field(None, max_length=20)
    active: bool | None = None


# --- helpers ---------------------------------------------------------------------------------


def _community(request: SignedInRequest, community_id: int) -> AdminUnit:
    return list_selectors.community_for(request.user, community_id)


def _item_out(row: list_selectors.ItemRow) -> dict[str, object]:
    return {
        "id": row.id,
        "kind": row.kind,
        "kind_label": row.kind_label,
        "title": row.title,
        "description": row.description,
        "capacity": row.capacity,
        "state": row.state,
        "state_label": row.state_label,
        "live_claims": row.live_claims,
        "places_left": row.places_left,
        "claims": [
            {
                **c.__dict__,
                "claimed_at": timezone.localtime(c.claimed_at),
                "done_at": c.done_at and timezone.localtime(c.done_at),
                "confirmed_at": c.confirmed_at and timezone.localtime(c.confirmed_at),
            }
            for c in row.claims
        ],
    }


def _claim_state_out(claim: Claim) -> dict[str, object]:
    return {
        "id": claim.pk,
        "state": claim.state,
        "service_hours": claim.service_hours,
        "done_at": claim.done_at and timezone.localtime(claim.done_at),
        "confirmed_at": claim.confirmed_at and timezone.localtime(claim.confirmed_at),
    }


def _partner_out(row: partners.PartnerRow) -> dict[str, object]:
    return {k: v for k, v in row.__dict__.items() if k != "unmasked"}


# --- lists and claims ------------------------------------------------------------------------


@router.get(
    "/communities/{community_id}/lists",
    response={200: CommunityListsOut, **errors(401, 403, 404, 422)},
    summary="A community's three lists, with who claimed what",
)
def community_lists(
    request: SignedInRequest, community_id: CommunityId, q: Query[CommunityListsQuery]
) -> dict[str, object]:
    community = _community(request, community_id)
    rows = list_selectors.lists_of(
        community,
        user=request.user,
        channel=Channel.API,
        path=request.path,
        kind=q.kind,
        include_withdrawn=q.withdrawn,
    )
    return {
        "community_id": community.pk,
        "community": community.name,
        "may_keep": list_selectors.may_keep(request.user, community),
        "items": [_item_out(r) for r in rows],
        "claim_as": [c.__dict__ for c in list_selectors.claimants_for(request.user, community)],
    }


@router.post(
    "/communities/{community_id}/items",
    response={201: ListItemOut, **errors(400, 401, 403, 404, 413, 422)},
    summary="Put an item on one of the community's lists",
)
def add_item(
    request: SignedInRequest, community_id: CommunityId, payload: ListItemIn
) -> Status[dict[str, object]]:
    community = _community(request, community_id)
    item = lists.add_item(
        actor=request.user,
        community_id=community.pk,
        kind=payload.kind,
        title=payload.title,
        description=payload.description,
        capacity=payload.capacity,
    )
    return Status(201, _item_out(list_selectors.item_row(item)))


@router.patch(
    "/communities/{community_id}/items/{item_id}",
    response={200: ListItemOut, **errors(400, 401, 403, 404, 409, 413, 422)},
    summary="Change an item, close it to claims or open it again",
)
def edit_item(
    request: SignedInRequest, community_id: CommunityId, item_id: ItemId, payload: ListItemPatch
) -> dict[str, object]:
    community = _community(request, community_id)
    item = list_selectors.item_of(community, item_id)
    item = lists.edit_item(
        actor=request.user,
        item_id=item.pk,
        title=payload.title,
        description=payload.description,
        capacity=payload.capacity,
        open=None if payload.state is None else payload.state == ListItem.State.OPEN,
    )
    return _item_out(list_selectors.item_row(item))


@router.post(
    "/communities/{community_id}/items/{item_id}/claims",
    response={
        201: ListClaimResultOut,
        200: ListClaimResultOut,
        **errors(400, 401, 403, 404, 409, 413, 422),
    },
    summary="Claim an item (idempotent on the client's key)",
)
def claim_item(
    request: SignedInRequest,
    community_id: CommunityId,
    item_id: ItemId,
    payload: ListClaimIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status[dict[str, object]]:
    """Name exactly one claimant. 201 when claimed; 200 with `replayed: true` when this key
    already made the claim. 409 when the item is closed, full, or the claimant holds a live
    claim on it already."""
    community = _community(request, community_id)
    item = list_selectors.item_of(community, item_id)
    outcome = lists.claim_item(
        actor=request.user,
        item_id=item.pk,
        idempotency_key=idempotency_key or payload.idempotency_key,
        member_id=payload.member_id,
        organisation_id=payload.organisation_id,
        partner_id=payload.partner_id,
        volunteer_organisation_id=payload.volunteer_organisation_id,
    )
    claim = outcome.claim
    body = {"id": claim.pk, "item_id": item.pk, "state": claim.state, "replayed": outcome.replayed}
    return Status(200 if outcome.replayed else 201, body)


@router.post(
    "/communities/{community_id}/claims/{claim_id}/withdraw",
    response={200: ListClaimStateOut, **errors(401, 403, 404, 409, 422)},
    summary="Withdraw a claim (the claimant's side; idempotent)",
)
def withdraw(
    request: SignedInRequest, community_id: CommunityId, claim_id: ClaimId
) -> dict[str, object]:
    community = _community(request, community_id)
    claim = list_selectors.claim_of(community, claim_id)
    return _claim_state_out(lists.withdraw_claim(actor=request.user, claim_id=claim.pk))


@router.post(
    "/communities/{community_id}/claims/{claim_id}/record",
    response={200: ListClaimStateOut, **errors(400, 401, 403, 404, 409, 413, 422)},
    summary="Record the service done on a claim (the claimant's side)",
)
def record(
    request: SignedInRequest, community_id: CommunityId, claim_id: ClaimId, payload: ServiceRecordIn
) -> dict[str, object]:
    community = _community(request, community_id)
    claim = list_selectors.claim_of(community, claim_id)
    done = lists.record_service(
        actor=request.user,
        claim_id=claim.pk,
        note=payload.note,
        hours=payload.hours,
        done_at=payload.done_at,
    )
    return _claim_state_out(done)


@router.post(
    "/communities/{community_id}/claims/{claim_id}/confirm",
    response={200: ListClaimStateOut, **errors(401, 403, 404, 409, 422)},
    summary="Confirm a recorded service (the community; idempotent)",
)
def confirm(
    request: SignedInRequest, community_id: CommunityId, claim_id: ClaimId
) -> dict[str, object]:
    community = _community(request, community_id)
    claim = list_selectors.claim_of(community, claim_id)
    return _claim_state_out(lists.confirm_service(actor=request.user, claim_id=claim.pk))


# --- co-building units -----------------------------------------------------------------------


@router.get(
    "/communities/{community_id}/partners",
    response={200: list[CoBuildingUnitOut], **errors(401, 403, 404, 422)},
    summary="A community's co-building units (共建单位)",
)
def list_partners(request: SignedInRequest, community_id: CommunityId) -> list[dict[str, object]]:
    community = _community(request, community_id)
    rows = partners.partners_of(
        community,
        user=request.user,
        channel=Channel.API,
        path=request.path,
        include_inactive=list_selectors.may_keep(request.user, community),
    )
    return [_partner_out(r) for r in rows]


@router.post(
    "/communities/{community_id}/partners",
    response={201: CoBuildingUnitOut, **errors(400, 401, 403, 404, 409, 413, 422)},
    summary="Register a co-building unit with the community",
)
def register_partner(
    request: SignedInRequest, community_id: CommunityId, payload: CoBuildingUnitIn
) -> Status[dict[str, object]]:
    community = _community(request, community_id)
    partner = partners.register_partner(
        actor=request.user,
        community_id=community.pk,
        name=payload.name,
        kind=payload.kind,
        credit_code_text=payload.credit_code,
        address=payload.address,
        contact_name=payload.contact_name,
        contact_phone_text=payload.contact_phone,
    )
    row = partners.partner_row(partner, user=request.user, channel=Channel.API, path=request.path)
    return Status(201, _partner_out(row))


@router.patch(
    "/communities/{community_id}/partners/{partner_id}",
    response={200: CoBuildingUnitOut, **errors(400, 401, 403, 404, 409, 413, 422)},
    summary="Change or deactivate a co-building unit",
)
def update_partner(
    request: SignedInRequest,
    community_id: CommunityId,
    partner_id: PartnerId,
    payload: CoBuildingUnitPatch,
) -> dict[str, object]:
    community = _community(request, community_id)
    partner = list_selectors.partner_of(community, partner_id)
    partner = partners.update_partner(
        actor=request.user,
        partner_id=partner.pk,
        name=payload.name,
        kind=payload.kind,
        credit_code_text=payload.credit_code,
        address=payload.address,
        contact_name=payload.contact_name,
        contact_phone_text=payload.contact_phone,
        active=payload.active,
    )
    row = partners.partner_row(partner, user=request.user, channel=Channel.API, path=request.path)
    return _partner_out(row)
