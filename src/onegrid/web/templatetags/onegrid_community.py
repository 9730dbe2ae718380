"""`{% community_url unit as url %}`: the community page of a place, for those who may open it.

Nothing else links the community page (/communities/<id>/), so the pages that name a community
(a Party organisation's place, the report-ins by community, a centre's place, a grid team's
community) link it through this tag; a reader the page would refuse gets no link.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from onegrid.org import policies
from onegrid.territory.models import AdminUnit

register = template.Library()


@register.simple_tag(takes_context=True)
def community_url(context: template.Context, unit: Any) -> str:
    """The URL of `unit`'s community page, or "" when it is no community or the signed-in
    person may not open it (org.policies.may_open_community)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not isinstance(unit, AdminUnit):
        return ""
    if unit.level != AdminUnit.Level.COMMUNITY or not policies.may_open_community(user, unit):
        return ""
    return reverse("web:community", args=[unit.pk])
