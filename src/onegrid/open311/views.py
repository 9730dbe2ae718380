"""The GeoReport v2 endpoints under /open311/v2/: thin — parse, call one service or selector,
render in the format the path ends with (.json or .xml).

Errors are the spec's list of {code, description} with the HTTP status as code: 400 bad input
(the description names the field), 403 a missing, unknown or revoked api_key, 404 an unknown
service, request, token or jurisdiction, 409 an idempotency key reused for another request,
413 a body too large, 429 too many calls (Retry-After), 405 a wrong method."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from onegrid.cases import selectors as case_selectors
from onegrid.cases import tracking
from onegrid.core import clock
from onegrid.core.errors import DomainError, InvalidInput, NotFound
from onegrid.org.throttling import client_address, minute_wait

from . import formats, selectors, services, status
from .models import ApiClient

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-05T00:00:00+08:00"
MAX_IDS = 100
MAX_PAGE = 10_000
REQUESTS_PAGE_SIZE = (50, 100)  # default, most
UPDATES_PAGE_SIZE = (100, 500)
UPDATES_DEFAULT_HOURS = 24
REQUESTS_DEFAULT_DAYS = 90
_DIGITS = re.compile(r"^[0-9]{1,6}$", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Throttled(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[View], View]:
    """Allowed methods, and every failure answered in the spec's error format."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            response = answer(request, fmt, **kwargs)
            if request.method in ("GET", "HEAD"):
                # Public, read-only and cookie-free: any web page may read it.
                response["Access-Control-Allow-Origin"] = "*"
            return response

        def answer(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            allowed = (*methods, "HEAD") if "GET" in methods else methods
            if request.method not in allowed:
                response = formats.error_response(
                    fmt,
                    405,
                    _("Method %(method)s is not allowed here.") % {"method": request.method},
                )
                response["Allow"] = ", ".join(allowed)
                return response
            try:
                return view(request, fmt, **kwargs)
            except DomainError as error:
                code = 400 if isinstance(error, InvalidInput) else error.status
                return formats.error_response(fmt, code, _described(error))
            except Throttled as error:
                response = formats.error_response(
                    fmt, 429, _("Too many requests: try again in a minute.")
                )
                response["Retry-After"] = str(error.seconds)
                return response
            except RequestDataTooBig:
                return formats.error_response(fmt, 413, _("The request body is too large."))
            except (MultiPartParserError, SuspiciousOperation, UnicodeDecodeError):
                return formats.error_response(fmt, 400, _("The request body cannot be read."))

        return wrapped

    return decorate


def _described(error: DomainError) -> str:
    message = str(error.message)
    if error.field and not message.startswith(error.field):
        return f"{error.field}: {message}"
    return message


# --- parameters ---


def _param(data: Any, name: str, limit: int = 200) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        value = ""
    if _CONTROL.search(value):
        raise InvalidInput(
            _("%(field)s may not contain control characters.") % {"field": name}, field=name
        )
    if len(value) > limit:
        raise InvalidInput(
            _("%(field)s is longer than %(n)d characters.") % {"field": name, "n": limit},
            field=name,
        )
    return value.strip()


def _list(data: Any, name: str, *, most: int = MAX_IDS, limit: int = 40) -> list[str]:
    parts = [p.strip() for p in _param(data, name, most * (limit + 1)).split(",") if p.strip()]
    if len(parts) > most:
        raise InvalidInput(
            _("%(field)s lists at most %(n)d values.") % {"field": name, "n": most}, field=name
        )
    for part in parts:
        if len(part) > limit:
            raise InvalidInput(
                _("%(field)s: a value is longer than %(n)d characters.")
                % {"field": name, "n": limit},
                field=name,
            )
    return parts


def _moment(data: Any, name: str, *, end: bool = False) -> dt.datetime | None:
    text = _param(data, name, 40)
    if not text:
        return None
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment, day = None, None
    if moment is None and day is not None:
        moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(
            _("%(field)s must be a W3C date and time with its offset (2026-03-10T09:30:00+08:00).")
            % {"field": name},
            field=name,
        )
    return moment


def _number(data: Any, name: str, default: int, most: int) -> int:
    text = _param(data, name, 10)
    if not text:
        return default
    if not _DIGITS.match(text) or not 1 <= int(text) <= most:
        raise InvalidInput(
            _("%(field)s must be a whole number from 1 to %(n)d.") % {"field": name, "n": most},
            field=name,
        )
    return int(text)


def _jurisdiction(data: Any, client: ApiClient | None = None) -> None:
    given = _param(data, "jurisdiction_id", 40)
    if not given:
        return
    known = {settings.ONEGRID["DISTRICT_CODE"]}
    if client is not None:
        known.add(client.jurisdiction.code)
    if given not in known:
        raise NotFound(
            _("jurisdiction_id %(id)s is not served here.") % {"id": given[:40]},
            field="jurisdiction_id",
        )


def _reader(request: HttpRequest) -> ApiClient | None:
    """A GET's api_key is optional: given, it must be valid (and shows the client's own)."""
    key = _param(request.GET, "api_key", 200) or request.headers.get("X-Api-Key", "")
    client = services.authenticate(key) if key else None
    _throttle(
        f"r:{client.pk}" if client else f"a:{client_address(request)}",
        settings.ONEGRID["OPEN311_READS_PER_MINUTE"],
    )
    return client


def _throttle(who: str, per_minute: int) -> None:
    wait = minute_wait(f"open311:{who}", per_minute)
    if wait:
        raise Throttled(wait)


# --- endpoints ---


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:root"))
    return formats.respond(
        fmt,
        {
            "changeset": CHANGESET,
            "contact": settings.ONEGRID["OPEN311_CONTACT"],
            "key_service": _("Ask the district's administrators for an Open311 API key."),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base.rstrip("/"),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        root="discovery",
    )


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    client = _reader(request)
    _jurisdiction(request.GET, client)
    return formats.respond(fmt, selectors.services(), root="services", item="service")


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    client = _reader(request)
    _jurisdiction(request.GET, client)
    # A code that cannot be one (too long, a NUL or other control character, which PostgreSQL
    # cannot even compare) names no service and is not sent to the database.
    known = len(code) <= 20 and not _CONTROL.search(code)
    definition = selectors.service_definition(code) if known else None
    if definition is None:
        raise NotFound(
            _("service_code %(code)s is not a service here.") % {"code": code[:20]},
            field="service_code",
        )
    return formats.respond(fmt, definition, root="service_definition")


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    client = _reader(request)
    _jurisdiction(request.GET, client)
    ids = _list(request.GET, "service_request_id", limit=32)
    start = _moment(request.GET, "start_date")
    end = _moment(request.GET, "end_date", end=True)
    if start and end and start > end:
        raise InvalidInput(_("start_date is after end_date."), field="start_date")
    if not ids and start is None and end is None:
        start = clock.now() - dt.timedelta(days=REQUESTS_DEFAULT_DAYS)
    statuses = _list(request.GET, "status", most=2, limit=10)
    for value in statuses:
        if value not in ("open", "closed"):
            raise InvalidInput(_("status must be open or closed."), field="status")
    query = selectors.RequestQuery(
        ids=ids,
        service_codes=_list(request.GET, "service_code", limit=20),
        start=start,
        end=end,
        statuses=statuses,
        page=_number(request.GET, "page", 1, MAX_PAGE),
        page_size=_number(request.GET, "page_size", *REQUESTS_PAGE_SIZE),
    )
    found = selectors.find_requests(query, client, request.build_absolute_uri)
    return formats.respond(fmt, found, root="service_requests", item="request")


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    client = services.authenticate(
        _param(data, "api_key", 200) or request.headers.get("X-Api-Key", "")
    )
    _throttle(f"p:{client.pk}", settings.ONEGRID["OPEN311_POSTS_PER_MINUTE"])
    _jurisdiction(data, client)
    attributes: dict[str, list[str]] = {}
    for name in data:
        match = re.fullmatch(r"attribute\[([^\[\]]{1,60})\](\[\])?", name)
        if match:
            attributes.setdefault(match.group(1), []).extend(data.getlist(name))
        elif name.startswith("attribute"):
            raise InvalidInput(
                _("%(field)s: send attributes as attribute[code]=value.") % {"field": name[:60]},
                field="attribute",
            )
    form = services.RequestForm(
        service_code=data.get("service_code", ""),
        lat=data.get("lat", ""),
        long=data.get("long", ""),
        address_string=data.get("address_string", ""),
        address_id=data.get("address_id", ""),
        email=data.get("email", ""),
        device_id=data.get("device_id", ""),
        account_id=data.get("account_id", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        phone=data.get("phone", ""),
        description=data.get("description", ""),
        media_url=data.get("media_url", ""),
        attributes=attributes,
    )
    outcome = services.submit_request(
        client=client,
        form=form,
        media=request.FILES.getlist("media"),
        idempotency_key=request.headers.get("Idempotency-Key") or data.get("idempotency_key"),
    )
    case = outcome.case
    answer = {
        "service_request_id": case.number,
        "token": case.tracking_code,
        "service_notice": status.notes_of(case.state),
        "account_id": _param(data, "account_id", 100),
    }
    return formats.respond(
        fmt,
        [answer],
        root="service_requests",
        item="request",
        status=200 if outcome.replayed else 201,
    )


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    client = _reader(request)
    _jurisdiction(request.GET, client)
    found = (
        selectors.request_by_number(number, client, request.build_absolute_uri)
        if len(number) <= 32 and not _CONTROL.search(number)
        else None
    )
    if found is None:
        raise NotFound(
            _("service_request_id %(id)s is not a request here.") % {"id": number[:32]},
            field="service_request_id",
        )
    return formats.respond(fmt, [found], root="service_requests", item="request")


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    client = _reader(request)
    _jurisdiction(request.GET, client)
    code = tracking.normalise(token)
    case = case_selectors.case_by_tracking_code(code) if code else None
    if case is None:
        raise NotFound(_("token %(token)s is not known.") % {"token": token[:40]}, field="token")
    return formats.respond(
        fmt, [selectors.token_lookup(case)], root="service_requests", item="request"
    )


@endpoint("GET")
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    client = _reader(request)
    _jurisdiction(request.GET, client)
    given_end = _moment(request.GET, "end_date", end=True)
    end = given_end or clock.now()
    start = _moment(request.GET, "start_date") or end - dt.timedelta(hours=UPDATES_DEFAULT_HOURS)
    if given_end and start > given_end:
        raise InvalidInput(_("start_date is after end_date."), field="start_date")
    found = selectors.updates(
        start=start,
        end=end,
        page=_number(request.GET, "page", 1, MAX_PAGE),
        page_size=_number(request.GET, "page_size", *UPDATES_PAGE_SIZE),
        client=client,
    )
    return formats.respond(fmt, found, root="service_request_updates", item="request_update")


def root(request: HttpRequest) -> HttpResponse:
    """/open311/v2/ itself: the discovery document, as JSON."""
    return discovery(request, formats.JSON)


def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /open311/v2/: a 404 in the spec's format (JSON unless .xml)."""
    fmt = formats.XML if rest.endswith(".xml") else formats.JSON
    return formats.error_response(fmt, 404, _("No such Open311 resource."))
