"""The volunteer organiser's pages (/volunteers/): the activities of the communities they
organise (post, cancel, finish), an activity's sign-ups with the hours to confirm, the
volunteers' roster (XLSX download, phones always masked) and the volunteer organisations.
Routes listed in `routes`.

Rows come from volunteers.activity_selectors, scoped by org.policies.volunteering_reach; every
write is one service call whose DomainError is shown at the field it names. A phone shown whole
on a page (to an organiser of the volunteer's community) is recorded in the access log.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core.errors import DomainError, NotFound
from onegrid.org import access_log, policies
from onegrid.territory.models import AdminUnit
from onegrid.volunteers import activities, volunteering
from onegrid.volunteers import activity_selectors as selectors

from .. import downloads
from ..access import page

PAGE = "organiser"
ROSTER_COLUMNS = (
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone (masked)")),
    ("community", gettext_lazy("Community")),
    ("organisation", gettext_lazy("Volunteer organisation")),
    ("skills", gettext_lazy("Skills")),
    ("real_name", gettext_lazy("Real name checked")),
    ("joined", gettext_lazy("Registered at")),
)
ACTIVITY_FIELDS = (
    "community",
    "title",
    "starts_at",
    "ends_at",
    "lon",
    "lat",
    "place",
    "capacity",
    "radius_m",
    "description",
    "organisation",
    "crs",
)


@page(PAGE)
@require_http_methods(["GET", "POST"])
def overview(request):
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {name: request.POST.get(name, "") for name in ACTIVITY_FIELDS}
        try:
            created = activities.post_activity(
                actor=request.user,
                community_code=posted["community"],
                title=posted["title"],
                starts_at=posted["starts_at"],
                ends_at=posted["ends_at"],
                lon=posted["lon"],
                lat=posted["lat"],
                crs=posted["crs"] or None,
                place=posted["place"],
                capacity=posted["capacity"],
                radius_m=posted["radius_m"] or None,
                description=posted["description"],
                organisation_id=posted["organisation"] or None,
            )
        except DomainError as error:
            errors[error.field or "title"] = str(error.message)
        else:
            messages.success(request, _("Activity posted."))
            return redirect("web:organiser_activity", created.pk)
    context = {
        "active_page": PAGE,
        "activities": selectors.organiser_activities(request.user)[:100],
        "organisations": selectors.organiser_organisations(request.user)[:200],
        "communities": _communities(request.user),
        "errors": errors,
        "posted": posted,
    }
    return render(request, "web/organiser/overview.html", context, status=422 if errors else 200)


@page(PAGE)
@require_POST
def found_organisation(request):
    try:
        volunteering.found_organisation(
            actor=request.user,
            unit_code=request.POST.get("unit", ""),
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
        )
    except DomainError as error:
        messages.error(request, f"{error.field or ''}: {error.message}".lstrip(": "))
    else:
        messages.success(request, _("Volunteer organisation founded."))
    return redirect("web:organiser")


@page(PAGE)
@require_http_methods(["GET", "POST"])
def activity(request, activity_id: int):
    try:
        item = selectors.organiser_activity(request.user, activity_id)
    except NotFound:
        raise Http404(_("No such activity.")) from None
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if request.POST.get("state"):
                activities.close_activity(
                    actor=request.user, activity_id=item.pk, state=request.POST["state"]
                )
            else:
                activities.confirm_hours(
                    actor=request.user,
                    sign_up_id=request.POST.get("sign_up", ""),
                    hours=request.POST.get("hours", ""),
                    reason=request.POST.get("reason", ""),
                )
        except DomainError as error:
            errors[error.field or "hours"] = str(error.message)
            errors["sign_up"] = request.POST.get("sign_up", "")
        else:
            messages.success(request, _("Saved."))
            return redirect("web:organiser_activity", item.pk)
        item.refresh_from_db()
    rows = selectors.sign_ups_of(request.user, item)
    access_log.record_request(
        request,
        kind=access_log.Kind.VOLUNTEER,
        channel=access_log.Channel.PAGE,
        subjects=[(r.volunteer.pk, ["phone"]) for r in rows if r.unmasked],
    )
    context = {
        "active_page": PAGE,
        "activity": item,
        "rows": rows,
        "may_organise": policies.may_organise_volunteers(request.user, item.community),
        "errors": errors,
    }
    return render(request, "web/organiser/activity.html", context, status=422 if errors else 200)


@page(PAGE)
@require_GET
def roster(request):
    def show():
        rows = selectors.roster(request.user)
        access_log.record_request(
            request,
            kind=access_log.Kind.VOLUNTEER,
            channel=access_log.Channel.PAGE,
            subjects=[(r.volunteer.pk, ["phone"]) for r in rows if r.unmasked],
        )
        context = {
            "active_page": PAGE,
            "rows": rows,
            "links": downloads.download_links(request),
        }
        return render(request, "web/organiser/roster.html", context)

    def download(fmt: str):
        # A roster leaves the system masked, whoever downloads it: a file is not logged per
        # read and travels further than a page.
        rows = [
            {
                "name": r.name,
                "phone": policies.mask_phone(r.volunteer.user.phone)
                if r.volunteer.user.phone
                else "",
                "community": r.volunteer.community.name,
                "organisation": r.volunteer.organisation.name if r.volunteer.organisation else "",
                "skills": r.volunteer.skills,
                "real_name": _("yes") if r.volunteer.real_name_checked_at else _("no"),
                "joined": timezone.localtime(r.volunteer.joined_at).strftime("%Y-%m-%d"),
            }
            for r in selectors.roster(request.user)
        ]
        return downloads.table_download(
            request,
            fmt=fmt,
            filename=f"volunteers-{downloads.stamp()}",
            columns=ROSTER_COLUMNS,
            rows=rows,
            sheet_title=_("Volunteers"),
        )

    return downloads.download_or_page(request, show, download)


@page(PAGE)
@require_POST
def real_name_check(request, volunteer_id: int):
    try:
        volunteering.check_real_name(actor=request.user, volunteer_id=volunteer_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Real name checked."))
    return redirect("web:organiser_roster")


def _communities(user):
    reach = policies.volunteering_reach(user)
    units = AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY).select_related("parent")
    if not reach.district_wide:
        units = units.filter(pk__in=reach.community_ids) | units.filter(
            parent_id__in=reach.street_ids
        )
    return [u for u in units.order_by("code") if policies.may_organise_volunteers(user, u)]


routes = [
    path("volunteers/", overview, name="organiser"),
    path("volunteers/organisations/", found_organisation, name="organiser_found"),
    path("volunteers/roster/", roster, name="organiser_roster"),
    path("volunteers/activities/<int:activity_id>/", activity, name="organiser_activity"),
    path(
        "volunteers/volunteers/<int:volunteer_id>/real-name/",
        real_name_check,
        name="organiser_real_name",
    ),
]
