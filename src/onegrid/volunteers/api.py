"""Volunteering API (/api/v1/volunteers/): activities near me, sign-up, check-in and
check-out from the phone, my hours; the organiser's activities, sign-ups, hours, roster and
organisations.

Thin: parse, call one service (volunteers.volunteering, volunteers.activities) or selector
(volunteers.activity_selectors), render. Coordinates are WGS-84 unless `crs` is "gcj02" (the
phone's map SDKs). A phone's writes carry `idempotency_key`: a retry answers the first result
with `replayed: true`. Phones in the roster are masked unless the caller organises the
volunteer's community; those shown whole are recorded in the access log (kind volunteer).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from onegrid.core.api_errors import errors
from onegrid.core.api_types import Moment
from onegrid.core.errors import PermissionDenied
from onegrid.org import access_log, policies
from onegrid.org.requests import SignedInRequest
from onegrid.territory import geometry

from . import activities, volunteering
from . import activity_selectors as selectors
from .models import Activity, SignUp

router = Router(tags=["volunteers"])


# --- schemas ---------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    title: str
    description: str
    community: str = Field(..., description="Community name.")
    organisation: str | None = Field(None, description="Volunteer organisation's name.")
    starts_at: dt.datetime
    ends_at: dt.datetime
    lon: float
    lat: float
    place: str
    check_in_radius_m: int
    capacity: int
    places_left: int
    state: str
    distance_m: int | None = Field(None, description="From the point asked about.")


class SignUpOut(Schema):
    id: int
    activity_id: int
    signed_up_at: dt.datetime
    cancelled_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    claimed_hours: Decimal | None
    confirmed_hours: Decimal | None
    confirmed_at: dt.datetime | None


class SignUpResult(Schema):
    sign_up: SignUpOut
    replayed: bool = Field(..., description="True when this answers a retry (nothing changed).")


class KeyIn(Schema):
    idempotency_key: str = Field(..., max_length=64)


class LocationIn(KeyIn):
    lon: float
    lat: float
    accuracy: float | None = Field(None, description="The phone's error estimate, metres.")
    crs: str | None = Field(None, description="wgs84 (default) or gcj02.")


class NearQuery(Schema):
    lon: float
    lat: float
    crs: str | None = None
    km: float = Field(selectors.NEAR_KM_DEFAULT, ge=0.1, le=selectors.NEAR_KM_MAX)


class MonthOut(Schema):
    month: str = Field(..., description="YYYY-MM (Beijing time).")
    confirmed: Decimal
    pending: Decimal


class HoursOut(Schema):
    months: list[MonthOut]
    sign_ups: list[SignUpOut]


class VolunteerRegisterIn(Schema):
    community: str | None = Field(None, max_length=12, description="Community code.")
    grid: str | None = Field(None, max_length=20, description="Grid code (sets the community).")
    organisation: int | None = None
    skills: str = Field("", max_length=200)


class VolunteerOut(Schema):
    id: int
    community: str
    organisation: str | None
    skills: str
    real_name_checked: bool


class ActivityIn(Schema):
    community: str = Field(..., max_length=12, description="Community code.")
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=4000)
    starts_at: Moment
    ends_at: Moment
    lon: float
    lat: float
    crs: str | None = None
    place: str = Field("", max_length=200)
    capacity: int = Field(..., ge=1, le=1000)
    radius_m: int | None = Field(None, ge=20, le=5000)
    organisation: int | None = None


class ConfirmIn(Schema):
    hours: Decimal | None = Field(None, ge=0, le=1000, max_digits=6, decimal_places=2)
    reason: str = Field("", max_length=200)


class RosterOut(Schema):
    volunteer_id: int
    name: str
    phone: str = Field(..., description="Masked unless the caller organises the community.")
    community: str
    organisation: str | None
    skills: str
    real_name_checked: bool


class SignUpRowOut(RosterOut):
    sign_up: SignUpOut


class OrganisationIn(Schema):
    unit: str = Field(..., max_length=12, description="Community or street code.")
    name: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)


class VolunteerOrganisationOut(Schema):
    id: int
    name: str
    unit: str


# --- rendering -------------------------------------------------------------------------------


def _activity_out(
    a: Activity, *, places_left: int | None = None, distance_m: float | None = None
) -> dict[str, object]:
    return {
        "id": a.pk,
        "title": a.title,
        "description": a.description,
        "community": a.community.name,
        "organisation": a.organisation.name if a.organisation else None,
        "starts_at": timezone.localtime(a.starts_at),
        "ends_at": timezone.localtime(a.ends_at),
        "lon": a.lon,
        "lat": a.lat,
        "place": a.place,
        "check_in_radius_m": a.check_in_radius_m,
        "capacity": a.capacity,
        "places_left": selectors.places_left(a) if places_left is None else places_left,
        "state": a.state,
        "distance_m": None if distance_m is None else round(distance_m),
    }


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment else None


def _sign_up_out(s: SignUp) -> dict[str, object]:
    return {
        "id": s.pk,
        "activity_id": s.activity_id,
        "signed_up_at": _local(s.signed_up_at),
        "cancelled_at": _local(s.cancelled_at),
        "checked_in_at": _local(s.checked_in_at),
        "checked_out_at": _local(s.checked_out_at),
        "claimed_hours": s.claimed_hours,
        "confirmed_hours": s.confirmed_hours,
        "confirmed_at": _local(s.confirmed_at),
    }


def _roster_out(row: selectors.RosterRow) -> dict[str, object]:
    v = row.volunteer
    return {
        "volunteer_id": v.pk,
        "name": row.name,
        "phone": row.phone,
        "community": v.community.name,
        "organisation": v.organisation.name if v.organisation else None,
        "skills": v.skills,
        "real_name_checked": v.real_name_checked_at is not None,
    }


def _log_phones(request: SignedInRequest, rows: list[selectors.RosterRow]) -> None:
    access_log.record_request(
        request,
        kind=access_log.Kind.VOLUNTEER,
        channel=access_log.Channel.API,
        subjects=[(r.volunteer.pk, ["phone"]) for r in rows if r.unmasked],
    )


def _needs_organiser_page(request: SignedInRequest) -> None:
    if not policies.may_open_page(request.user, "organiser"):
        raise PermissionDenied(_forbidden())


def _needs_volunteering(request: SignedInRequest) -> None:
    if not policies.may_open_page(request.user, "volunteering"):
        raise PermissionDenied(_forbidden())


def _forbidden() -> str:
    return _("Your role may not use volunteering.")


# --- the volunteer's phone -------------------------------------------------------------------


@router.post(
    "/register",
    response={200: VolunteerOut, **errors(400, 401, 403, 422)},
    summary="Register (or update) myself as a volunteer",
)
def register(request: SignedInRequest, payload: VolunteerRegisterIn) -> dict[str, object]:
    v = volunteering.register(
        actor=request.user,
        community_code=payload.community,
        grid_code=payload.grid,
        organisation_id=payload.organisation,
        skills=payload.skills,
    )
    return {
        "id": v.pk,
        "community": v.community.name,
        "organisation": v.organisation.name if v.organisation else None,
        "skills": v.skills,
        "real_name_checked": v.real_name_checked_at is not None,
    }


@router.get(
    "/activities/near",
    url_name="volunteer_activities_near",
    response={200: list[ActivityOut], **errors(401, 403, 422)},
    summary="Open activities near a point, nearest first",
)
def near(request: SignedInRequest, q: Query[NearQuery]) -> list[dict[str, object]]:
    _needs_volunteering(request)
    lon, lat = geometry.to_wgs84(q.lon, q.lat, q.crs or "wgs84")
    found = selectors.activities_near(request.user, lon=lon, lat=lat, km=q.km)
    return [
        _activity_out(n.activity, places_left=n.places_left, distance_m=n.distance_m) for n in found
    ]


@router.get(
    "/activities/{activity_id}",
    response={200: ActivityOut, **errors(401, 404)},
    summary="One activity",
)
def activity(request: SignedInRequest, activity_id: str) -> dict[str, object]:
    return _activity_out(selectors.visible_activity(request.user, activity_id))


@router.post(
    "/activities/{activity_id}/sign-up",
    url_name="volunteer_sign_up",
    response={200: SignUpResult, **errors(400, 401, 403, 404, 409, 422)},
    summary="Sign up for an activity",
)
def sign_up(request: SignedInRequest, activity_id: str, payload: KeyIn) -> dict[str, object]:
    outcome = activities.sign_up(
        actor=request.user, activity_id=activity_id, idempotency_key=payload.idempotency_key
    )
    return {"sign_up": _sign_up_out(outcome.sign_up), "replayed": outcome.replayed}


@router.post(
    "/activities/{activity_id}/cancel-sign-up",
    url_name="volunteer_cancel_sign_up",
    response={200: SignUpOut, **errors(401, 403, 404, 409)},
    summary="Withdraw my sign-up (before checking in)",
)
def cancel_sign_up(request: SignedInRequest, activity_id: str) -> dict[str, object]:
    return _sign_up_out(activities.cancel_sign_up(actor=request.user, activity_id=activity_id))


@router.post(
    "/activities/{activity_id}/check-in",
    url_name="volunteer_check_in",
    response={200: SignUpResult, **errors(400, 401, 403, 404, 409, 422)},
    summary="Check in at the activity's place (time and GPS)",
)
def check_in(request: SignedInRequest, activity_id: str, payload: LocationIn) -> dict[str, object]:
    """From 30 minutes before the start until the end, within the activity's radius (the
    phone's accuracy counted up to the radius). Too far: 422, field `location`."""
    outcome = activities.check_in(
        actor=request.user,
        activity_id=activity_id,
        lon=payload.lon,
        lat=payload.lat,
        accuracy=payload.accuracy,
        crs=payload.crs,
        idempotency_key=payload.idempotency_key,
    )
    return {"sign_up": _sign_up_out(outcome.sign_up), "replayed": outcome.replayed}


@router.post(
    "/activities/{activity_id}/check-out",
    url_name="volunteer_check_out",
    response={200: SignUpResult, **errors(400, 401, 403, 404, 409, 422)},
    summary="Check out (the hours are counted)",
)
def check_out(request: SignedInRequest, activity_id: str, payload: LocationIn) -> dict[str, object]:
    outcome = activities.check_out(
        actor=request.user,
        activity_id=activity_id,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        idempotency_key=payload.idempotency_key,
    )
    return {"sign_up": _sign_up_out(outcome.sign_up), "replayed": outcome.replayed}


@router.get(
    "/me/hours",
    response={200: HoursOut, **errors(401, 403)},
    summary="My hours per month (confirmed and pending) and my sign-ups",
)
def my_hours(request: SignedInRequest) -> dict[str, object]:
    _needs_volunteering(request)
    return {
        "months": [
            {"month": m.month, "confirmed": m.confirmed, "pending": m.pending}
            for m in selectors.my_hours(request.user)
        ],
        "sign_ups": [_sign_up_out(s) for s in selectors.my_sign_ups(request.user)[:100]],
    }


# --- the organiser ---------------------------------------------------------------------------


@router.get(
    "/activities",
    response={200: list[ActivityOut], **errors(401, 403)},
    summary="The activities of the communities I organise",
)
def list_activities(request: SignedInRequest) -> list[dict[str, object]]:
    _needs_organiser_page(request)
    return [_activity_out(a) for a in selectors.organiser_activities(request.user)[:200]]


@router.post(
    "/activities",
    response={200: ActivityOut, **errors(400, 401, 403, 422)},
    summary="Post an activity",
)
def post_activity(request: SignedInRequest, payload: ActivityIn) -> dict[str, object]:
    a = activities.post_activity(
        actor=request.user,
        community_code=payload.community,
        title=payload.title,
        description=payload.description,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        place=payload.place,
        capacity=payload.capacity,
        radius_m=payload.radius_m,
        organisation_id=payload.organisation,
    )
    return _activity_out(a)


@router.post(
    "/activities/{activity_id}/state/{state}",
    response={200: ActivityOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Cancel or finish an activity (state: cancelled or finished)",
)
def close_activity(request: SignedInRequest, activity_id: str, state: str) -> dict[str, object]:
    return _activity_out(
        activities.close_activity(actor=request.user, activity_id=activity_id, state=state)
    )


@router.get(
    "/activities/{activity_id}/sign-ups",
    response={200: list[SignUpRowOut], **errors(401, 403, 404)},
    summary="An activity's sign-ups",
)
def activity_sign_ups(request: SignedInRequest, activity_id: str) -> list[dict[str, object]]:
    _needs_organiser_page(request)
    a = selectors.organiser_activity(request.user, activity_id)
    rows = selectors.sign_ups_of(request.user, a)
    _log_phones(request, rows)
    return [
        {**_roster_out(r), "sign_up": _sign_up_out(r.volunteer.current_sign_up)}  # type: ignore[attr-defined]
        for r in rows
    ]


@router.post(
    "/sign-ups/{sign_up_id}/confirm",
    response={200: SignUpOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Confirm a volunteer's hours (awards the points)",
)
def confirm(request: SignedInRequest, sign_up_id: str, payload: ConfirmIn) -> dict[str, object]:
    row = activities.confirm_hours(
        actor=request.user, sign_up_id=sign_up_id, hours=payload.hours, reason=payload.reason
    )
    return _sign_up_out(row)


@router.get(
    "/roster",
    response={200: list[RosterOut], **errors(401, 403)},
    summary="The volunteers of the communities I organise",
)
def roster(request: SignedInRequest) -> list[dict[str, object]]:
    _needs_organiser_page(request)
    rows = selectors.roster(request.user)
    _log_phones(request, rows)
    return [_roster_out(r) for r in rows]


@router.post(
    "/volunteers/{volunteer_id}/real-name-check",
    response={200: RosterOut, **errors(401, 403, 404)},
    summary="Record that the volunteer's identity was checked",
)
def real_name_check(request: SignedInRequest, volunteer_id: str) -> dict[str, object]:
    v = volunteering.check_real_name(actor=request.user, volunteer_id=volunteer_id)
    return _roster_out(
        selectors.RosterRow(
            volunteer=v,
            name=v.user.display_name,
            phone=policies.mask_phone(v.user.phone) if v.user.phone else "",
            unmasked=False,
        )
    )


@router.post(
    "/organisations",
    response={200: VolunteerOrganisationOut, **errors(400, 401, 403, 422)},
    summary="Found a volunteer organisation",
)
def found_organisation(request: SignedInRequest, payload: OrganisationIn) -> dict[str, object]:
    o = volunteering.found_organisation(
        actor=request.user,
        unit_code=payload.unit,
        name=payload.name,
        description=payload.description,
    )
    return {"id": o.pk, "name": o.name, "unit": o.unit.name}
