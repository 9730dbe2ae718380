"""`{% ballots_panel as b %}` on the topic page (web/deliberation/_ballots.html): the topic's
ballots as the viewer may see them (deliberation.ballot_selectors.view_of: an open ballot's
count for the committee only), the proposals the committee may put to the vote, and a failed
form's messages and values.

The topic page (web.views.deliberation) passes `topic`, `perms`, `errors` and `values` (by
form name); the forms of web.views.deliberation_ballots use the form names "ballot_open" and
"ballot_<id>" (vote, tally, close and decision of one ballot).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone

from onegrid.core import clock
from onegrid.deliberation import ballot_selectors
from onegrid.deliberation.models import Ballot, Proposal, Topic

register = template.Library()

BEIJING = timezone.get_fixed_timezone(8 * 60)


def _votable_proposals(topic: Topic) -> list[Proposal]:
    return list(
        Proposal.objects.filter(topic=topic, withdrawn_at__isnull=True)
        .exclude(ballots__state__in=[Ballot.State.OPEN, Ballot.State.CLOSED])
        .order_by("proposed_at", "pk")
    )


@register.simple_tag(takes_context=True)
def ballots_panel(context: template.Context) -> dict[str, Any] | None:
    topic = context.get("topic")
    perms = context.get("perms")
    request = context.get("request")
    if topic is None or perms is None or request is None or not getattr(perms, "read", False):
        return None
    keep = bool(getattr(perms, "keep", False))
    errors = context.get("errors") or {}
    values = context.get("values") or {}
    rows = [
        {
            "v": ballot_selectors.view_of(request.user, b, keep=keep),
            "errors": errors.get(f"ballot_{b.pk}", {}),
            "values": values.get(f"ballot_{b.pk}", {}),
        }
        for b in ballot_selectors.ballots_of(topic)
    ]
    may_open = keep and topic.state == Topic.State.ACCEPTED
    closes = timezone.localtime(clock.now() + dt.timedelta(days=7), BEIJING)
    return {
        "rows": rows,
        "keep": keep,
        "may_open": may_open,
        "proposals": _votable_proposals(topic) if may_open else [],
        "open_errors": errors.get("ballot_open", {}),
        "open_values": values.get("ballot_open", {}),
        "default_closes_at": closes.strftime("%Y-%m-%dT%H:%M"),
        "default_quorum": settings.ONEGRID["DELIBERATION_QUORUM"],
        "default_majority": settings.ONEGRID["DELIBERATION_MAJORITY"],
        "key": uuid.uuid4().hex,
    }
