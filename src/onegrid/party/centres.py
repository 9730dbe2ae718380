"""Writes for the Party service centres (党群服务中心): registering a street's or community's
centre, the district's standardisation checklist, and inspections.

An inspection scores every active checklist item that applies to the centre's level, may carry
photos (checked and copied like a case's: cases.photos bounds them, cases.photo_copies makes
the EXIF-free copies pages show) and leaves a rectification item (整改项) for each item scored
under RECTIFY_BELOW of its maximum or marked by the inspector. Each rectification item is
reported as a case (cases.services.report_case, class ONEGRID_CENTRE_RECTIFICATION_CLASS, at
the centre's point, with source inspection: the inspection's record) so it runs the one
loop: dispatch, disposal, check, close. An inspection carries a client key: a retry returns the
first inspection and reports no second case.

Who may do what is org.policies: centres and inspections by Party-organisation staff of the
place or above (may_keep_centres), the checklist by the administrators and the district's Party
staff (may_configure_centre_checklist).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.cases import photos
from onegrid.cases import services as case_services
from onegrid.cases.models import Source
from onegrid.cases.photo_copies import make_copies
from onegrid.core import clock
from onegrid.core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from onegrid.core.text_input import bounded_text, idempotency_key
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit

from .models import (
    ChecklistItem,
    Inspection,
    InspectionPhoto,
    InspectionScore,
    Organisation,
    Rectification,
    ServiceCentre,
)

logger = logging.getLogger(__name__)

# An item scored under this share of its maximum becomes a rectification item.
RECTIFY_BELOW = 0.6
LEVELS = {
    ServiceCentre.Level.STREET: AdminUnit.Level.STREET,
    ServiceCentre.Level.COMMUNITY: AdminUnit.Level.COMMUNITY,
}


# --- input ------------------------------------------------------------------------------------


def _key(value: object) -> str:
    return idempotency_key(
        value, missing=_("Send an idempotency key so a retry cannot record the inspection twice.")
    )


def _number(value: object, field: str, *, low: float, high: float) -> float:
    if isinstance(value, bool):
        raise InvalidInput(_("Give a number."), field=field)
    text = "" if value is None else str(value).strip()
    # float() reads other scripts' digits (١٢) too: a coordinate is written in 0-9.
    if not text.isascii() or len(text) > 30:
        raise InvalidInput(_("Give a number."), field=field)
    try:
        number = float(text)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(_("Give a number."), field=field) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput(
            _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}, field=field
        )
    return number


def _whole(value: object, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise InvalidInput(_("Give a whole number."), field=field)
    if isinstance(value, int):
        number = value
    else:
        text = "" if value is None else str(value).strip()
        # str.isdigit accepts other scripts' digits (١٢): only 0-9 are a score.
        if not text or len(text) > 9 or not all("0" <= ch <= "9" for ch in text):
            raise InvalidInput(_("Give a whole number."), field=field)
        number = int(text)
    if not low <= number <= high:
        raise InvalidInput(
            _("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
            field=field,
        )
    return number


# --- centres ----------------------------------------------------------------------------------


def _require_keeper(actor: User, unit: AdminUnit) -> None:
    if not policies.may_keep_centres(actor, unit):
        raise PermissionDenied(
            _("Only the Party-organisation staff of this place or above keep its centre."),
            field="unit",
        )


def _centre_fields(
    *,
    name: object,
    lon: object,
    lat: object,
    address: object = "",
    floor_area_m2: object = None,
    opening_hours: object = "",
    services: object = "",
    phone: object = "",
) -> dict[str, object]:
    area = None
    if floor_area_m2 not in (None, ""):
        area = _whole(floor_area_m2, "floor_area_m2", low=1, high=1_000_000)
    return {
        "name": bounded_text(name, "name", max_length=100, required=True),
        "lon": _number(lon, "lon", low=-180, high=180),
        "lat": _number(lat, "lat", low=-90, high=90),
        "address": bounded_text(address, "address", max_length=200),
        "floor_area_m2": area,
        "opening_hours": bounded_text(opening_hours, "opening_hours", max_length=200),
        "services": bounded_text(services, "services", max_length=2000),
        "phone": bounded_text(phone, "phone", max_length=20),
    }


@transaction.atomic
def register_centre(
    *,
    actor: User,
    unit: AdminUnit,
    organisation: Organisation | None = None,
    **fields: object,
) -> ServiceCentre:
    """Register the centre of a street or community (`unit`); its level follows the unit's."""
    _require_keeper(actor, unit)
    level = next((lv for lv, unit_level in LEVELS.items() if unit.level == unit_level), None)
    if level is None:
        raise InvalidInput(_("A centre belongs to a street or a community."), field="unit")
    if organisation is not None and organisation.unit_id != unit.pk:
        raise InvalidInput(
            _("The Party organisation must stand at the centre's place."), field="organisation"
        )
    return ServiceCentre.objects.create(
        level=level,
        unit=unit,
        organisation=organisation,
        created_at=clock.now(),
        **_centre_fields(**fields),
    )


@transaction.atomic
def update_centre(
    *, actor: User, centre: ServiceCentre, active: bool = True, **fields: object
) -> ServiceCentre:
    """Change a centre's details (or close it: `active` False)."""
    centre = ServiceCentre.objects.select_for_update().select_related("unit").get(pk=centre.pk)
    _require_keeper(actor, centre.unit)
    for name, value in _centre_fields(**fields).items():
        setattr(centre, name, value)
    centre.active = bool(active)
    centre.save()
    return centre


# --- the checklist ------------------------------------------------------------------------------


@transaction.atomic
def save_checklist_item(
    *,
    actor: User,
    item: ChecklistItem | None = None,
    category: object,
    text: object,
    max_score: object,
    applies_to: object = ChecklistItem.AppliesTo.BOTH,
    order: object = 0,
    active: bool = True,
) -> ChecklistItem:
    """Add a line to the district's checklist, or change one (`item`). A line already scored
    keeps its past scores: each score holds the maximum it was given against."""
    if not policies.may_configure_centre_checklist(actor):
        raise PermissionDenied(
            _("Only administrators and the district's Party staff configure the checklist."),
            field="actor",
        )
    row = item if item is not None else ChecklistItem()
    for name, value in check_checklist_item(
        category=category, text=text, max_score=max_score, applies_to=applies_to, order=order
    ).items():
        setattr(row, name, value)
    row.active = bool(active)
    row.save()
    return row


def check_checklist_item(
    *, category: object, text: object, max_score: object, applies_to: object, order: object
) -> dict[str, object]:
    """A checklist item's fields, checked (the page, the API and the admin's form)."""
    if category not in ChecklistItem.Category.values:
        raise InvalidInput(_("Choose a category."), field="category")
    if applies_to not in ChecklistItem.AppliesTo.values:
        raise InvalidInput(_("Choose where the item applies."), field="applies_to")
    return {
        "category": str(category),
        "text": bounded_text(text, "text", max_length=200, required=True),
        "max_score": _whole(max_score, "max_score", low=1, high=100),
        "applies_to": str(applies_to),
        "order": _whole(order, "order", low=0, high=10_000),
    }


def applicable_items(level: str) -> list[ChecklistItem]:
    """The active checklist items that apply to a centre of `level`, in order."""
    return [i for i in ChecklistItem.objects.filter(active=True) if i.applies_to_level(level)]


# --- inspections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionOutcome:
    inspection: Inspection
    replayed: bool = False


@dataclass(frozen=True)
class _StoredPhoto:
    item_id: int | None
    upload: photos.Upload
    names: tuple[str, str, str]  # original, view, thumb


def _store_photos(files: Iterable[tuple[int | None, File[bytes]]]) -> list[_StoredPhoto]:
    """Check the photos (cases.photos: type by content, size, pixels, at most MAX_PHOTOS), make
    their EXIF-free copies and write all three under centres/, before the transaction. The
    names are the content's hash: a rolled-back inspection leaves files a retry reuses."""
    files = list(files)
    if len(files) > photos.MAX_PHOTOS:
        raise InvalidInput(
            _("At most %(n)d photos per inspection.") % {"n": photos.MAX_PHOTOS}, field="photos"
        )
    stored = []
    options = settings.ONEGRID
    for item_id, file in files:
        upload = photos.validate_photo(file)
        try:
            copies = make_copies(
                upload.content, view_px=options["PHOTO_VIEW_PX"], thumb_px=options["PHOTO_THUMB_PX"]
            )
        except photos.DECODE_ERRORS:
            raise InvalidInput(
                _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": upload.name or "?"},
                field="photos",
            ) from None
        base = f"centres/{upload.sha256[:2]}/{upload.sha256}"
        names = (f"{base}.{upload.extension}", f"{base}.view.jpg", f"{base}.thumb.jpg")
        for name, content in zip(names, (upload.content, copies.view, copies.thumb), strict=True):
            photos.write_file(name, content)
        stored.append(_StoredPhoto(item_id, upload, names))
    return stored


def _scores(
    items: list[ChecklistItem], scores: Mapping[Any, Any], notes: Mapping[Any, Any]
) -> dict[int, tuple[int, str]]:
    by_id = {str(i.pk): i for i in items}
    unknown = [str(k) for k in scores if str(k) not in by_id]
    if unknown:
        raise InvalidInput(
            _("Item %(item)s is not on this centre's checklist.") % {"item": unknown[0][:20]},
            field="scores",
        )
    given = {str(k): v for k, v in scores.items()}
    out: dict[int, tuple[int, str]] = {}
    for key, item in by_id.items():
        if key not in given or given[key] in (None, ""):
            raise InvalidInput(
                _("Score every item: %(item)s has no score.") % {"item": item.text},
                field=f"score_{item.pk}",
            )
        score = _whole(given[key], f"score_{item.pk}", low=0, high=item.max_score)
        note = bounded_text(
            notes.get(item.pk, notes.get(key, "")), f"note_{item.pk}", max_length=200
        )
        out[item.pk] = (score, note)
    return out


@transaction.atomic
def record_inspection(
    *,
    actor: User,
    centre: ServiceCentre,
    scores: Mapping[Any, Any],
    idempotency_key: str | None,
    notes: Mapping[Any, Any] | None = None,
    marked: Iterable[object] = (),
    note: str = "",
    photo_files: Iterable[tuple[int | None, File[bytes]]] = (),
) -> InspectionOutcome:
    """Record an inspection of `centre`: `scores` item id → score (every active item that
    applies, 0..its maximum), `notes` item id → a note, `marked` the items the inspector marks
    for rectification whatever their score, `photo_files` (item id or None, file)."""
    key = _key(idempotency_key)
    centre = ServiceCentre.objects.select_related("unit").get(pk=centre.pk)
    if not policies.may_keep_centres(actor, centre.unit):
        raise PermissionDenied(
            _("Only the Party-organisation staff of this place or above inspect its centre."),
            field="centre",
        )
    earlier = Inspection.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        if earlier.centre_id != centre.pk:
            raise Conflict(
                _("This idempotency key was already used for another inspection."),
                field="idempotency_key",
            )
        return InspectionOutcome(earlier, replayed=True)
    if not centre.active:
        raise InvalidInput(_("This centre is closed."), field="centre")
    items = applicable_items(centre.level)
    if not items:
        raise InvalidInput(_("The district has no checklist for this centre yet."), field="scores")
    given = _scores(items, scores, notes or {})
    marked_ids = {str(m) for m in marked}
    if marked_ids - {str(i.pk) for i in items}:
        raise InvalidInput(_("Only checklist items can be marked."), field="marked")
    note = bounded_text(note, "note", max_length=2000)
    by_id = {i.pk: i for i in items}
    photo_list = list(photo_files)
    for item_id, _file in photo_list:
        if item_id is not None and item_id not in by_id:
            raise InvalidInput(_("A photo names an item not on the checklist."), field="photos")
    stored = _store_photos(photo_list)
    now = clock.now()
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                centre=centre,
                inspector=actor,
                inspected_at=now,
                score=sum(s for s, _n in given.values()),
                max_score=sum(i.max_score for i in items),
                note=note,
                idempotency_key=key,
            )
    except IntegrityError:
        # A concurrent retry with the same key recorded it first.
        return InspectionOutcome(Inspection.objects.get(idempotency_key=key), replayed=True)
    InspectionScore.objects.bulk_create(
        InspectionScore(
            inspection=inspection, item=by_id[pk], score=s, max_score=by_id[pk].max_score, note=n
        )
        for pk, (s, n) in given.items()
    )
    InspectionPhoto.objects.bulk_create(
        InspectionPhoto(
            inspection=inspection,
            item_id=p.item_id,
            file=p.names[0],
            view=p.names[1],
            thumb=p.names[2],
            content_type=p.upload.content_type,
            size=len(p.upload.content),
            sha256=p.upload.sha256,
        )
        for p in stored
    )
    for pk, (score, item_note) in given.items():
        item = by_id[pk]
        if score < RECTIFY_BELOW * item.max_score or str(pk) in marked_ids:
            Rectification.objects.create(
                inspection=inspection,
                item=item,
                description=_rectification_text(centre, item, score, item_note),
                created_at=now,
            )
    report_rectifications(actor=actor, inspection=inspection)
    return InspectionOutcome(inspection)


def _rectification_text(centre: ServiceCentre, item: ChecklistItem, score: int, note: str) -> str:
    text = _("Party service centre %(centre)s: %(item)s (scored %(score)d of %(max)d).") % {
        "centre": centre.name,
        "item": item.text,
        "score": score,
        "max": item.max_score,
    }
    if note:
        text = f"{text} {note}"
    return text[:500]


def report_rectifications(*, actor: User, inspection: Inspection) -> list[Rectification]:
    """Report each rectification item of `inspection` that has no case yet as a case (one per
    item: the case's client key names inspection and item, so a repeat reports nothing twice).
    An item that cannot be reported now (the class is not in the catalogue, the centre lies
    outside every grid) keeps no case and is logged; calling this again retries it."""
    centre = inspection.centre
    class_code = settings.ONEGRID["CENTRE_RECTIFICATION_CLASS"]
    made = []
    for rect in inspection.rectifications.filter(case__isnull=True).select_related("item"):
        try:
            with transaction.atomic():
                outcome = case_services.report_case(
                    actor=actor,
                    lon=centre.lon,
                    lat=centre.lat,
                    class_code=class_code,
                    source=Source.INSPECTION,
                    description=rect.description,
                    address=centre.address,
                    idempotency_key=f"centre-rectification-{inspection.pk}-{rect.item_id}",
                )
        except DomainError as error:
            logger.warning(
                "rectification %s of inspection %s not reported: %s",
                rect.pk,
                inspection.pk,
                error.message,
            )
            continue
        rect.case = outcome.case
        rect.save(update_fields=["case"])
        made.append(rect)
    return made
