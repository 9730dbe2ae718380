"""Template context for every page: the pages the signed-in person may open."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .access import may_use, pages_for

PAGE_LABELS = {
    "field": _("Field app"),
    "console": _("Street console"),
    "inbox": _("Department inbox"),
    "map": _("Live map"),
}


def page_links(user) -> list[dict]:
    return [
        {"name": p, "label": PAGE_LABELS[p], "url": reverse(f"web:{p}")} for p in pages_for(user)
    ]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_pages": page_links(user),
        # The console links the GIS officer's layer tools for those who may open them.
        "may_open_layers": may_use(user, "layers"),
        # Desk queues refresh a little slower than the live map polls.
        "refresh_seconds": 3 * settings.ONEGRID["LIVE_POLL_SECONDS"],
    }
