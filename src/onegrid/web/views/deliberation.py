"""The committee desk of resident deliberation (/deliberation/) and a topic's page
(/deliberation/topics/<id>/). Routes listed in `routes`.

The door is PAGE_ROLES["deliberation"] for the desk; the topic page is opened by anyone who
may read the topic (staff of its community, residents on its roll, the one who raised it):
deliberation.selectors.topic_for decides, 403 otherwise, 404 for no such topic. The page
passes `topic` and `perms` (deliberation.selectors.TopicPermissions) to its includes
web/deliberation/_ballots.html (ballots and votes) and _decision.html (the decision).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onegrid.core.errors import NotFound, PermissionDenied
from onegrid.deliberation import selectors

from ..access import forbidden, page, signed_in


@page("deliberation")
@require_GET
def desk(request):
    topics = selectors.topics_in_reach(request.user)[:200]
    return render(
        request,
        "web/deliberation/desk.html",
        {"active_page": "deliberation", "topics": topics},
    )


@signed_in
@require_GET
def topic_page(request, topic_id: int):
    try:
        topic = selectors.topic_for(request.user, topic_id)
    except NotFound:
        raise Http404(_("No such topic.")) from None
    except PermissionDenied:
        return forbidden(request)
    perms = selectors.permissions_on(request.user, topic)
    return render(
        request,
        "web/deliberation/topic.html",
        {"active_page": "deliberation", "topic": topic, "perms": perms},
    )


routes = [
    path("deliberation/", desk, name="deliberation"),
    path("deliberation/topics/<int:topic_id>/", topic_page, name="deliberation_topic"),
]
