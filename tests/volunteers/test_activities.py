"""Activities, sign-up, check-in and check-out, hours and their confirmation
(volunteers.activities): the rules a phone meets in the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.org.models import Role
from onegrid.territory.geometry import wgs84_to_gcj02
from onegrid.volunteers import activities, volunteering
from onegrid.volunteers.models import Activity, SignUp, Volunteer
from support.people import person
from support.volunteering import END, START, make

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def at(moment):
    clock.set_now(moment)


def check_in(v, lon, lat, key="in-1", **extra):
    return activities.check_in(
        actor=v.resident, activity_id=v.activity.pk, lon=lon, lat=lat, idempotency_key=key, **extra
    )


def check_out(v, key="out-1"):
    lon, lat = v.activity.lon, v.activity.lat
    return activities.check_out(
        actor=v.resident, activity_id=v.activity.pk, lon=lon, lat=lat, idempotency_key=key
    )


def signed_up(world, **kwargs):
    v = make(world, **kwargs)
    activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="s-1")
    return v


# --- registration ----------------------------------------------------------------------------


def test_a_resident_registers_without_getting_the_grid_team_role(world):
    resident = world.people.resident
    v = volunteering.register(actor=resident, community_code=world.community.code, skills="急救")
    assert v.community == world.community and v.skills == "急救"
    assert not resident.roles.filter(role=Role.VOLUNTEER).exists()
    again = volunteering.register(actor=resident, grid_code=world.grids[0].code)
    assert again.pk == v.pk and again.grid == world.grids[0]
    assert Volunteer.objects.count() == 1


def test_staff_do_not_register_and_bad_codes_name_their_field(world):
    with pytest.raises(PermissionDenied):
        volunteering.register(actor=world.people.acceptor, community_code=world.community.code)
    for code in ("１２０１１３００１００１", "x" * 13, "\x00", world.street.code):
        with pytest.raises(InvalidInput) as refused:
            volunteering.register(actor=world.people.resident, community_code=code)
        assert refused.value.field == "community"
    with pytest.raises(InvalidInput) as refused:
        volunteering.register(
            actor=world.people.resident, community_code=world.community.code, skills="a\x00b"
        )
    assert refused.value.field == "skills"


def test_the_real_name_check_is_the_communitys_organisers(world):
    v = make(world)
    other = person("other_org", Role.ORGANISER, unit=world.other_street)
    with pytest.raises(PermissionDenied):
        volunteering.check_real_name(actor=other, volunteer_id=v.volunteer.pk)
    checked = volunteering.check_real_name(actor=v.organiser, volunteer_id=v.volunteer.pk)
    assert checked.real_name_checked_by == v.organiser and checked.real_name_checked_at


def test_organisations_are_founded_by_organisers_and_party_staff_of_the_place(world):
    staff = person("party_staff", Role.PARTY_STAFF, unit=world.street)
    org = volunteering.found_organisation(
        actor=staff, unit_code=world.community.code, name="巾帼志愿队"
    )
    assert org.unit == world.community
    with pytest.raises(PermissionDenied):
        volunteering.found_organisation(
            actor=world.people.acceptor, unit_code=world.community.code, name="x"
        )


# --- posting ---------------------------------------------------------------------------------


def test_only_organisers_of_the_community_post_and_a_gcj02_point_is_stored_in_wgs84(world):
    v = make(world)
    lon, lat = world.point
    glon, glat = wgs84_to_gcj02(lon, lat)
    posted = activities.post_activity(
        actor=v.organiser,
        community_code=world.community.code,
        title="义诊",
        starts_at="2026-03-11T09:00",
        ends_at="2026-03-11T11:00",
        lon=glon,
        lat=glat,
        crs="gcj02",
        capacity=3,
    )
    assert posted.lon == pytest.approx(lon, abs=2e-5) and posted.lat == pytest.approx(lat, abs=2e-5)
    assert posted.check_in_radius_m == 200
    assert posted.starts_at == dt.datetime(2026, 3, 11, 1, 0, tzinfo=dt.UTC)
    other = person("far_org", Role.ORGANISER, unit=world.other_street)
    with pytest.raises(PermissionDenied):
        activities.post_activity(
            actor=other,
            community_code=world.community.code,
            title="x",
            starts_at=START,
            ends_at=END,
            lon=lon,
            lat=lat,
            capacity=1,
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 101),
        ("ends_at", "2026-03-10T08:00"),
        ("capacity", "0"),
        ("capacity", "９"),
        ("capacity", "1" * 30),
        ("lon", "nan"),
        ("lat", 1e308),
        ("radius_m", "5"),
        ("crs", "bd09"),
        ("starts_at", "morgen"),
    ],
)
def test_odd_activity_input_is_refused_naming_the_field(world, field, value):
    v = make(world)
    lon, lat = world.point
    fields = {
        "community_code": world.community.code,
        "title": "义诊",
        "starts_at": START + 24 * H,
        "ends_at": END + 24 * H,
        "lon": lon,
        "lat": lat,
        "capacity": 2,
    }
    fields[field] = value
    before = Activity.objects.count()
    with pytest.raises(InvalidInput) as refused:
        activities.post_activity(actor=v.organiser, **fields)
    assert refused.value.field == field
    assert Activity.objects.count() == before


# --- sign-up ---------------------------------------------------------------------------------


def test_sign_up_is_idempotent_once_per_volunteer_and_bounded_by_capacity(world):
    v = make(world, capacity=1)
    first = activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="k1")
    replay = activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="k1")
    assert replay.replayed and replay.sign_up.pk == first.sign_up.pk
    with pytest.raises(Conflict):
        activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="k2")
    other = person("neighbour", Role.RESIDENT, unit=world.district)
    volunteering.register(actor=other, community_code=world.community.code)
    with pytest.raises(Conflict) as full:
        activities.sign_up(actor=other, activity_id=v.activity.pk, idempotency_key="n1")
    assert "满" in full.value.message or "full" in str(full.value.message)
    # A withdrawn place is free again.
    activities.cancel_sign_up(actor=v.resident, activity_id=v.activity.pk)
    activities.sign_up(actor=other, activity_id=v.activity.pk, idempotency_key="n1")
    assert SignUp.objects.filter(activity=v.activity, cancelled_at__isnull=True).count() == 1


def test_no_sign_up_after_the_start_nor_for_a_cancelled_activity_nor_unregistered(world):
    v = make(world)
    at(START)
    with pytest.raises(Conflict):
        activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="k")
    at(START - H)
    activities.close_activity(actor=v.organiser, activity_id=v.activity.pk, state="cancelled")
    with pytest.raises(Conflict):
        activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="k")
    with pytest.raises(PermissionDenied):
        activities.sign_up(
            actor=world.people.worker, activity_id=v.activity.pk, idempotency_key="k"
        )
    with pytest.raises(NotFound):
        activities.sign_up(actor=v.resident, activity_id="9" * 30, idempotency_key="k")
    with pytest.raises(InvalidInput) as refused:
        activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="a\x00")
    assert refused.value.field == "idempotency_key"


def test_a_key_reused_for_another_activity_is_a_conflict(world):
    v = signed_up(world)
    lon, lat = world.point
    second = activities.post_activity(
        actor=v.organiser,
        community_code=world.community.code,
        title="二",
        starts_at=START,
        ends_at=END,
        lon=lon,
        lat=lat,
        capacity=1,
    )
    with pytest.raises(Conflict) as refused:
        activities.sign_up(actor=v.resident, activity_id=second.pk, idempotency_key="s-1")
    assert refused.value.field == "idempotency_key"


# --- check-in and check-out ------------------------------------------------------------------


def test_check_in_opens_thirty_minutes_before_the_start_and_closes_at_the_end(world):
    v = signed_up(world)
    lon, lat = world.point
    at(START - 31 * M)
    with pytest.raises(Conflict):
        check_in(v, lon, lat)
    at(END)
    with pytest.raises(Conflict):
        check_in(v, lon, lat)
    at(START - 30 * M)
    assert check_in(v, lon, lat).sign_up.checked_in_at == START - 30 * M


def test_a_far_check_in_is_refused_naming_the_location_and_the_distance(world):
    v = signed_up(world)
    lon, lat = world.point
    at(START)
    far_lat = lat + 0.005  # about 556 m north
    with pytest.raises(InvalidInput) as refused:
        check_in(v, lon, far_lat)
    assert refused.value.field == "location" and refused.value.code == "too_far"
    assert "556" in refused.value.message and "200" in refused.value.message
    assert SignUp.objects.get().checked_in_at is None
    # A poor fix does not make a far phone near: the accuracy counts up to the radius only.
    with pytest.raises(InvalidInput):
        check_in(v, lon, far_lat, accuracy=5000)
    # 250 m away with ±80 m passes a 200 m radius.
    near_lat = lat + 250 / 111_195
    assert check_in(v, lon, near_lat, accuracy=80).sign_up.check_in_accuracy_m == 80


def test_check_in_and_out_replay_with_their_keys_and_refuse_new_ones(world):
    v = signed_up(world)
    lon, lat = world.point
    at(START + 10 * M)
    first = check_in(v, lon, lat, key="in-a")
    replay = check_in(v, lon + 0.1, lat, key="in-a")
    assert replay.replayed and replay.sign_up.check_in_lon == first.sign_up.check_in_lon
    with pytest.raises(Conflict):
        check_in(v, lon, lat, key="in-b")
    at(START + 2 * H)
    out = check_out(v, key="out-a")
    at(START + 3 * H)
    again = check_out(v, key="out-a")
    assert again.replayed and again.sign_up.checked_out_at == out.sign_up.checked_out_at
    with pytest.raises(Conflict):
        check_out(v, key="out-b")


def test_check_out_needs_a_check_in(world):
    v = signed_up(world)
    at(START)
    with pytest.raises(Conflict):
        check_out(v)


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "hours"),
    [
        (START - 30 * M, END + H, "2.0"),  # early and late: only the activity's window counts
        (START + 20 * M, END, "1.5"),  # 1 h 40 min: down to the half hour
        (START + 50 * M, START + 69 * M, "0.0"),  # 19 minutes
        (START, START + 89 * M, "1.0"),
        (END - 30 * M, END + 5 * H, "0.5"),  # partial overlap at the end
    ],
)
def test_hours_are_the_overlap_with_the_window_rounded_down_to_half_hours(
    world, checked_in, checked_out, hours
):
    v = signed_up(world)
    lon, lat = world.point
    at(checked_in)
    check_in(v, lon, lat)
    at(checked_out)
    assert check_out(v).sign_up.claimed_hours == Decimal(hours)


def test_hours_helper_handles_no_overlap():
    assert activities.claimed_hours(END + H, END + 2 * H, START, END) == Decimal("0")


# --- confirmation ----------------------------------------------------------------------------


def checked_out_after(world, minutes):
    v = signed_up(world)
    lon, lat = world.point
    at(START)
    check_in(v, lon, lat)
    at(START + minutes * M)
    check_out(v)
    return v, SignUp.objects.get()


def test_confirming_awards_points_once_for_the_confirmed_hours(world, monkeypatch):
    calls = []

    def award(**kwargs):
        calls.append(kwargs)

    monkeypatch.setattr(activities.points, "award", award)
    v, row = checked_out_after(world, 95)
    assert row.claimed_hours == Decimal("1.5")
    confirmed = activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk)
    assert confirmed.confirmed_hours == Decimal("1.5") and confirmed.confirmed_by == v.organiser
    again = activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk)
    assert again.confirmed_at == confirmed.confirmed_at
    assert calls == [
        {
            "user": v.resident,
            "rule": "hours",
            "source_key": f"signup:{row.pk}",
            "quantity": Decimal("1.5"),
            "note": "清理楼道",
        }
    ]
    with pytest.raises(Conflict):
        activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk, hours="1", reason="x")


def test_confirming_through_the_points_ledger_credits_the_volunteer(world):
    from onegrid.volunteers import points
    from onegrid.volunteers.models import PointsRule

    PointsRule.objects.create(kind="hours", points=10, changed_at=clock.now())
    v, row = checked_out_after(world, 120)
    activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk)
    activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk)
    assert points.balance(v.resident) == 20


def test_other_hours_need_a_reason_and_stay_within_the_bound(world):
    v, row = checked_out_after(world, 60)
    with pytest.raises(InvalidInput) as refused:
        activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk, hours="0.5")
    assert refused.value.field == "reason"
    with pytest.raises(InvalidInput) as refused:
        activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk, hours="2.5", reason="x")
    assert refused.value.field == "hours"
    for odd in ("-1", "１", "NaN", "Infinity", "1e999999", "abc"):
        with pytest.raises(InvalidInput):
            activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk, hours=odd, reason="x")
    done = activities.confirm_hours(
        actor=v.organiser, sign_up_id=row.pk, hours="2", reason="忘记签退"
    )
    assert done.confirmed_hours == Decimal("2.0") and done.confirm_reason == "忘记签退"


def test_only_an_organiser_of_the_community_confirms(world):
    v, row = checked_out_after(world, 60)
    for actor in (
        v.resident,
        world.people.acceptor,
        person("o2", Role.ORGANISER, unit=world.other_street),
    ):
        with pytest.raises(PermissionDenied):
            activities.confirm_hours(actor=actor, sign_up_id=row.pk)
    street_organiser = person("o3", Role.ORGANISER, unit=world.street)
    assert activities.confirm_hours(actor=street_organiser, sign_up_id=row.pk).confirmed_at
