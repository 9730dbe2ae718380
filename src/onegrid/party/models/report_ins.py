"""双报到: a unit's Party organisation reports in to the community where it stands, an employed
member to the community where they live; the community confirms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit

from .tree import Member, Organisation


class ReportIn(models.Model):
    class Kind(models.TextChoices):
        UNIT = "unit", _("Unit reporting in to its community")
        MEMBER = "member", _("Employed member reporting in to their home community")

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting the community's confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("unit's organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_ins",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_ins",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    reported_at = models.DateTimeField(_("reported in at"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("confirmed or declined at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decline_reason = models.CharField(_("reason declined"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The client's key of the request that made it (party.report_ins): a retry finds this row.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("report-in (双报到)")
        verbose_name_plural = _("report-ins (双报到)")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="unit", organisation__isnull=False, member__isnull=True)
                    | models.Q(kind="member", member__isnull=False, organisation__isnull=True)
                ),
                name="party_reportin_one_subject",
            ),
            # A unit or a member stands reported in to one community at a time.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(state__in=["pending", "confirmed"]),
                name="party_reportin_one_live_unit",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(state__in=["pending", "confirmed"]),
                name="party_reportin_one_live_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} report-in {self.pk} to {self.community_id}"
