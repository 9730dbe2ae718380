"""What smart intake stores: the suggestion made for a stored case, and what became of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.cases.models import Case, CaseClass
from onegrid.org.models import Department


class Suggestion(models.Model):
    """The classifier's suggestion for one case, made off the intake path (when the case page
    is first opened, or by `onegrid classifier suggest`), kept as it was made: the top classes
    with their confidence, the department and urgency the catalogue's rules give the top class,
    the department and urgency the model learned (when it did), and the model that said so.
    A desk's correction of the class is recorded beside it (`corrected_*`), so how often the
    suggestion was right can be counted; training reads the case's own final class."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="suggestion")
    # [{"label": ..., "code": catalogue class code or "", "confidence": 0..1}], most likely first
    top_classes = models.JSONField(_("suggested classes"), default=list)
    case_class = models.ForeignKey(
        CaseClass,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("suggested class"),
    )
    confidence = models.FloatField(_("confidence"), default=0.0)
    # By the catalogue's rules for the suggested class (its default department, or the police
    # station of the case's street for a police class; its urgency).
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    urgency = models.CharField(_("urgency"), max_length=6, blank=True)
    # As the model learned them from the cases' own departments and urgencies, when it did.
    learned_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    learned_department_confidence = models.FloatField(null=True, blank=True)
    learned_urgency = models.CharField(max_length=6, blank=True)
    learned_urgency_confidence = models.FloatField(null=True, blank=True)
    model_version = models.CharField(_("model version"), max_length=40)
    created_at = models.DateTimeField(_("suggested at"))
    # The case's class when the suggestion was made.
    reported_class = models.ForeignKey(
        CaseClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The class a desk changed the case to afterwards (its last `reclassify`), and when and by
    # whom; `correction_seq` is that event's number in the case's history.
    corrected_class = models.ForeignKey(
        CaseClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    correction_seq = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("class suggestion")
        verbose_name_plural = _("class suggestions")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.case_class_id} ({self.confidence:.2f})"

    @property
    def final_class_id(self) -> int | None:
        return self.corrected_class_id or self.reported_class_id

    @property
    def right(self) -> bool:
        """Whether the top suggestion is the class the case ended in."""
        return self.case_class_id is not None and self.case_class_id == self.final_class_id
