"""The volunteer's pages of the field app (/field/volunteering/): registering, activities near
me (found with the phone's position), an activity with its sign-up, check-in and check-out
buttons, and my hours. Routes listed in `routes`.

The buttons are the script's (static/web/volunteering/page.js): it sends the phone's GPS and an
idempotency key to the volunteers API, so a page never decides a rule itself. Registering is a
form posted here, to volunteers.volunteering.register.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from onegrid.core.errors import DomainError, NotFound
from onegrid.territory.models import AdminUnit
from onegrid.volunteers import activity_selectors as selectors
from onegrid.volunteers import volunteering
from onegrid.volunteers.models import Activity

from ..access import page

PAGE = "volunteering"
POINTS_URL = "/field/points/"  # the points helper's "my points" page


@page(PAGE)
@require_http_methods(["GET", "POST"])
def home(request):
    volunteer = selectors.volunteer_of(request.user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            volunteering.register(
                actor=request.user,
                community_code=request.POST.get("community", ""),
                skills=request.POST.get("skills", ""),
            )
        except DomainError as error:
            errors[error.field or "community"] = str(error.message)
        else:
            messages.success(request, _("You are registered as a volunteer."))
            return redirect("web:volunteering")
    context = {
        "active_page": PAGE,
        "volunteer": volunteer,
        "communities": AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY)
        .select_related("parent")
        .order_by("code")
        if volunteer is None
        else [],
        "errors": errors,
        "sign_ups": list(selectors.my_sign_ups(request.user)[:20]) if volunteer else [],
        "config": _config(),
        "points_url": POINTS_URL,
    }
    return render(request, "web/volunteering/home.html", context, status=422 if errors else 200)


@page(PAGE)
@require_GET
def activity(request, activity_id: int):
    try:
        item = selectors.visible_activity(request.user, activity_id)
    except NotFound:
        raise Http404(_("No such activity.")) from None
    volunteer = selectors.volunteer_of(request.user)
    mine = selectors.my_sign_up(request.user, item) if volunteer else None
    config = _config(
        activityId=item.pk,
        actionUrls={
            "sign-up": reverse("api:volunteer_sign_up", args=[item.pk]),
            "cancel": reverse("api:volunteer_cancel_sign_up", args=[item.pk]),
            "check-in": reverse("api:volunteer_check_in", args=[item.pk]),
            "check-out": reverse("api:volunteer_check_out", args=[item.pk]),
        },
    )
    context = {
        "active_page": PAGE,
        "activity": item,
        "volunteer": volunteer,
        "mine": mine,
        "places_left": selectors.places_left(item),
        "is_open": item.state == Activity.State.OPEN,
        "config": config,
    }
    return render(request, "web/volunteering/activity.html", context)


@page(PAGE)
@require_GET
def hours(request):
    context = {
        "active_page": PAGE,
        "months": selectors.my_hours(request.user),
        "sign_ups": list(selectors.my_sign_ups(request.user)[:100]),
        "points_url": POINTS_URL,
    }
    return render(request, "web/volunteering/hours.html", context)


def _config(**extra) -> dict:
    return {
        "nearUrl": reverse("api:volunteer_activities_near"),
        "activityUrl": reverse("web:volunteering_activity", args=[0]),
        "csrfCookie": settings.CSRF_COOKIE_NAME,
        "strings": {
            "locating": _("Finding your position…"),
            "noPosition": _("This phone gives no position: allow location and try again."),
            "noneNear": _("No open activity near you."),
            "when": _("%(start)s · %(place)s · %(left)s places left"),
            "sending": _("Sending…"),
            "done": _("Done."),
            "retry": _("No answer from the server: try again (nothing is counted twice)."),
            "signIn": _("Your session has expired: sign in again."),
        },
        **extra,
    }


routes = [
    path("field/volunteering/", home, name="volunteering"),
    path(
        "field/volunteering/activities/<int:activity_id>/", activity, name="volunteering_activity"
    ),
    path("field/volunteering/hours/", hours, name="volunteering_hours"),
]
