"""The voter roll of resident deliberation: a resident account tied to its household (a
standard address, 户) once the community has checked who they are (身份核验). Only people on
the roll co-sign topics and vote online; a household is one standard address."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import Address, AdminUnit


class Voter(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting the community's identity check")
        VERIFIED = "verified", _("On the roll")
        REFUSED = "refused", _("Refused")
        REMOVED = "removed", _("Removed from the roll")

    class Method(models.TextChoices):
        ID_CARD = "id_card", _("Resident identity card seen")
        HOUSEHOLD_REGISTER = "hukou", _("Household register (户口簿) seen")
        RESIDENCE_PERMIT = "residence_permit", _("Residence permit seen")
        KNOWN_IN_PERSON = "in_person", _("Known to the community in person")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="voter_entries"
    )
    # The household: a room's standard address, located to its grid (and so its community).
    household = models.ForeignKey(
        Address, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    applied_at = models.DateTimeField(_("applied at"))
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(
        _("how identity was checked"), max_length=20, choices=Method.choices, blank=True
    )
    reason = models.CharField(_("reason refused or removed"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-applied_at"]
        verbose_name = _("voter (resident on the deliberation roll)")
        verbose_name_plural = _("voter roll")
        constraints = [
            # A person stands on one household's roll at a time (pending or verified).
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state__in=["pending", "verified"]),
                name="deliberation_voter_one_live",
            ),
        ]

    def __str__(self) -> str:
        return f"voter {self.pk} · {self.state}"
