"""The case API: thin — parse, call one service or selector, render."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Form, Query, Router, Schema, Status, UploadedFile
from ninja.params import functions as param

from onegrid.core.api_errors import BINARY, answered_as, errors
from onegrid.core.api_types import Moment
from onegrid.core.errors import NotFound
from onegrid.org.requests import SignedInRequest

from . import overrides, photo_maintenance, photos, selectors, services, workflow
from .catalogue import find_district
from .models import Case, CaseClass, Photo
from .schemas import ActionResultOut, CaseDetailOut, CaseOut, CasePage, local

router = Router(tags=["cases"])

IDEMPOTENCY_KEY = param.Header(
    None,
    alias="Idempotency-Key",
    max_length=64,
    description="A key the client makes for this request (at most 64 printable characters): "
    "sent again with the same request, it returns the first result instead of doing it twice.",
)
# Photos are optional multipart parts. The annotation says what ninja validates (a list; with
# `| None` the OpenAPI would offer null); this default of None only makes them optional, so
# handlers read `photos or []`.
NO_PHOTOS = param.File(None)
PHOTO = answered_as("The image.", {"image/jpeg": BINARY, "image/png": BINARY, "image/webp": BINARY})


class ReportForm(Schema):
    lon: float | None = Field(
        None,
        description="longitude in the `crs` given (WGS-84 unless crs=gcj02); "
        "required unless `address_code` is given",
    )
    lat: float | None = Field(None, description="latitude in the `crs` given")
    address_code: str | None = Field(
        None,
        description="a standard address code: the case takes its point, grid and name "
        "(with lon/lat too, the point must lie in the address's grid)",
    )
    crs: str = Field("wgs84", description="wgs84 (GPS) or gcj02 (Chinese phone maps)")
    class_code: str
    description: str = ""
    address: str = ""
    source: str | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    idempotency_key: str | None = None


@router.post(
    "/cases",
    response={
        201: ActionResultOut,
        200: ActionResultOut,
        **errors(400, 401, 403, 404, 409, 413, 422),
    },
    summary="Report a problem (idempotent by key)",
)
def report(
    request: SignedInRequest,
    form: Form[ReportForm],
    photos: list[UploadedFile] = NO_PHOTOS,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status[dict[str, object]]:
    """The place is a point (`lon`, `lat`) or a standard address (`address_code`).
    Coordinates are WGS-84 unless `crs` is `gcj02` (Chinese phone maps). Send the same
    `Idempotency-Key` header (or `idempotency_key` field) on a retry: the first result comes back
    and nothing is created twice."""
    outcome = services.report_case(
        actor=request.user,
        lon=form.lon,
        lat=form.lat,
        crs=form.crs,
        class_code=form.class_code,
        description=form.description,
        address=form.address,
        photo_files=photos or [],
        source=form.source,
        reporter_name=form.reporter_name,
        reporter_phone=form.reporter_phone,
        idempotency_key=idempotency_key or form.idempotency_key,
        address_code=form.address_code,
    )
    status = 200 if outcome.replayed else 201
    # The answer is made from the case in hand (the service attached its class and places):
    # reading it again through the scoped selector gave the same fields (a reporter sees their
    # own report; a desk outside the place was answered with the case in hand already).
    return Status(status, {"case": CaseOut.of(outcome.case), "replayed": outcome.replayed})


class ListQuery(Schema):
    state: str | None = None
    class_code: str | None = None
    grid: str | None = None
    street: str | None = None
    source: str | None = None
    overdue: bool | None = None
    open: bool | None = None
    department: str | None = None
    reported_from: Moment | None = None
    reported_to: Moment | None = None
    q: str | None = None
    waiting: str | None = Field(None, description="extension or returned")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10**9)


@router.get(
    "/cases",
    response={200: CasePage, **errors(400, 401, 422)},
    summary="List the cases you may see",
)
def list_cases(request: SignedInRequest, query: Query[ListQuery]) -> dict[str, object]:
    filters = selectors.CaseFilters(**query.dict(exclude={"limit", "offset"}))
    cases = selectors.list_cases(request.user, filters)
    limit, offset = query.limit, query.offset
    return {
        "count": cases.count(),
        "items": [CaseOut.of(c) for c in cases[offset : offset + limit]],
    }


@router.get(
    "/cases/{case_id}",
    response={200: CaseDetailOut, **errors(401, 404, 422)},
    summary="A case with its history",
)
def detail(request: SignedInRequest, case_id: str) -> dict[str, object]:
    case = selectors.get_case(request.user, case_id)
    return _detail(request, case)


def _detail(request: SignedInRequest, case: Case) -> dict[str, object]:
    body = CaseOut.of(case)
    events = case.events.select_related("actor").prefetch_related("photos").order_by("seq")
    hidden = selectors.hidden_actor_ids(request.user, case)
    body["events"] = [
        {
            "seq": e.seq,
            "action": e.action,
            "action_label": str(workflow.ACTION_LABELS.get(e.action, e.action)),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": str(e.actor) if e.actor and selectors.actor_visible(e, hidden) else None,
            "actor_role": e.actor_role,
            "at": local(e.at),
            "reason": e.reason,
            "data": e.data,
            "photos": [
                {
                    "id": p.id,
                    "kind": p.kind,
                    "url": f"/api/v1/photos/{p.id}",
                    "view_url": f"/api/v1/photos/{p.id}/view",
                    "thumb_url": f"/api/v1/photos/{p.id}/thumb",
                    "content_type": p.content_type,
                    "size": p.size,
                    "approved_at": local(p.approved_at),
                }
                for p in e.photos.all()
            ],
        }
        for e in events
    ]
    body["tasks"] = [
        {
            "id": t.id,
            "department": t.department.code,
            "department_name": t.department.name,
            "role": t.role,
            "state": t.state,
            "dispatched_at": local(t.dispatched_at),
            "due_at": local(t.due_at),
            "signed_at": local(t.signed_at),
            "fed_back_at": local(t.fed_back_at),
            "overdue": t.overdue,
            "escalation_level": t.escalation_level,
            # 吹哨报到 (role "whistle"): the report-in clock and the street's rating.
            "report_in_due_at": local(t.report_in_due_at),
            "reported_in_at": local(t.reported_in_at),
            "reported_in_on_time": t.reported_in_on_time,
            "rating": t.rating,
            "rated_at": local(t.rated_at),
        }
        # Kept on the case: allowed_actions below reads the same tasks without a query.
        for t in selectors.case_tasks(case)
    ]
    body["actions"] = selectors.allowed_actions(request.user, case)
    body["reporters"] = selectors.case_reporters(
        request.user, case, channel="api", path=request.path
    )
    return body


class ActionForm(Schema):
    reason: str = ""
    department: str | None = None
    co_departments: str | None = None
    hours: int | None = None
    result: str | None = None
    satisfaction: str | None = None
    target: str | None = None
    task: str | None = None
    photo: str | None = None
    # whistle: the codes of the departments summoned, comma-separated; rate_whistle: the rating.
    departments: str | None = None
    rating: str | None = None
    idempotency_key: str | None = None


@router.post(
    "/cases/{case_id}/actions/{action}",
    response={200: ActionResultOut, **errors(400, 401, 403, 404, 409, 413, 422)},
    summary="Take a workflow action (see the workflow table)",
)
def act(
    request: SignedInRequest,
    case_id: str,
    action: str,
    form: Form[ActionForm],
    photos: list[UploadedFile] = NO_PHOTOS,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> dict[str, object]:
    params = form.dict(exclude={"reason", "idempotency_key"})
    for name in ("co_departments", "departments"):
        if params.get(name):
            params[name] = [c.strip() for c in params[name].split(",") if c.strip()]
    outcome = services.perform_action(
        actor=request.user,
        case_id=case_id,
        action=action,
        reason=form.reason,
        params=params,
        photo_files=photos or [],
        idempotency_key=idempotency_key or form.idempotency_key,
    )
    return {"case": _case_out(request, outcome.case), "replayed": outcome.replayed}


def _case_out(request: SignedInRequest, case: Case) -> dict[str, object]:
    """The case as the caller now sees it, read in one query without the grid polygons."""
    fresh = selectors.visible_cases(request.user).filter(pk=case.pk).first()
    return CaseOut.of(fresh or case)


@router.get(
    "/photos/{photo_id}",
    response=errors(401, 404, 422),
    openapi_extra=PHOTO,
    summary="A case photo as sent, EXIF included (only for those who may see the case)",
)
def photo(request: SignedInRequest, photo_id: str) -> FileResponse:
    found = selectors.get_photo(request.user, photo_id)
    return _photo_file(found.file, found.content_type)


@router.get(
    "/photos/{photo_id}/view",
    response=errors(401, 404, 422),
    openapi_extra=PHOTO,
    summary="A case photo's viewing copy: upright JPEG, long side ≤ 1600 px, no EXIF",
)
def photo_view(request: SignedInRequest, photo_id: str) -> FileResponse:
    return _photo_file(_with_copies(request, photo_id).view, "image/jpeg")


@router.get(
    "/photos/{photo_id}/thumb",
    response=errors(401, 404, 422),
    openapi_extra=PHOTO,
    summary="A case photo's thumbnail: upright JPEG, long side ≤ 320 px, no EXIF",
)
def photo_thumb(request: SignedInRequest, photo_id: str) -> FileResponse:
    return _photo_file(_with_copies(request, photo_id).thumb, "image/jpeg")


def _with_copies(request: SignedInRequest, photo_id: str) -> Photo:
    """The photo, its copies made first if it was stored before copies existed."""
    found = selectors.get_photo(request.user, photo_id)
    try:
        return photo_maintenance.make_missing_copies(found)
    except (FileNotFoundError, *photos.DECODE_ERRORS):
        raise NotFound(_("The photo's file is missing."), field="photo_id") from None


def _photo_file(file: FieldFile, content_type: str) -> FileResponse:
    try:
        opened = file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The photo's file is missing."), field="photo_id") from None
    response = FileResponse(opened, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


class CatalogueClassOut(Schema):
    code: str
    name: str
    name_en: str
    major_code: str
    major_name: str
    time_limit: int
    time_unit: str
    urgency: str
    default_department: str | None
    minor_self_closable: bool
    legal_basis_law: str = Field("", description="The law the class is handled under, if named.")
    legal_basis_article: str = Field("", description="Its article(s).")


@router.get(
    "/catalogue",
    response={200: list[CatalogueClassOut], **errors(401, 422)},
    summary="The active class catalogue",
)
def catalogue(request: HttpRequest, district: str = "") -> list[dict[str, object]]:
    """With `district` (its 6- or 12-digit code), the classes as that district of the city has
    them: its time limits, urgencies and departments, less the classes it switched off."""
    district_id = find_district(district).pk if district else None
    classes = CaseClass.objects.filter(active=True).select_related("major", "default_department")
    rows = [(c, overrides.effective(c, district_id)) for c in classes]
    codes = overrides.department_codes(
        {e.default_department_id for c, e in rows if e.default_department_id}
        - {c.default_department_id for c, e in rows}
    )
    return [
        {
            "code": c.code,
            "name": c.name,
            "name_en": c.name_en,
            "major_code": c.major.code,
            "major_name": c.major.name,
            "time_limit": e.time_limit,
            "time_unit": e.time_unit,
            "urgency": e.urgency,
            "default_department": (
                c.default_department.code
                if c.default_department and e.default_department_id == c.default_department_id
                else codes.get(e.default_department_id or 0)
            ),
            "minor_self_closable": c.minor_self_closable,
            "legal_basis_law": c.legal_basis_law,
            "legal_basis_article": c.legal_basis_article,
        }
        for c, e in rows
        if e.active
    ]


class WorkflowRowOut(Schema):
    number: int
    action: str
    label: str
    from_: list[str] = Field(..., alias="from", description="States it may be taken from.")
    to: str | None = Field(..., description="The state it leads to (none: the state stays).")
    targets: list[str] = Field(
        ..., description="Every state the action may lead to ('=': the state stays)."
    )
    roles: list[str]
    reason_required: bool
    photo_kind: str | None
    photo_required: bool
    photo_required_for_tasks: list[str] = Field(
        ..., description="Task roles (lead, co) whose action needs a photo."
    )
    params: list[str]
    follow_ups: list[str] = Field(
        ..., description="System actions that may follow at once (when their condition holds)."
    )


@router.get(
    "/workflow",
    response={200: list[WorkflowRowOut], **errors(401)},
    by_alias=True,
    summary="The workflow table: states, actions and who may take them",
)
def workflow_table(request: HttpRequest) -> list[dict[str, object]]:
    return [
        {
            "number": t.number,
            "action": t.action,
            "label": str(t.label),
            "from": sorted(s for s in t.sources if s),
            "to": t.target,
            "targets": list(t.targets),
            "roles": sorted(t.roles),
            "reason_required": t.reason_required,
            "photo_kind": t.photo_kind,
            "photo_required": t.photo_required,
            "photo_required_for_tasks": sorted(t.photo_required_for_tasks),
            "params": list(t.params),
            "follow_ups": [f.action for f in t.follow_ups],
        }
        for t in workflow.TABLE
    ]
