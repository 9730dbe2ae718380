"""The monthly reports page (月度报告) /console/reports/: the PDF reports the viewer may read,
each to download, and "generate now" for a month that has ended.

Reports are written by `onegrid reports monthly` (the serve loop writes last month's once a
minute if missing) or from here; insight.reports does the work, org.policies.may_read_report
and may_generate_report decide who reads and who writes which.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onegrid.core import clock
from onegrid.core.errors import InvalidInput
from onegrid.insight import periods, reports
from onegrid.insight.measures import Scope
from onegrid.org import policies
from onegrid.territory.models import AdminUnit

from .. import access, downloads

# Months offered in the "generate now" form, counting back from the last full month.
MONTHS_OFFERED = 24
_KEY_CHARS = frozenset("0123456789")


def _streets() -> dict[str, AdminUnit]:
    # Codes, names and keys: not the boundaries, which no report page or download needs.
    units = AdminUnit.objects.filter(level=AdminUnit.Level.STREET).defer("geometry_wkb")
    return {u.code: u for u in units}


def _may_read(user, report: reports.StoredReport, streets: dict[str, AdminUnit]) -> bool:
    if report.kind == "district":
        return policies.may_read_report(user, kind="district")
    street = streets.get(report.code)
    return street is not None and policies.may_read_report(user, kind="street", street_id=street.pk)


def _writable_scopes(user, streets: dict[str, AdminUnit]) -> list[Scope]:
    """The scopes `user` may have a report written for: the district first, then streets."""
    scopes = []
    if policies.may_generate_report(user, kind="district"):
        scopes.append(reports.district_scope())
    for code in sorted(streets):
        unit = streets[code]
        if policies.may_generate_report(user, kind="street", street_id=unit.pk):
            scopes.append(Scope("street", unit.code, unit.name, unit.pk))
    return scopes


def _ended_months() -> list[periods.Period]:
    last = periods.last_full_month()
    months = [last]
    for _i in range(MONTHS_OFFERED - 1):
        months.append(months[-1].previous())
    return months


@access.page("reports")
@require_GET
def overview(request):
    return _overview(request)


def _overview(request, *, errors: dict[str, str] | None = None, status: int = 200):
    streets = _streets()
    names = {code: unit.name for code, unit in streets.items()}
    district_name = reports.scope_name(reports.district_scope())
    shown = [r for r in reports.stored_reports() if _may_read(request.user, r, streets)]
    by_month: dict[str, dict] = {}
    for report in shown:
        month = by_month.setdefault(
            report.period.key,
            {"key": report.period.key, "label": report.period.label(), "rows": []},
        )
        month["rows"].append(
            {
                "report": report,
                "name": district_name if report.kind == "district" else names[report.code],
                "written_at": timezone.localtime(report.written_at, periods.TZ),
                "url": reverse("web:report_file", args=[report.period.key, report.key]),
            }
        )
    scopes = _writable_scopes(request.user, streets)
    context = {
        "months": list(by_month.values()),
        "choices": [{"key": p.key, "label": p.label()} for p in _ended_months()],
        "scopes": [
            {
                "key": "district" if s.kind == "district" else s.code,
                "name": district_name if s.kind == "district" else s.name,
            }
            for s in scopes
        ],
        "errors": errors or {},
        "chosen": {
            "month": request.POST.get("month", "") if errors else "",
            "scope": request.POST.get("scope", "") if errors else "",
        },
    }
    return render(request, "web/reports/list.html", context, status=status)


@access.page("reports")
@require_GET
def report_file(request, month: str, key: str):
    """One stored report as a PDF download, to those who may read it."""
    if len(month) != 7 or len(key) > 12:
        raise Http404(month)
    report = reports.find_report(month, key)
    if report is None:
        raise Http404(key)
    streets = _streets()
    if not _may_read(request.user, report, streets):
        return access.forbidden(request)
    if report.kind == "district":
        name = reports.scope_name(reports.district_scope())
    else:
        name = streets[report.code].name
    response = FileResponse(report.path.open("rb"), content_type="application/pdf")
    filename = _("%(scope)s monthly report %(month)s.pdf") % {"scope": name, "month": month}
    # A download, not inline: browsers' PDF viewers may refuse a page under our CSP.
    response["Content-Disposition"] = downloads.content_disposition(filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _chosen(request) -> tuple[periods.Period | None, Scope | None, dict[str, str]]:
    """The month and the scope of the "generate now" form, or the errors naming the field."""
    errors: dict[str, str] = {}
    period = scope = None
    raw_month = request.POST.get("month", "").strip()
    if not raw_month:
        errors["month"] = _("month: choose a month.")
    else:
        try:
            period = periods.parse_period({"month": raw_month})
        except InvalidInput as error:
            errors["month"] = str(error.message)
    if period is not None and period.end > clock.now():
        errors["month"] = _("month: %(month)s has not ended yet.") % {"month": period.label()}
    raw_scope = request.POST.get("scope", "").strip()
    if raw_scope == "district":
        scope = reports.district_scope()
    elif raw_scope and len(raw_scope) <= 12 and set(raw_scope) <= _KEY_CHARS:
        scope = reports.street_scope(raw_scope)
    if scope is None:
        errors["scope"] = _("scope: choose the district or one of its streets.")
    return period, scope, errors


@access.page("reports")
@require_POST
def generate(request):
    """Write one monthly report now (replacing an earlier one of the same month and scope)."""
    period, scope, errors = _chosen(request)
    if errors or period is None or scope is None:
        return _overview(request, errors=errors, status=400)
    if not policies.may_generate_report(request.user, kind=scope.kind, street_id=scope.pk):
        return access.forbidden(request)
    started = time.monotonic()
    try:
        reports.generate_monthly(period, [scope], wait=False)
    except reports.Busy:
        messages.error(request, _("Another report is being written now; try again in a minute."))
        return redirect(reverse("web:reports"))
    except reports.ReportFontMissing as error:
        messages.error(request, str(error))
        return redirect(reverse("web:reports"))
    seconds = time.monotonic() - started
    messages.success(
        request,
        _("The report of %(scope)s for %(month)s is written (%(seconds).1f s).")
        % {"scope": reports.scope_name(scope), "month": period.label(), "seconds": seconds},
    )
    return redirect(reverse("web:reports"))


routes = [
    path("console/reports/", overview, name="reports"),
    path("console/reports/generate/", generate, name="reports_generate"),
    path("console/reports/<str:month>/<str:key>.pdf", report_file, name="report_file"),
]
