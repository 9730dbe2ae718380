"""Territory: the admin-unit tree and the grid layer (WGS-84 polygons stored as WKB)."""

from __future__ import annotations

from typing import TypeVar

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


_Unit = TypeVar("_Unit", bound=models.Model)


class LiveManager(models.Manager[_Unit]):
    """Only the units of the current layer version; retired ones stay for history."""

    def get_queryset(self) -> models.QuerySet[_Unit]:
        return super().get_queryset().filter(retired_in__isnull=True)


class Grid(models.Model):
    """One all-purpose grid: community code + 3-digit serial = 15 digits.

    A grid that leaves the layer is retired, never deleted: cases keep the grid they were located
    in, and its code is never given to another grid.
    """

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
    # The police beat the grid belongs to (one network: every beat is a union of whole grids).
    beat = models.ForeignKey(
        "Beat", null=True, blank=True, on_delete=models.SET_NULL, related_name="grids"
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    # The grid layer version that retired it (None: in the current layer).
    retired_in = models.PositiveIntegerField(null=True, blank=True, db_index=True)

    all_objects = models.Manager()
    objects = LiveManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        base_manager_name = "all_objects"
        default_manager_name = "objects"

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


class Beat(models.Model):
    """A police beat (警格). After fusion each beat is the union of whole grids."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    street = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="beats"
    )
    geometry_wkb = models.BinaryField(_("boundary (WKB, WGS-84)"))
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    retired_in = models.PositiveIntegerField(null=True, blank=True, db_index=True)

    all_objects = models.Manager()
    objects = LiveManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("police beat")
        base_manager_name = "all_objects"
        default_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.name or self.code} ({self.code})"

    @property
    def geometry(self) -> BaseGeometry:
        return wkb.loads(bytes(self.geometry_wkb))


class LayerVersion(models.Model):
    """One version of the grid or beat layer; every version is kept with its snapshot."""

    class Kind(models.TextChoices):
        GRIDS = "grids", _("grids")
        BEATS = "beats", _("police beats")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=255, blank=True)
    note = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["kind", "number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="layer_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.number}"


class UnitSnapshot(models.Model):
    """A grid or beat as it stood in one layer version (for history and measures by version)."""

    version = models.ForeignKey(LayerVersion, on_delete=models.CASCADE, related_name="units")
    code = models.CharField(max_length=40)
    parent_code = models.CharField(max_length=40, blank=True)  # grid: its beat's code
    geometry_wkb = models.BinaryField()
    area_m2 = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="snapshot_unit_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} in {self.version}"


class Address(models.Model):
    """A standard address (标准地址): the join key of base data, located to its grid and beat.

    "人进户、户进房、房进格、格进图": the point stays as imported; `grid` and `beat` follow the
    current layer (see territory.addresses.relink_addresses). Grid and Beat resolve through
    their base manager, so an address linked to a since-retired unit still reads it.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    building = models.CharField(_("building"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20, blank=True)
    lon = models.FloatField(_("longitude (WGS-84)"))
    lat = models.FloatField(_("latitude (WGS-84)"))
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="addresses"
    )
    beat = models.ForeignKey(
        Beat, null=True, blank=True, on_delete=models.SET_NULL, related_name="addresses"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("standard address")
        verbose_name_plural = _("standard addresses")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
