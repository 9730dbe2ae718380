"""Co-building units (共建单位): enterprises, social organisations and property companies that
work with a community."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit


class CoBuildingUnit(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        SOCIAL_ORGANISATION = "social_org", _("Social organisation")
        PROPERTY_COMPANY = "property", _("Property management company (物业)")
        INSTITUTION = "institution", _("Public institution")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # 统一社会信用代码 (GB 32100-2015, 18 characters with a check character); optional.
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["community_id", "name"]
        verbose_name = _("co-building unit")
        verbose_name_plural = _("co-building units")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="volunteers_partner_credit_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name
