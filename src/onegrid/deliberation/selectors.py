"""Scoped reads of resident deliberation: the committee desk's topics and roll, a topic with
what the viewer may do on it, its meetings and proposals, and a resident's own roll entry and
the topics of their place.

Who reads what is org.policies (may_read_deliberation, may_keep_deliberation,
may_read_voter_roll); reads of roll entries that show a person unmasked are logged as
PersonalDataRead kind VOTER, once per request (`roll_of`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import NotFound, PermissionDenied
from onegrid.core.text_input import chosen_row_id
from onegrid.org import access_log, policies
from onegrid.org.models import User
from onegrid.party.selectors import mask_name
from onegrid.territory.models import AdminUnit

from .models import CoSignature, Meeting, MeetingAttachment, Proposal, Topic, Voter
from .roll_selectors import voter_for

Kind = access_log.Kind


@dataclass(frozen=True)
class TopicPermissions:
    """What the viewer may do on one topic (the topic page passes this to its includes)."""

    read: bool = False
    keep: bool = False  # committee: review, meetings, proposals, ballots, decisions
    on_roll: bool = False  # the viewer's verified roll entry lies in the topic's place
    cosign: bool = False
    cosigned: bool = False
    withdraw: bool = False
    review: bool = False


def on_roll_in(user: User, community_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return Voter.objects.filter(
        user_id=user.pk, community_id=community_id, state=Voter.State.VERIFIED
    ).exists()


def annotated_topics() -> QuerySet[Topic]:
    return Topic.objects.select_related("community", "community__parent", "grid").annotate(
        cosign_count=Count("cosignatures")
    )


def may_read_topic(user: User, topic: Topic) -> bool:
    if not user.is_authenticated:
        return False
    if topic.raised_by_id == user.pk:
        return True
    if policies.may_read_deliberation(user, topic.community):
        return True
    # A resident reads the topics of the place their verified roll entry lies in.
    return policies.may_read_deliberation(
        user, topic.community, on_roll=voter_for(user, topic) is not None
    )


def topic_for(user: User, topic_id: object) -> Topic:
    """The topic if `user` may read it: NotFound for no such topic, PermissionDenied outside
    the viewer's reach."""
    topic = annotated_topics().filter(pk=chosen_row_id(topic_id, "topic")).first()
    if topic is None:
        raise NotFound(_("No such topic."), field="topic")
    if not may_read_topic(user, topic):
        raise PermissionDenied(_("This topic is outside your reach."), field="topic")
    return topic


def _reach_filter(user: User | AnonymousUser, prefix: str = "") -> Q | None:
    reach = policies.deliberation_reach(user)
    if reach is None:
        return None
    if reach.district_wide:
        return Q()
    return Q(**{f"{prefix}community_id__in": reach.community_ids}) | Q(
        **{f"{prefix}community__parent_id__in": reach.street_ids}
    )


def topics_in_reach(user: User | AnonymousUser, *, state: str = "") -> QuerySet[Topic]:
    """The topics of the communities the viewer reads as staff (the committee desk)."""
    where = _reach_filter(user)
    if where is None:
        return Topic.objects.none()
    qs = annotated_topics().filter(where)
    if state:
        qs = qs.filter(state=state)
    return qs


def communities_kept(user: User) -> list[AdminUnit]:
    """The communities whose deliberation `user` keeps (where the desk's forms act)."""
    where = _reach_filter(user, prefix="")
    if where is None:
        return []
    units = AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY).select_related("parent")
    if where != Q():
        reach = policies.deliberation_reach(user)
        assert reach is not None
        units = units.filter(Q(pk__in=reach.community_ids) | Q(parent_id__in=reach.street_ids))
    return [u for u in units.order_by("code")[:500] if policies.may_keep_deliberation(user, u)]


def permissions_on(user: User, topic: Topic) -> TopicPermissions:
    keep = policies.may_keep_deliberation(user, topic.community)
    voter = voter_for(user, topic)
    cosigned = voter is not None and CoSignature.objects.filter(topic=topic, voter=voter).exists()
    raiser = topic.raised_by_id == user.pk
    return TopicPermissions(
        read=True,
        keep=keep,
        on_roll=voter is not None,
        cosign=voter is not None and not cosigned and topic.state == Topic.State.COLLECTING,
        cosigned=cosigned,
        withdraw=(
            (keep and topic.state in ("collecting", "submitted", "accepted"))
            or (raiser and topic.state in ("collecting", "submitted"))
        ),
        review=keep and topic.state == Topic.State.SUBMITTED,
    )


def meetings_of(topic: Topic) -> list[Meeting]:
    return list(topic.meetings.prefetch_related("attachments").order_by("held_at", "pk"))


def proposals_of(topic: Topic, *, include_withdrawn: bool = False) -> list[Proposal]:
    qs = topic.proposals.all()
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    return list(qs.order_by("proposed_at", "pk"))


def attachment_for(user: User, attachment_id: object) -> MeetingAttachment:
    """A meeting's file if `user` may read its topic."""
    attachment = (
        MeetingAttachment.objects.select_related("meeting__topic__community")
        .filter(pk=chosen_row_id(attachment_id, "attachment"))
        .first()
    )
    if attachment is None:
        raise NotFound(_("No such file."), field="attachment")
    if not may_read_topic(user, attachment.meeting.topic):
        raise PermissionDenied(_("This topic is outside your reach."), field="attachment")
    return attachment


# --- the roll ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollEntry:
    """One roll entry as the viewer may see it: unmasked for the roll's keepers (each read
    logged), the name masked and the household reduced to its grid for other staff."""

    id: int
    name: str
    household: str
    grid: str
    community: str
    state: str
    state_label: str
    method_label: str
    reason: str
    applied_at: dt.datetime
    checked_at: dt.datetime | None
    masked: bool
    keep: bool


def roll_of(
    user: User,
    *,
    channel: str,
    path: str = "",
    state: str = "",
    community_id: int | None = None,
    limit: int = 500,
) -> list[RollEntry]:
    """The roll entries of the communities in the viewer's reach, newest first (at most
    `limit`); one PersonalDataRead (kind VOTER) per entry shown unmasked."""
    where = _reach_filter(user)
    if where is None:
        return []
    qs = Voter.objects.select_related(
        "user", "household", "household__grid", "community", "community__parent"
    ).filter(where)
    if state:
        qs = qs.filter(state=state)
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    keeps: dict[int, bool] = {}
    rows: list[RollEntry] = []
    shown: list[tuple[int, tuple[str, ...]]] = []
    for v in qs.order_by("-applied_at", "-pk")[:limit]:
        if v.community_id not in keeps:
            keeps[v.community_id] = policies.may_read_voter_roll(user, v.community)
        unmasked = keeps[v.community_id]
        name = v.user.display_name or v.user.get_username()
        grid = v.household.grid.name if v.household.grid else ""
        rows.append(
            RollEntry(
                id=v.pk,
                name=name if unmasked else mask_name(name),
                household=v.household.name if unmasked else "",
                grid=grid,
                community=v.community.name,
                state=v.state,
                state_label=str(v.get_state_display()),
                method_label=str(v.get_method_display()) if v.method else "",
                reason=v.reason if unmasked else "",
                applied_at=v.applied_at,
                checked_at=v.checked_at,
                masked=not unmasked,
                keep=unmasked,
            )
        )
        if unmasked:
            shown.append((v.pk, ("name", "household")))
    access_log.record(user=user, kind=Kind.VOTER, channel=channel, subjects=shown, path=path)
    return rows


# --- the resident's side ----------------------------------------------------------------------


def my_entries(user: User) -> list[Voter]:
    """The resident's own roll entries, newest first (their own data: not logged)."""
    if not user.is_authenticated:
        return []
    return list(
        Voter.objects.filter(user=user)
        .select_related("household", "household__grid", "community")
        .order_by("-applied_at", "-pk")[:20]
    )


def my_topics(user: User) -> QuerySet[Topic]:
    """The topics a resident reads: those of the place their verified roll entry lies in
    (its community; its grid; its building) and those they raised."""
    if not user.is_authenticated:
        return Topic.objects.none()
    place = Q(raised_by=user)
    entry = (
        Voter.objects.select_related("household__grid")
        .filter(user=user, state=Voter.State.VERIFIED)
        .first()
    )
    if entry is not None and entry.household.grid is not None:
        grid_id = entry.household.grid_id
        place |= (
            Q(scope=Topic.Scope.COMMUNITY, community_id=entry.household.grid.community_id)
            | Q(scope=Topic.Scope.GRID, grid_id=grid_id)
            | Q(
                scope=Topic.Scope.BUILDING,
                grid_id=grid_id,
                building=entry.household.building,
            )
        )
    return annotated_topics().filter(place)


def cosigned_topic_ids(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(CoSignature.objects.filter(voter__user=user).values_list("topic_id", flat=True))
