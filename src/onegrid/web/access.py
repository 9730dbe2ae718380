"""The doors of the pages (who may open which is org.policies.may_open_page), and where each
person lands after signing in.

Pages only gate the door: what a page then shows comes from the same scoped selectors and
org.policies as the API, so a page never shows more than the API would.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse

from onegrid.org import policies
from onegrid.org.models import User

# First match wins: a person with several roles lands on the page of their main work (the
# measures page for those who steer by the figures: org.policies.LANDING_ROLES).
LANDING_ORDER = [
    "inbox",
    "measures",
    "console",
    "map",
    "hotspots",
    "field",
    "reports",
    "party",
    "centres",
    "report_ins",
    "resident",
    "volunteering",
    "organiser",
    "counter",
    "points",
    "deliberation",
    "resident_deliberation",
    "governance",
    "mediation",
    # Screening, risks and legal advice (mediation): a legal adviser's work is /legal/.
    "screening",
    "risks",
    "legal",
    "resident_legal",
    # The judicial office's and administrators' page of advisers and late answers.
    "legal_advisers",
]


def may_use(user: User, page: str) -> bool:
    """Which roles open which page is org.policies.PAGE_ROLES, decided there."""
    return policies.may_open_page(user, page)


def pages_for(user: User) -> list[str]:
    return [page for page in LANDING_ORDER if may_use(user, page)]


def landing_url(user: User) -> str:
    landing = policies.landing_page(user, LANDING_ORDER)
    return reverse(f"web:{landing}") if landing else reverse("web:account")


def login_redirect(request):
    query = {"next": request.get_full_path()}
    # A session cookie that no longer signs anyone in means the session ran out.
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        query["expired"] = "1"
    return redirect(f"{reverse('web:login')}?{urlencode(query)}")


def signed_in(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return login_redirect(request)
        return view(request, *args, **kwargs)

    return wrapped


def page(name: str):
    """Only people holding one of the page's roles may open it; others get a 403 page."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return login_redirect(request)
            if not may_use(request.user, name):
                return forbidden(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def forbidden(request):
    return render(request, "web/forbidden.html", {"home": landing_url(request.user)}, status=403)
