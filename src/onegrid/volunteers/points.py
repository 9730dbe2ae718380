"""Points (积分): earning under the district's rules, spending at the points-store counter,
cancelling and correcting — every change one append-only PointsEntry, in one transaction.

Balances: PointsAccount.balance is kept equal to the sum of the account's entries; every write
locks the account row first (select_for_update; on SQLite every transaction is BEGIN IMMEDIATE,
settings.DATABASES), so two writers to one account take turns and the balance never goes below
zero (the database's CheckConstraint is the last guard).

Awards: points = floor(rule.points × quantity) (quantity may be a Decimal of hours: 1.5 hours
at 1 point an hour earn 1 point). An award worth 0 points writes no entry and returns None,
like an award under no active rule; a later award of the same source may then still earn.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.core.text_input import bounded_text
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit

from .models import PointsAccount, PointsEntry, PointsRule, Redemption, StoreItem

EARN_KINDS = {
    PointsRule.Kind.HOURS: PointsEntry.Kind.EARN_HOURS,
    PointsRule.Kind.REPORT: PointsEntry.Kind.EARN_REPORT,
    PointsRule.Kind.CLAIM: PointsEntry.Kind.EARN_CLAIM,
}
MAX_NOTE = 200
MAX_SOURCE_KEY = 100
# No single award is worth more than this many units (hours, reports, claims): a typo of
# 10000 hours is refused rather than credited.
MAX_QUANTITY = 10_000


def balance(user: User) -> int:
    """The person's points (0 when they never had any)."""
    account = PointsAccount.objects.filter(user=user).only("balance").first()
    return account.balance if account else 0


def locked_account(user: User) -> PointsAccount:
    """The person's account, created at first use, locked for the rest of the transaction."""
    PointsAccount.objects.get_or_create(user=user, defaults={"created_at": clock.now()})
    return PointsAccount.objects.select_for_update().get(user=user)


def append(
    account: PointsAccount,
    *,
    amount: int,
    kind: str,
    source_key: str,
    actor: User | None,
    note: str = "",
) -> PointsEntry:
    """Add one entry to a locked account and move its balance; refuses to go below zero."""
    after = account.balance + amount
    if after < 0:
        raise InvalidInput(
            _("Not enough points: the balance is %(balance)s.") % {"balance": account.balance},
            field="points",
        )
    entry = PointsEntry.objects.create(
        account=account,
        amount=amount,
        kind=kind,
        source_key=source_key,
        balance_after=after,
        created_at=clock.now(),
        created_by=actor,
        note=note[:MAX_NOTE],
    )
    account.balance = after
    account.save(update_fields=["balance"])
    return entry


def _quantity(value: object) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter a number."), field="quantity") from None
    if not quantity.is_finite() or quantity < 0 or quantity > MAX_QUANTITY:
        raise InvalidInput(
            _("Enter a number from 0 to %(max)s.") % {"max": MAX_QUANTITY}, field="quantity"
        )
    return quantity


def award(
    *, user: User, rule: str, source_key: str, quantity: object = 1, note: str = ""
) -> PointsEntry | None:
    """Credit `user` with the active `rule` × `quantity`, once per `source_key`: a second call
    with the same key returns the first entry and adds nothing. None when no rule of that kind
    is active, or when the award comes to 0 points. Runs inside the caller's transaction."""
    if rule not in EARN_KINDS:
        raise InvalidInput(_("Unknown points rule."), field="rule")
    if not source_key or len(source_key) > MAX_SOURCE_KEY:
        raise InvalidInput(_("A source key is needed."), field="source_key")
    units = _quantity(quantity)
    with transaction.atomic():
        account = locked_account(user)
        earlier = PointsEntry.objects.filter(source_key=source_key).first()
        if earlier is not None:
            if earlier.account_id != account.pk:
                raise Conflict(
                    _("This source has earned points for someone else."), field="source_key"
                )
            return earlier
        active = PointsRule.objects.filter(kind=rule, active=True).first()
        if active is None:
            return None
        points = math.floor(active.points * units)
        if points <= 0:
            return None
        try:
            with transaction.atomic():
                return append(
                    account,
                    amount=points,
                    kind=EARN_KINDS[PointsRule.Kind(rule)],
                    source_key=source_key,
                    actor=None,
                    note=note,
                )
        except IntegrityError:
            # Another account's award took the key between our check and our insert.
            account.refresh_from_db(fields=["balance"])
            raise Conflict(
                _("This source has earned points for someone else."), field="source_key"
            ) from None


# --- the counter (积分超市) -------------------------------------------------------------------

MAX_REDEEM_QUANTITY = 99
MAX_ADJUSTMENT = 1_000_000
MAX_STOCK = 1_000_000
MAX_PRICE = 1_000_000
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{8,64}")


def _key(key: object) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise InvalidInput(
            _("The request key must be 8 to 64 letters, digits or -_.: characters."), field="key"
        )
    return key


def _whole(value: object, *, field: str, low: int, high: int) -> int:
    """A whole number from a form or JSON (ASCII digits only; bools and fractions refused)."""
    if isinstance(value, bool):
        raise InvalidInput(_("Enter a whole number."), field=field)
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", text):
            raise InvalidInput(_("Enter a whole number."), field=field)
        value = int(text)
    if not isinstance(value, int):
        raise InvalidInput(_("Enter a whole number."), field=field)
    if not low <= value <= high:
        raise InvalidInput(
            _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            field=field,
        )
    return value


def _replay(redemption: Redemption, *, user: User, item: StoreItem, quantity: int) -> Redemption:
    """The earlier redemption under the same key, if the request is the same; a 409 if not."""
    if (
        redemption.account.user_id != user.pk
        or redemption.item_id != item.pk
        or redemption.quantity != quantity
    ):
        raise Conflict(_("This request key was already used for another redemption."), field="key")
    redemption.replayed = True
    return redemption


def redeem(
    *, clerk: User, user: User, item: StoreItem, quantity: object = 1, key: object
) -> Redemption:
    """Hand `quantity` of `item` to `user` for their points, at the counter of the item's store.
    The same `key` again gives the same redemption back (`replayed` True) and spends nothing;
    the key with another person, item or quantity is a Conflict."""
    key = _key(key)
    count = _whole(quantity, field="quantity", low=1, high=MAX_REDEEM_QUANTITY)
    if not policies.may_serve_points_counter(clerk, item.unit):
        raise PermissionDenied(_("Only the volunteer organisers of this store serve its counter."))
    if clerk.pk == user.pk:
        # A clerk who holds points too: the counter is someone else's check on the spending.
        raise PermissionDenied(_("Another organiser serves your own redemption."), field="phone")
    earlier = Redemption.objects.select_related("account").filter(key=key).first()
    if earlier is not None:
        return _replay(earlier, user=user, item=item, quantity=count)
    try:
        with transaction.atomic():
            account = locked_account(user)
            # Two submissions of one form queue on the account's lock: the second finds the first.
            earlier = Redemption.objects.select_related("account").filter(key=key).first()
            if earlier is not None:
                return _replay(earlier, user=user, item=item, quantity=count)
            stocked = StoreItem.objects.select_for_update().get(pk=item.pk)
            if not stocked.active:
                raise InvalidInput(_("This item is no longer on sale."), field="item")
            if stocked.stock < count:
                raise InvalidInput(
                    _("Only %(n)d left in stock.") % {"n": stocked.stock}, field="quantity"
                )
            cost = stocked.price * count
            if account.balance < cost:
                raise InvalidInput(
                    _("Not enough points: %(cost)d needed, %(balance)d held.")
                    % {"cost": cost, "balance": account.balance},
                    field="points",
                )
            redemption = Redemption.objects.create(
                account=account,
                item=stocked,
                quantity=count,
                points=cost,
                key=key,
                created_at=clock.now(),
                served_by=clerk,
            )
            append(
                account,
                amount=-cost,
                kind=PointsEntry.Kind.REDEMPTION,
                source_key=f"redeem:{redemption.pk}",
                actor=clerk,
                note=f"{stocked.name} × {count}",
            )
            stocked.stock -= count
            stocked.save(update_fields=["stock"])
            item.stock = stocked.stock
            redemption.replayed = False
            return redemption
    except IntegrityError:
        # The same key was taken by a concurrent request for another account.
        earlier = Redemption.objects.select_related("account").filter(key=key).first()
        if earlier is None:
            raise
        return _replay(earlier, user=user, item=item, quantity=count)


def cancel_redemption(*, clerk: User, redemption: Redemption, reason: object = "") -> Redemption:
    """Give the points back and the items back to stock (the item was returned, or handed over
    by mistake), once: a second cancel changes nothing."""
    why = bounded_text(reason, field="reason", max_length=MAX_NOTE, required=False)
    if not policies.may_serve_points_counter(clerk, redemption.item.unit):
        raise PermissionDenied(_("Only the volunteer organisers of this store serve its counter."))
    with transaction.atomic():
        account = PointsAccount.objects.select_for_update().get(pk=redemption.account_id)
        current = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if current.state == Redemption.State.CANCELLED:
            return current
        item = StoreItem.objects.select_for_update().get(pk=current.item_id)
        append(
            account,
            amount=current.points,
            kind=PointsEntry.Kind.REVERSAL,
            source_key=f"cancel:{current.pk}",
            actor=clerk,
            note=why,
        )
        item.stock += current.quantity
        item.save(update_fields=["stock"])
        current.state = Redemption.State.CANCELLED
        current.cancelled_at = clock.now()
        current.cancelled_by = clerk
        current.save(update_fields=["state", "cancelled_at", "cancelled_by"])
        return current


def adjust(*, actor: User, user: User, amount: object, reason: object, key: object) -> PointsEntry:
    """An administrator's correction, with its reason, as one more entry (never below 0).
    Idempotent on `key`."""
    if not policies.may_adjust_points(actor):
        raise PermissionDenied(_("Only administrators correct points."))
    key = _key(key)
    points = _whole(amount, field="amount", low=-MAX_ADJUSTMENT, high=MAX_ADJUSTMENT)
    if points == 0:
        raise InvalidInput(_("A correction of 0 points changes nothing."), field="amount")
    why = bounded_text(reason, field="reason", max_length=MAX_NOTE, required=True)
    with transaction.atomic():
        account = locked_account(user)
        earlier = PointsEntry.objects.filter(source_key=f"adjust:{key}").first()
        if earlier is not None:
            if earlier.account_id != account.pk or earlier.amount != points:
                raise Conflict(
                    _("This request key was already used for another correction."), field="key"
                )
            return earlier
        if account.balance + points < 0:
            raise InvalidInput(
                _("The balance is %(balance)d: a correction cannot take it below 0.")
                % {"balance": account.balance},
                field="amount",
            )
        return append(
            account,
            amount=points,
            kind=PointsEntry.Kind.ADJUSTMENT,
            source_key=f"adjust:{key}",
            actor=actor,
            note=why,
        )


# --- the district's rules ---------------------------------------------------------------------


def set_rule(*, actor: User, kind: object, points: object) -> PointsRule:
    """Make `points` per unit the district's active rule of `kind`; the old rule stays, inactive,
    as the history of what earned what. Points already earned are not recounted."""
    if not policies.may_configure_points_rules(actor):
        raise PermissionDenied(_("Only administrators and the district's staff set points rules."))
    if not isinstance(kind, str) or kind not in PointsRule.Kind.values:
        raise InvalidInput(_("Unknown points rule."), field="kind")
    value = _whole(points, field="points", low=0, high=MAX_PRICE)
    with transaction.atomic():
        current = PointsRule.objects.select_for_update().filter(kind=kind, active=True).first()
        if current is not None:
            if current.points == value:
                return current
            current.active = False
            current.save(update_fields=["active"])
        return PointsRule.objects.create(
            kind=kind, points=value, active=True, changed_at=clock.now(), changed_by=actor
        )


def stop_rule(*, actor: User, kind: object) -> None:
    """No more points of `kind` from now on (award returns None)."""
    if not policies.may_configure_points_rules(actor):
        raise PermissionDenied(_("Only administrators and the district's staff set points rules."))
    if kind not in PointsRule.Kind.values:
        raise InvalidInput(_("Unknown points rule."), field="kind")
    PointsRule.objects.filter(kind=kind, active=True).update(active=False)


# --- the store's items ------------------------------------------------------------------------


def add_item(
    *,
    actor: User,
    unit: AdminUnit,
    name: object,
    price: object,
    stock: object = 0,
    description: object = "",
) -> StoreItem:
    """A new item of the points store of `unit` (a community or street)."""
    if unit.level not in (AdminUnit.Level.COMMUNITY, AdminUnit.Level.STREET):
        raise InvalidInput(_("A points store belongs to a community or a street."), field="unit")
    if not policies.may_serve_points_counter(actor, unit):
        raise PermissionDenied(_("Only the volunteer organisers of this store keep its items."))
    with transaction.atomic():
        return StoreItem.objects.create(
            unit=unit,
            name=bounded_text(name, field="name", max_length=100, required=True),
            description=bounded_text(
                description, field="description", max_length=500, required=False
            ),
            price=_whole(price, field="price", low=1, high=MAX_PRICE),
            stock=_whole(stock, field="stock", low=0, high=MAX_STOCK),
            created_at=clock.now(),
        )


def restock(
    *, actor: User, item: StoreItem, stock: object, active: bool | None = None
) -> StoreItem:
    """Set an item's stock (after a count or a delivery) and whether it is on sale."""
    if not policies.may_serve_points_counter(actor, item.unit):
        raise PermissionDenied(_("Only the volunteer organisers of this store keep its items."))
    count = _whole(stock, field="stock", low=0, high=MAX_STOCK)
    with transaction.atomic():
        locked = StoreItem.objects.select_for_update().get(pk=item.pk)
        locked.stock = count
        if active is not None:
            locked.active = bool(active)
        locked.save(update_fields=["stock", "active"])
        return locked
