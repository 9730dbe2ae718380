"""双报到 pages: the Party-organisation staff's page (/party/report-ins/: pending report-ins to
confirm or decline, and those confirmed, by community) and a member's own "report in to my
home community" (/resident/report-in/, for a signed-in account linked to a Party member).
Routes in `routes`.

The same use cases as the API (party/api_report_ins.py), through party.report_ins; members'
names reach only Party-organisation staff over the community, and each such page is logged by
the selectors (PARTY_MEMBERSHIP).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core.errors import DomainError, NotFound
from onegrid.party import report_ins
from onegrid.party.models import ReportIn
from onegrid.party.report_in_selectors import own_report_in, report_ins_for_staff

from ..access import page


def _staff_page(request, *, error: DomainError | None = None, status: int = 200):
    pending = report_ins_for_staff(request.user, state=ReportIn.State.PENDING, path=request.path)
    confirmed = report_ins_for_staff(
        request.user, state=ReportIn.State.CONFIRMED, path=request.path
    )
    by_community: dict[str, list[object]] = {}
    for row in confirmed:
        by_community.setdefault(row.community, []).append(row)
    return render(
        request,
        "web/party/report_ins.html",
        {
            "active_page": "report_ins",
            "pending": pending,
            "by_community": sorted(by_community.items()),
            "error": error,
        },
        status=status,
    )


@page("report_ins")
@require_GET
def staff(request):
    return _staff_page(request)


def _decide(request, report_in_id: str, act):
    text = report_in_id.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise Http404(_("No such report-in."))
    try:
        act(int(text))
    except NotFound:
        raise Http404(_("No such report-in.")) from None
    except DomainError as e:
        return _staff_page(request, error=e, status=e.status)
    messages.success(request, _("Saved."))
    return redirect("web:report_ins")


@page("report_ins")
@require_POST
def confirm(request, report_in_id: str):
    return _decide(
        request,
        report_in_id,
        lambda pk: report_ins.confirm(actor=request.user, report_in=pk),
    )


@page("report_ins")
@require_POST
def decline(request, report_in_id: str):
    return _decide(
        request,
        report_in_id,
        lambda pk: report_ins.decline(
            actor=request.user, report_in=pk, reason=request.POST.get("reason", "")
        ),
    )


@page("report_ins")
@require_POST
def end(request, report_in_id: str):
    return _decide(
        request,
        report_in_id,
        lambda pk: report_ins.end(actor=request.user, report_in=pk),
    )


@page("resident")
@require_http_methods(["GET", "POST"])
def mine(request):
    """A member's own report-in to their home community: its state, or the button."""
    member, last = own_report_in(request.user)
    error = None
    if request.method == "POST":
        if member is None:
            raise Http404(_("Your account is not linked to a Party member."))
        try:
            report_ins.report_in_member(
                actor=request.user,
                member=member,
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except DomainError as e:
            error = e
        else:
            messages.success(request, _("Reported in: the community will confirm it."))
            return redirect("web:my_report_in")
    live = last is not None and last.state in (ReportIn.State.PENDING, ReportIn.State.CONFIRMED)
    return render(
        request,
        "web/resident/report_in.html",
        {
            "active_page": "resident",
            "member": member,
            "last": last,
            "live": live,
            "error": error,
            "idempotency_key": uuid.uuid4().hex,
        },
        status=422 if error is not None else 200,
    )


routes = [
    path("party/report-ins/", staff, name="report_ins"),
    path("party/report-ins/<str:report_in_id>/confirm/", confirm, name="report_in_confirm"),
    path("party/report-ins/<str:report_in_id>/decline/", decline, name="report_in_decline"),
    path("party/report-ins/<str:report_in_id>/end/", end, name="report_in_end"),
    path("resident/report-in/", mine, name="my_report_in"),
]
