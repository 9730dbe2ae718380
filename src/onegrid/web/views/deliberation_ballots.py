"""The ballot forms on the topic page (/deliberation/topics/<id>/, include
web/deliberation/_ballots.html): the committee puts a proposal to the vote, enters a meeting's
tally, closes a ballot and publishes the decision of one that passed; a resident on the roll
votes with their password. Routes listed in `routes`.

Each form goes through deliberation.ballots; the topic page's own handling
(web.views.deliberation._topic_action) opens the topic for the reader, shows a DomainError at
the form and field it names (400), answers a refusal by policy with the 403 page and redirects
back to the topic on success. A wrong password is shown at the vote form (not as a 403 page),
and the password is never sent back into the form.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.deliberation import ballots
from onegrid.deliberation.models import Ballot, Topic, Vote

from ..access import signed_in
from .deliberation import _topic_action


def _ballot(topic: Topic, ballot_id: int) -> Ballot:
    if not Ballot.objects.filter(pk=ballot_id, topic=topic).exists():
        raise NotFound(_("No such ballot."), field="ballot_id")
    return Ballot.objects.get(pk=ballot_id)


@signed_in
@require_POST
def open_ballot(request, topic_id: int):
    def act(topic, v):
        out = ballots.open_ballot(
            actor=request.user,
            topic_id=topic.pk,
            proposal_id=v["proposal"],
            mode=v["mode"],
            counting=v["counting"],
            opens_at=v["opens_at"] or None,
            closes_at=v["closes_at"],
            quorum=v["quorum"] or None,
            majority=v["majority"] or None,
            idempotency_key_=v["key"],
        )
        return _("Proposal %(title)s is put to the vote.") % {"title": out.ballot.proposal.title}

    fields = ["proposal", "mode", "counting", "opens_at", "closes_at", "quorum", "majority", "key"]
    return _topic_action(request, topic_id, "ballot_open", fields, act)


@signed_in
@require_POST
def vote(request, topic_id: int, ballot_id: int):
    password = request.POST.get("password", "")

    def act(topic, v):
        ballot = _ballot(topic, ballot_id)
        try:
            out = ballots.cast_vote(
                actor=request.user,
                ballot_id=ballot.pk,
                choice=v["choice"],
                password=password,
                idempotency_key_=v["key"],
                request=request,
            )
        except PermissionDenied as refused:
            if refused.field != "password":
                raise
            raise InvalidInput(refused.message, field="password") from None
        label = Vote.Choice(out.vote.choice).label
        return _("Your vote is recorded: %(choice)s.") % {"choice": label}

    return _topic_action(request, topic_id, f"ballot_{ballot_id}", ["choice", "key"], act)


@signed_in
@require_POST
def tally(request, topic_id: int, ballot_id: int):
    def act(topic, v):
        ballot = _ballot(topic, ballot_id)
        ballots.enter_tally(
            actor=request.user,
            ballot_id=ballot.pk,
            present=v["present"],
            votes_for=v["votes_for"],
            votes_against=v["votes_against"],
            abstentions=v["abstentions"],
        )
        return _("The meeting's tally is recorded.")

    fields = ["present", "votes_for", "votes_against", "abstentions"]
    return _topic_action(request, topic_id, f"ballot_{ballot_id}", fields, act)


@signed_in
@require_POST
def close(request, topic_id: int, ballot_id: int):
    def act(topic, v):
        out = ballots.close_ballot(actor=request.user, ballot_id=_ballot(topic, ballot_id).pk)
        return _("The ballot is closed: %(result)s.") % {"result": out.ballot.get_result_display()}

    return _topic_action(request, topic_id, f"ballot_{ballot_id}", [], act)


@signed_in
@require_POST
def publish(request, topic_id: int, ballot_id: int):
    def act(topic, v):
        out = ballots.publish_decision(
            actor=request.user,
            ballot_id=_ballot(topic, ballot_id).pk,
            text=v["text"],
            idempotency_key_=v["key"],
        )
        return _("Decision %(number)s is published.") % {"number": out.decision.number}

    return _topic_action(request, topic_id, f"ballot_{ballot_id}", ["text", "key"], act)


routes = [
    path(
        "deliberation/topics/<int:topic_id>/ballots/",
        open_ballot,
        name="deliberation_ballot_open",
    ),
    path(
        "deliberation/topics/<int:topic_id>/ballots/<int:ballot_id>/vote/",
        vote,
        name="deliberation_ballot_vote",
    ),
    path(
        "deliberation/topics/<int:topic_id>/ballots/<int:ballot_id>/tally/",
        tally,
        name="deliberation_ballot_tally",
    ),
    path(
        "deliberation/topics/<int:topic_id>/ballots/<int:ballot_id>/close/",
        close,
        name="deliberation_ballot_close",
    ),
    path(
        "deliberation/topics/<int:topic_id>/ballots/<int:ballot_id>/decision/",
        publish,
        name="deliberation_ballot_decision",
    ),
]
