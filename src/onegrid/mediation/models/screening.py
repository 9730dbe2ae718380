"""The monthly dispute screening (矛盾纠纷排查) of each grid by its grid worker, and the register
of risks to stability (不稳定因素) with their owners and follow-up until resolved."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onegrid.territory.models import AdminUnit, Grid


class Level(models.TextChoices):
    NONE = "none", _("None")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Screening(models.Model):
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    # The first day of the month screened.
    month = models.DateField(_("month"))
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    screened_at = models.DateTimeField(_("screened at"))
    disputes_found = models.PositiveIntegerField(_("disputes found"))
    risk_level = models.CharField(_("risk level"), max_length=6, choices=Level.choices)
    stable = models.BooleanField(_("stable"))
    note = models.CharField(_("note"), max_length=1000, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-month", "grid__code"]
        verbose_name = _("monthly screening")
        constraints = [
            models.UniqueConstraint(fields=["grid", "month"], name="mediation_screen_once"),
        ]

    def __str__(self) -> str:
        return f"screening of {self.grid_id} for {self.month:%Y-%m}"


class Risk(models.Model):
    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("risk", "Open")
        RESOLVED = "resolved", _("Resolved")

    class RiskLevel(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    number = models.CharField(_("number"), max_length=30, unique=True)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=4000)
    level = models.CharField(
        pgettext_lazy("risk", "level"), max_length=6, choices=RiskLevel.choices, db_index=True
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    screening = models.ForeignKey(
        Screening, null=True, blank=True, on_delete=models.PROTECT, related_name="risks"
    )
    dispute = models.ForeignKey(
        "Dispute", null=True, blank=True, on_delete=models.PROTECT, related_name="risks"
    )
    raised_at = models.DateTimeField(_("raised at"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When a high risk was escalated to the street and the judicial office (once).
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("how it was resolved"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("risk to stability")
        verbose_name_plural = _("risk register")

    def __str__(self) -> str:
        return self.number


class RiskFollowUp(models.Model):
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="follow_ups")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("what was done"), max_length=1000)
    level_before = models.CharField(max_length=6, choices=Risk.RiskLevel.choices)
    level_after = models.CharField(max_length=6, choices=Risk.RiskLevel.choices)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["at"]
        verbose_name = _("risk follow-up")

    def __str__(self) -> str:
        return f"follow-up {self.pk} of risk {self.risk_id}"
