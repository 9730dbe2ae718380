"""Votes on a proposal (表决): a ballot counts people or households on the roll of the topic's
place, online (each voter on their phone, after an identity check) or at a meeting (the tally
entered by staff). Quorum and majority are fractions kept on the ballot, so the rule a result
was counted under stays with it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onegrid.territory.models import Address

from .roll import Voter
from .topics import Proposal, Topic


class Ballot(models.Model):
    class Mode(models.TextChoices):
        ONLINE = "online", _("Online, each voter identified")
        MEETING = "meeting", _("At a meeting, tally entered by staff")

    class Counting(models.TextChoices):
        PERSON = "person", _("One vote per person")
        HOUSEHOLD = "household", _("One vote per household")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("ballot", "Open")
        CLOSED = "closed", pgettext_lazy("ballot", "Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Result(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Not passed")
        NO_QUORUM = "no_quorum", _("Quorum not reached")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="ballots")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="ballots")
    mode = models.CharField(_("how votes are cast"), max_length=8, choices=Mode.choices)
    counting = models.CharField(_("who counts"), max_length=10, choices=Counting.choices)
    # Quorum: those who voted (or were present) ≥ (or >, when strict) num/den of the electorate.
    quorum_numerator = models.PositiveSmallIntegerField(default=1)
    quorum_denominator = models.PositiveSmallIntegerField(default=2)
    quorum_strict = models.BooleanField(default=True)
    # Majority: votes for ≥ (or >, when strict) num/den of the votes cast (abstentions count).
    majority_numerator = models.PositiveSmallIntegerField(default=1)
    majority_denominator = models.PositiveSmallIntegerField(default=2)
    majority_strict = models.BooleanField(default=True)
    # People or households on the roll of the topic's place when the ballot opened.
    electorate = models.PositiveIntegerField(_("electorate"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, blank=True)
    # The count as closed (online: from the votes; meeting: the tally).
    votes_for = models.PositiveIntegerField(default=0)
    votes_against = models.PositiveIntegerField(default=0)
    abstentions = models.PositiveIntegerField(default=0)
    turnout = models.PositiveIntegerField(_("voted or present"), default=0)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("ballot")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quorum_denominator__gt=0)
                & models.Q(majority_denominator__gt=0)
                & models.Q(quorum_numerator__lte=models.F("quorum_denominator"))
                & models.Q(majority_numerator__lte=models.F("majority_denominator")),
                name="deliberation_ballot_fractions",
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="deliberation_ballot_window",
            ),
        ]

    def __str__(self) -> str:
        return f"ballot {self.pk} on proposal {self.proposal_id}"


class Vote(models.Model):
    """One online vote. A replay of the same request (same key) finds this row; a second
    vote of the same person, or of the same household on a household ballot, is refused by
    the constraints as well as by the service."""

    class Choice(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")
        ABSTAIN = "abstain", _("Abstain")

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="votes")
    voter = models.ForeignKey(Voter, on_delete=models.PROTECT, related_name="votes")
    household = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="+")
    # The household again on household ballots only (NULL on person ballots), so one
    # constraint keeps one vote per household where that is the rule.
    counted_household = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(_("choice"), max_length=8, choices=Choice.choices)
    cast_at = models.DateTimeField(_("cast at"))
    idempotency_key = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["cast_at"]
        verbose_name = _("vote")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "voter"], name="deliberation_vote_once"),
            models.UniqueConstraint(
                fields=["ballot", "counted_household"], name="deliberation_vote_once_household"
            ),
        ]

    def __str__(self) -> str:
        return f"vote {self.pk} on ballot {self.ballot_id}"


class MeetingTally(models.Model):
    """A meeting ballot's count as the meeting recorded it, entered by community staff."""

    ballot = models.OneToOneField(Ballot, on_delete=models.PROTECT, related_name="tally")
    present = models.PositiveIntegerField(_("present (people or households)"))
    votes_for = models.PositiveIntegerField(_("for"))
    votes_against = models.PositiveIntegerField(_("against"))
    abstentions = models.PositiveIntegerField(_("abstentions"))
    entered_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("meeting tally")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    present__gte=models.F("votes_for")
                    + models.F("votes_against")
                    + models.F("abstentions")
                ),
                name="deliberation_tally_within_present",
            ),
        ]

    def __str__(self) -> str:
        return f"tally of ballot {self.ballot_id}"
