"""A deliberation topic (议题) and what happens to it before the vote: co-signatures, the
community committee's review, the meeting (participants, minutes, attachments) and the
proposals put to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit, Grid

from .roll import Voter


class Topic(models.Model):
    class Scope(models.TextChoices):
        COMMUNITY = "community", _("Community/village")
        GRID = "grid", _("Grid")
        BUILDING = "building", _("Building")

    class State(models.TextChoices):
        # Raised by a resident: collecting co-signatures until the threshold.
        COLLECTING = "collecting", _("Collecting co-signatures")
        # Enough co-signatures, or raised by staff: awaiting the committee's review.
        SUBMITTED = "submitted", _("Awaiting the committee's review")
        ACCEPTED = "accepted", _("Accepted for deliberation")
        DECLINED = "declined", _("Declined by the committee")
        VOTING = "voting", _("Being voted on")
        DECIDED = "decided", _("Decided")
        REJECTED = "rejected", _("Not carried by the vote")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        LAPSED = "lapsed", _("Lapsed without enough co-signatures")

    number = models.CharField(_("number"), max_length=30, unique=True)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("what is proposed and why"), max_length=4000)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A building's name as the standard addresses spell it (Address.building), inside `grid`.
    building = models.CharField(_("building"), max_length=40, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, db_index=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Raised by community staff (no co-signatures needed) or by a resident on the roll.
    raised_by_staff = models.BooleanField(default=False)
    raised_at = models.DateTimeField(_("raised at"))
    # Co-signatures needed (fixed when raised, from the roll's size then and the settings).
    cosign_threshold = models.PositiveIntegerField(_("co-signatures needed"), default=0)
    cosign_until = models.DateTimeField(_("co-signing closes"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted for review at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("deliberation topic")
        verbose_name_plural = _("deliberation topics")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="community", grid__isnull=True, building="")
                    | models.Q(scope="grid", grid__isnull=False, building="")
                    | (models.Q(scope="building", grid__isnull=False) & ~models.Q(building=""))
                ),
                name="deliberation_topic_scope_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class CoSignature(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="cosignatures")
    voter = models.ForeignKey(Voter, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        ordering = ["signed_at"]
        verbose_name = _("co-signature")
        constraints = [
            models.UniqueConstraint(fields=["topic", "voter"], name="deliberation_cosign_once"),
        ]

    def __str__(self) -> str:
        return f"co-signature of {self.voter_id} on {self.topic_id}"


class Meeting(models.Model):
    """The deliberation meeting (议事会/协商会) on a topic: when and where, who took part,
    the minutes. Minutes are written after it is held."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="meetings")
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200)
    chaired_by = models.CharField(_("chaired by"), max_length=100, blank=True)
    # Names and capacities as the minutes record them (居民代表, 物业, 共建单位 …), one per line.
    participants = models.TextField(_("participants"), max_length=4000, blank=True)
    participant_count = models.PositiveIntegerField(_("number of participants"), default=0)
    minutes = models.TextField(_("minutes"), max_length=20000, blank=True)
    minutes_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    minutes_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("scheduled at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-held_at"]
        verbose_name = _("deliberation meeting")
        verbose_name_plural = _("deliberation meetings")

    def __str__(self) -> str:
        return f"meeting {self.pk} on {self.topic_id}"


class MeetingAttachment(models.Model):
    """A file of a meeting (sign-in sheet, photo, plan): stored under ONEGRID_VAR_DIR by the
    service that checks its type and size; `path` is relative to that folder."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=300)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("meeting attachment")

    def __str__(self) -> str:
        return self.name


class Proposal(models.Model):
    """A proposal (方案) on a topic: what would be done, at what cost. One or more are put to a
    vote (each its own ballot)."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="proposals")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("the proposal"), max_length=8000)
    # What carrying it out is estimated to cost, in yuan (blank: nothing to spend).
    estimated_cost = models.DecimalField(
        _("estimated cost (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["proposed_at"]
        verbose_name = _("proposal")

    def __str__(self) -> str:
        return f"proposal {self.pk}: {self.title}"
