"""Party service centre API (/api/v1/party/centres…): the centres in the caller's reach with
their latest score, one centre with its inspections and rectification cases, registering a
centre, the district's checklist, and recording an inspection (JSON; photos come through the
inspection page's form).

Thin: parse, call one service (party.centres) or selector (party.centre_selectors), render.
Readers are PAGE_ROLES["centres"] over their reach; a centre outside it is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from onegrid.core.api_errors import errors
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.org import policies
from onegrid.org.requests import SignedInRequest
from onegrid.territory.models import AdminUnit

from . import centre_selectors, centres
from .models import ChecklistItem, Inspection, ServiceCentre

router = Router(tags=["party"])


class CentreOut(Schema):
    id: int
    name: str
    level: str = Field(..., description="street or community.")
    unit_code: str
    unit_name: str
    lon: float
    lat: float
    address: str
    floor_area_m2: int | None
    opening_hours: str
    services: str
    phone: str
    active: bool
    latest_score: int | None = Field(None, description="The latest inspection's score.")
    latest_max_score: int | None = None
    latest_at: dt.datetime | None = None


class CentreIn(Schema):
    unit_code: str = Field(..., description="12-digit code of the street or community.")
    name: str
    lon: float
    lat: float
    address: str = ""
    floor_area_m2: int | None = None
    opening_hours: str = ""
    services: str = ""
    phone: str = ""


class ScoreOut(Schema):
    item_id: int
    item: str
    category: str
    score: int
    max_score: int
    note: str


class RectificationOut(Schema):
    item_id: int
    item: str
    description: str
    case_number: str | None = Field(None, description="The case it was reported as.")
    case_state: str | None = None


class InspectionOut(Schema):
    id: int
    centre_id: int
    inspected_at: dt.datetime
    score: int
    max_score: int
    note: str
    scores: list[ScoreOut]
    rectifications: list[RectificationOut]
    photos: int = Field(..., description="How many photos (shown on the centre's page).")
    replayed: bool = False


class CentreDetailOut(CentreOut):
    inspections: list[InspectionOut]


class InspectionIn(Schema):
    idempotency_key: str
    scores: dict[str, int] = Field(..., description="Checklist item id → score (0..maximum).")
    notes: dict[str, str] = Field(default_factory=dict)
    marked: list[int] = Field(default_factory=list, description="Items to rectify anyway.")
    note: str = ""


class ChecklistItemOut(Schema):
    id: int
    category: str
    text: str
    max_score: int
    applies_to: str
    order: int
    active: bool


class ChecklistItemIn(Schema):
    category: str
    text: str
    max_score: int
    applies_to: str = "both"
    order: int = 0
    active: bool = True


def _require_reader(request: SignedInRequest) -> None:
    if not policies.may_open_page(request.user, "centres"):
        raise PermissionDenied(_("You may not read the Party service centres."))


def _centre_out(c: ServiceCentre, latest: Inspection | None) -> dict[str, object]:
    return {
        "id": c.pk,
        "name": c.name,
        "level": c.level,
        "unit_code": c.unit.code,
        "unit_name": c.unit.name,
        "lon": c.lon,
        "lat": c.lat,
        "address": c.address,
        "floor_area_m2": c.floor_area_m2,
        "opening_hours": c.opening_hours,
        "services": c.services,
        "phone": c.phone,
        "active": c.active,
        "latest_score": latest.score if latest else None,
        "latest_max_score": latest.max_score if latest else None,
        "latest_at": timezone.localtime(latest.inspected_at) if latest else None,
    }


def _inspection_out(i: Inspection, *, replayed: bool = False) -> dict[str, object]:
    return {
        "id": i.pk,
        "centre_id": i.centre_id,
        "inspected_at": timezone.localtime(i.inspected_at),
        "score": i.score,
        "max_score": i.max_score,
        "note": i.note,
        "scores": [
            {
                "item_id": s.item_id,
                "item": s.item.text,
                "category": s.item.category,
                "score": s.score,
                "max_score": s.max_score,
                "note": s.note,
            }
            for s in i.scores.all()
        ],
        "rectifications": [
            {
                "item_id": r.item_id,
                "item": r.item.text,
                "description": r.description,
                "case_number": r.case.number if r.case else None,
                "case_state": r.case.state if r.case else None,
            }
            for r in i.rectifications.all()
        ],
        "photos": len(i.photos.all()),
        "replayed": replayed,
    }


def _item_out(i: ChecklistItem) -> dict[str, object]:
    return {
        "id": i.pk,
        "category": i.category,
        "text": i.text,
        "max_score": i.max_score,
        "applies_to": i.applies_to,
        "order": i.order,
        "active": i.active,
    }


@router.get(
    "/centres",
    response={200: list[CentreOut], **errors(401, 403)},
    summary="The Party service centres the caller may see, with their latest score",
)
def centre_list(request: SignedInRequest) -> list[dict[str, object]]:
    _require_reader(request)
    return [_centre_out(r.centre, r.latest) for r in centre_selectors.centres_for(request.user)]


@router.post(
    "/centres",
    response={201: CentreOut, **errors(400, 401, 403, 422)},
    summary="Register the Party service centre of a street or community",
)
def register(request: SignedInRequest, payload: CentreIn) -> Status[dict[str, object]]:
    fields = payload.dict()
    code = str(fields.pop("unit_code")).strip()
    unit = AdminUnit.objects.filter(code=code).first() if code.isascii() else None
    if unit is None:
        raise InvalidInput(_("No street or community has this code."), field="unit_code")
    centre = centres.register_centre(actor=request.user, unit=unit, **fields)
    return Status(201, _centre_out(centre, None))


@router.get(
    "/centres/checklist",
    response={200: list[ChecklistItemOut], **errors(401, 403)},
    summary="The district's standardisation checklist",
)
def checklist(request: SignedInRequest) -> list[dict[str, object]]:
    _require_reader(request)
    return [_item_out(i) for i in ChecklistItem.objects.all()]


@router.post(
    "/centres/checklist",
    response={201: ChecklistItemOut, **errors(400, 401, 403, 422)},
    summary="Add a checklist item (administrators, the district's Party staff)",
)
def add_item(request: SignedInRequest, payload: ChecklistItemIn) -> Status[dict[str, object]]:
    return Status(201, _item_out(centres.save_checklist_item(actor=request.user, **payload.dict())))


@router.get(
    "/centres/{centre_id}",
    response={200: CentreDetailOut, **errors(401, 403, 404)},
    summary="One centre with its inspections (latest first) and rectification cases",
)
def centre_detail(request: SignedInRequest, centre_id: str) -> dict[str, object]:
    _require_reader(request)
    centre = centre_selectors.centre_for(request.user, centre_id)
    inspections = centre_selectors.inspections_of(centre)
    return _centre_out(centre, inspections[0] if inspections else None) | {
        "inspections": [_inspection_out(i) for i in inspections]
    }


@router.post(
    "/centres/{centre_id}/inspections",
    response={201: InspectionOut, 200: InspectionOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Record an inspection: a score for every applicable checklist item",
)
def inspect(
    request: SignedInRequest, centre_id: str, payload: InspectionIn
) -> Status[dict[str, object]]:
    _require_reader(request)
    centre = centre_selectors.centre_for(request.user, centre_id)
    out = centres.record_inspection(
        actor=request.user,
        centre=centre,
        scores=payload.scores,
        notes=payload.notes,
        marked=payload.marked,
        note=payload.note,
        idempotency_key=payload.idempotency_key,
    )
    inspection = next(
        (i for i in centre_selectors.inspections_of(centre) if i.pk == out.inspection.pk), None
    )
    if inspection is None:  # beyond the history's page: cannot happen for a new one
        raise NotFound(_("No such inspection."))
    return Status(200 if out.replayed else 201, _inspection_out(inspection, replayed=out.replayed))
