"""A published decision (决议) and how it is carried out: practical projects (为民办实事) with a
budget and milestones, and cases in the one loop."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.cases.models import Case

from .ballots import Ballot
from .topics import Topic


class Decision(models.Model):
    class State(models.TextChoices):
        PUBLISHED = "published", _("Published, being carried out")
        CARRIED_OUT = "carried_out", _("Carried out")
        ABANDONED = "abandoned", _("Abandoned")

    number = models.CharField(_("number"), max_length=30, unique=True)
    topic = models.OneToOneField(Topic, on_delete=models.PROTECT, related_name="decision")
    ballot = models.OneToOneField(Ballot, on_delete=models.PROTECT, related_name="decision")
    text = models.TextField(_("what was decided"), max_length=8000)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, db_index=True)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    carried_out_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    abandoned_reason = models.CharField(_("why abandoned"), max_length=300, blank=True)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("decision")

    def __str__(self) -> str:
        return f"{self.number}"


class Project(models.Model):
    """A practical project (为民办实事) carrying out a decision."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNDERWAY = "underway", _("Underway")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2)
    spent = models.DecimalField(_("spent (yuan)"), max_digits=12, decimal_places=2, default=0)
    # Who carries it out (a unit, a co-building unit, the property company …), as written.
    undertaker = models.CharField(_("carried out by"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completion_note = models.CharField(_("completion note"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("practical project (为民办实事)")
        verbose_name_plural = _("practical projects (为民办实事)")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget__gte=0) & models.Q(spent__gte=0),
                name="deliberation_project_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=100)
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("milestone")

    def __str__(self) -> str:
        return self.title


class DecisionCase(models.Model):
    """A case reported into the one loop to carry out (part of) a decision."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="case_links")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="decision_link")
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["linked_at"]
        verbose_name = _("case carrying out a decision")

    def __str__(self) -> str:
        return f"case {self.case_id} for decision {self.decision_id}"
