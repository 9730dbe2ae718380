"""Every failure under /api/ answers JSON `{code, message, field}` in the caller's language.

Errors raised inside an API view are turned into JSON by the NinjaAPI's exception handlers
(config/api.py, using `for_exception` below). Some failures never reach a view or happen
around it: a URL no route matches (404), a method the route does not take (ninja's bare 405),
an exception Django turns into its HTML 400/403/500 page, a refused Host header. The middleware
here replaces any such non-JSON error response under /api/ by the JSON error for its status, so
an app client never has to read HTML.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(status: int, code: str, message, field: str | None = None, **extra) -> JsonResponse:
    body = {"code": code, "message": str(message), "field": field, **extra}
    # Chinese text stays readable, as in every other API answer.
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _megabytes(size: int | None) -> str:
    return f"{(size or 0) / (1024 * 1024):.1f}"


def for_exception(exc: Exception) -> tuple[int, dict] | None:
    """(status, body) for a client error Django raises while reading a request, or None."""
    if isinstance(exc, RequestDataTooBig):
        message = _("The request is too large: at most %(size)s MB of form fields or JSON.") % {
            "size": _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        }
        return 413, {"code": "too_large", "message": message, "field": "body"}
    if isinstance(exc, TooManyFieldsSent):
        message = _("The request has too many fields: at most %(count)d.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
        return 400, {"code": "too_many_fields", "message": message, "field": "body"}
    if isinstance(exc, TooManyFilesSent):
        message = _("The request has too many files: at most %(count)d.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
        return 400, {"code": "too_many_files", "message": message, "field": "photos"}
    if isinstance(exc, MultiPartParserError):
        message = _("The request body is not a readable multipart form.")
        return 400, {"code": "bad_form", "message": message, "field": "body"}
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        return 400, {"code": "bad_request", "message": _BY_STATUS[400][1](), "field": None}
    if isinstance(exc, PermissionDenied):
        return 403, {"code": "forbidden", "message": _BY_STATUS[403][1](), "field": None}
    if isinstance(exc, Http404):
        return 404, {"code": "not_found", "message": _BY_STATUS[404][1](), "field": None}
    return None


# The JSON error for a bare status, when all that is known of a failure is its status code.
_BY_STATUS = {
    400: ("bad_request", lambda: _("The request could not be read.")),
    401: ("unauthenticated", lambda: _("Sign in first: the token is missing, wrong or expired.")),
    403: ("forbidden", lambda: _("You may not do this.")),
    404: ("not_found", lambda: _("There is nothing at this address of the API.")),
    405: ("method_not_allowed", lambda: _("This address of the API does not take this method.")),
    413: ("too_large", lambda: _("The request is too large.")),
    500: ("server_error", lambda: _("Something went wrong on the server. Try again later.")),
}


def for_status(status: int) -> tuple[str, str]:
    if status in _BY_STATUS:
        code, message = _BY_STATUS[status]
    elif status >= 500:
        code, message = _BY_STATUS[500]
    else:
        code, message = _BY_STATUS[400]
    return code, message()


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().endswith("json")


class JsonErrorsUnderApi:
    """Replace a non-JSON error response under /api/ by the JSON error for its status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request) or _is_json(response):
            return response
        code, message = for_status(response.status_code)
        replacement = json_error(response.status_code, code, message)
        # The inner middleware's headers (Allow, X-Frame-Options, Vary…) and cookies stay.
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                replacement[header] = value
        replacement.cookies = response.cookies
        return replacement
