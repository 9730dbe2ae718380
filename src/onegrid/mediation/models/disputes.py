"""The mediation register: one Dispute per matter, its parties, the mediators assigned, the
sessions held and the follow-up visits. The content is confidential (PIPL and 人民调解法 art.
15): only the committee's mediators and the judicial office over it read it
(org.policies), and every read is logged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onegrid.cases.models import Case
from onegrid.territory.models import AdminUnit, Grid

from .committees import MediationCommittee, MediationType


class Dispute(models.Model):
    class Source(models.TextChoices):
        CASE = "case", _("From a case")
        RESIDENT = "resident", _("Applied for by a resident")
        SCREENING = "screening", _("Found in a screening")
        WALK_IN = "walk_in", _("Registered at the committee")
        REFERRED = "referred", _("Referred by a court, police or another body")

    class State(models.TextChoices):
        REGISTERED = "registered", _("Registered, awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted")
        MEDIATING = "mediating", _("Being mediated")
        AGREED = "agreed", _("Agreement reached")
        FAILED = "failed", _("Mediation failed")
        DECLINED = "declined", _("Not accepted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CLOSED = "closed", _("Closed")

    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Referral(models.TextChoices):
        LITIGATION = "litigation", _("Litigation (诉讼)")
        ARBITRATION = "arbitration", _("Arbitration (仲裁)")
        ADMINISTRATIVE = "administrative", _("Administrative handling (行政处理)")
        PETITION = "petition", _("Petition office (信访)")

    class Hearing(models.TextChoices):
        # 人民调解法 art. 23 (三): the parties may ask for the mediation to be held in public
        # or not.
        UNSPECIFIED = "unspecified", _("Not asked")
        PUBLIC = "public", _("In public, as the parties asked")
        PRIVATE = "private", _("Not in public, as the parties asked")

    number = models.CharField(_("number"), max_length=30, unique=True)
    type = models.ForeignKey(
        MediationType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="disputes"
    )
    # Not confidential: a few words for registers and notifications (no names).
    title = models.CharField(_("title"), max_length=100)
    # Confidential: what happened and what each side asks for.
    facts = models.TextField(_("facts"), max_length=8000)
    claims = models.TextField(_("what the parties ask for"), max_length=4000, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="dispute"
    )
    screening = models.ForeignKey(
        "Screening", null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        AdminUnit, verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    committee = models.ForeignKey(
        MediationCommittee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    risk = models.CharField(_("risk"), max_length=6, choices=Risk.choices, default=Risk.LOW)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    registered_at = models.DateTimeField(pgettext_lazy("dispute", "registered at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The last day of the mediation period (normally one month from acceptance, on the working
    # calendar: a deadline on a rest day moves to the next working day); extended at most once.
    due_on = models.DateField(_("to be mediated by"), null=True, blank=True)
    extended_on = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.CharField(_("why extended"), max_length=300, blank=True)
    outcome_at = models.DateTimeField(_("agreed or failed at"), null=True, blank=True)
    declined_reason = models.CharField(_("why not accepted"), max_length=300, blank=True)
    failure_reason = models.CharField(_("why mediation failed"), max_length=500, blank=True)
    referral = models.CharField(
        _("referred to"), max_length=15, choices=Referral.choices, blank=True
    )
    referral_note = models.CharField(_("referral note"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("why withdrawn"), max_length=300, blank=True)
    public_hearing = models.CharField(
        _("held in public"), max_length=11, choices=Hearing.choices, default=Hearing.UNSPECIFIED
    )
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("dispute")
        indexes = [models.Index(fields=["street", "registered_at"])]

    def __str__(self) -> str:
        return self.number


class DisputeParty(models.Model):
    """A party (当事人) and the basic facts about them that the agreement records (人民调解法
    art. 29)."""

    class Side(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        RESPONDENT = "respondent", _("Respondent")
        THIRD = "third", _("Third party")

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices, blank=True)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    occupation = models.CharField(_("occupation or employer"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # For an organisation: its legal representative (法定代表人).
    representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    # The resident account of a party who applied online (may follow their dispute).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["side", "pk"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return f"{self.side} of {self.dispute_id}"


class MediatorAssignment(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="assignments")
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mediations"
    )
    lead = models.BooleanField(_("lead mediator"), default=False)
    # 人民调解法 art. 23 (一): the parties chose this mediator (选择人民调解员); else the
    # committee named them and the parties accepted them.
    chosen_by_parties = models.BooleanField(_("chosen by the parties"), default=False)
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-lead", "assigned_at"]
        verbose_name = _("mediator assignment")
        constraints = [
            models.UniqueConstraint(fields=["dispute", "mediator"], name="mediation_assign_once"),
            models.UniqueConstraint(
                fields=["dispute"], condition=models.Q(lead=True), name="mediation_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"mediator {self.mediator_id} on {self.dispute_id}"


class RefusedMediator(models.Model):
    """A party refused a mediator (人民调解法 art. 23 (一): the parties may choose or accept a
    mediator, so they may refuse one): the mediator leaves the dispute and is not assigned to
    it again."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="refusals")
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("why refused"), max_length=300)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at"]
        verbose_name = _("refused mediator")
        constraints = [
            models.UniqueConstraint(fields=["dispute", "mediator"], name="mediation_refuse_once"),
        ]

    def __str__(self) -> str:
        return f"mediator {self.mediator_id} refused on {self.dispute_id}"


class MediationSession(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200)
    attendees = models.CharField(_("who attended"), max_length=500, blank=True)
    # Confidential: the record of the session (调解笔录).
    notes = models.TextField(_("record of the session"), max_length=20000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["held_at"]
        verbose_name = _("mediation session")

    def __str__(self) -> str:
        return f"session {self.pk} of {self.dispute_id}"


class FollowUp(models.Model):
    """A follow-up visit (回访) after an agreement: is it being performed?"""

    class Performance(models.TextChoices):
        PERFORMED = "performed", _("Performed in full")
        PARTLY = "partly", _("Partly performed")
        NOT_PERFORMED = "not_performed", _("Not performed")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="follow_ups")
    visited_at = models.DateTimeField(_("visited at"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    performance = models.CharField(_("performance"), max_length=14, choices=Performance.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["visited_at"]
        verbose_name = _("follow-up visit")

    def __str__(self) -> str:
        return f"follow-up {self.pk} of {self.dispute_id}"
