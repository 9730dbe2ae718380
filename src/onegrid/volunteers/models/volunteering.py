"""Volunteer organisations and the volunteers registered with them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit, Grid


class VolunteerOrganisation(models.Model):
    """A volunteer team (志愿服务队) of a community or street."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        AdminUnit, verbose_name=_("community or street"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["unit_id", "name"]
        verbose_name = _("volunteer organisation")
        verbose_name_plural = _("volunteer organisations")

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """A registered volunteer: one account, optionally in an organisation and a grid."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="volunteer",
    )
    organisation = models.ForeignKey(
        VolunteerOrganisation,
        verbose_name=_("volunteer organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteers",
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The community they serve in (the grid's, when a grid is set).
    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    # Optional real-name check (实名认证): when and by whom the identity was seen.
    real_name_checked_at = models.DateTimeField(_("real name checked at"), null=True, blank=True)
    real_name_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    joined_at = models.DateTimeField(_("registered at"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["community_id", "joined_at"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return f"volunteer {self.pk}"
