"""The working calendar page (工作日历): the years known, a year's days, and the schedule upload.

The same use cases as `onegrid calendar` (core/management/commands/calendar.py), for
administrators and the command centre (org.policies.may_keep_calendar). An upload is always
checked first (a dry run); its report carries the checked file, signed, in an "Import" form, so
what is imported is exactly the file that was checked, and the import checks it once more.
Importing the same file twice changes nothing the second time (a retry is harmless).
"""

from __future__ import annotations

import base64

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES  # 0 is Monday, as date.weekday()
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core import clock, holiday_schedule, workdays
from onegrid.core.errors import InvalidInput
from onegrid.org import policies

from ..access import forbidden, page
from . import district_calendar
from .uploads import file_error

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_SALT = "onegrid.calendar.checked-upload"
_CHECKED_FOR_SECONDS = 2 * 3600


def _this_year() -> int:
    return timezone.localtime(clock.now(), workdays.TZ).year


def _year_param(value, default: int) -> int | None:
    if value in (None, ""):
        return default
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if holiday_schedule.FIRST_YEAR <= year <= holiday_schedule.LAST_YEAR else None


def _days(year: int) -> tuple[str, list[dict]]:
    source, days = holiday_schedule.year_days(year)
    return source, [
        {
            "day": day,
            "weekday": WEEKDAY_NAMES[day.weekday()],
            "kind": kind,
            "mark": holiday_schedule.KIND_MARKS[kind],
            "label": holiday_schedule.KIND_LABELS[kind],
            "name": name,
        }
        for day, kind, name in days
    ]


def _render(request, *, year: int, form: dict, report=None, error=None, checked="", status=200):
    this_year = _this_year()
    source, days = _days(year)
    package = workdays.package_years()
    context = {
        "active_page": "console",
        "years": [
            {"summary": s, "source_label": holiday_schedule.SOURCE_LABELS[s.source]}
            for s in holiday_schedule.year_summaries(this_year)
        ],
        "package_first": package.start,
        "package_last": package.stop - 1,
        "year": year,
        "year_source": source,
        "year_source_label": holiday_schedule.SOURCE_LABELS[source],
        "days": days,
        "may_import": policies.may_keep_calendar(request.user),
        # A city's districts keep days of their own (district_calendar): the link for those who
        # keep one.
        "district_days": district_calendar.offered(request.user),
        "form": form,
        "report": report,
        "report_years": [
            {"plan": plan, "replaces_label": holiday_schedule.SOURCE_LABELS[plan.replaces]}
            for plan in (report.years if report else [])
        ],
        "error": error,
        "checked": checked,
        "columns": holiday_schedule.COLUMNS,
    }
    return render(request, "web/calendar/overview.html", context, status=status)


def _default_year() -> int:
    # In December the year to prepare is the next one.
    now = timezone.localtime(clock.now(), workdays.TZ)
    return now.year + 1 if now.month == 12 else now.year


@page("calendar")
@require_GET
def overview(request):
    year = _year_param(request.GET.get("year"), _default_year())
    if year is None:
        return _render(
            request,
            year=_default_year(),
            form=_empty_form(),
            error=_year_error(),
            status=400,
        )
    return _render(request, year=year, form=_empty_form())


def _empty_form() -> dict:
    return {"year": "", "replace": False}


def _year_error() -> str:
    return _("The year must be between %(first)s and %(last)s.") % {
        "first": holiday_schedule.FIRST_YEAR,
        "last": holiday_schedule.LAST_YEAR,
    }


def _submitted_form(request) -> tuple[dict, int | None, str | None]:
    form = {
        "year": request.POST.get("year", "").strip(),
        "replace": bool(request.POST.get("replace")),
    }
    if not form["year"]:
        return form, None, None
    year = _year_param(form["year"], 0)
    return form, year, (None if year else _year_error())


def _run(request, *, data: bytes, filename: str, form: dict, year: int | None, dry_run: bool):
    """Check (dry run) or import a schedule file: (the report, None), or (None, the error of a
    file that cannot be read at all)."""
    try:
        report = holiday_schedule.import_schedule(
            data=data,
            filename=filename,
            year=year,
            replace=form["replace"],
            dry_run=dry_run,
            imported_by=request.user.get_username(),
        )
    except InvalidInput as exc:
        return None, str(exc.message)
    return report, None


@page("calendar")
@require_POST
def check(request):
    """Check an uploaded schedule: nothing changes; a clean file is offered for import."""
    if not policies.may_keep_calendar(request.user):
        return forbidden(request)
    form, year, year_error = _submitted_form(request)
    upload = request.FILES.get("file")
    shown_year = year or _default_year()
    error = year_error or file_error(upload, holiday_schedule.MAX_FILE_BYTES)
    if error:
        return _render(request, year=shown_year, form=form, error=error, status=400)
    data = upload.read()
    report, error = _run(
        request, data=data, filename=upload.name, form=form, year=year, dry_run=True
    )
    if error:
        return _render(request, year=shown_year, form=form, error=error, status=400)
    checked = ""
    if not report.refused:
        checked = signing.dumps(
            {
                "data": base64.b64encode(data).decode("ascii"),
                "name": upload.name,
                "year": year,
                "replace": form["replace"],
            },
            salt=_SALT,
            compress=True,
        )
    if report.years:
        shown_year = report.years[0].year
    return _render(
        request,
        year=shown_year,
        form=form,
        report=report,
        checked=checked,
        status=422 if report.refused else 200,
    )


@page("calendar")
@require_http_methods(["POST"])
def import_checked(request):
    """Import the file a dry run checked (carried signed in the report's form)."""
    if not policies.may_keep_calendar(request.user):
        return forbidden(request)
    try:
        checked = signing.loads(
            request.POST.get("checked", ""), salt=_SALT, max_age=_CHECKED_FOR_SECONDS
        )
        data = base64.b64decode(checked["data"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _render(
            request,
            year=_default_year(),
            form=_empty_form(),
            error=_("The checked file has expired or was altered: upload it again."),
            status=400,
        )
    form = {"year": str(checked["year"] or ""), "replace": bool(checked["replace"])}
    report, error = _run(
        request, data=data, filename=checked["name"], form=form, year=checked["year"], dry_run=False
    )
    if error or report.refused:
        # Something changed since the check (another import took the year): say what.
        return _render(
            request,
            year=checked["year"] or _default_year(),
            form=form,
            report=report,
            error=error,
            status=400 if error else 422,
        )
    for plan in report.years:
        if plan.unchanged:  # a repeated import, e.g. the button pressed twice
            text = _("%(year)s: the schedule already holds exactly these days.")
        else:
            text = _("%(year)s imported: %(rest)s 休, %(work)s 班.")
        messages.success(request, text % {"year": plan.year, "rest": plan.rest, "work": plan.work})
    year = report.years[0].year if report.years else _default_year()
    return redirect(f"{reverse('web:calendar')}?year={year}")


@page("calendar")
@require_GET
def export(request, year: int, fmt: str):
    """A year's days (schedule or package) as a file the import reads back."""
    if fmt not in EXPORT_TYPES or _year_param(year, 0) is None:
        raise Http404(fmt)
    if fmt == "xlsx":
        body = holiday_schedule.export_xlsx([year])
    else:
        body = holiday_schedule.export_csv([year])
    response = HttpResponse(body, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="calendar-{year}.{fmt}"'
    return response


routes = [
    path("console/calendar/", overview, name="calendar"),
    path("console/calendar/check/", check, name="calendar_check"),
    path("console/calendar/import/", import_checked, name="calendar_import"),
    path("console/calendar/<int:year>.<str:fmt>", export, name="calendar_export"),
    # A district's own days (a city's installation): web/views/district_calendar.py.
    *district_calendar.routes,
]
