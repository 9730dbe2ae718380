"""A mediation agreement (调解协议书, 人民调解法 arts. 28–33) and its judicial confirmation
(司法确认): the parties may apply to the court together within 30 days of the agreement taking
effect (art. 33)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .disputes import Dispute


class Agreement(models.Model):
    class Form(models.TextChoices):
        WRITTEN = "written", _("Written agreement (调解协议书)")
        # Art. 28: for a matter settled on the spot, an oral agreement the mediator records.
        ORAL = "oral", _("Oral agreement, recorded by the mediator")

    dispute = models.OneToOneField(Dispute, on_delete=models.PROTECT, related_name="agreement")
    number = models.CharField(_("number"), max_length=40, unique=True)
    form = models.CharField(_("form"), max_length=8, choices=Form.choices, default=Form.WRITTEN)
    # Art. 29 (二): the main facts, the matters in dispute and each party's responsibility.
    facts = models.TextField(_("main facts of the dispute"), max_length=8000)
    matters = models.TextField(_("matters in dispute"), max_length=4000)
    responsibilities = models.TextField(_("each party's responsibility"), max_length=4000)
    # Art. 29 (三): what the parties agreed, and how and by when it is performed.
    terms = models.TextField(_("what was agreed"), max_length=8000)
    performance_manner = models.CharField(_("how it is performed"), max_length=500)
    performance_deadline = models.DateField(_("performed by"), null=True, blank=True)
    copies = models.PositiveSmallIntegerField(_("copies"), default=3)
    # The day every party and the mediator signed it (it takes effect that day, art. 29).
    effective_on = models.DateField(_("took effect on"))
    # The last day to apply for judicial confirmation: 30 days after effective_on, moved to
    # the next working day when it falls on a rest day (民事诉讼法 art. 85).
    confirmation_deadline = models.DateField(_("judicial confirmation by"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("mediation agreement")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confirmation_deadline__gt=models.F("effective_on")),
                name="mediation_agreement_window",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class JudicialConfirmation(models.Model):
    class State(models.TextChoices):
        APPLIED = "applied", _("Applied for")
        CONFIRMED = "confirmed", _("Confirmed valid")
        REFUSED = "refused", _("Not confirmed")

    agreement = models.OneToOneField(
        Agreement, on_delete=models.PROTECT, related_name="confirmation"
    )
    court = models.CharField(_("court"), max_length=100)
    applied_on = models.DateField(_("applied on"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    ruled_on = models.DateField(_("ruled on"), null=True, blank=True)
    ruling_number = models.CharField(_("ruling number"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("judicial confirmation")

    def __str__(self) -> str:
        return f"confirmation of {self.agreement_id}"
