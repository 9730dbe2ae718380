"""The resident portal: register with a one-time code, sign in with a code, my reports, one
report's progress (comment, rate, reopen). Reporting a problem is web.views.resident_report.

Thin: each view parses the form, calls one residents service or selector, and renders. A
refused form is shown again with the error next to its field and what was typed still there.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from onegrid.cases import services as case_services
from onegrid.cases.rules import MAX_COMMENT
from onegrid.core.errors import DomainError, InvalidInput, NotFound
from onegrid.org.throttling import client_address
from onegrid.residents import progress, selectors, services
from onegrid.residents.services import TooManyRequests

from .. import access
from .account import _next_url
from .resident_report import refuse_control_characters

PAGE_SIZE = 50


def _error_response(request, template, context, error: DomainError) -> HttpResponse:
    context["errors"] = {error.field or "form": str(error.message)}
    response = render(request, template, context, status=error.status)
    if isinstance(error, TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def _code_sent_notice(request) -> None:
    # The same words whether or not the number has an account (residents.services); the life
    # is the setting's, as the SMS itself says it.
    minutes = settings.ONEGRID["RESIDENTS"]["CODE_LIFE_SECONDS"] // 60
    messages.info(
        request,
        ngettext(
            "If this number can receive messages, a code is on its way. It is valid for "
            "%(minutes)d minute.",
            "If this number can receive messages, a code is on its way. It is valid for "
            "%(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
    )


@require_http_methods(["GET", "POST"])
def register(request):
    """Step 1: the number, and a code sent to it; step 2: the code, a name and a password."""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(access.landing_url(request.user))
    post = request.POST
    values = {k: post.get(k, "") for k in ("phone", "display_name", "code")}
    context = {"values": values, "errors": {}, "code_sent": False}
    template = "web/resident/register.html"
    if request.method == "POST":
        try:
            if "send_code" in post:
                services.request_code(
                    phone=values["phone"],
                    purpose="register",
                    client_address=client_address(request),
                )
                _code_sent_notice(request)
                context["code_sent"] = True
                return render(request, template, context)
            if post.get("password", "") != post.get("password2", ""):
                context["errors"] = {"password2": _("The two passwords differ.")}
                return render(request, template, context, status=422)
            user = services.register(
                phone=values["phone"],
                code=values["code"],
                password=post.get("password", ""),
                display_name=values["display_name"],
            )
        except DomainError as error:
            context["code_sent"] = "send_code" not in post
            return _error_response(request, template, context, error)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("web:resident")
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def sign_in_code(request):
    """Sign in with a code sent to the number (the password sign-in is /login/)."""
    next_url = _next_url(request)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or access.landing_url(request.user))
    post = request.POST
    values = {k: post.get(k, "") for k in ("phone", "code")}
    context = {"values": values, "errors": {}, "code_sent": False, "next": next_url}
    template = "web/resident/sign_in_code.html"
    if request.method == "POST":
        try:
            if "send_code" in post:
                services.request_code(
                    phone=values["phone"],
                    purpose="sign_in",
                    client_address=client_address(request),
                )
                _code_sent_notice(request)
                context["code_sent"] = True
                return render(request, template, context)
            user = services.sign_in_with_code(
                phone=values["phone"], code=values["code"], request=request
            )
        except DomainError as error:
            # A lockout is answered here, on this page, not by axes' middleware with the
            # password form (residents.services raised it with the wait).
            request.axes_locked_out = False
            context["code_sent"] = "send_code" not in post
            return _error_response(request, template, context, error)
        login(request, user)
        return redirect(next_url or access.landing_url(user))
    return render(request, template, context)


def _report_row(item: selectors.MyReport) -> dict:
    expected = progress.expected_completion(item.followed)
    return {
        "report": item.report,
        "followed": item.followed,
        "state": progress.plain_state(item.followed),
        "expected": expected,
        "merged": item.followed.pk != item.report.pk,
        "to_rate": item.followed.state == "closed" and item.followed.rated_at is None,
    }


@access.page("resident")
def home(request):
    """My reports, newest first, each in plain words with its expected completion time."""
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    items, total = selectors.my_reports(
        request.user, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    context = {
        "rows": [_report_row(item) for item in items],
        "page": page,
        "has_next": page * PAGE_SIZE < total,
        "total": total,
        "active_page": "resident",
    }
    return render(request, "web/resident/home.html", context)


def _my_report_or_404(request, tracking_code):
    try:
        return selectors.my_report(request.user, tracking_code)
    except NotFound:
        raise Http404(_("No such report.")) from None


def _detail_context(request, item: selectors.MyReport, **extra) -> dict:
    followed = item.followed
    steps = progress.timeline(followed, request.user.pk)
    offered = selectors.offered_actions(request.user, followed)
    return {
        "item": item,
        "report": item.report,
        "followed": followed,
        "merged": followed.pk != item.report.pk,
        "state": progress.plain_state(followed),
        "expected": progress.expected_completion(followed),
        "steps": steps,
        "offered": offered,
        "satisfaction_choices": list(progress.SATISFACTION_LABELS.items()),
        "rated_as": progress.SATISFACTION_LABELS.get(followed.satisfaction, ""),
        "values": {},
        "errors": {},
        # A retried form (a double tap, a reload) carries the same key: the action runs once.
        "keys": {a: uuid.uuid4().hex for a in offered},
        "active_page": "resident",
    } | extra


@access.page("resident")
def report_page(request, tracking_code):
    item = _my_report_or_404(request, tracking_code)
    return render(request, "web/resident/report.html", _detail_context(request, item))


@require_POST
@access.page("resident")
def report_action(request, tracking_code, action):
    """Comment (with photos), rate, or reopen: the workflow table's rows, by the reporter."""
    item = _my_report_or_404(request, tracking_code)
    if action not in selectors.RESIDENT_ACTIONS:
        raise Http404(_("No such action."))
    post = request.POST
    values = {k: post.get(k, "") for k in ("reason", "satisfaction", "idempotency_key")}
    params = {"satisfaction": values["satisfaction"]} if action == "rate" else {}
    try:
        refuse_control_characters(values, ("reason", "satisfaction", "idempotency_key"))
        # cases bounds a comment's text; a rating's or reopening's reason is bounded here alike.
        if len(values["reason"]) > MAX_COMMENT:
            raise InvalidInput(_("At most %(n)d characters.") % {"n": MAX_COMMENT}, field="reason")
        case_services.perform_action(
            actor=request.user,
            case_id=item.followed.pk,
            action=action,
            reason=values["reason"],
            params=params,
            photo_files=request.FILES.getlist("photos") if action == "comment" else (),
            idempotency_key=values["idempotency_key"] or None,
        )
    except DomainError as error:
        context = _detail_context(request, item, values=values, failed=action)
        context["errors"] = {error.field or "form": str(error.message)}
        return render(request, "web/resident/report.html", context, status=error.status)
    done = {
        "comment": _("Your comment has been added."),
        "rate": _("Thank you for rating."),
        "reopen": _("Your report has been reopened."),
    }
    messages.success(request, done[action])
    return redirect(reverse("web:resident_report", args=[item.report.tracking_code]))


routes = [
    path("resident/", home, name="resident"),
    path("resident/register/", register, name="resident_register"),
    path("resident/sign-in/code/", sign_in_code, name="resident_sign_in_code"),
    path("resident/reports/<str:tracking_code>/", report_page, name="resident_report"),
    path(
        "resident/reports/<str:tracking_code>/<str:action>/",
        report_action,
        name="resident_report_action",
    ),
]
