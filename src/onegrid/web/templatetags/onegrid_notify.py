"""`{% load onegrid_notify %}`: the top bar's bell (`{% bell %}`, every signed-in page) and the
console's red alerts when notification deliveries fail (`{% delivery_alert %}`) and when
forwards to other systems fail (`{% forwarding_alert %}`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from onegrid.forwarding import health as forwarding_health
from onegrid.notify import health, selectors
from onegrid.notify.models import Delivery
from onegrid.org import policies

register = template.Library()

# How often the bell asks for the count (seconds).
BELL_SECONDS = 60
# Above this the badge shows "99+" (as lib/bell.js does).
MAX_SHOWN = 99


def bell_labels() -> dict[str, str]:
    """The bell's accessible names: none unread, and n unread (%(n)s, filled here and by
    lib/bell.js). One form for every n: Chinese has no plural and the English reads well."""
    return {
        "none": _("Notifications: none unread"),
        "some": _("Notifications: %(n)s unread"),
    }


@register.inclusion_tag("web/notifications/_bell.html", takes_context=True)
def bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"bell": None}
    unread = selectors.unread_count(user)
    labels = bell_labels()
    return {
        "bell": {
            "unread": unread,
            "count_text": f"{MAX_SHOWN}+" if unread > MAX_SHOWN else str(unread),
            "label": labels["some"] % {"n": unread} if unread else labels["none"],
            "labels": labels,
            "url": reverse("web:notifications"),
            "unread_url": reverse("api:notifications_unread"),
            "seconds": BELL_SECONDS,
        }
    }


def _admin_url(name: str, query: str = "") -> str | None:
    """An admin list's address, or None while that list is not registered."""
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return None


@register.inclusion_tag("web/notifications/_delivery_alert.html", takes_context=True)
def delivery_alert(context: template.Context) -> dict[str, Any]:
    """The console's red alert when notification deliveries are dead or have been retrying
    long (notify.health.failing_deliveries), with counts per channel and a link to the admin's
    Delivery list; for the command centre and administrators (org.policies)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not policies.may_see_delivery_alerts(user):
        return {"delivery_alert": None}
    failing = health.failing_deliveries()
    if not failing:
        return {"delivery_alert": None}
    labels = dict(Delivery.Channel.choices)
    rows = [
        {
            "channel": channel,
            "label": labels.get(channel, channel),
            "dead": counts.get("dead", 0),
            "retrying": counts.get("retrying", 0),
        }
        for channel, counts in sorted(failing.items())
    ]
    return {
        "delivery_alert": {
            "rows": rows,
            "dead": sum(r["dead"] for r in rows),
            "retrying": sum(r["retrying"] for r in rows),
            "admin_url": _admin_url("admin:notify_delivery_changelist"),
            "dead_url": _admin_url("admin:notify_delivery_changelist", "?state__exact=dead"),
        }
    }


# --- forwarding's failures: a separate box, from forwarding.health (H7's part) ------------------


@register.inclusion_tag("web/notifications/_forwarding_alert.html", takes_context=True)
def forwarding_alert(context: template.Context) -> dict[str, Any]:
    """The console's red alert when forwards to other systems are dead, failing for a while or
    sent but unacknowledged (forwarding.health.failing_forwards), per target, with a link to
    the admin's Forward list; for the same readers as the delivery alert."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not policies.may_see_delivery_alerts(user):
        return {"forwarding_alert": None}
    failing = forwarding_health.failing_forwards()
    if not failing:
        return {"forwarding_alert": None}
    return {
        "forwarding_alert": {
            "rows": failing,
            "admin_url": _admin_url("admin:forwarding_forward_changelist"),
        }
    }
