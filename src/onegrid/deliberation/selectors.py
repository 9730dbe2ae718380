"""Scoped reads of resident deliberation: the committee desk's topics and roll, a topic with
what the viewer may do on it, and a resident's own roll entry and the topics of their place.

Who reads what is org.policies (may_read_deliberation, may_keep_deliberation,
may_read_voter_roll); reads of roll entries that show a person unmasked are logged as
PersonalDataRead kind VOTER, once per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from onegrid.core.errors import NotFound, PermissionDenied
from onegrid.org import policies
from onegrid.org.models import User

from .models import Topic, Voter


@dataclass(frozen=True)
class TopicPermissions:
    """What the viewer may do on one topic (the topic page passes this to its includes)."""

    read: bool = False
    keep: bool = False  # committee: review, meetings, proposals, ballots, decisions
    on_roll: bool = False  # the viewer's verified roll entry lies in the topic's place
    cosign: bool = False
    withdraw: bool = False


def on_roll_in(user: User, community_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return Voter.objects.filter(
        user_id=user.pk, community_id=community_id, state=Voter.State.VERIFIED
    ).exists()


def topic_for(user: User, topic_id: int) -> Topic:
    """The topic if `user` may read it: NotFound for no such topic, PermissionDenied outside
    the viewer's reach."""
    topic = (
        Topic.objects.select_related("community", "community__parent", "grid")
        .annotate(cosign_count=Count("cosignatures"))
        .filter(pk=topic_id)
        .first()
    )
    if topic is None:
        raise NotFound("topic")
    if topic.raised_by_id == user.pk and user.is_authenticated:
        return topic
    if not policies.may_read_deliberation(
        user, topic.community, on_roll=on_roll_in(user, topic.community_id)
    ):
        raise PermissionDenied("topic")
    return topic


def topics_in_reach(user: User) -> QuerySet[Topic]:
    """The topics of the communities the viewer reads as staff (the committee desk)."""
    reach = policies.deliberation_reach(user)
    qs = Topic.objects.select_related("community", "grid").annotate(
        cosign_count=Count("cosignatures")
    )
    if reach is None:
        return qs.none()
    if reach.district_wide:
        return qs
    return qs.filter(
        Q(community_id__in=reach.community_ids) | Q(community__parent_id__in=reach.street_ids)
    )


def permissions_on(user: User, topic: Topic) -> TopicPermissions:
    keep = policies.may_keep_deliberation(user, topic.community)
    from .roll_selectors import voter_for

    voter = voter_for(user, topic)
    return TopicPermissions(
        read=True,
        keep=keep,
        on_roll=voter is not None,
        cosign=voter is not None and topic.state == Topic.State.COLLECTING,
        withdraw=(
            topic.state in (Topic.State.COLLECTING, Topic.State.SUBMITTED)
            and (topic.raised_by_id == user.pk or keep)
        ),
    )
