"""A community's three lists (需求清单、资源清单、项目清单) and the claims made on their items by
reported-in units and members, co-building units and volunteer organisations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.party.models import Member, Organisation
from onegrid.territory.models import AdminUnit

from .partners import CoBuildingUnit
from .volunteering import VolunteerOrganisation


class ListItem(models.Model):
    class Kind(models.TextChoices):
        NEED = "need", _("Need")
        RESOURCE = "resource", _("Resource")
        PROJECT = "project", _("Project")

    class State(models.TextChoices):
        OPEN = "open", _("Open for claims")
        CLOSED = "closed", _("Closed")

    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("list"), max_length=8, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # How many claimants it takes (a project may take several units).
    capacity = models.PositiveSmallIntegerField(_("claimants wanted"), default=1)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default="open")
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["community_id", "kind", "-created_at"]
        verbose_name = _("list item")
        verbose_name_plural = _("list items")
        indexes = [models.Index(fields=["community", "kind", "state"])]

    def __str__(self) -> str:
        return self.title


class Claim(models.Model):
    """One claimant's claim on one list item, then the service done and the community's
    confirmation. Exactly one claimant field is set."""

    class State(models.TextChoices):
        CLAIMED = "claimed", _("Claimed")
        DONE = "done", _("Service recorded")
        CONFIRMED = "confirmed", _("Confirmed by the community")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    item = models.ForeignKey(ListItem, on_delete=models.PROTECT, related_name="claims")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    partner = models.ForeignKey(
        CoBuildingUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    volunteer_organisation = models.ForeignKey(
        VolunteerOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"))
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The service record: what was done, and the hours it took (people × hours).
    service_note = models.TextField(_("service done"), blank=True)
    service_hours = models.DecimalField(
        _("service hours"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    done_at = models.DateTimeField(_("service recorded at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        member__isnull=False,
                        organisation__isnull=True,
                        partner__isnull=True,
                        volunteer_organisation__isnull=True,
                    )
                    | models.Q(
                        member__isnull=True,
                        organisation__isnull=False,
                        partner__isnull=True,
                        volunteer_organisation__isnull=True,
                    )
                    | models.Q(
                        member__isnull=True,
                        organisation__isnull=True,
                        partner__isnull=False,
                        volunteer_organisation__isnull=True,
                    )
                    | models.Q(
                        member__isnull=True,
                        organisation__isnull=True,
                        partner__isnull=True,
                        volunteer_organisation__isnull=False,
                    )
                ),
                name="volunteers_claim_one_claimant",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk} on {self.item_id}"
