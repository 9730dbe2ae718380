"""A district's overrides of the shared catalogue, and a case's district.

A city's installation shares one catalogue (CaseClass) among its districts; a district may
change a class's time limit, default department and urgency, or switch the class off for its
reporters (cases.models.ClassOverride). Everything that reads those fields for a case reads
them here, for the case's district (its street's parent):

* ``effective(case_class, district_id)`` / ``for_case(case)``: the values that apply;
* ``check_offered(case_class, district_id)``: refuses a class switched off there (the report,
  the reclassify);
* ``calendar_district(case)``: the code the case's working time counts on (core.workdays).

Reads happen on every report, dispatch and timer, so nothing here queries per call: each
process keeps every override in memory (a few rows per district) and re-reads only the
overrides' version (OverrideState), at most every ONEGRID["CALENDAR_RECHECK_SECONDS"]; a change
bumps the version. While there are no overrides (a single district's installation), no case's
district is ever looked up. A street's district never changes (its code begins with the
district's), so the street → district map is kept per process and filled on a miss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from onegrid.core import workdays
from onegrid.core.errors import InvalidInput
from onegrid.core.rechecked import RecheckedCopy
from onegrid.territory.models import AdminUnit

from .models import CaseClass, ClassOverride, OverrideState

if TYPE_CHECKING:
    from .models import Case


@dataclass(frozen=True, slots=True)
class Effective:
    """A class's values in one district (the catalogue's where the district changed none)."""

    time_limit: int
    time_unit: str
    default_department_id: int | None
    urgency: str
    active: bool
    overridden: bool = False


@dataclass
class _Snapshot:
    token: tuple[int, str]
    # (district id, class id) → the override row's values.
    rows: dict[tuple[int, int], ClassOverride] = field(default_factory=dict)
    # district id → ids of the classes switched off there.
    off: dict[int, frozenset[int]] = field(default_factory=dict)


class _Cache(RecheckedCopy[_Snapshot]):
    def __init__(self) -> None:
        super().__init__()
        # street id → (district id, district code); a street's parent never changes.
        self.streets: dict[int, tuple[int, str]] = {}

    def forget(self) -> None:
        super().forget()
        with self.lock:
            self.streets.clear()


_cache = _Cache()


def _token() -> tuple[int, str]:
    row = OverrideState.objects.filter(pk=1).values_list("version", "updated_at").first()
    return (row[0], row[1].isoformat()) if row else (0, "")


def _load(token: tuple[int, str]) -> _Snapshot:
    rows = {(o.district_id, o.case_class_id): o for o in ClassOverride.objects.all()}
    off: dict[int, set[int]] = {}
    for (district_id, class_id), row in rows.items():
        if row.active is False:
            off.setdefault(district_id, set()).add(class_id)
    return _Snapshot(token, rows, {d: frozenset(ids) for d, ids in off.items()})


def _snapshot() -> _Snapshot:
    return _cache.get(_token, _load)


def forget() -> None:
    """Drop this process's copy; the next read reloads it (after a change, in tests)."""
    _cache.forget()


def bump() -> None:
    """Mark the overrides changed, inside the writer's transaction: every process reloads at its
    next version check, this one at once and again after commit."""
    OverrideState.objects.get_or_create(pk=1)
    OverrideState.objects.filter(pk=1).update(version=F("version") + 1)
    state = OverrideState.objects.get(pk=1)
    state.save(update_fields=["updated_at"])
    forget()
    transaction.on_commit(forget)


def _row_changed(**kwargs: object) -> None:
    """An override saved or deleted by any path (a cascade from its class or district, the
    shell, a fixture) bumps the version like set_override and the admin do."""
    if not kwargs.get("raw"):
        bump()


def _department_deleted(instance: object, **_kwargs: object) -> None:
    """A department an override names, deleted: the database sets the override's department to
    NULL by an UPDATE no signal reports, so the cached copies would still dispatch to it."""
    if ClassOverride.objects.filter(default_department_id=getattr(instance, "pk", None)).exists():
        bump()


def connect() -> None:
    """Called once from CasesConfig.ready."""
    from django.db.models.signals import post_delete, post_save, pre_delete

    from onegrid.org.models import Department

    post_save.connect(_row_changed, sender=ClassOverride, dispatch_uid="overrides.saved")
    post_delete.connect(_row_changed, sender=ClassOverride, dispatch_uid="overrides.deleted")
    pre_delete.connect(_department_deleted, sender=Department, dispatch_uid="overrides.dept")


def any_overrides() -> bool:
    return bool(_snapshot().rows)


# --- a case's district ------------------------------------------------------------------------


def district_of_street(street_id: int) -> tuple[int, str] | None:
    """(district id, 12-digit code) of a street, from the per-process map."""
    hit = _cache.streets.get(street_id)
    if hit is not None:
        return hit
    rows = AdminUnit.objects.filter(level=AdminUnit.Level.STREET, parent__isnull=False).values_list(
        "pk", "parent_id", "parent__code"
    )
    found = {pk: (parent_id, code) for pk, parent_id, code in rows}
    with _cache.lock:
        _cache.streets.update(found)
    return found.get(street_id)


def district_id_of(case: Case) -> int | None:
    hit = district_of_street(case.street_id)
    return hit[0] if hit else None


def calendar_district(case: Case) -> str:
    """The district code a case's working time counts on: "" (the national calendar) while no
    district has days of its own, so single-district installations look nothing up."""
    return calendar_district_of_street(case.street_id)


def calendar_district_of_street(street_id: int) -> str:
    """calendar_district for a case's street id (the tick reads ids, not cases)."""
    if not workdays.districts_with_days():
        return ""
    hit = district_of_street(street_id)
    return hit[1] if hit else ""


def street_override_district(street_id: int) -> int | None:
    """The district id of a street for reading overrides: None (not looked up) while there
    are none anywhere."""
    if not _snapshot().rows:
        return None
    hit = district_of_street(street_id)
    return hit[0] if hit else None


# --- effective values -------------------------------------------------------------------------


def effective(case_class: CaseClass, district_id: int | None) -> Effective:
    """The class's values in the district (the catalogue's where it overrides none)."""
    row = _snapshot().rows.get((district_id, case_class.pk)) if district_id is not None else None
    if row is None:
        return Effective(
            case_class.time_limit,
            case_class.time_unit,
            case_class.default_department_id,
            case_class.urgency,
            case_class.active,
        )
    limit_set = row.time_limit is not None and bool(row.time_unit)
    return Effective(
        row.time_limit if limit_set and row.time_limit is not None else case_class.time_limit,
        row.time_unit if limit_set else case_class.time_unit,
        row.default_department_id or case_class.default_department_id,
        row.urgency or case_class.urgency,
        case_class.active and row.active is not False,
        True,
    )


def override_district(case: Case) -> int | None:
    """The case's district id for reading overrides: None (not looked up) while there are
    none anywhere."""
    if not _snapshot().rows:
        return None
    return district_id_of(case)


def for_case(case: Case) -> Effective:
    """The case's class's values in the case's district."""
    return effective(case.case_class, override_district(case))


def off_in(district_id: int | None) -> frozenset[int]:
    """Ids of the classes switched off in the district."""
    if district_id is None:
        return frozenset()
    return _snapshot().off.get(district_id, frozenset())


def check_offered(case_class: CaseClass, district_id: int | None) -> None:
    """Refuse a class switched off in the district (InvalidInput naming class_code)."""
    if case_class.pk in off_in(district_id):
        raise InvalidInput(
            _("Class %(code)s is not used in this district.") % {"code": case_class.code},
            field="class_code",
        )


def district_id_for_code(code: str) -> int | None:
    """The district row's id for a 12-digit code (None when there is no such district)."""
    if not code:
        return None
    for district_id, district_code in _cache.streets.values():
        if district_code == code:
            return district_id
    return (
        AdminUnit.objects.filter(code=code, level=AdminUnit.Level.DISTRICT)
        .values_list("pk", flat=True)
        .first()
    )


# --- changing them ----------------------------------------------------------------------------


def set_override(
    *,
    district: AdminUnit,
    case_class: CaseClass,
    time_limit: int | None = None,
    time_unit: str = "",
    default_department_id: int | None = None,
    urgency: str = "",
    active: bool | None = None,
    by: str = "",
) -> tuple[ClassOverride | None, str]:
    """Set what `district` overrides of `case_class` (blank: as the catalogue); all blank
    removes the override. Returns (the row or None, "added" / "changed" / "unchanged" /
    "removed"). Bad values: InvalidInput naming the field, nothing changed."""
    from .catalogue import MAX_TIME_LIMIT

    if district.level != AdminUnit.Level.DISTRICT:
        raise InvalidInput(_("Overrides belong to a district."), field="district")
    if (time_limit is None) != (not time_unit):
        raise InvalidInput(
            _("Give the time limit and its unit together, or neither."), field="time_limit"
        )
    if time_limit is not None and not 0 < time_limit <= MAX_TIME_LIMIT:
        raise InvalidInput(
            _("A time limit is a whole number from 1 to %(max)d.") % {"max": MAX_TIME_LIMIT},
            field="time_limit",
        )
    if time_unit and time_unit not in CaseClass.Unit.values:
        raise InvalidInput(_('The time unit must be "hours" or "days".'), field="time_unit")
    if urgency and urgency not in CaseClass.Urgency.values:
        raise InvalidInput(_('The urgency must be "red", "yellow" or "blue".'), field="urgency")
    values = {
        "time_limit": time_limit,
        "time_unit": time_unit,
        "default_department_id": default_department_id,
        "urgency": urgency,
        "active": active,
    }
    empty = all(v in (None, "") for v in values.values())
    with transaction.atomic():
        row = (
            ClassOverride.objects.select_for_update()
            .filter(district=district, case_class=case_class)
            .first()
        )
        if row is None and empty:
            return None, "unchanged"
        if row is not None and empty:
            row.delete()
            bump()
            return None, "removed"
        if row is not None and all(getattr(row, k) == v for k, v in values.items()):
            return row, "unchanged"
        outcome = "changed" if row is not None else "added"
        if row is None:
            row = ClassOverride(district=district, case_class=case_class)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by = by[:150]
        row.save()
        bump()
    return row, outcome


def department_codes(ids: set[int]) -> dict[int, str]:
    """Codes of the departments overrides name (one query, none when there are none)."""
    from onegrid.org.models import Department

    if not ids:
        return {}
    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "code"))
