"""Questions residents put to their community's legal adviser (一村（社区）一法律顾问) and the
answers, due within a time limit on the working calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.territory.models import AdminUnit


class LegalQuestion(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Awaiting an answer")
        ANSWERED = "answered", _("Answered")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    community = models.ForeignKey(
        AdminUnit, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_questions"
    )
    question = models.TextField(_("question"), max_length=4000)
    asked_at = models.DateTimeField(_("asked at"))
    due_at = models.DateTimeField(_("to be answered by"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    answer = models.TextField(_("answer"), max_length=8000, blank=True)
    # The law and article the answer rests on, when it names one.
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once by the tick when the answer is late, so the adviser and the community are told
    # once.
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-asked_at"]
        verbose_name = _("question to the legal adviser")
        verbose_name_plural = _("questions to the legal adviser")

    def __str__(self) -> str:
        return f"legal question {self.pk}"
