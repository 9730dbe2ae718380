"""Points (积分): the district's rules, each person's account and its append-only ledger, and
the points store (积分超市) with its items and redemptions at the counter."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit


class PointsRule(models.Model):
    """How many points one unit of service earns: per confirmed hour, per verified report,
    per confirmed claim. A change is a new row; the old one is kept inactive as history."""

    class Kind(models.TextChoices):
        HOURS = "hours", _("Per volunteer hour")
        REPORT = "report", _("Per verified report")
        CLAIM = "claim", _("Per confirmed claim")

    kind = models.CharField(_("rule"), max_length=8, choices=Kind.choices)
    points = models.PositiveIntegerField(_("points per unit"))
    active = models.BooleanField(_("active"), default=True)
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "-changed_at"]
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(active=True), name="points_rule_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.points}"


class PointsAccount(models.Model):
    """One person's points; `balance` is the sum of their entries, kept for locking and reads."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="points_account",
    )
    balance = models.IntegerField(_("balance"), default=0)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="points_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"points {self.user_id}: {self.balance}"


class PointsEntry(models.Model):
    """One append-only line of an account: points earned (+), spent (−), or given back."""

    class Kind(models.TextChoices):
        EARN_HOURS = "earn_hours", _("Volunteer hours")
        EARN_REPORT = "earn_report", _("Verified report")
        EARN_CLAIM = "earn_claim", _("Confirmed claim")
        REDEMPTION = "redemption", _("Redemption")
        REVERSAL = "reversal", _("Redemption cancelled")
        ADJUSTMENT = "adjustment", _("Correction")

    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.IntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # What the entry is for ("hours:<sign-up>", "report:<case>", "redeem:<id>" …): the same
    # source never gives two entries.
    source_key = models.CharField(_("source"), max_length=100, unique=True)
    balance_after = models.IntegerField(_("balance after"))
    created_at = models.DateTimeField(_("at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["account_id", "-created_at", "-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("the points ledger is append-only: an entry cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError("the points ledger is append-only: an entry cannot be deleted")


class StoreItem(models.Model):
    """An item of a community's or street's points store."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    price = models.PositiveIntegerField(_("price in points"))
    stock = models.IntegerField(_("stock"), default=0)
    unit = models.ForeignKey(
        AdminUnit, verbose_name=_("community or street"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["unit_id", "price", "name"]
        verbose_name = _("store item")
        verbose_name_plural = _("store items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gt=0), name="store_item_price_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(stock__gte=0), name="store_item_stock_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """Points spent on an item at the counter; `key` is the counter form's idempotency key."""

    class State(models.TextChoices):
        DONE = "done", _("Handed over")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="redemptions")
    item = models.ForeignKey(StoreItem, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveIntegerField(_("quantity"))
    points = models.PositiveIntegerField(_("points"))
    key = models.CharField(max_length=64, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="done")
    created_at = models.DateTimeField(_("at"))
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("served by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Set by volunteers.points.redeem: True when the key had been used already (a retry or a
    # double submit gave back the first redemption). Not a field.
    replayed = False

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self) -> str:
        return f"redemption {self.pk}"


class PointsSweepMark(models.Model):
    """How far the sweep that awards points for verified reports has read the case history:
    the time of the newest event it has read. Each run rereads a safety window behind it (an
    event committed late by a long transaction is still seen); the entries' unique source keys
    make a reread harmless."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.at}"
