"""The answer to a sign-in refused by throttling (django-axes' AXES_LOCKOUT_CALLABLE).

The token endpoint gets a JSON 429 `{code, message, field}`; the login page and
/admin/login/ get the login page again with the message. Both carry Retry-After.
"""

from __future__ import annotations

import math

from django.utils.translation import ngettext

from onegrid.org import throttling
from onegrid.web.views.account import sign_in_refused

from . import http_errors


def locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins for this account or from this address. "
        "Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this account or from this address. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    seconds = max(1, throttling.seconds_locked(request, credentials))
    message = locked_message(seconds)
    if http_errors.is_api(request):
        response = http_errors.json_error(
            429, "too_many_attempts", message, field="password", retry_after=seconds
        )
    else:
        response = sign_in_refused(request, message)
    response["Retry-After"] = str(seconds)
    return response
