"""Report a problem: a signed-in resident (/resident/report/, cases.services.report_case) or
anyone without an account (/report/, cases.services.report_anonymously).

One form for both: the class, the place (the phone's GPS or a tap on the map; the coordinates
can also be typed), photos, a description and an address. The form carries an idempotency key
made when it was drawn, so a double tap or a retried post files one report. Anonymous reports
are limited per client address (residents.services.report_anonymously).
"""

from __future__ import annotations

import math
import re
import uuid

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onegrid.cases import selectors as case_selectors
from onegrid.cases import services as case_services
from onegrid.core.errors import DomainError, InvalidInput
from onegrid.org.throttling import client_address
from onegrid.residents import services as resident_services
from onegrid.territory import locator

from .. import access

FIELDS = ("class_code", "description", "address", "lon", "lat", "reporter_phone")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters(values: dict, fields: tuple[str, ...]) -> None:
    """NUL and other control characters (a tab and line breaks aside) in typed text: a 422
    naming the field, before any service sees them (PostgreSQL refuses NUL in text)."""
    for name in fields:
        if _CONTROL.search(values.get(name, "")):
            raise InvalidInput(_("This text holds characters that cannot be stored."), field=name)


def _classes() -> list[dict]:
    """The active classes grouped by major class, for the picker."""
    groups: dict[str, dict] = {}
    for cls in case_selectors.active_classes():
        group = groups.setdefault(cls.major.code, {"major": cls.major, "classes": []})
        group["classes"].append(cls)
    return list(groups.values())


def _map_config() -> dict:
    options = settings.ONEGRID
    bounds = getattr(locator.locator.snapshot(), "bounds", None)
    return {
        "tileUrl": options.get("MAP_TILE_URL", ""),
        "tileAttribution": options.get("MAP_TILE_ATTRIBUTION", ""),
        "bounds": [round(float(v), 6) for v in bounds] if bounds else None,
    }


def _number(text: str, field: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text) if text.isascii() and len(text) <= 32 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(_("Give the place as a number."), field=field)
    return value


def _place(values: dict) -> tuple[float, float]:
    """The report's point from the form. A missing one is said in the form's own words (the
    service's answer speaks of the API's fields, lon/lat or address_code, which this form
    does not have)."""
    lon = _number(values["lon"], "lon")
    lat = _number(values["lat"], "lat")
    if lon is None and lat is None:
        raise InvalidInput(
            _("Say where the problem is: use my location, tap the map, or type the coordinates."),
            field="lon",
        )
    if lon is None or lat is None:
        missing = "lon" if lon is None else "lat"
        raise InvalidInput(_("Give both the longitude and the latitude."), field=missing)
    return lon, lat


def _form_context(request, values: dict, anonymous: bool) -> dict:
    return {
        "values": values,
        "errors": {},
        "groups": _classes(),
        "map_config": _map_config(),
        "anonymous": anonymous,
        "key": values.get("idempotency_key") or uuid.uuid4().hex,
        "max_photo_mb": settings.ONEGRID["PHOTO_MAX_BYTES"] // (1024 * 1024),
        "place_strings": {
            "locating": _("Finding your location…"),
            "set": _("Place set: %(lon)s, %(lat)s"),
            "outside": _("That place is outside the district: tap the map where the problem is."),
            "failed": _("Could not get your location: tap the map, or type the coordinates."),
        },
        "active_page": "resident",
    }


def _refused(request, context: dict, error: DomainError):
    context["errors"] = {error.field or "form": str(error.message)}
    response = render(request, "web/resident/report_form.html", context, status=error.status)
    if isinstance(error, resident_services.TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def _values(request) -> dict:
    post = request.POST
    values = {k: post.get(k, "") for k in FIELDS}
    values["idempotency_key"] = post.get("idempotency_key", "")
    return values


@require_http_methods(["GET", "POST"])
@access.page("resident")
def resident_report(request):
    values = _values(request) if request.method == "POST" else {}
    context = _form_context(request, values, anonymous=False)
    if request.method == "GET":
        return render(request, "web/resident/report_form.html", context)
    try:
        refuse_control_characters(values, FIELDS)
        lon, lat = _place(values)
        outcome = case_services.report_case(
            actor=request.user,
            lon=lon,
            lat=lat,
            class_code=values["class_code"],
            description=values["description"],
            address=values["address"],
            photo_files=request.FILES.getlist("photos"),
            idempotency_key=values["idempotency_key"],
        )
    except DomainError as error:
        return _refused(request, context, error)
    return redirect(reverse("web:resident_report", args=[outcome.case.tracking_code]))


def status_url(tracking_code: str) -> str:
    """The public status page of a report (residents' public pages), by tracking code."""
    return reverse("web:public_report", args=[tracking_code])


@require_http_methods(["GET", "POST"])
def anonymous_report(request):
    """/report/: no account. Answers with the tracking code and the status page's link. A
    signed-in resident is sent to their own form (the report is then theirs to follow)."""
    if request.method == "GET" and access.may_use(request.user, "resident"):
        return redirect("web:resident_new_report")
    values = _values(request) if request.method == "POST" else {}
    context = _form_context(request, values, anonymous=True)
    if request.method == "GET":
        return render(request, "web/resident/report_form.html", context)
    try:
        refuse_control_characters(values, FIELDS)
        lon, lat = _place(values)
        outcome = resident_services.report_anonymously(
            client_address=client_address(request),
            lon=lon,
            lat=lat,
            class_code=values["class_code"],
            description=values["description"],
            address=values["address"],
            photo_files=request.FILES.getlist("photos"),
            reporter_phone=values["reporter_phone"],
            idempotency_key=values["idempotency_key"],
        )
    except DomainError as error:
        return _refused(request, context, error)
    code = outcome.case.tracking_code
    context = {"case": outcome.case, "code": code, "status_url": status_url(code)}
    return render(request, "web/resident/reported.html", context)


routes = [
    path("resident/report/", resident_report, name="resident_new_report"),
    path("report/", anonymous_report, name="report_anonymously"),
]
