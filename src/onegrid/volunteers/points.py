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
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput
from onegrid.org.models import User

from .models import PointsAccount, PointsEntry, PointsRule

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
