"""Template context for every page: the pages the signed-in person may open."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock, workdays
from onegrid.org import policies

from .access import may_use, pages_for

PAGE_LABELS = {
    "field": _("Field app"),
    "console": _("Street console"),
    "inbox": _("Department inbox"),
    "map": _("Live map"),
    "measures": _("Measures"),
    "reports": _("Monthly reports"),
    "hotspots": _("Hotspots and alerts"),
    "resident": _("My reports"),
    "volunteering": _("Volunteering"),
    "organiser": _("Volunteers"),
    "counter": _("Points-store counter"),
    "points": _("My points"),
    "party": _("Party organisations"),
    "centres": _("Party service centres"),
    "report_ins": _("Report-ins (双报到)"),
    "deliberation": _("Resident deliberation"),
    "resident_deliberation": _("Deliberation in my community"),
    "governance": _("Self-governance and rule of law"),
    "screening": _("Monthly dispute screening"),
    "risks": _("Risk register"),
    "legal": _("Legal adviser's questions"),
    "resident_legal": _("Ask the legal adviser"),
    "legal_advisers": _("Community legal advisers"),
    "mediation": _("People's mediation"),
}


def page_links(user) -> list[dict]:
    return [
        {"name": p, "label": PAGE_LABELS[p], "url": reverse(f"web:{p}")} for p in pages_for(user)
    ]


def calendar_warnings(user) -> list[dict]:
    """Years deadlines will be counted Monday to Friday for want of a holiday schedule (this
    year, and next year from 1 December), for those told of it (org.policies)."""
    if not policies.told_of_missing_calendar(user):
        return []
    this_year = timezone.localtime(clock.now(), workdays.TZ).year
    return [
        {"year": year, "started": year <= this_year}
        for year in workdays.years_without_calendar(clock.now())
    ]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_pages": page_links(user),
        # The console links the GIS officer's layer tools for those who may open them.
        "may_open_layers": may_use(user, "layers"),
        "may_open_calendar": may_use(user, "calendar"),
        "calendar_warnings": calendar_warnings(user),
        # Desk queues refresh a little slower than the live map polls.
        "refresh_seconds": 3 * settings.ONEGRID["LIVE_POLL_SECONDS"],
    }
