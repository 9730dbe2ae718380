"""The community a resident most likely means when a form asks for one: the community of
their entry on the voter roll (pending or on the roll), else of the last problem they reported.
The resident's legal question and mediation application forms choose it first, so that a
resident does not look for their community among the district's 250."""

from __future__ import annotations

from onegrid.cases.models import Case
from onegrid.deliberation.models import Voter
from onegrid.territory.models import AdminUnit


def home_community(user) -> AdminUnit | None:
    if user is None or not user.is_authenticated:
        return None
    live = (Voter.State.PENDING, Voter.State.VERIFIED)
    voter = Voter.objects.filter(user=user, state__in=live).select_related("community").first()
    if voter is not None:
        return voter.community
    case = (
        Case.objects.filter(reporter=user)
        .select_related("community")
        .order_by("-reported_at")
        .only("community")
        .first()
    )
    return case.community if case is not None else None
