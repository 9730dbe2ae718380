"""Party service centres (党群服务中心): the centres of the streets and communities, the
district's standardisation checklist, inspections with per-item scores and photos, and the
rectification items an inspection leaves (each reported as a case, party.centres)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.cases.models import Case
from onegrid.territory.models import AdminUnit

from .tree import Organisation


class Level(models.TextChoices):
    STREET = "street", _("Street centre")
    COMMUNITY = "community", _("Community centre")


class ServiceCentre(models.Model):
    """One 党群服务中心 of a street or a community."""

    Level = Level

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    unit = models.ForeignKey(
        AdminUnit, verbose_name=_("street or community"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Party organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_centres",
    )
    lon = models.FloatField(_("longitude (WGS-84)"))
    lat = models.FloatField(_("latitude (WGS-84)"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    floor_area_m2 = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    services = models.TextField(_("services offered"), max_length=2000, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["unit_id", "name"]
        verbose_name = _("Party service centre")
        verbose_name_plural = _("Party service centres")

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """One line of the district's standardisation checklist (标准化建设)."""

    class Category(models.TextChoices):
        SPACE = "space", _("Space")
        SIGNAGE = "signage", _("Signage")
        SERVICES = "services", _("Services")
        HOURS = "hours", _("Opening hours")
        STAFF = "staff", _("Staff")

    class AppliesTo(models.TextChoices):
        STREET = "street", _("Street centres")
        COMMUNITY = "community", _("Community centres")
        BOTH = "both", _("Both")

    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    text = models.CharField(_("requirement"), max_length=200)
    max_score = models.PositiveSmallIntegerField(
        _("maximum score"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    applies_to = models.CharField(
        _("applies to"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.BOTH
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("standardisation checklist")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_score__gte=1, max_score__lte=100),
                name="party_checklist_max_score_range",
            )
        ]

    def __str__(self) -> str:
        return self.text

    def applies_to_level(self, level: str) -> bool:
        return self.applies_to in (self.AppliesTo.BOTH, level)


class Inspection(models.Model):
    """One standardisation inspection of a centre: the scores of every item that applied."""

    centre = models.ForeignKey(ServiceCentre, on_delete=models.PROTECT, related_name="inspections")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    inspected_at = models.DateTimeField(_("inspected at"))
    score = models.PositiveIntegerField(_("score"))
    max_score = models.PositiveIntegerField(_("maximum score"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-inspected_at", "-id"]
        verbose_name = _("centre inspection")
        verbose_name_plural = _("centre inspections")
        indexes = [models.Index(fields=["centre", "-inspected_at"])]

    def __str__(self) -> str:
        return f"inspection {self.pk} of centre {self.centre_id}"


class InspectionScore(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    max_score = models.PositiveSmallIntegerField(_("maximum score"))  # the item's, then
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["inspection_id", "item__order", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="party_one_score_per_item"),
            models.CheckConstraint(
                condition=models.Q(score__lte=models.F("max_score")),
                name="party_score_within_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/{self.max_score}"


class InspectionPhoto(models.Model):
    """A photo taken on an inspection: the original kept as evidence, and an upright copy and a
    thumbnail without EXIF (cases.photo_copies) that pages show. Named by the content's SHA-256
    under centres/, apart from the cases' photos/ that their clean-up manages."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    item = models.ForeignKey(
        ChecklistItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.CharField(max_length=200)
    view = models.CharField(max_length=200)
    thumb = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["inspection_id", "id"]

    def __str__(self) -> str:
        return self.sha256[:12]


class Rectification(models.Model):
    """An item an inspection found wanting (整改项); reported as a case so it runs the one loop."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="rectifications"
    )
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=500)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["inspection_id", "id"]
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "item"], name="party_one_rectification_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"rectification {self.pk} of inspection {self.inspection_id}"
