"""People's mediation committees (人民调解委员会) on the territory, and the mediation types
with the legal basis each names."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit


class MediationCommittee(models.Model):
    """A committee of a community/village (村（居）民委员会) or of a street/town (乡镇、街道).
    Its mediators are the people holding Role.MEDIATOR bound to its unit."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.OneToOneField(
        AdminUnit,
        verbose_name=_("community or street"),
        on_delete=models.PROTECT,
        related_name="mediation_committee",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["unit__code"]
        verbose_name = _("people's mediation committee")
        verbose_name_plural = _("people's mediation committees")

    def __str__(self) -> str:
        return self.name


class MediationType(models.Model):
    """A kind of dispute (邻里, 婚姻家庭, 物业, 劳动, 土地 …) and the law it is mediated under."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    # The legal basis (法律依据): the law and its article(s), shown to mediators where they act.
    legal_basis_law = models.CharField(_("law"), max_length=100, blank=True)
    legal_basis_article = models.CharField(_("article"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("mediation type")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
