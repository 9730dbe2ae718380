"""The resident's deliberation pages (/resident/deliberation/): my roll entry (apply with my
household's standard address), the topics of my place with their co-signing, and raising a
topic. Routes listed in `routes`.

The door is PAGE_ROLES["resident_deliberation"] (residents, volunteers, Party members). Every
write goes through the deliberation services (roll.apply_to_roll, topics.raise_topic,
topics.cosign), whose DomainError is shown at the field it names (400).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onegrid.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from onegrid.deliberation import roll, selectors, topics
from onegrid.deliberation.models import Topic, Voter

from ..access import forbidden, page

PAGE = "resident_deliberation"
TEMPLATE = "web/resident/deliberation.html"


def _context(request, failed=None) -> dict:
    user = request.user
    form_name, error, values = failed or (None, None, {})
    entries = selectors.my_entries(user)
    live = [e for e in entries if e.state in (Voter.State.PENDING, Voter.State.VERIFIED)]
    verified = next((e for e in live if e.state == Voter.State.VERIFIED), None)
    signed = selectors.cosigned_topic_ids(user)
    rows = []
    for t in selectors.my_topics(user).order_by("-raised_at", "-pk")[:100]:
        rows.append(
            {
                "topic": t,
                "cosigned": t.pk in signed,
                "may_cosign": verified is not None
                and t.state == Topic.State.COLLECTING
                and t.pk not in signed,
            }
        )
    errors = {}
    if error is not None and form_name is not None:
        errors[form_name] = {(error.field or "form"): str(error.message)}
    return {
        "active_page": PAGE,
        "entries": entries,
        "live": live[0] if live else None,
        "verified": verified,
        "topics": rows,
        "scopes": Topic.Scope.choices,
        "key": uuid.uuid4().hex,
        "errors": errors,
        "values": {form_name: values} if form_name else {},
    }


@page(PAGE)
@require_GET
def home(request):
    return render(request, TEMPLATE, _context(request))


def _action(request, form_name: str, fields: list[str], act):
    values = {f: request.POST.get(f, "").strip() for f in fields}
    try:
        if any("\x00" in v for v in values.values()):
            raise InvalidInput(_("The form may not contain a NUL character."), field="form")
        note = act(values)
    except NotFound:
        raise Http404(_("Not found.")) from None
    except DomainError as error:
        status = 403 if isinstance(error, PermissionDenied) else 400
        return render(
            request, TEMPLATE, _context(request, failed=(form_name, error, values)), status=status
        )
    messages.success(request, note)
    return redirect("web:resident_deliberation")


@page(PAGE)
@require_POST
def apply(request):
    def act(v):
        roll.apply_to_roll(actor=request.user, household=v["household"], key=v["key"])
        return _("Your application is with the community committee, which will check who you are.")

    return _action(request, "apply", ["household", "key"], act)


@page(PAGE)
@require_POST
def raise_topic(request):
    def act(v):
        topic = topics.raise_topic(
            actor=request.user, title=v["title"], body=v["body"], scope=v["scope"], key=v["key"]
        )
        return _("Topic %(number)s is raised: ask your neighbours to co-sign it.") % {
            "number": topic.number
        }

    return _action(request, "raise", ["title", "body", "scope", "key"], act)


@page(PAGE)
@require_POST
def cosign(request, topic_id: int):
    try:
        selectors.topic_for(request.user, topic_id)
    except NotFound:
        raise Http404(_("No such topic.")) from None
    except PermissionDenied:
        return forbidden(request)

    def act(v):
        topics.cosign(actor=request.user, topic_id=topic_id)
        return _("You co-signed the topic.")

    return _action(request, f"cosign-{topic_id}", [], act)


routes = [
    path("resident/deliberation/", home, name="resident_deliberation"),
    path("resident/deliberation/apply/", apply, name="resident_deliberation_apply"),
    path("resident/deliberation/raise/", raise_topic, name="resident_deliberation_raise"),
    path(
        "resident/deliberation/topics/<int:topic_id>/cosign/",
        cosign,
        name="resident_deliberation_cosign",
    ),
]
