"""Who stands on the voter roll of a topic's place (scoped reads of deliberation.Voter).

A topic's place is its community, a grid in it, or a building in a grid. A voter belongs to
the place where their household (a standard address) lies now: community → the address's
grid's community; grid → the address's grid; building → that grid and the address's building.
Only verified entries count. Co-signing thresholds, a ballot's electorate and who may vote all
read the roll through these functions, so the three always agree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import Ballot, Topic, Voter


def _place_filter(topic: Topic) -> Q:
    if topic.scope == Topic.Scope.COMMUNITY:
        return Q(household__grid__community_id=topic.community_id)
    if topic.scope == Topic.Scope.GRID:
        return Q(household__grid_id=topic.grid_id)
    return Q(household__grid_id=topic.grid_id, household__building=topic.building)


def voters_in_place(topic: Topic) -> QuerySet[Voter]:
    """The verified voters whose household lies in the topic's place."""
    return Voter.objects.filter(_place_filter(topic), state=Voter.State.VERIFIED)


def electorate(topic: Topic, counting: str = Ballot.Counting.PERSON) -> int:
    """How many count on the topic's roll: people, or distinct households (counting
    "household")."""
    voters = voters_in_place(topic)
    if counting == Ballot.Counting.HOUSEHOLD:
        return voters.values("household_id").distinct().count()
    if counting != Ballot.Counting.PERSON:
        raise ValueError(f"unknown counting {counting!r}")
    return voters.count()


def voter_for(user: Any, topic: Topic) -> Voter | None:
    """The user's verified roll entry if it lies in the topic's place, else None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return voters_in_place(topic).filter(user_id=user.pk).select_related("household").first()
