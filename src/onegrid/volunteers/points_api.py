"""Points API (/api/v1/points/): my balance and ledger, the items of the stores near me, and
the counter for volunteer organisers (find a person by mobile number, redeem, cancel).

Thin: parse, call one selector or service, render. "My" reads are open to PAGE_ROLES["points"];
the counter to the organisers of a store (org.policies.may_serve_points_counter). A redemption
carries the counter form's `key`: the same key again answers the first redemption (200, not
201) and spends nothing; the key with another request is a 409.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from onegrid.core.api_errors import errors
from onegrid.core.errors import PermissionDenied
from onegrid.org import access_log, policies
from onegrid.org.requests import SignedInRequest

from . import points, points_selectors
from .models import PointsEntry, PointsRule, Redemption, StoreItem

router = Router(tags=["points"])


class EntryOut(Schema):
    amount: int = Field(..., description="+ earned, − spent, + given back.")
    kind: str
    kind_label: str
    balance_after: int
    at: dt.datetime
    note: str


class MyPointsOut(Schema):
    balance: int
    entries: list[EntryOut] = Field(..., description="The newest 50.")


class ItemOut(Schema):
    id: int
    name: str
    description: str
    price: int
    stock: int
    store: str = Field(..., description="The community or street whose store it is.")
    active: bool


class HolderOut(Schema):
    name: str
    phone: str = Field(..., description="Masked: 138****5678.")
    balance: int


class RedeemIn(Schema):
    phone: str = Field(..., max_length=40, description="The person's mobile number.")
    item: int
    quantity: int = 1
    key: str = Field(..., max_length=64, description="The counter form's idempotency key.")


class CancelIn(Schema):
    reason: str = Field("", max_length=200)


class RuleOut(Schema):
    kind: str = Field(..., description="hours, report or claim.")
    kind_label: str
    points: int = Field(..., description="Points per hour, per verified report, per claim.")
    changed_at: dt.datetime


class RuleIn(Schema):
    points: int = Field(..., ge=0, le=1_000_000)


class RedemptionOut(Schema):
    id: int
    item: int
    item_name: str
    quantity: int
    points: int
    state: str
    at: dt.datetime
    balance: int = Field(..., description="The person's balance after it.")
    stock: int = Field(..., description="The item's stock after it.")


def _entry_out(e: PointsEntry) -> dict[str, object]:
    return {
        "amount": e.amount,
        "kind": e.kind,
        "kind_label": str(e.get_kind_display()),
        "balance_after": e.balance_after,
        "at": e.created_at,
        "note": e.note,
    }


def _item_out(i: StoreItem) -> dict[str, object]:
    return {
        "id": i.pk,
        "name": i.name,
        "description": i.description,
        "price": i.price,
        "stock": i.stock,
        "store": i.unit.name,
        "active": i.active,
    }


def _redemption_out(r: Redemption) -> dict[str, object]:
    r.item.refresh_from_db(fields=["stock"])
    return {
        "id": r.pk,
        "item": r.item_id,
        "item_name": r.item.name,
        "quantity": r.quantity,
        "points": r.points,
        "state": r.state,
        "at": r.created_at,
        "balance": points.balance(r.account.user),
        "stock": r.item.stock,
    }


def _rule_out(r: PointsRule) -> dict[str, object]:
    return {
        "kind": r.kind,
        "kind_label": str(r.get_kind_display()),
        "points": r.points,
        "changed_at": r.changed_at,
    }


def _require_holder(request: SignedInRequest) -> None:
    if not policies.may_open_page(request.user, "points"):
        raise PermissionDenied(_("You hold no points here."))


def _require_clerk(request: SignedInRequest) -> None:
    if not policies.points_counter_units(request.user):
        raise PermissionDenied(_("Only volunteer organisers serve the points-store counter."))


@router.get("/me", response={200: MyPointsOut, **errors(401, 403)}, summary="My points")
def my_points(request: SignedInRequest) -> dict[str, object]:
    _require_holder(request)
    return {
        "balance": points.balance(request.user),
        "entries": [_entry_out(e) for e in points_selectors.entries_of(request.user)],
    }


@router.get(
    "/items",
    response={200: list[ItemOut], **errors(401, 403)},
    summary="The items of the points stores of my community and street",
)
def items(request: SignedInRequest) -> list[dict[str, object]]:
    _require_holder(request)
    return [_item_out(i) for i in points_selectors.store_items_for(request.user)]


@router.get(
    "/counter/items",
    response={200: list[ItemOut], **errors(401, 403)},
    summary="The items of the stores I serve (counter clerks)",
)
def counter_items(request: SignedInRequest) -> list[dict[str, object]]:
    _require_clerk(request)
    return [_item_out(i) for i in points_selectors.counter_items(request.user)]


@router.get(
    "/counter/holder",
    response={200: HolderOut, **errors(401, 403, 404, 422)},
    summary="Find a person by mobile number at the counter (the read is logged)",
)
def holder(request: SignedInRequest, phone: str) -> dict[str, object]:
    found = points_selectors.holder_by_phone(
        request.user, phone, channel=access_log.Channel.API, path=request.path
    )
    return {"name": found.name, "phone": found.phone_masked, "balance": found.balance}


@router.post(
    "/counter/redemptions",
    response={201: RedemptionOut, 200: RedemptionOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Redeem an item for a person's points (idempotent on key)",
)
def redeem(request: SignedInRequest, payload: RedeemIn) -> Status[dict[str, object]]:
    _require_clerk(request)
    found = points_selectors.holder_by_phone(
        request.user, payload.phone, channel=access_log.Channel.API, path=request.path
    )
    item = points_selectors.counter_item(request.user, payload.item)
    redemption = points.redeem(
        clerk=request.user,
        user=found.user,
        item=item,
        quantity=payload.quantity,
        key=payload.key,
    )
    return Status(200 if redemption.replayed else 201, _redemption_out(redemption))


@router.post(
    "/counter/redemptions/{redemption_id}/cancel",
    response={200: RedemptionOut, **errors(400, 401, 403, 404, 422)},
    summary="Cancel a redemption: points and stock back, once",
)
def cancel(request: SignedInRequest, redemption_id: str, payload: CancelIn) -> dict[str, object]:
    _require_clerk(request)
    found = points_selectors.counter_redemption(request.user, redemption_id)
    return _redemption_out(
        points.cancel_redemption(clerk=request.user, redemption=found, reason=payload.reason)
    )


@router.get(
    "/rules",
    response={200: list[RuleOut], **errors(401)},
    summary="The district's active points rules (not secret: anyone signed in)",
)
def rules(request: SignedInRequest) -> list[dict[str, object]]:
    return [_rule_out(r) for r in PointsRule.objects.filter(active=True).order_by("kind")]


@router.put(
    "/rules/{kind}",
    response={200: RuleOut, **errors(400, 401, 403, 422)},
    summary="Set the points of a rule (administrators, the district's organisers and Party staff)",
)
def set_rule(request: SignedInRequest, kind: str, payload: RuleIn) -> dict[str, object]:
    return _rule_out(points.set_rule(actor=request.user, kind=kind, points=payload.points))


@router.delete(
    "/rules/{kind}",
    response={204: None, **errors(401, 403, 422)},
    summary="Stop a rule: no more points of this kind from now on",
)
def stop_rule(request: SignedInRequest, kind: str) -> Status[None]:
    points.stop_rule(actor=request.user, kind=kind)
    return Status(204, None)
