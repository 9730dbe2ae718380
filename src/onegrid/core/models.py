"""Rows every app may use: the holiday schedule that working time is counted on.

The schedule sits in core, not in cases, because every app that counts working time (case
deadlines today, mediation's month and the whistle's report-in limit later) reads the same
calendar, and no app may depend on one above it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HolidayYear(models.Model):
    """One year of the State Council's holiday arrangement, as an administrator imported it.

    A year with a row here is counted on this schedule alone (its days below, otherwise Monday
    to Friday), never on the chinesecalendar package. `imported_by` keeps the importer's name
    as text, not a key to the user: core stands below org, and the record must outlive the
    account.
    """

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    imported_by = models.CharField(_("imported by"), max_length=150)
    imported_at = models.DateTimeField(_("imported at"))
    source_name = models.CharField(_("file"), max_length=255, blank=True)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class HolidayDay(models.Model):
    """A day that differs from the Monday–Friday week: a rest day on a weekday (休) or a make-up
    working day on a weekend (班, 调休)."""

    class Kind(models.TextChoices):
        REST = "rest", _("rest day (休)")
        WORK = "work", _("make-up working day (班)")

    day = models.DateField(_("date"), unique=True)
    year = models.ForeignKey(HolidayYear, on_delete=models.CASCADE, related_name="days")
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.kind}"


class DistrictDay(models.Model):
    """A day one district of a city counts differently from the national schedule: a local rest
    day (休, e.g. a district's own holiday) or a make-up working day (班). Keyed by the district's
    12-digit code, not a key to territory's row: core stands below territory. Changing these
    bumps CalendarState like an import, so every process reloads them with the schedule."""

    district_code = models.CharField(_("district code"), max_length=12)
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=4, choices=HolidayDay.Kind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)
    added_by = models.CharField(_("added by"), max_length=150)
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        ordering = ["district_code", "day"]
        constraints = [
            models.UniqueConstraint(fields=["district_code", "day"], name="district_day_once")
        ]
        verbose_name = _("district calendar day")
        verbose_name_plural = _("district calendar days")

    def __str__(self) -> str:
        return f"{self.district_code} {self.day.isoformat()} {self.kind}"


class CalendarState(models.Model):
    """The schedule's version, one row: every import bumps it, and each process's cache of the
    calendar (core.workdays) reloads when (version, updated_at) changes."""

    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"calendar v{self.version}"


class Serial(models.Model):
    """The last number given in one series of human-readable numbers (a register's serial per
    year: disputes, topics, decisions, risks …), counted up in the writer's transaction so two
    writers never get the same number (core.serials.next_serial)."""

    series = models.CharField(max_length=40, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.series}: {self.last}"


class CacheVersion(models.Model):
    """A counter per kind of data that processes cache across requests (core.versions):
    "access" (API tokens, people, their roles) and "catalogue" (the problem classes). The
    services and signals that change the data bump it in their own transaction; a process's
    cached copy is used only while the counter it was read under is still the current one."""

    name = models.CharField(max_length=20, unique=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
