"""Open311 reads. GET answers are public (GeoReport v2 asks no key to read), so they show
exactly what the public pages list (residents.public: districts whose pages are on, public
classes, reports accepted by a desk — none waiting, rejected or merged), placed as those pages
place them (the grid's point, or the centre of a ~100 m square, by the district's setting),
with no personal data — no reporter, no contact fields, the description through the public
pages' redaction (residents.public.redact), the address given as the street and community only;
media_url only for a photo a desk approved. A client that sends its api_key also sees the
requests it posted itself, whatever their class or state, with its own point rounded to about
100 m."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from onegrid.cases.models import Case, CaseClass, CaseEvent, Task
from onegrid.cases.states import State
from onegrid.residents import public

from . import status
from .models import ApiClient, ClientRequest, ServiceAttribute

# Decimal places the point is rounded to: 3 → 0.001° ≈ 111 m north–south, ≈ 86 m east–west
# at Tianjin's latitude.
POINT_DECIMALS = 3


def public_text(case: Case) -> str:
    """The description as the public pages show it: residents.public.redact (phones, ID and
    card numbers, e-mails, the reporters' names and phones and what a client sent about its
    reporter, hidden; at most 500 characters). One rule for every public answer."""
    also = public.reporter_strings(case)
    try:
        sent: ClientRequest | None = case.open311_request
    except ClientRequest.DoesNotExist:
        sent = None
    if sent is not None:
        also += [
            sent.email,
            sent.first_name,
            sent.last_name,
            sent.last_name + sent.first_name,
            sent.first_name + sent.last_name,
        ]
    return public.redact(case.description, also=[s for s in also if s])


def iso(value: dt.datetime | None) -> str | None:
    """W3C date-time in Asia/Shanghai, with its offset (2026-03-10T09:30:00+08:00)."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _name(obj: Any) -> str:
    english = getattr(obj, "name_en", "")
    if english and (translation.get_language() or "").startswith("en"):
        return str(english)
    return str(obj.name)


# --- services ---


def services() -> list[dict[str, Any]]:
    classes = CaseClass.objects.filter(active=True).select_related("major").order_by("code")
    with_attributes = set(
        ServiceAttribute.objects.values_list("case_class_id", flat=True).distinct()
    )
    return [
        {
            "service_code": c.code,
            "service_name": _name(c),
            "description": c.filing_criteria or _name(c),
            "metadata": c.id in with_attributes,
            "type": "realtime",
            "keywords": ",".join(k for k in (c.code, _name(c.major), _name(c)) if k),
            "group": _name(c.major),
        }
        for c in classes
    ]


def service_definition(code: str) -> dict[str, Any] | None:
    case_class = CaseClass.objects.filter(code=code, active=True).first()
    if case_class is None:
        return None
    return {
        "service_code": case_class.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                **(
                    {
                        "values": [
                            {"key": str(v["key"]), "name": str(v["name"])}
                            for v in a.values or []
                            if isinstance(v, dict)
                        ]
                    }
                    if a.datatype in ServiceAttribute.LISTS
                    else {}
                ),
            }
            for a in ServiceAttribute.objects.filter(case_class=case_class).order_by(
                "order", "code"
            )
        ],
    }


# --- requests ---


def readable_cases(client: ApiClient | None = None) -> QuerySet[Case]:
    """Cases GET answers may show: what the public pages list, and a client's own requests."""
    shown = Q(pk__in=public.listed_cases(public.enabled_settings()).values("pk"))
    if client is not None:
        shown |= Q(open311_request__client=client)
    return Case.objects.filter(shown)


@dataclass(frozen=True)
class RequestQuery:
    ids: Sequence[str] = ()
    service_codes: Sequence[str] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: Sequence[str] = ()
    page: int = 1
    page_size: int = 50


def find_requests(
    query: RequestQuery,
    client: ApiClient | None = None,
    link: Callable[[str], str] | None = None,
) -> list[dict[str, Any]]:
    """GET requests: by id when ids are given (other filters then ignored, as the spec says),
    else by service, requested time and status; newest first, one page."""
    cases = readable_cases(client)
    if query.ids:
        cases = cases.filter(number__in=list(query.ids))
    else:
        if query.service_codes:
            cases = cases.filter(case_class__code__in=list(query.service_codes))
        if query.start:
            cases = cases.filter(reported_at__gte=query.start)
        if query.end:
            cases = cases.filter(reported_at__lte=query.end)
        wanted = set(query.statuses)
        if wanted == {status.OPEN}:
            cases = cases.exclude(state__in=_final())
        elif wanted == {status.CLOSED}:
            cases = cases.filter(state__in=_final())
    offset = (query.page - 1) * query.page_size
    page = cases.order_by("-reported_at", "-id")[offset : offset + query.page_size]
    return as_requests(page, link, client)


def request_by_number(
    number: str,
    client: ApiClient | None = None,
    link: Callable[[str], str] | None = None,
) -> dict[str, Any] | None:
    found = as_requests(readable_cases(client).filter(number=number)[:1], link, client)
    return found[0] if found else None


def _final() -> list[str]:
    return [State.REJECTED, State.CLOSED, State.SELF_CLOSED, State.MERGED]


def as_requests(
    cases: Iterable[Case],
    link: Callable[[str], str] | None = None,
    client: ApiClient | None = None,
) -> list[dict[str, Any]]:
    """The cases as GeoReport v2 requests; `link` makes a path absolute (the request's
    build_absolute_uri) for media_url: the viewing copy of the first approved photo, linked only
    when the public pages list the case (their photo address serves nothing else). A listed
    case stands where the public pages put it; `client`'s own requests at their point rounded
    to POINT_DECIMALS."""
    rows = list(
        cases.select_related(
            "case_class", "street", "community", "grid", "reporter", "open311_request"
        ).prefetch_related("reporters__reporter")
        if isinstance(cases, QuerySet)
        else cases
    )
    photos = public.approved_photos(rows)
    enabled = public.enabled_settings()
    leads = {
        task.case_id: task.department
        for task in Task.objects.filter(case_id__in=[c.id for c in rows], role=Task.Role.LEAD)
        .select_related("department")
        .order_by("dispatched_at")
    }
    answer = []
    for case in rows:
        department = leads.get(case.id)
        lon, lat = _point(case, client, enabled)
        answer.append(
            {
                "service_request_id": case.number,
                "status": status.status_of(case.state),
                "extended_status": case.state,
                "status_notes": status.notes_of(case.state),
                "service_name": _name(case.case_class),
                "service_code": case.case_class.code,
                "description": public_text(case),
                "agency_responsible": _name(department) if department else "",
                "service_notice": "",
                "requested_datetime": iso(case.reported_at),
                "updated_datetime": iso(case.updated_at),
                "expected_datetime": iso(case.due_at),
                "address": f"{case.street.name}{case.community.name}",
                "address_id": "",
                "zipcode": "",
                "lat": lat,
                "long": lon,
                "media_url": _media_url(case, photos.get(case.id, []), link, enabled),
            }
        )
    return answer


def _point(case: Case, client: ApiClient | None, enabled: Any) -> tuple[float, float]:
    own = client is not None and _posted_by(case, client)
    listed = public.settings_for(case, enabled) if not own else None
    if listed is not None and public.is_listed(case, enabled):
        place = public.coarse_place(case, listed.location)
        return place.lon, place.lat
    return round(case.lon, POINT_DECIMALS), round(case.lat, POINT_DECIMALS)


def _posted_by(case: Case, client: ApiClient) -> bool:
    try:
        return case.open311_request.client_id == client.pk
    except ClientRequest.DoesNotExist:
        return False


def _media_url(
    case: Case, photos: list[Any], link: Callable[[str], str] | None, enabled: Any
) -> str:
    if not photos or link is None or not public.is_listed(case, enabled):
        return ""
    try:
        path = reverse("web:public_photo", kwargs={"photo_id": str(photos[0].id), "size": "view"})
    except NoReverseMatch:
        return ""
    return link(path)


def token_lookup(case: Case) -> dict[str, Any]:
    return {"service_request_id": case.number, "token": case.tracking_code}


# --- servicerequestupdates (mySociety's extension) ---


def updates(
    *,
    start: dt.datetime,
    end: dt.datetime,
    page: int,
    page_size: int,
    client: ApiClient | None = None,
) -> list[dict[str, Any]]:
    """Each change of state of a readable case in [start, end], oldest first: its status as
    FixMyStreet's extended states, the OneGrid state as external_status_code, and the state's
    plain words as the text (staff's own reasons stay inside: they may name people)."""
    events = (
        CaseEvent.objects.filter(case__in=readable_cases(client), at__gte=start, at__lte=end)
        .exclude(from_state=F("to_state"))
        .select_related("case")
        .order_by("at", "id")
    )
    offset = (page - 1) * page_size
    return [
        {
            "update_id": str(event.id),
            "service_request_id": event.case.number,
            "status": status.update_status_of(event.to_state),
            "external_status_code": event.to_state,
            "updated_datetime": iso(event.at),
            "description": status.notes_of(event.to_state),
            "media_url": "",
        }
        for event in events[offset : offset + page_size]
    ]
