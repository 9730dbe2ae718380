"""Proposals (方案) on an accepted topic: what would be done and at what estimated cost, recorded
by the committee (from the meeting, the raiser, the property company …). Each is put to its own
ballot (ballots). A proposal not yet put to a vote may be withdrawn."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, NotFound, PermissionDenied
from onegrid.core.rows import locked_row
from onegrid.core.text_input import bounded_text, chosen_row_id, idempotency_key, yuan_amount
from onegrid.org import policies
from onegrid.org.models import User

from .models import Proposal, Topic
from .topics import locked_topic

OPEN_TO_PROPOSALS = (Topic.State.ACCEPTED, Topic.State.VOTING)


def _cost(value: object) -> Decimal | None:
    """The proposal's estimated cost in yuan; blank for nothing to spend."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return yuan_amount(value, "estimated_cost")


@transaction.atomic
def propose(
    *,
    actor: User,
    topic_id: object,
    title: object,
    body: object,
    key: object,
    estimated_cost: object = None,
) -> Proposal:
    """The committee records a proposal on an accepted topic. A retry with the same key
    returns it."""
    key = idempotency_key(key, missing=_("An idempotency key is required, so a retry adds once."))
    existing = Proposal.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.proposed_by_id != actor.pk:
            raise Conflict(
                _("This idempotency key was used for another request."), field="idempotency_key"
            )
        return existing
    topic = locked_topic(topic_id)
    if not policies.may_keep_deliberation(actor, topic.community):
        raise PermissionDenied(_("Only the community committee records proposals."))
    if topic.state not in OPEN_TO_PROPOSALS:
        raise Conflict(_("Proposals are recorded on accepted topics."), field="topic")
    title_text = bounded_text(title, "title", max_length=100, required=True)
    body_text = bounded_text(body, "body", max_length=8000, required=True)
    cost = _cost(estimated_cost)
    try:
        with transaction.atomic():
            return Proposal.objects.create(
                topic=topic,
                title=title_text,
                body=body_text,
                estimated_cost=cost,
                proposed_by=actor,
                proposed_at=clock.now(),
                idempotency_key=key,
            )
    except IntegrityError:
        existing = Proposal.objects.filter(idempotency_key=key, proposed_by=actor).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def withdraw_proposal(*, actor: User, proposal_id: object) -> Proposal:
    """A proposal never put to a vote leaves the topic. Withdrawing it again changes nothing."""
    proposal = locked_row(
        Proposal.objects.select_related("topic__community"),
        chosen_row_id(proposal_id, "proposal"),
        NotFound(_("No such proposal."), field="proposal"),
    )
    if not policies.may_keep_deliberation(actor, proposal.topic.community):
        raise PermissionDenied(_("Only the community committee withdraws proposals."))
    if proposal.withdrawn_at is not None:
        return proposal
    if proposal.ballots.exists():
        raise Conflict(_("A proposal put to a vote stays on the record."), field="proposal")
    proposal.withdrawn_at = clock.now()
    proposal.save(update_fields=["withdrawn_at"])
    return proposal
