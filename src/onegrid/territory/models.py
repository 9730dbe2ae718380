"""Territory: the admin-unit tree and the grid layer (WGS-84 polygons stored as WKB)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from shapely import wkb
from shapely.geometry.base import BaseGeometry


class AdminUnit(models.Model):
    """A node of the tree city → district → street/town → community/village (12-digit code)."""

    class Level(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        STREET = "street", _("Street/town")
        COMMUNITY = "community", _("Community/village")

    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{12}$", _("An admin code has exactly 12 digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    geometry_wkb = models.BinaryField(_("boundary (WKB, WGS-84)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("admin unit")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def geometry(self) -> BaseGeometry | None:
        return wkb.loads(bytes(self.geometry_wkb)) if self.geometry_wkb else None


class Grid(models.Model):
    """One all-purpose grid: community code + 3-digit serial = 15 digits."""

    code = models.CharField(
        _("code"),
        max_length=15,
        unique=True,
        validators=[RegexValidator(r"^\d{15}$", _("A grid code has exactly 15 digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="grids")
    street = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="street_grids")
    kind = models.CharField(_("kind"), max_length=20, default="general")  # general or special
    geometry_wkb = models.BinaryField(_("boundary (WKB, WGS-84)"))
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    # A point guaranteed inside the polygon, for labels and tests.
    label_lon = models.FloatField(default=0)
    label_lat = models.FloatField(default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def geometry(self) -> BaseGeometry:
        return wkb.loads(bytes(self.geometry_wkb))


class LayerState(models.Model):
    """The grid layer's version; every process's locator reloads when it changes."""

    name = models.CharField(max_length=40, unique=True, default="grids")
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
