"""Reads for volunteering, each scoped to what the reader may see.

A volunteer reads the open activities near them (activities are public notices of the
district: any volunteering account reads any of them), their own sign-ups and hours. An
organiser reads the volunteers, organisations and activities of the places their roles reach
(org.policies.volunteering_reach); a volunteer's phone is shown unmasked only to an organiser of
the volunteer's community (org.policies.may_organise_volunteers), and the edge that shows it
records the read (org.access_log, kind VOLUNTEER).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from onegrid.core import clock
from onegrid.core.errors import NotFound
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.selectors import address_distance_m

from .models import Activity, SignUp, Volunteer, VolunteerOrganisation

NEAR_KM_DEFAULT = 10.0
NEAR_KM_MAX = 50.0
NEAR_LIMIT = 50
LOCAL = timezone.get_fixed_timezone(8 * 60)


@dataclass(frozen=True)
class Near:
    activity: Activity
    distance_m: float
    places_left: int


def volunteer_of(user: User) -> Volunteer | None:
    return (
        Volunteer.objects.select_related("community", "organisation")
        .filter(user=user, active=True)
        .first()
    )


def activities_near(
    user: User, *, lon: float, lat: float, km: float = NEAR_KM_DEFAULT
) -> list[Near]:
    """Open activities not yet ended within `km` of (lon, lat) (WGS-84), nearest first."""
    if not policies.may_open_page(user, "volunteering"):
        return []
    km = min(max(km, 0.1), NEAR_KM_MAX)
    dlat = km / 111.0
    dlon = km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
    rows = (
        Activity.objects.filter(
            state=Activity.State.OPEN,
            ends_at__gt=clock.now(),
            lon__range=(lon - dlon, lon + dlon),
            lat__range=(lat - dlat, lat + dlat),
        )
        .select_related("community", "organisation")
        .order_by("starts_at")[:500]
    )
    taken = _live_counts([a.pk for a in rows])
    found = []
    for activity in rows:
        distance = address_distance_m(lon, lat, activity.lon, activity.lat)
        if distance <= km * 1000:
            left = max(activity.capacity - taken.get(activity.pk, 0), 0)
            found.append(Near(activity, distance, left))
    found.sort(key=lambda n: (n.distance_m, n.activity.starts_at))
    return found[:NEAR_LIMIT]


def visible_activity(user: User, activity_id: object) -> Activity:
    """An activity for a volunteering account (any) or an organiser within their reach."""
    text = str(activity_id)
    pk = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else 0
    activity = Activity.objects.select_related("community", "organisation").filter(pk=pk).first()
    if activity is None or not (
        policies.may_open_page(user, "volunteering")
        or _in_reach(
            policies.volunteering_reach(user), activity.community_id, activity.community.parent_id
        )
    ):
        raise NotFound(_no_such_activity(), field="activity_id")
    return activity


def places_left(activity: Activity) -> int:
    return max(activity.capacity - _live_counts([activity.pk]).get(activity.pk, 0), 0)


def my_sign_up(user: User, activity: Activity) -> SignUp | None:
    return (
        SignUp.objects.filter(activity=activity, volunteer__user=user, cancelled_at__isnull=True)
        .select_related("activity")
        .first()
    )


def my_sign_ups(user: User) -> QuerySet[SignUp]:
    return (
        SignUp.objects.filter(volunteer__user=user, cancelled_at__isnull=True)
        .select_related("activity__community")
        .order_by("-activity__starts_at")
    )


@dataclass(frozen=True)
class MonthHours:
    month: str  # YYYY-MM, Beijing time
    confirmed: Decimal
    pending: Decimal


def my_hours(user: User) -> list[MonthHours]:
    """Per month of the activity's start (newest first): hours confirmed, and hours claimed by
    a check-out and not yet confirmed."""
    months: dict[str, list[Decimal]] = {}
    rows = my_sign_ups(user).filter(checked_in_at__isnull=False)
    for row in rows.values(
        "activity__starts_at", "claimed_hours", "confirmed_hours", "confirmed_at"
    ):
        month = row["activity__starts_at"].astimezone(LOCAL).strftime("%Y-%m")
        sums = months.setdefault(month, [Decimal(0), Decimal(0)])
        if row["confirmed_at"] is not None:
            sums[0] += row["confirmed_hours"] or 0
        else:
            sums[1] += row["claimed_hours"] or 0
    cents = Decimal("0.01")
    return [
        MonthHours(m, c.quantize(cents), p.quantize(cents))
        for m, (c, p) in sorted(months.items(), reverse=True)
    ]


# --- the organiser's reads -------------------------------------------------------------------


def _in_reach(
    reach: policies.VolunteeringReach, community_id: int | None, street_id: int | None
) -> bool:
    return (
        reach.district_wide or community_id in reach.community_ids or street_id in reach.street_ids
    )


def _reach_filter(user: User, community: str) -> Q | None:
    """A filter on `community` (a path to the community's AdminUnit) for the user's reach; None
    when they reach nothing."""
    reach = policies.volunteering_reach(user)
    if reach.district_wide:
        return Q()
    if not (reach.street_ids or reach.community_ids):
        return None
    return Q(**{f"{community}_id__in": reach.community_ids}) | Q(
        **{f"{community}__parent_id__in": reach.street_ids}
    )


def organiser_activities(user: User) -> QuerySet[Activity]:
    scope = _reach_filter(user, "community")
    if scope is None:
        return Activity.objects.none()
    return (
        Activity.objects.filter(scope)
        .select_related("community", "organisation")
        .order_by("-starts_at", "-pk")
    )


def organiser_organisations(user: User) -> QuerySet[VolunteerOrganisation]:
    reach = policies.volunteering_reach(user)
    if reach.district_wide:
        return VolunteerOrganisation.objects.select_related("unit")
    return VolunteerOrganisation.objects.filter(
        Q(unit_id__in=reach.community_ids)
        | Q(unit_id__in=reach.street_ids)
        | Q(unit__parent_id__in=reach.street_ids)
        | Q(unit_id__in=reach.district_ids)  # a city's district, read whole
    ).select_related("unit")


def organiser_activity(user: User, activity_id: object) -> Activity:
    text = str(activity_id)
    pk = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else 0
    activity = organiser_activities(user).filter(pk=pk).first()
    if activity is None:
        raise NotFound(_no_such_activity(), field="activity_id")
    return activity


@dataclass(frozen=True)
class RosterRow:
    volunteer: Volunteer
    name: str
    phone: str
    unmasked: bool  # the phone is shown whole: the edge records the read


def roster(user: User) -> list[RosterRow]:
    """The volunteers of the communities in the user's reach."""
    scope = _reach_filter(user, "community")
    if scope is None:
        return []
    rows = (
        Volunteer.objects.filter(scope)
        .select_related("user", "community", "organisation", "grid")
        .order_by("community__code", "joined_at", "pk")
    )
    return [_roster_row(user, v) for v in rows]


def sign_ups_of(user: User, activity: Activity) -> list[RosterRow]:
    """The activity's sign-ups (live and cancelled) as roster rows, in sign-up order."""
    rows = (
        SignUp.objects.filter(activity=activity)
        .select_related("volunteer__user", "volunteer__community")
        .order_by("signed_up_at", "pk")
    )
    out = []
    for row in rows:
        entry = _roster_row(user, row.volunteer)
        out.append(entry)
        entry.volunteer.current_sign_up = row  # type: ignore[attr-defined]
    return out


def _roster_row(user: User, volunteer: Volunteer) -> RosterRow:
    phone = volunteer.user.phone or ""
    whole = bool(phone) and policies.may_organise_volunteers(user, volunteer.community)
    return RosterRow(
        volunteer=volunteer,
        name=volunteer.user.display_name or "",
        phone=phone if whole else policies.mask_phone(phone) if phone else "",
        unmasked=whole,
    )


def _live_counts(activity_ids: list[int]) -> dict[int, int]:
    return dict(
        SignUp.objects.filter(activity_id__in=activity_ids, cancelled_at__isnull=True)
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values_list("activity_id", "n")
    )


def _no_such_activity() -> str:
    return _("No such activity.")
