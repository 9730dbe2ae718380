"""`{% load onegrid_hotspots %}{% alerts_panel %}`: the surge-alerts panel of the console
(web/_alerts.html) for those who may see alerts (org.policies.may_view_hotspots), over their
area, from the same cached computation as the hotspots page and the API."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from onegrid.core.errors import DomainError
from onegrid.insight import alerts
from onegrid.org import policies

from ..views.hotspots import alert_view

register = template.Library()


@register.inclusion_tag("web/_alerts.html", takes_context=True)
def alerts_panel(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not policies.may_view_hotspots(user):
        return {"alerts_panel": None}
    try:
        result = alerts.surge_alerts(user)
    except DomainError:
        return {"alerts_panel": None}
    return {
        "alerts_panel": {
            "result": result,
            "rows": [alert_view(a, result) for a in result.alerts],
            "page_url": reverse("web:hotspots"),
        }
    }
