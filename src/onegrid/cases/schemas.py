"""API shapes of a case. Times are ISO 8601 in Asia/Shanghai (+08:00); coordinates WGS-84."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.utils import timezone
from ninja import Field, Schema

from . import selectors, workflow
from .models import Case


def local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value else None


class CaseOut(Schema):
    id: UUID
    number: str
    state: str
    state_label: str
    source: str
    class_code: str
    class_name: str
    urgency: str
    lon: float = Field(description="longitude, WGS-84 (stored and returned in WGS-84 always)")
    lat: float = Field(description="latitude, WGS-84")
    grid_code: str
    community_code: str
    street_code: str
    address: str
    description: str
    reported_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue: bool
    escalation_level: int
    rework_count: int
    timer: str | None
    merged_into: str | None
    tracking_code: str = Field(description="what the reporter and the public follow the case by")
    satisfaction: str = Field(description="the last reply: satisfied, basically_satisfied, …")
    rated_at: dt.datetime | None = Field(description="when the reporter rated the case")
    callback_needed: bool = Field(description="the reporter was unsatisfied: call them back")

    @staticmethod
    def of(case: Case) -> dict[str, object]:
        return {
            "id": case.id,
            "number": case.number,
            "state": case.state,
            "state_label": str(workflow.STATE_LABELS.get(case.state, case.state)),
            "source": case.source,
            "class_code": case.case_class.code,
            "class_name": case.case_class.name,
            "urgency": case.urgency,
            "lon": case.lon,
            "lat": case.lat,
            "grid_code": case.grid.code,
            "community_code": case.community.code,
            "street_code": case.street.code,
            "address": case.address,
            "description": case.description,
            "reported_at": local(case.reported_at),
            "due_at": local(case.due_at),
            "closed_at": local(case.closed_at),
            "overdue": case.overdue,
            "escalation_level": case.escalation_level,
            "rework_count": case.rework_count,
            "timer": selectors.timer_colour(case),
            "merged_into": case.merged_into.number if case.merged_into is not None else None,
            "tracking_code": case.tracking_code,
            "satisfaction": case.satisfaction,
            "rated_at": local(case.rated_at),
            "callback_needed": case.callback_needed,
        }


class TaskOut(Schema):
    id: UUID
    department: str
    department_name: str
    role: str
    state: str
    dispatched_at: dt.datetime
    due_at: dt.datetime
    signed_at: dt.datetime | None
    fed_back_at: dt.datetime | None
    overdue: bool
    escalation_level: int
    report_in_due_at: dt.datetime | None = None
    reported_in_at: dt.datetime | None = None
    reported_in_on_time: bool | None = None
    rating: str = ""
    rated_at: dt.datetime | None = None


class PhotoOut(Schema):
    id: UUID
    kind: str
    url: str = Field(description="the original as sent (EXIF included): link to it, not shown")
    view_url: str = Field(
        description="to show: upright JPEG, long side ≤ ONEGRID_PHOTO_VIEW_PX (1600), no EXIF"
    )
    thumb_url: str = Field(
        description="for lists: upright JPEG, long side ≤ ONEGRID_PHOTO_THUMB_PX (320), no EXIF"
    )
    content_type: str = Field(description="of the original")
    size: int = Field(description="of the original, in bytes")
    approved_at: dt.datetime | None = Field(
        None, description="when it was approved for the public pages (none: not shown there)"
    )


class EventOut(Schema):
    seq: int
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor: str | None
    actor_role: str
    at: dt.datetime
    reason: str
    data: dict[str, Any]
    photos: list[PhotoOut]


class ReporterOut(Schema):
    name: str
    phone: str


class CaseDetailOut(CaseOut):
    tasks: list[TaskOut]
    events: list[EventOut]
    actions: list[str]
    reporters: list[ReporterOut] | None


class CasePage(Schema):
    count: int
    items: list[CaseOut]


class ActionResultOut(Schema):
    case: CaseOut
    replayed: bool
