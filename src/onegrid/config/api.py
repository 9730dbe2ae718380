"""The JSON API at /api/v1: routers from each app, auth, and errors as translated 4xx JSON."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from onegrid.cases.api import router as cases_router
from onegrid.core import api_errors, jsonlimits
from onegrid.core.errors import DomainError, InvalidInput
from onegrid.deliberation.api import router as deliberation_router
from onegrid.deliberation.api_ballots import router as ballots_router
from onegrid.deliberation.api_decisions import router as decisions_router
from onegrid.insight.api import router as insight_router
from onegrid.insight.governance_api import router as governance_router
from onegrid.insight.hotspots_api import router as hotspots_router
from onegrid.insight.participation_api import router as participation_router
from onegrid.mediation.api import router as mediation_router
from onegrid.mediation.api_advice import router as legal_advice_router
from onegrid.mediation.api_agreements import router as agreements_router
from onegrid.mediation.api_risks import router as risks_router
from onegrid.mediation.api_screening import router as screening_router
from onegrid.notify.api import router as notify_router
from onegrid.org.addresses_api import router as addresses_router
from onegrid.org.api import router as auth_router
from onegrid.org.auth import API_AUTH
from onegrid.org.teams_api import router as teams_router
from onegrid.party.api import router as party_router
from onegrid.party.api_centres import router as centres_router
from onegrid.party.api_report_ins import router as report_ins_router
from onegrid.residents.api import router as residents_router
from onegrid.smart.api import router as smart_router
from onegrid.territory.api import router as territory_router
from onegrid.volunteers.api import router as volunteers_router
from onegrid.volunteers.community_api import router as community_router
from onegrid.volunteers.points_api import router as points_router

from . import http_errors


class ReadableJSON(JSONRenderer):
    # Chinese text stays readable in responses instead of \uXXXX escapes.
    json_dumps_params = {"ensure_ascii": False}


class CheckedJSONParser(Parser):
    """JSON bodies with their nesting bounded (core.jsonlimits): a body nested thousands of
    levels deep is a 400, not a RecursionError. No text of a body, form or query may hold a NUL
    character: PostgreSQL cannot store or even compare one, so it is a 422 naming the field
    here, before any query, in every operation alike."""

    def parse_body(self, request):
        body = jsonlimits.loads(request.body, field="body")
        _refuse_nul(body, "body")
        return body

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            _refuse_nul(key, key)
            for value in values:
                _refuse_nul(value, key)
        return super().parse_querydict(data, list_fields, request)


def _refuse_nul(value: Any, field: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(
                _("%(field)s may not contain a NUL character.") % {"field": field},
                field=field,
                code="nul_character",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, field)
            _refuse_nul(item, key if field == "body" else field)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item, field)


class OneGridAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        # Each declared error status says when it is answered.
        return api_errors.describe(super().get_openapi_schema(*args, **kwargs))


api = OneGridAPI(
    parser=CheckedJSONParser(),
    renderer=ReadableJSON(),
    title="OneGrid API",
    version="1",
    urls_namespace="api",
    auth=API_AUTH,
    description="一网 OneGrid: report, dispatch, handle, check and close grid cases. "
    "Coordinates are WGS-84 unless a field says otherwise; times are ISO 8601 (+08:00).",
)
api.add_router("/auth", auth_router)
api.add_router("/", cases_router)
api.add_router("/", territory_router)
api.add_router("/", teams_router)
api.add_router("/", addresses_router)
api.add_router("/", community_router)
api.add_router("/smart", smart_router)
api.add_router("/insight", insight_router)
api.add_router("/insight/hotspots", hotspots_router)
api.add_router("/insight", participation_router)
api.add_router("/insight", governance_router)
api.add_router("/notifications", notify_router)
api.add_router("/residents", residents_router)
api.add_router("/points", points_router)
api.add_router("/volunteers", volunteers_router)
api.add_router("/party", party_router)
api.add_router("/party", report_ins_router)
api.add_router("/party", centres_router)
api.add_router("/mediation", mediation_router)
api.add_router("/mediation", screening_router)
api.add_router("/mediation", risks_router)
api.add_router("/mediation", legal_advice_router)
api.add_router("/mediation", agreements_router)
api.add_router("/deliberation", deliberation_router)
api.add_router("/deliberation", decisions_router)
api.add_router("/deliberation", ballots_router)

PROBLEMS = {
    "missing": lambda: _("is required"),
    "float_parsing": lambda: _("must be a number"),
    "float_type": lambda: _("must be a number"),
    "int_parsing": lambda: _("must be a whole number"),
    "int_type": lambda: _("must be a whole number"),
    "bool_parsing": lambda: _("must be true or false"),
    "datetime_parsing": lambda: _("must be a date and time (ISO 8601)"),
    "datetime_from_date_parsing": lambda: _("must be a date and time (ISO 8601)"),
    "string_type": lambda: _("must be text"),
    "finite_number": lambda: _("must be a finite number"),
    "json_invalid": lambda: _("is not valid JSON"),
    "greater_than_equal": lambda: _("is too small"),
    "greater_than": lambda: _("is too small"),
    "less_than_equal": lambda: _("is too large"),
    "less_than": lambda: _("is too large"),
    "string_too_long": lambda: _("is too long"),
    "string_too_short": lambda: _("is too short"),
    "string_pattern_mismatch": lambda: _("contains characters that are not allowed"),
}


def _field_of(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file")]
    # Ninja nests a schema parameter under its argument name ("form", "query", "body").
    if len(parts) > 1 and parts[0] in ("form", "query", "body", "payload"):
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    errors = []
    for error in exc.errors:
        field = _field_of(error.get("loc", ()))
        problem = PROBLEMS.get(error.get("type", ""), lambda: _("is not valid"))()
        errors.append({"field": field, "message": f"{field}: {problem}"})
    first = errors[0] if errors else {"field": "body", "message": _("The request is not valid.")}
    return api.create_response(
        request,
        {
            "code": "invalid_input",
            "message": first["message"],
            "field": first["field"],
            "errors": errors,
        },
        status=422,
    )


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(
        request,
        {
            "code": "unauthenticated",
            "message": _("Sign in first: the token is missing, wrong or expired."),
            "field": "Authorization",
        },
        status=401,
    )


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # Ninja raises HttpError for a body its parser refused (400, the parser's error as cause)
    # and for a failed CSRF check of a session caller (403); its own messages are English only.
    if isinstance(exc.__cause__, DomainError):
        return domain_error(request, exc.__cause__)
    if isinstance(exc, Throttled):
        wait = max(1, math.ceil(exc.wait or 1))
        body = {
            "code": "throttled",
            "message": _("Too many requests: wait %(n)d seconds and try again.") % {"n": wait},
            "field": None,
            "retry_after": wait,
        }
    elif exc.status_code == 403:
        body = {
            "code": "csrf_failed",
            "message": _("The page's security token is missing or old: reload the page."),
            "field": None,
        }
    else:
        code, message = http_errors.for_status(exc.status_code)
        body = {"code": code, "message": message, "field": None}
    return api.create_response(request, body, status=exc.status_code)


def reading_error(request: HttpRequest, exc: Any) -> HttpResponse:
    """A body Django refused while reading it (too large, too many parts, broken multipart)."""
    status, body = http_errors.for_exception(exc) or (400, {"code": "bad_request"})
    return api.create_response(request, body, status=status)


for _refused in (
    SuspiciousOperation,
    BadRequest,
    MultiPartParserError,
    PermissionDenied,
    Http404,
):
    api.add_exception_handler(_refused, reading_error)
