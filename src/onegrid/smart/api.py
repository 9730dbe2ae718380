"""The smart-intake API at /api/v1/smart/: thin — parse, call one service or selector, render.

Helpers of the smart app add their routes to this one router (suggestions here; likely
duplicates beside them)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema

from onegrid.core.api_errors import errors
from onegrid.org.requests import SignedInRequest

from . import duplicates

router = Router(tags=["smart"])


# --- likely duplicates (smart/duplicates.py) ---------------------------------------------------


class DuplicateCheckIn(Schema):
    lon: float | None = Field(
        None,
        description="longitude in the `crs` given (WGS-84 unless crs=gcj02), as the report "
        "API takes it; required unless `address_code` is given",
    )
    lat: float | None = Field(None, description="latitude in the `crs` given")
    crs: str = Field("wgs84", max_length=16, description="wgs84 (GPS) or gcj02 (phone maps)")
    address_code: str | None = Field(
        None, max_length=64, description="a standard address code instead of the point"
    )
    class_code: str = Field(..., max_length=20, description="the class the reporter chose")
    text: str = Field(
        "",
        max_length=duplicates.MAX_TEXT + duplicates.MAX_ADDRESS + 1,
        description="what the reporter wrote (description and address), may be empty",
    )


class ReasonOut(Schema):
    code: str = Field(description="same_class, same_major, distance, time or text")
    text: str


class DuplicateOut(Schema):
    score: float = Field(description="probability (0–1) that it is the same problem")
    number: str | None = Field(description="case number; null for a case the caller may not see")
    url: str | None = Field(description="the case page; null for a case the caller may not see")
    class_code: str
    class_name: str
    state: str
    state_label: str
    open: bool
    place: str = Field(description="street and community")
    distance_m: int = Field(
        description="metres from the point; in 50 m steps for a case the caller may not see"
    )
    reported_at: dt.datetime = Field(
        description="Asia/Shanghai; to the hour for a case the caller may not see"
    )
    description: str | None = Field(
        description="the start of its description; null for a case the caller may not see"
    )
    reasons: list[ReasonOut]


class DuplicateCheckOut(Schema):
    threshold: float = Field(description="the score from which a case is a likely duplicate")
    candidates: list[DuplicateOut] = Field(description="likely duplicates, best first (up to 5)")


@router.post(
    "/duplicates",
    response={200: DuplicateCheckOut, **errors(400, 401, 403, 404, 422)},
    summary="Likely duplicates of a report not sent yet",
)
def check_duplicates(request: SignedInRequest, payload: DuplicateCheckIn) -> dict[str, object]:
    """Open (or lately closed) cases near the place that are likely the same problem: for the
    field app's "already reported nearby" before a report is sent. Only a hint: the report may
    be sent anyway. Cases the caller may not see come as class, street and community, distance
    in 50 m steps, the hour and the state only, and only for classes of public-space problems."""
    _report, found = duplicates.check_report(
        actor=request.user,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        address_code=payload.address_code,
        class_code=payload.class_code,
        text=payload.text,
    )
    return {"threshold": duplicates.threshold(), "candidates": duplicates.describe(found)}
