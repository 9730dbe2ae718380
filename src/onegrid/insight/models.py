"""Insight's own rows: campaigns (集中整治). Every figure is computed from case history."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit, Grid


class Campaign(models.Model):
    """A concentrated clean-up (集中整治): one class (or a group of classes, by code prefix) in
    one area, from `start` to `end` (days in Beijing time, both included). Its effect is read
    from the reports of those classes there before, during and after it
    (insight.selectors.campaign_effect)."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("whole district")
        STREET = "street", _("street/town")
        COMMUNITY = "community", _("community/village")
        GRID = "grid", _("grid")

    name = models.CharField(_("name"), max_length=100)
    class_prefix = models.CharField(
        _("class code prefix"),
        max_length=20,
        help_text=_(
            "A case class code or its beginning: A01 takes every class whose code "
            "starts with A01; empty takes every class."
        ),
        blank=True,
    )
    scope_kind = models.CharField(_("area"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("street or community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-start", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")),
                name="insight_campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(scope_kind="district", unit__isnull=True, grid__isnull=True)
                    | models.Q(
                        scope_kind__in=("street", "community"),
                        unit__isnull=False,
                        grid__isnull=True,
                    )
                    | models.Q(scope_kind="grid", unit__isnull=True, grid__isnull=False)
                ),
                name="insight_campaign_area_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start:%Y-%m-%d} – {self.end:%Y-%m-%d})"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def clean(self) -> None:
        """For admin forms: the rules insight.services.create_campaign applies."""
        from .services import campaign_problems

        problems = campaign_problems(
            name=self.name,
            class_prefix=self.class_prefix,
            scope_kind=self.scope_kind,
            unit=self.unit if self.unit_id else None,
            grid=self.grid if self.grid_id else None,
            start=self.start,
            end=self.end,
        )
        if "area_code" in problems:
            # The API names the area by its code; the form by the row it points to.
            problems["grid" if self.scope_kind == "grid" else "unit"] = problems.pop("area_code")
        if problems:
            raise ValidationError(problems)
