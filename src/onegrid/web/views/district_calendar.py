"""A district's own calendar days (工作日历 · 本区), for that district's administrators.

In a city's installation each district counts the national schedule (the calendar page) and
may add days of its own: a local rest day or make-up working day (core.district_days). A
district's administrators keep their district's days, the city's administrators every
district's (org.policies.keeps_district); others get a 403. Adding the same day twice changes
nothing; bad input is answered with the field named and nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES  # 0 is Monday, as date.weekday()
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onegrid.core import clock, district_days, holiday_schedule, workdays
from onegrid.core.errors import InvalidInput
from onegrid.org import policies
from onegrid.territory import district as territory_district

from ..access import forbidden, page


def _kept(user) -> list:
    """The installation's districts whose days `user` keeps."""
    return [d for d in territory_district.districts() if policies.keeps_district(user, d.pk)]


def offered(user) -> bool:
    """Whether the calendar page links to the district days: a city's, for a keeper of one."""
    return territory_district.is_city() and bool(_kept(user))


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localtime(clock.now(), workdays.TZ).year
    if holiday_schedule.FIRST_YEAR <= year <= holiday_schedule.LAST_YEAR:
        return year
    return timezone.localtime(clock.now(), workdays.TZ).year


def _render(request, kept, chosen, year, *, form=None, error=None, field="", status=200):
    rows = district_days.days_of(chosen.code, year) if chosen is not None else []
    context = {
        "active_page": "console",
        "districts": kept,
        "chosen": chosen,
        "year": year,
        "days": [
            {
                "row": r,
                "weekday": WEEKDAY_NAMES[r.day.weekday()],
                "mark": holiday_schedule.KIND_MARKS[r.kind],
                "label": holiday_schedule.KIND_LABELS[r.kind],
            }
            for r in rows
        ],
        "form": form or {"day": "", "kind": "rest", "name": ""},
        "error": error,
        "error_field": field,
    }
    return render(request, "web/calendar/districts.html", context, status=status)


def _chosen(kept, code: str):
    if not code:
        return kept[0] if kept else None
    return next((d for d in kept if d.code == code), None)


@page("calendar")
@require_GET
def districts(request):
    kept = _kept(request.user)
    if not kept:
        return forbidden(request)
    chosen = _chosen(kept, request.GET.get("district", "").strip())
    if chosen is None:
        return forbidden(request)
    return _render(request, kept, chosen, _year(request.GET.get("year")))


@page("calendar")
@require_POST
def change(request):
    """Add (verb=add) or remove (verb=remove) one day of a district the user keeps."""
    kept = _kept(request.user)
    chosen = _chosen(kept, request.POST.get("district", "").strip()) if kept else None
    if chosen is None:
        return forbidden(request)
    form = {
        "day": request.POST.get("day", "").strip()[:20],
        "kind": request.POST.get("kind", "").strip()[:10],
        "name": request.POST.get("name", "")[:100],
    }
    verb = request.POST.get("verb", "add")
    try:
        if verb == "remove":
            if not district_days.remove_day(district=chosen.code, day=form["day"]):
                raise InvalidInput(_("The district has no such day."), field="day")
            messages.success(request, _("%(day)s removed.") % {"day": form["day"]})
        else:
            change = district_days.add_day(
                district=chosen.code,
                day=form["day"],
                kind=form["kind"],
                name=form["name"],
                added_by=request.user.get_username(),
            )
            messages.success(
                request,
                _("%(day)s: %(mark)s for %(district)s.")
                % {
                    "day": change.day.day.isoformat(),
                    "mark": holiday_schedule.KIND_MARKS[change.day.kind],
                    "district": chosen.name,
                },
            )
    except InvalidInput as error:
        year = _year(form["day"][:4])
        return _render(
            request,
            kept,
            chosen,
            year,
            form=form,
            error=str(error.message),
            field=error.field or "",
            status=422,
        )
    year = _year(form["day"][:4])
    return redirect(f"{reverse('web:calendar_districts')}?district={chosen.code}&year={year}")


routes = [
    path("console/calendar/districts/", districts, name="calendar_districts"),
    path("console/calendar/districts/change/", change, name="calendar_district_change"),
]
