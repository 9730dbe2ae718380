"""The committee desk of resident deliberation (/deliberation/) and a topic's page
(/deliberation/topics/<id>/), with their forms and the meetings' files. Routes listed in
`routes`.

The desk's door is PAGE_ROLES["deliberation"]; what it shows comes from the scoped selectors
(deliberation.selectors), the roll masked unless the viewer keeps it (each unmasked entry
logged, kind VOTER). The topic page is opened by anyone who may read the topic (staff of its
community, residents on the roll of its place, the one who raised it): 403 otherwise, 404 for
no such topic. It passes `topic` and `perms` (selectors.TopicPermissions) to its includes
web/deliberation/_ballots.html (ballots and votes) and _decision.html (the decision).

Every write goes through the deliberation services, whose DomainError is shown at the field it
names (400); a refusal by policy is the 403 page.
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
from onegrid.deliberation import meetings, proposals, roll, selectors, topics
from onegrid.deliberation.api import attachment_response
from onegrid.deliberation.models import Topic, Voter
from onegrid.org.access_log import Channel
from onegrid.territory.models import Grid

from ..access import forbidden, page, signed_in

ROLL_ROWS = 200


def _failed(form_name: str | None, error: DomainError | None) -> dict[str, dict[str, str]]:
    if error is None or form_name is None:
        return {}
    return {form_name: {(error.field or "form"): str(error.message)}}


def _desk_context(request, failed=None) -> dict:
    user = request.user
    form_name, error, values = failed or (None, None, {})
    state = request.GET.get("state", "")
    if state not in Topic.State.values:
        state = ""
    kept = selectors.communities_kept(user)
    roll_rows = selectors.roll_of(user, channel=Channel.PAGE, path=request.path, limit=ROLL_ROWS)
    return {
        "active_page": "deliberation",
        "topics": selectors.topics_in_reach(user, state=state).order_by("-raised_at", "-pk")[:200],
        "state": state,
        "states": Topic.State.choices,
        "scopes": Topic.Scope.choices,
        "methods": Voter.Method.choices,
        "pending": [r for r in roll_rows if r.state == Voter.State.PENDING],
        "voters": [r for r in roll_rows if r.state == Voter.State.VERIFIED],
        "kept": kept,
        "grids": Grid.objects.filter(community__in=kept).order_by("code")[:500],
        "key": uuid.uuid4().hex,
        "errors": _failed(form_name, error),
        "values": {form_name: values} if form_name else {},
    }


@page("deliberation")
@require_GET
def desk(request):
    return render(request, "web/deliberation/desk.html", _desk_context(request))


def _clean(request, fields: list[str]) -> dict[str, str]:
    values = {f: request.POST.get(f, "").strip() for f in fields}
    if any("\x00" in v for v in values.values()):
        raise InvalidInput(_("The form may not contain a NUL character."), field="form")
    return values


def _desk_action(request, form_name: str, fields: list[str], act):
    values: dict[str, str] = {}
    try:
        values = _clean(request, fields)
        note = act(values)
    except PermissionDenied:
        return forbidden(request)
    except NotFound:
        raise Http404(_("Not found.")) from None
    except DomainError as error:
        context = _desk_context(request, failed=(form_name, error, values))
        return render(request, "web/deliberation/desk.html", context, status=400)
    messages.success(request, note)
    return redirect("web:deliberation")


@page("deliberation")
@require_POST
def check_voter(request, voter_id: int):
    def act(v):
        entry = roll.check_identity(
            actor=request.user,
            voter_id=voter_id,
            method=v["method"],
            # The tick box: the document seen shows an adult living in the place.
            adult_resident=v["adult_resident"] == "1",
        )
        return _("Roll entry %(id)s is checked: on the roll.") % {"id": entry.pk}

    return _desk_action(request, f"voter-{voter_id}", ["method", "adult_resident"], act)


@page("deliberation")
@require_POST
def refuse_voter(request, voter_id: int):
    def act(v):
        entry = roll.refuse(actor=request.user, voter_id=voter_id, reason=v["reason"])
        return _("Roll entry %(id)s is refused.") % {"id": entry.pk}

    return _desk_action(request, f"voter-{voter_id}", ["reason"], act)


@page("deliberation")
@require_POST
def remove_voter(request, voter_id: int):
    def act(v):
        entry = roll.remove(actor=request.user, voter_id=voter_id, reason=v["reason"])
        return _("Roll entry %(id)s is removed from the roll.") % {"id": entry.pk}

    return _desk_action(request, f"voter-{voter_id}", ["reason"], act)


@page("deliberation")
@require_POST
def raise_topic(request):
    fields = ["community", "scope", "grid", "building", "title", "body", "key"]
    values: dict[str, str] = {}
    try:
        values = _clean(request, fields)
        topic = topics.raise_topic_as_committee(
            actor=request.user,
            community_id=values["community"],
            scope=values["scope"],
            grid_id=values["grid"] or None,
            building=values["building"],
            title=values["title"],
            body=values["body"],
            key=values["key"],
        )
    except PermissionDenied:
        return forbidden(request)
    except DomainError as error:
        context = _desk_context(request, failed=("raise", error, values))
        return render(request, "web/deliberation/desk.html", context, status=400)
    messages.success(request, _("Topic %(number)s is raised.") % {"number": topic.number})
    return redirect("web:deliberation_topic", topic_id=topic.pk)


# --- the topic page ---------------------------------------------------------------------------


def _topic_context(request, topic: Topic, failed=None) -> dict:
    form_name, error, values = failed or (None, None, {})
    perms = selectors.permissions_on(request.user, topic)
    errors = _failed(form_name, error)
    return {
        "active_page": "deliberation",
        "topic": topic,
        "perms": perms,
        "meetings": selectors.meetings_of(topic),
        "proposals": selectors.proposals_of(topic),
        "may_schedule": perms.keep and topic.state in meetings.SCHEDULABLE,
        "may_record": perms.keep and topic.state in meetings.RECORDABLE,
        "may_propose": perms.keep and topic.state in proposals.OPEN_TO_PROPOSALS,
        "max_attachment_mb": meetings.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "key": uuid.uuid4().hex,
        "errors": errors,
        # At the top of the page: the errors of forms that do not show their own (the ballot
        # forms, web/deliberation/_ballots.html, show theirs at the form, once).
        "top_errors": {k: v for k, v in errors.items() if not k.startswith("ballot_")},
        "values": {form_name: values} if form_name else {},
    }


def _topic_or_refusal(request, topic_id: int):
    try:
        return selectors.topic_for(request.user, topic_id), None
    except NotFound:
        raise Http404(_("No such topic.")) from None
    except PermissionDenied:
        return None, forbidden(request)


@signed_in
@require_GET
def topic_page(request, topic_id: int):
    topic, refused = _topic_or_refusal(request, topic_id)
    if refused is not None:
        return refused
    return render(request, "web/deliberation/topic.html", _topic_context(request, topic))


def _topic_action(request, topic_id: int, form_name: str, fields: list[str], act):
    topic, refused = _topic_or_refusal(request, topic_id)
    if refused is not None:
        return refused
    values: dict[str, str] = {}
    try:
        values = _clean(request, fields)
        note = act(topic, values)
    except PermissionDenied:
        return forbidden(request)
    except NotFound:
        raise Http404(_("Not found.")) from None
    except DomainError as error:
        topic = selectors.topic_for(request.user, topic_id)
        context = _topic_context(request, topic, failed=(form_name, error, values))
        return render(request, "web/deliberation/topic.html", context, status=400)
    messages.success(request, note)
    return redirect("web:deliberation_topic", topic_id=topic_id)


@signed_in
@require_POST
def review_topic(request, topic_id: int):
    def act(topic, v):
        if v["decision"] not in ("accept", "decline"):
            raise InvalidInput(_("Choose to accept or decline."), field="decision")
        done = topics.review(
            actor=request.user, topic_id=topic.pk, accept=v["decision"] == "accept", note=v["note"]
        )
        return _("Topic %(number)s: %(state)s.") % {
            "number": done.number,
            "state": done.get_state_display(),
        }

    return _topic_action(request, topic_id, "review", ["decision", "note"], act)


@signed_in
@require_POST
def withdraw_topic(request, topic_id: int):
    def act(topic, v):
        done = topics.withdraw(actor=request.user, topic_id=topic.pk)
        return _("Topic %(number)s is withdrawn.") % {"number": done.number}

    return _topic_action(request, topic_id, "withdraw", [], act)


@signed_in
@require_POST
def cosign_topic(request, topic_id: int):
    def act(topic, v):
        topics.cosign(actor=request.user, topic_id=topic.pk)
        return _("You co-signed topic %(number)s.") % {"number": topic.number}

    return _topic_action(request, topic_id, "cosign", [], act)


@signed_in
@require_POST
def schedule_meeting(request, topic_id: int):
    def act(topic, v):
        meeting = meetings.schedule(
            actor=request.user,
            topic_id=topic.pk,
            held_at=v["held_at"],
            place=v["place"],
            chaired_by=v["chaired_by"],
            key=v["key"],
        )
        return _("A meeting is scheduled at %(place)s.") % {"place": meeting.place}

    return _topic_action(
        request, topic_id, "meeting", ["held_at", "place", "chaired_by", "key"], act
    )


def _meeting_of(topic: Topic, meeting_id: int):
    meeting = topic.meetings.filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(_("No such meeting."), field="meeting")
    return meeting


@signed_in
@require_POST
def record_minutes(request, topic_id: int, meeting_id: int):
    def act(topic, v):
        meeting = _meeting_of(topic, meeting_id)
        meetings.record_minutes(
            actor=request.user,
            meeting_id=meeting.pk,
            minutes=v["minutes"],
            participants=v["participants"],
            participant_count=v["participant_count"],
        )
        return _("The minutes are recorded.")

    return _topic_action(
        request,
        topic_id,
        f"minutes-{meeting_id}",
        ["minutes", "participants", "participant_count"],
        act,
    )


@signed_in
@require_POST
def attach_file(request, topic_id: int, meeting_id: int):
    def act(topic, v):
        meeting = _meeting_of(topic, meeting_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(_("Choose a file to upload."), field="file")
        if upload.size > meetings.MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                _("A file may be at most %(mb)d MB.")
                % {"mb": meetings.MAX_ATTACHMENT_BYTES // (1024 * 1024)},
                field="file",
            )
        found = meetings.attach(
            actor=request.user, meeting_id=meeting.pk, name=upload.name or "", data=upload.read()
        )
        return _("%(name)s is attached.") % {"name": found.name}

    return _topic_action(request, topic_id, f"attach-{meeting_id}", [], act)


@signed_in
@require_GET
def attachment(request, attachment_id: int):
    try:
        found = selectors.attachment_for(request.user, attachment_id)
        return attachment_response(found)
    except (NotFound, InvalidInput):
        # A number the path allows but no row can have (0, or past the ids' range) is no
        # file either: a 404, not a 500.
        raise Http404(_("No such file.")) from None
    except PermissionDenied:
        return forbidden(request)


@signed_in
@require_POST
def add_proposal(request, topic_id: int):
    def act(topic, v):
        found = proposals.propose(
            actor=request.user,
            topic_id=topic.pk,
            title=v["title"],
            body=v["body"],
            estimated_cost=v["estimated_cost"],
            key=v["key"],
        )
        return _("Proposal %(title)s is recorded.") % {"title": found.title}

    return _topic_action(
        request, topic_id, "proposal", ["title", "body", "estimated_cost", "key"], act
    )


@signed_in
@require_POST
def withdraw_proposal(request, topic_id: int, proposal_id: int):
    def act(topic, v):
        found = topic.proposals.filter(pk=proposal_id).first()
        if found is None:
            raise NotFound(_("No such proposal."), field="proposal")
        proposals.withdraw_proposal(actor=request.user, proposal_id=found.pk)
        return _("Proposal %(title)s is withdrawn.") % {"title": found.title}

    return _topic_action(request, topic_id, f"proposal-{proposal_id}", [], act)


routes = [
    path("deliberation/", desk, name="deliberation"),
    path("deliberation/raise/", raise_topic, name="deliberation_raise"),
    path("deliberation/roll/<int:voter_id>/check/", check_voter, name="deliberation_check"),
    path("deliberation/roll/<int:voter_id>/refuse/", refuse_voter, name="deliberation_refuse"),
    path("deliberation/roll/<int:voter_id>/remove/", remove_voter, name="deliberation_remove"),
    path("deliberation/topics/<int:topic_id>/", topic_page, name="deliberation_topic"),
    path(
        "deliberation/topics/<int:topic_id>/review/",
        review_topic,
        name="deliberation_review",
    ),
    path(
        "deliberation/topics/<int:topic_id>/withdraw/",
        withdraw_topic,
        name="deliberation_withdraw",
    ),
    path(
        "deliberation/topics/<int:topic_id>/cosign/",
        cosign_topic,
        name="deliberation_cosign",
    ),
    path(
        "deliberation/topics/<int:topic_id>/meetings/",
        schedule_meeting,
        name="deliberation_meeting",
    ),
    path(
        "deliberation/topics/<int:topic_id>/meetings/<int:meeting_id>/minutes/",
        record_minutes,
        name="deliberation_minutes",
    ),
    path(
        "deliberation/topics/<int:topic_id>/meetings/<int:meeting_id>/files/",
        attach_file,
        name="deliberation_attach",
    ),
    path(
        "deliberation/files/<int:attachment_id>/",
        attachment,
        name="deliberation_file",
    ),
    path(
        "deliberation/topics/<int:topic_id>/proposals/",
        add_proposal,
        name="deliberation_propose",
    ),
    path(
        "deliberation/topics/<int:topic_id>/proposals/<int:proposal_id>/withdraw/",
        withdraw_proposal,
        name="deliberation_withdraw_proposal",
    ),
]
