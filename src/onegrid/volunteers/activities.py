"""Volunteer activities: the organiser posts, cancels and finishes them; a volunteer signs up,
checks in and out on the phone; the organiser confirms the hours, which earns points.

Rules (README "Volunteers and activities"):
- sign-up: an open activity that has not started, while places are left, once per volunteer
  (a cancelled sign-up may be made again);
- check-in: from CHECK_IN_EARLY before the start until the end, within the activity's radius
  of its place; the phone's accuracy counts in the volunteer's favour up to the radius itself
  (a fix of ±80 m 250 m away passes a 200 m radius; one ±5 km fix does not make a far phone
  near);
- check-out: after the check-in, anywhere (people leave by another door); the hours claimed
  are the overlap of [check-in, check-out] with [starts_at, ends_at], rounded DOWN to the half
  hour (an hour and 20 minutes give 1.0 h: half hours are the unit volunteer records count);
- confirmation: by an organiser of the activity's community, once; the hours may be lowered,
  or raised by at most HOURS_MARGIN above those claimed (a volunteer who forgot to check out),
  never above the activity's own length; any change needs a reason. Confirming awards points
  through volunteers.points.award(rule="hours", source_key=f"signup:{pk}").

Everything a phone sends carries an idempotency key: a retry finds its own row and changes
nothing; a key reused for another request is a 409.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import bounded_text
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory import geometry
from onegrid.territory.models import AdminUnit
from onegrid.territory.selectors import address_distance_m

from . import points
from .models import Activity, SignUp, Volunteer, VolunteerOrganisation

CHECK_IN_EARLY = dt.timedelta(minutes=30)
HALF_HOUR = Decimal("0.5")
MAX_HOURS = 1000  # beyond any activity (seven days at most): a typo, refused
CENTS = Decimal("0.01")  # the model's two decimal places
HOURS_MARGIN = Decimal("1.0")
MAX_ACTIVITY = dt.timedelta(days=7)
MAX_RADIUS_M = 5_000
MIN_RADIUS_M = 20
MAX_CAPACITY = 1000
MAX_TITLE = 100
MAX_PLACE = 200
MAX_DESCRIPTION = 4000
MAX_REASON = 200


@dataclass(frozen=True)
class Outcome:
    sign_up: SignUp
    replayed: bool = False


# --- the organiser's side --------------------------------------------------------------------


def post_activity(
    *,
    actor: User,
    community_code: object,
    title: object,
    starts_at: object,
    ends_at: object,
    lon: object,
    lat: object,
    capacity: object,
    crs: object = None,
    place: object = "",
    description: object = "",
    radius_m: object = None,
    organisation_id: object = None,
) -> Activity:
    community = _community(community_code)
    if not policies.may_organise_volunteers(actor, community):
        raise PermissionDenied(_("You do not organise volunteers in this community."))
    clean_title = bounded_text(title, field="title", max_length=MAX_TITLE, required=True)
    start = _moment(starts_at, field="starts_at")
    end = _moment(ends_at, field="ends_at")
    if end <= start:
        raise InvalidInput(_("The activity must end after it starts."), field="ends_at")
    if end - start > MAX_ACTIVITY:
        raise InvalidInput(_("An activity lasts at most seven days."), field="ends_at")
    if end <= clock.now():
        raise InvalidInput(_("The activity has already ended."), field="ends_at")
    x, y = geometry.to_wgs84(lon, lat, _crs(crs))
    radius = (
        _whole(radius_m, field="radius_m", low=MIN_RADIUS_M, high=MAX_RADIUS_M)
        if radius_m not in (None, "")
        else None
    )
    places = _whole(capacity, field="capacity", low=1, high=MAX_CAPACITY)
    organisation = None
    if organisation_id not in (None, ""):
        organisation = VolunteerOrganisation.objects.filter(
            pk=_pk(organisation_id) or 0,
            active=True,
            unit_id__in=(community.pk, community.parent_id),
        ).first()
        if organisation is None:
            raise InvalidInput(
                _("No such volunteer organisation in this community or its street."),
                field="organisation",
            )
    fields = {
        "community": community,
        "organisation": organisation,
        "title": clean_title,
        "description": bounded_text(description, field="description", max_length=MAX_DESCRIPTION),
        "place": bounded_text(place, field="place", max_length=MAX_PLACE),
        "starts_at": start,
        "ends_at": end,
        "lon": x,
        "lat": y,
        "capacity": places,
        "created_at": clock.now(),
        "created_by": actor,
    }
    if radius is not None:
        fields["check_in_radius_m"] = radius
    with transaction.atomic():
        return Activity.objects.create(**fields)


def close_activity(*, actor: User, activity_id: object, state: str) -> Activity:
    """Cancel an open activity, or mark it finished. Closing it again changes nothing."""
    if state not in (Activity.State.CANCELLED, Activity.State.FINISHED):
        raise InvalidInput(_("Cancel or finish."), field="state")
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        if not policies.may_organise_volunteers(actor, activity.community):
            raise PermissionDenied(_("You do not organise volunteers in this community."))
        if activity.state == state:
            return activity
        if activity.state != Activity.State.OPEN:
            raise Conflict(_("The activity is already closed."), field="state")
        activity.state = state
        activity.save(update_fields=["state"])
    return activity


def confirm_hours(
    *, actor: User, sign_up_id: object, hours: object = None, reason: object = ""
) -> SignUp:
    """The organiser confirms a checked-in volunteer's hours (those claimed unless `hours`
    says otherwise) and the points for them are awarded once."""
    with transaction.atomic():
        sign_up = _locked_sign_up(sign_up_id)
        activity = sign_up.activity
        if not policies.may_organise_volunteers(actor, activity.community):
            raise PermissionDenied(_("You do not organise volunteers in this community."))
        if sign_up.volunteer.user_id == actor.pk:
            # An organiser who volunteers too: the confirmation is someone else's check.
            raise PermissionDenied(_("Another organiser confirms your own hours."))
        if sign_up.checked_in_at is None or sign_up.cancelled_at is not None:
            raise Conflict(_("Only a volunteer who checked in has hours."), field="sign_up_id")
        claimed = sign_up.claimed_hours or Decimal(0)
        wanted = claimed if hours in (None, "") else _hours(hours)
        ceiling = min(claimed + HOURS_MARGIN, _hours_between(activity.starts_at, activity.ends_at))
        if wanted > ceiling:
            raise InvalidInput(
                _("At most %(h)s hours for this sign-up.") % {"h": ceiling}, field="hours"
            )
        text = bounded_text(reason, field="reason", max_length=MAX_REASON)
        if sign_up.confirmed_at is not None:
            if sign_up.confirmed_hours == wanted:
                return sign_up  # a retry of the same confirmation
            raise Conflict(_("These hours are already confirmed."), field="hours")
        if wanted != claimed and not text:
            raise InvalidInput(_("Say why the hours differ from those claimed."), field="reason")
        sign_up.confirmed_hours = wanted
        sign_up.confirmed_at = clock.now()
        sign_up.confirmed_by = actor
        sign_up.confirm_reason = text
        sign_up.save(
            update_fields=["confirmed_hours", "confirmed_at", "confirmed_by", "confirm_reason"]
        )
        if wanted > 0:
            points.award(
                user=sign_up.volunteer.user,
                rule="hours",
                source_key=f"signup:{sign_up.pk}",
                quantity=wanted,
                note=activity.title,
            )
    return sign_up


# --- the volunteer's side (the phone) --------------------------------------------------------


def sign_up(*, actor: User, activity_id: object, idempotency_key: object) -> Outcome:
    key = check_key(idempotency_key)
    volunteer = _own_volunteer(actor)
    earlier = SignUp.objects.filter(volunteer=volunteer, sign_up_key=key).first()
    if earlier is not None:
        return _replay_sign_up(earlier, activity_id)
    try:
        with transaction.atomic():
            activity = _locked_activity(activity_id)
            now = clock.now()
            if activity.state != Activity.State.OPEN:
                raise Conflict(_("The activity is not open."), field="activity_id")
            if now >= activity.starts_at:
                raise Conflict(_("The activity has already started."), field="activity_id")
            live = SignUp.objects.filter(activity=activity, cancelled_at__isnull=True)
            if live.filter(volunteer=volunteer).exists():
                raise Conflict(_("You are already signed up."), field="activity_id")
            if live.count() >= activity.capacity:
                raise Conflict(_("The activity is full."), field="activity_id")
            row = SignUp.objects.create(
                activity=activity, volunteer=volunteer, signed_up_at=now, sign_up_key=key
            )
    except IntegrityError:
        # A concurrent retry with the same key won: answer with its row.
        earlier = SignUp.objects.filter(volunteer=volunteer, sign_up_key=key).first()
        if earlier is None:
            raise Conflict(_("You are already signed up."), field="activity_id") from None
        return _replay_sign_up(earlier, activity_id)
    return Outcome(row)


def cancel_sign_up(*, actor: User, activity_id: object) -> SignUp:
    """The volunteer withdraws before checking in. Cancelling again changes nothing."""
    volunteer = _own_volunteer(actor)
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        row = (
            SignUp.objects.select_for_update()
            .filter(activity=activity, volunteer=volunteer)
            .order_by("cancelled_at", "-signed_up_at")  # the live one first (NULLs first)
            .first()
        )
        if row is None:
            raise NotFound(_("You are not signed up."), field="activity_id")
        if row.cancelled_at is not None:
            return row
        if row.checked_in_at is not None:
            raise Conflict(_("You have already checked in."), field="activity_id")
        row.cancelled_at = clock.now()
        row.save(update_fields=["cancelled_at"])
    return row


def check_in(
    *,
    actor: User,
    activity_id: object,
    lon: object,
    lat: object,
    accuracy: object = None,
    crs: object = None,
    idempotency_key: object,
) -> Outcome:
    key = check_key(idempotency_key)
    volunteer = _own_volunteer(actor)
    x, y = geometry.to_wgs84(lon, lat, _crs(crs))
    error = _accuracy(accuracy)
    with transaction.atomic():
        row = _own_live_sign_up(volunteer, activity_id)
        if row.checked_in_at is not None:
            if row.check_in_key == key:
                return Outcome(row, replayed=True)
            raise Conflict(_("You have already checked in."), field="activity_id")
        activity = row.activity
        now = clock.now()
        if activity.state != Activity.State.OPEN:
            raise Conflict(_("The activity is not open."), field="activity_id")
        if now < activity.starts_at - CHECK_IN_EARLY:
            raise Conflict(
                _("Check-in opens %(m)s minutes before the start, at %(t)s.")
                % {
                    "m": int(CHECK_IN_EARLY.total_seconds() // 60),
                    "t": _local(activity.starts_at - CHECK_IN_EARLY),
                },
                field="activity_id",
            )
        if now >= activity.ends_at:
            raise Conflict(_("The activity has ended."), field="activity_id")
        distance = address_distance_m(x, y, activity.lon, activity.lat)
        allowance = min(error or 0.0, float(activity.check_in_radius_m))
        if distance - allowance > activity.check_in_radius_m:
            raise InvalidInput(
                _("You are %(d)s m from the activity's place; check in within %(r)s m of it.")
                % {"d": int(round(distance)), "r": activity.check_in_radius_m},
                field="location",
                code="too_far",
            )
        row.checked_in_at = now
        row.check_in_lon, row.check_in_lat, row.check_in_accuracy_m = x, y, error
        row.check_in_key = key
        row.save(
            update_fields=[
                "checked_in_at",
                "check_in_lon",
                "check_in_lat",
                "check_in_accuracy_m",
                "check_in_key",
            ]
        )
    return Outcome(row)


def check_out(
    *,
    actor: User,
    activity_id: object,
    lon: object,
    lat: object,
    crs: object = None,
    idempotency_key: object,
) -> Outcome:
    key = check_key(idempotency_key)
    volunteer = _own_volunteer(actor)
    x, y = geometry.to_wgs84(lon, lat, _crs(crs))
    with transaction.atomic():
        row = _own_live_sign_up(volunteer, activity_id)
        if row.checked_out_at is not None:
            if row.check_out_key == key:
                return Outcome(row, replayed=True)
            raise Conflict(_("You have already checked out."), field="activity_id")
        if row.checked_in_at is None:
            raise Conflict(_("Check in first."), field="activity_id")
        now = clock.now()
        row.checked_out_at = now
        row.check_out_lon, row.check_out_lat = x, y
        row.check_out_key = key
        row.claimed_hours = claimed_hours(
            row.checked_in_at, now, row.activity.starts_at, row.activity.ends_at
        )
        row.save(
            update_fields=[
                "checked_out_at",
                "check_out_lon",
                "check_out_lat",
                "check_out_key",
                "claimed_hours",
            ]
        )
    return Outcome(row)


def claimed_hours(
    checked_in: dt.datetime, checked_out: dt.datetime, starts: dt.datetime, ends: dt.datetime
) -> Decimal:
    """Hours of [checked_in, checked_out] inside [starts, ends], down to the half hour."""
    overlap = min(checked_out, ends) - max(checked_in, starts)
    return _hours_between(dt.datetime.min, dt.datetime.min + max(overlap, dt.timedelta(0)))


# --- helpers ---------------------------------------------------------------------------------


def check_key(key: object) -> str:
    text = key.strip() if isinstance(key, str) else ""
    if not text:
        raise InvalidInput(
            _("Send an idempotency key so a retry cannot count twice."), field="idempotency_key"
        )
    if len(text) > 64 or not text.isprintable() or not text.isascii():
        raise InvalidInput(
            _("The idempotency key is at most 64 printable characters."), field="idempotency_key"
        )
    return text


def _crs(crs: object) -> str:
    """The client's coordinate system: none means WGS-84; anything not text is refused."""
    if crs is None:
        return geometry.WGS84
    return crs if isinstance(crs, str) else "?"


def _hours_between(start: dt.datetime, end: dt.datetime) -> Decimal:
    halves = math.floor((end - start).total_seconds() / 1800)
    return (Decimal(halves) * HALF_HOUR).quantize(CENTS)


def _hours(value: object) -> Decimal:
    try:
        text = str(value).strip()
        if not text.isascii() or len(text) > 12:
            raise InvalidOperation
        hours = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Give the hours as a number, e.g. 2.5."), field="hours") from None
    if not hours.is_finite() or hours < 0 or hours > MAX_HOURS:
        raise InvalidInput(_("Give the hours as a number, e.g. 2.5."), field="hours")
    return ((hours / HALF_HOUR).to_integral_value(rounding=ROUND_FLOOR) * HALF_HOUR).quantize(CENTS)


def _accuracy(value: object) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(_("The accuracy is a number of metres."), field="accuracy")
    try:
        number = float(value) if str(value).isascii() else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0 or number > 100_000:
        raise InvalidInput(_("The accuracy is a number of metres."), field="accuracy")
    return number


def _whole(value: object, *, field: str, low: int, high: int) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or len(text) > 6:
        raise InvalidInput(_("A whole number is expected."), field=field)
    number = int(text)
    if not low <= number <= high:
        raise InvalidInput(
            _("Between %(low)s and %(high)s.") % {"low": low, "high": high}, field=field
        )
    return number


def _moment(value: object, *, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.isascii() and len(value) <= 40:
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(_("A date and time is expected."), field=field) from None
    else:
        raise InvalidInput(_("A date and time is expected."), field=field)
    if timezone.is_naive(moment):
        # A form's datetime-local: Beijing time.
        moment = timezone.make_aware(moment, timezone.get_fixed_timezone(8 * 60))
    if not 2000 <= moment.year <= 2100:
        raise InvalidInput(_("A date and time is expected."), field=field)
    return moment


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment, timezone.get_fixed_timezone(8 * 60)).strftime("%H:%M")


def _pk(value: object) -> int | None:
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    pk = int(text)
    return pk if 0 < pk < 2**31 else None


def _community(code: object) -> AdminUnit:
    if isinstance(code, str) and code.isascii() and code.isdigit() and len(code) <= 12:
        unit = AdminUnit.objects.filter(code=code, level=AdminUnit.Level.COMMUNITY).first()
        if unit is not None:
            return unit
    raise InvalidInput(_("No such community."), field="community")


def _locked_activity(activity_id: object) -> Activity:
    pk = _pk(activity_id)
    activity = (
        Activity.objects.select_for_update().select_related("community").filter(pk=pk).first()
        if pk
        else None
    )
    if activity is None:
        raise NotFound(_("No such activity."), field="activity_id")
    return activity


def _locked_sign_up(sign_up_id: object) -> SignUp:
    pk = _pk(sign_up_id)
    row = (
        SignUp.objects.select_for_update()
        .select_related("activity__community", "volunteer__user")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if row is None:
        raise NotFound(_("No such sign-up."), field="sign_up_id")
    return row


def _own_volunteer(actor: User) -> Volunteer:
    volunteer = Volunteer.objects.filter(user=actor, active=True).first()
    if volunteer is None:
        raise PermissionDenied(_("Register as a volunteer first."), code="not_a_volunteer")
    return volunteer


def _own_live_sign_up(volunteer: Volunteer, activity_id: object) -> SignUp:
    pk = _pk(activity_id)
    row = (
        SignUp.objects.select_for_update()
        .select_related("activity")
        .filter(activity_id=pk, volunteer=volunteer, cancelled_at__isnull=True)
        .first()
        if pk
        else None
    )
    if row is None:
        raise NotFound(_("You are not signed up for this activity."), field="activity_id")
    return row


def _replay_sign_up(row: SignUp, activity_id: object) -> Outcome:
    if row.activity_id != _pk(activity_id):
        raise Conflict(
            _("This idempotency key was already used for a different request."),
            field="idempotency_key",
        )
    return Outcome(row, replayed=True)
