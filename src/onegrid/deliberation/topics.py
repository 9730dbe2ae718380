"""Topics of resident deliberation (议题): raised by a resident on the roll, who then gathers
co-signatures (联署) from the roll of the topic's place, or raised by the community committee
straight to its review; submitted once co-signed enough; accepted or declined by the
committee; withdrawn; lapsed when co-signing closes short (timers.lapse_topics).

The co-signing threshold is fixed when the topic is raised: the larger of
ONEGRID["DELIBERATION_COSIGN_MIN"] and ONEGRID["DELIBERATION_COSIGN_PERMILLE"] per mille of the
roll of its place (roll_selectors.electorate, people), never more than that roll. The one who
raises a topic co-signs it first.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.rows import locked_row
from onegrid.core.serials import next_serial
from onegrid.core.text_input import bounded_text, chosen_row_id, idempotency_key
from onegrid.notify import kinds
from onegrid.notify import services as notify_services
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit, Grid

from . import roll_selectors
from .models import CoSignature, Topic, Voter

MISSING_KEY = _("An idempotency key is required, so a retry raises the topic once.")
# A topic is withdrawn by the one who raised it before the committee accepts it, or by the
# committee until a vote opens.
WITHDRAWABLE_BY_RAISER = (Topic.State.COLLECTING, Topic.State.SUBMITTED)
WITHDRAWABLE_BY_COMMITTEE = (Topic.State.COLLECTING, Topic.State.SUBMITTED, Topic.State.ACCEPTED)


def cosign_threshold(roll_size: int) -> int:
    """Co-signatures needed on a roll of `roll_size` people: max(minimum, ⌈permille × roll /
    1000⌉), capped at the roll."""
    conf = settings.ONEGRID
    wanted = max(
        int(conf["DELIBERATION_COSIGN_MIN"]),
        math.ceil(int(conf["DELIBERATION_COSIGN_PERMILLE"]) * roll_size / 1000),
    )
    return max(0, min(wanted, roll_size))


def _number(at: dt.datetime) -> str:
    year = timezone.localtime(at).year
    return f"YS{year}{next_serial(f'topic-{year}'):05d}"


def _texts(title: object, body: object) -> tuple[str, str]:
    return (
        bounded_text(title, "title", max_length=100, required=True),
        bounded_text(body, "body", max_length=4000, required=True),
    )


def _replay(key: str, actor: User) -> Topic | None:
    existing = Topic.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.raised_by_id != actor.pk:
        raise Conflict(
            _("This idempotency key was used for another request."), field="idempotency_key"
        )
    return existing


def _topic_url(topic: Topic) -> str:
    try:
        return reverse("web:deliberation_topic", args=[topic.pk])
    except NoReverseMatch:  # the web app is not installed (a worker without pages)
        return ""


def _submit_if_enough(topic: Topic, signed: int, at: dt.datetime) -> None:
    if topic.state == Topic.State.COLLECTING and signed >= topic.cosign_threshold:
        topic.state = Topic.State.SUBMITTED
        topic.submitted_at = at
        topic.save(update_fields=["state", "submitted_at"])
        # The community's committee hears of it once (the key makes a retry add nothing).
        notify_services.tell(
            kind=kinds.TOPIC_TO_REVIEW,
            user_ids=policies.deliberation_keeper_ids(topic.community),
            key=f"topic_to_review:{topic.pk}",
            title=_("Topic %(number)s awaits review: %(title)s"),
            body=_("%(count)d residents on the roll co-signed it."),
            params={"number": topic.number, "title": topic.title, "count": signed},
            url=_topic_url(topic),
            now=at,
        )


@transaction.atomic
def raise_topic(*, actor: User, title: object, body: object, scope: object, key: object) -> Topic:
    """A resident on the roll raises a topic for their community, their grid or their building
    (the place of their household) and co-signs it. A retry with the same key returns it."""
    key = idempotency_key(key, missing=MISSING_KEY)
    if not policies.may_take_part_in_deliberation(actor):
        raise PermissionDenied(_("Only residents on the roll raise topics here."))
    existing = _replay(key, actor)
    if existing is not None:
        return existing
    title_text, body_text = _texts(title, body)
    if scope not in Topic.Scope.values:
        raise InvalidInput(_("Choose whom the topic concerns."), field="scope")
    voter = (
        Voter.objects.select_related("household__grid__community")
        .filter(user=actor, state=Voter.State.VERIFIED)
        .first()
    )
    if voter is None or voter.household.grid is None:
        raise PermissionDenied(
            _("Only residents on the roll raise topics: apply to the roll first."), field="scope"
        )
    grid = voter.household.grid
    if scope == Topic.Scope.BUILDING and not voter.household.building:
        raise InvalidInput(_("Your household's address names no building."), field="scope")
    at = clock.now()
    topic = Topic(
        title=title_text,
        body=body_text,
        scope=str(scope),
        community=grid.community,
        grid=None if scope == Topic.Scope.COMMUNITY else grid,
        building=voter.household.building if scope == Topic.Scope.BUILDING else "",
        state=Topic.State.COLLECTING,
        raised_by=actor,
        raised_by_staff=False,
        raised_at=at,
        cosign_until=at + dt.timedelta(days=int(settings.ONEGRID["DELIBERATION_COSIGN_DAYS"])),
        idempotency_key=key,
    )
    topic.cosign_threshold = cosign_threshold(roll_selectors.electorate(topic, "person"))
    topic.number = _number(at)
    try:
        with transaction.atomic():
            topic.save()
    except IntegrityError:
        existing = _replay(key, actor)
        if existing is None:
            raise
        return existing
    CoSignature.objects.create(topic=topic, voter=voter, signed_at=at)
    _submit_if_enough(topic, 1, at)
    return topic


def _staff_place(
    community_id: object, scope: object, grid_id: object, building: object
) -> tuple[AdminUnit, Grid | None, str]:
    if scope not in Topic.Scope.values:
        raise InvalidInput(_("Choose whom the topic concerns."), field="scope")
    community = AdminUnit.objects.filter(
        pk=chosen_row_id(community_id, "community"), level=AdminUnit.Level.COMMUNITY
    ).first()
    if community is None:
        raise NotFound(_("No such community."), field="community")
    if scope == Topic.Scope.COMMUNITY:
        return community, None, ""
    grid = Grid.objects.filter(pk=chosen_row_id(grid_id, "grid"), community=community).first()
    if grid is None:
        raise InvalidInput(_("Choose a grid of this community."), field="grid")
    if scope == Topic.Scope.GRID:
        return community, grid, ""
    name = bounded_text(building, "building", max_length=40, required=True)
    return community, grid, name


@transaction.atomic
def raise_topic_as_committee(
    *,
    actor: User,
    community_id: object,
    title: object,
    body: object,
    scope: object,
    key: object,
    grid_id: object = None,
    building: object = "",
) -> Topic:
    """The community committee raises a topic itself: no co-signatures, straight to its own
    review (submitted). A retry with the same key returns it."""
    key = idempotency_key(key, missing=MISSING_KEY)
    existing = _replay(key, actor)
    if existing is not None:
        return existing
    community, grid, building_name = _staff_place(community_id, scope, grid_id, building)
    if not policies.may_keep_deliberation(actor, community):
        raise PermissionDenied(_("Only the community committee raises topics here."))
    title_text, body_text = _texts(title, body)
    at = clock.now()
    topic = Topic(
        number=_number(at),
        title=title_text,
        body=body_text,
        scope=str(scope),
        community=community,
        grid=grid,
        building=building_name,
        state=Topic.State.SUBMITTED,
        raised_by=actor,
        raised_by_staff=True,
        raised_at=at,
        submitted_at=at,
        idempotency_key=key,
    )
    try:
        with transaction.atomic():
            topic.save()
    except IntegrityError:
        existing = _replay(key, actor)
        if existing is None:
            raise
        return existing
    return topic


def locked_topic(topic_id: object) -> Topic:
    return locked_row(
        Topic.objects.select_related("community"),
        chosen_row_id(topic_id, "topic"),
        NotFound(_("No such topic."), field="topic"),
    )


@transaction.atomic
def cosign(*, actor: User, topic_id: object) -> CoSignature:
    """A voter of the topic's place co-signs it, once: co-signing again returns the first
    signature. The signature that reaches the threshold submits the topic for review."""
    topic = locked_topic(topic_id)
    voter = roll_selectors.voter_for(actor, topic)
    if voter is None:
        raise PermissionDenied(
            _("Only residents on the roll of the topic's place co-sign it."), field="topic"
        )
    existing = CoSignature.objects.filter(topic=topic, voter=voter).first()
    if existing is not None:
        return existing
    at = clock.now()
    if topic.state != Topic.State.COLLECTING:
        raise Conflict(_("This topic is not collecting co-signatures."), field="topic")
    if topic.cosign_until is not None and at >= topic.cosign_until:
        raise Conflict(_("Co-signing of this topic has closed."), field="topic")
    signature = CoSignature.objects.create(topic=topic, voter=voter, signed_at=at)
    _submit_if_enough(topic, CoSignature.objects.filter(topic=topic).count(), at)
    return signature


@transaction.atomic
def review(*, actor: User, topic_id: object, accept: bool, note: object = "") -> Topic:
    """The committee accepts a submitted topic for deliberation, or declines it with a reason.
    The same review again changes nothing."""
    topic = locked_topic(topic_id)
    if not policies.may_keep_deliberation(actor, topic.community):
        raise PermissionDenied(_("Only the community committee reviews topics."))
    text = bounded_text(note, "note", max_length=500, required=not accept)
    done = Topic.State.ACCEPTED if accept else Topic.State.DECLINED
    if topic.state == done and topic.review_note == text:
        return topic
    if topic.state != Topic.State.SUBMITTED:
        raise Conflict(_("Only a topic awaiting review can be reviewed."), field="topic")
    at = clock.now()
    topic.state = done
    topic.reviewed_at = at
    topic.reviewed_by = actor
    topic.review_note = text
    fields = ["state", "reviewed_at", "reviewed_by", "review_note"]
    if not accept:
        topic.closed_at = at
        fields.append("closed_at")
    topic.save(update_fields=fields)
    if topic.raised_by_id is not None and not topic.raised_by_staff:
        notify_services.tell(
            kind=kinds.TOPIC_REVIEWED,
            user_ids=[topic.raised_by_id],
            key=f"topic_reviewed:{topic.pk}",
            title=_("Your topic %(number)s: %(state)s"),
            # The note is the committee's own text: a placeholder's value, never a format.
            body=_("The committee's note: %(note)s") if text else "",
            params={"number": topic.number, "state": topic.get_state_display(), "note": text},
            url=_topic_url(topic),
            now=at,
        )
    return topic


@transaction.atomic
def withdraw(*, actor: User, topic_id: object) -> Topic:
    """The one who raised a topic withdraws it before it is accepted; the committee until a
    vote opens. Withdrawing a withdrawn topic changes nothing."""
    topic = locked_topic(topic_id)
    keeper = policies.may_keep_deliberation(actor, topic.community)
    raiser = topic.raised_by_id == actor.pk
    if not keeper and not raiser:
        raise PermissionDenied(_("Only the one who raised it or the committee withdraws it."))
    if topic.state == Topic.State.WITHDRAWN:
        return topic
    allowed = WITHDRAWABLE_BY_COMMITTEE if keeper else WITHDRAWABLE_BY_RAISER
    if topic.state not in allowed:
        raise Conflict(_("This topic can no longer be withdrawn."), field="topic")
    topic.state = Topic.State.WITHDRAWN
    topic.closed_at = clock.now()
    topic.save(update_fields=["state", "closed_at"])
    return topic


def lapse_due(now: dt.datetime | None = None) -> int:
    """Topics still collecting once co-signing closed lapse (each in its own short
    transaction; running it again finds none). Returns how many lapsed."""
    at = now or clock.now()
    count = 0
    due = Topic.objects.filter(state=Topic.State.COLLECTING, cosign_until__lte=at)
    for topic_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            updated = Topic.objects.filter(
                pk=topic_id, state=Topic.State.COLLECTING, cosign_until__lte=at
            ).update(state=Topic.State.LAPSED, closed_at=at)
            count += updated
    return count
