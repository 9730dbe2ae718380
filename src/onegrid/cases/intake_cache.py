"""What every report reads, cached per process (core.versions): the active problem classes by
code (counter "catalogue") and the administrative units' codes (counter "access", which
org.access_cache bumps when a unit is saved or deleted).

Every report looks its class up by code; the catalogue changes a few times a year (imports,
the admin, a class switched off). Saving or deleting a class or a major class bumps the
counter in that transaction, so a class switched off is refused by every process from the
moment it commits. The instances are shared between requests: read them, never change them.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete

from onegrid.core import versions
from onegrid.territory.models import AdminUnit

from .models import CaseClass, MajorClass

CLASSES: versions.VersionedCache[str, dict[str, CaseClass]] = versions.VersionedCache(
    versions.CATALOGUE
)


def active_class(code: str) -> CaseClass | None:
    """The active class of `code`, or None."""
    return CLASSES.get("active", _load).get(code)


UNIT_FIELDS = ["id", "code", "name", "level", "parent_id"]
UNITS: versions.VersionedCache[str, dict[int, tuple[object, ...]]] = versions.VersionedCache(
    versions.ACCESS
)


def units(*unit_ids: int) -> list[AdminUnit]:
    """Fresh AdminUnits holding their id, code, name, level and parent (one check of the
    counter for all); any other field (the outline) is read if asked for (deferred fields)."""
    known = UNITS.get("units", _load_units)
    return [
        AdminUnit.from_db("default", UNIT_FIELDS, known[i])
        if i in known
        else AdminUnit.objects.defer("geometry_wkb").get(pk=i)
        for i in unit_ids
    ]


def _load_units() -> dict[int, tuple[object, ...]]:
    return {row[0]: row for row in AdminUnit.objects.values_list(*UNIT_FIELDS)}


def _load() -> dict[str, CaseClass]:
    return {c.code: c for c in CaseClass.objects.filter(active=True)}


def _changed(**_kwargs: Any) -> None:
    versions.bump(versions.CATALOGUE)


def _department_deleted(instance: object, **_kwargs: Any) -> None:
    # The classes naming it get a NULL default department by an UPDATE no signal reports.
    if CaseClass.objects.filter(default_department_id=getattr(instance, "pk", None)).exists():
        versions.bump(versions.CATALOGUE)


def connect() -> None:
    """Called once from CasesConfig.ready."""
    from onegrid.org.models import Department

    for model in (CaseClass, MajorClass):
        name = model.__name__
        post_save.connect(_changed, sender=model, dispatch_uid=f"intake_cache.{name}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"intake_cache.{name}.del")
    pre_delete.connect(_department_deleted, sender=Department, dispatch_uid="intake_cache.dept")
