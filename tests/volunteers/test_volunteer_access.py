"""Who opens the volunteering pages and calls the volunteers API: every role of org.models.Role
against every new page and endpoint; the roster's masking and its access log; odd input to
the API is a 4xx naming the field."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from onegrid.core import clock
from onegrid.org.models import TEAM_ROLES, PersonalDataRead, Role, RoleAssignment, User
from onegrid.volunteers import activities, volunteering
from onegrid.volunteers.models import Activity, SignUp, Volunteer
from support.people import person
from support.volunteering import START, make

pytestmark = pytest.mark.django_db

VOLUNTEERING = {Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER}
ORGANISER_PAGE = {Role.ORGANISER, Role.PARTY_STAFF}


def everyone(world) -> dict[str, User]:
    """One person per role, bound where that role is bound in the world's first community."""
    people = {}
    for role in Role.values:
        if role in TEAM_ROLES:
            where = {"grid": world.grids[0]}
        elif role == Role.DEPT_HANDLER:
            where = {"department": world.city_mgmt}
        elif role in VOLUNTEERING or role in (Role.COMMAND_CENTRE, Role.LEADER, Role.ADMIN):
            where = {"unit": world.district}
        elif role in (Role.ACCEPTOR, Role.DISPATCHER, Role.SHIFT_LEAD, Role.CALLBACK):
            where = {"unit": world.street}
        else:
            where = {"unit": world.community}
        user = User.objects.create_user(f"r_{role}", password="pw", phone="13700001111")
        RoleAssignment.objects.create(user=user, role=role, **where)
        people[role] = user
    return people


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_every_role_against_every_page(world):
    v = make(world)
    pages = {
        "/field/volunteering/": VOLUNTEERING,
        "/field/volunteering/hours/": VOLUNTEERING,
        f"/field/volunteering/activities/{v.activity.pk}/": VOLUNTEERING,
        "/volunteers/": ORGANISER_PAGE,
        "/volunteers/roster/": ORGANISER_PAGE,
        f"/volunteers/activities/{v.activity.pk}/": ORGANISER_PAGE,
    }
    for role, user in everyone(world).items():
        c = client(user)
        for url, allowed in pages.items():
            status = c.get(url).status_code
            assert status == (200 if role in allowed else 403), (role, url, status)
    for url in pages:
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_every_role_against_every_endpoint(world):
    v = make(world)
    a = v.activity.pk
    near = f"/api/v1/volunteers/activities/near?lon={v.activity.lon}&lat={v.activity.lat}"
    reads = {
        near: VOLUNTEERING,
        "/api/v1/volunteers/me/hours": VOLUNTEERING,
        "/api/v1/volunteers/activities": ORGANISER_PAGE,
        "/api/v1/volunteers/roster": ORGANISER_PAGE,
        f"/api/v1/volunteers/activities/{a}": VOLUNTEERING | ORGANISER_PAGE,
    }
    lon, lat = world.point
    new_activity = {
        "community": world.community.code,
        "title": "植树",
        "starts_at": "2026-03-12T09:00:00+08:00",
        "ends_at": "2026-03-12T11:00:00+08:00",
        "lon": lon,
        "lat": lat,
        "capacity": 3,
    }
    writes = {
        "/api/v1/volunteers/register": ({"community": world.community.code}, VOLUNTEERING),
        "/api/v1/volunteers/activities": (new_activity, {Role.ORGANISER}),
        "/api/v1/volunteers/organisations": (
            {"unit": world.community.code, "name": "队"},
            ORGANISER_PAGE,
        ),
    }
    for role, user in everyone(world).items():
        c = client(user)
        for url, allowed in reads.items():
            status = c.get(url).status_code
            expected = 404 if url.endswith(f"/{a}") else 403
            assert status == (200 if role in allowed else expected), (role, url, status)
        for url, (body, allowed) in writes.items():
            status = c.post(url, body, content_type="application/json").status_code
            assert status == (200 if role in allowed else 403), (role, url, status)
        # Sign-up, check-in, check-out and confirmation need a registration or the organiser's
        # place: nobody but the registered volunteer and the community's organiser gets through.
        key = {"idempotency_key": f"k-{role}"}
        status = c.post(
            f"/api/v1/volunteers/activities/{a}/sign-up", key, content_type="application/json"
        ).status_code
        expected = 200 if role in VOLUNTEERING else 403  # registered just above
        assert status == expected, (role, status)
    assert Client().get("/api/v1/volunteers/me/hours").status_code == 401


def test_the_phone_flow_through_the_api_with_replays(world):
    v = make(world)
    c = client(v.resident)
    base = f"/api/v1/volunteers/activities/{v.activity.pk}"
    near = c.get(
        f"/api/v1/volunteers/activities/near?lon={v.activity.lon}&lat={v.activity.lat + 0.001}"
    ).json()
    assert [n["id"] for n in near] == [v.activity.pk] and 100 <= near[0]["distance_m"] <= 120
    first = c.post(f"{base}/sign-up", {"idempotency_key": "a"}, content_type="application/json")
    again = c.post(f"{base}/sign-up", {"idempotency_key": "a"}, content_type="application/json")
    assert first.json()["replayed"] is False and again.json()["replayed"] is True
    clock.set_now(START)
    far = c.post(
        f"{base}/check-in",
        {"lon": v.activity.lon, "lat": v.activity.lat + 0.01, "idempotency_key": "i"},
        content_type="application/json",
    )
    assert far.status_code == 422 and far.json()["field"] == "location"
    assert "1112" in far.json()["message"] or "1111" in far.json()["message"]
    spot = {"lon": v.activity.lon, "lat": v.activity.lat, "accuracy": 15, "idempotency_key": "i"}
    assert c.post(f"{base}/check-in", spot, content_type="application/json").status_code == 200
    clock.set_now(START + (START - START.replace(hour=9)))  # 11:00
    out = c.post(
        f"{base}/check-out", {**spot, "idempotency_key": "o"}, content_type="application/json"
    )
    assert out.json()["sign_up"]["claimed_hours"] == "1.00"
    hours = c.get("/api/v1/volunteers/me/hours").json()
    assert hours["months"] == [{"month": "2026-03", "confirmed": "0.00", "pending": "1.00"}]
    row = SignUp.objects.get()
    organiser = client(v.organiser)
    done = organiser.post(
        f"/api/v1/volunteers/sign-ups/{row.pk}/confirm", {}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["confirmed_hours"] == "1.00"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("check-in", {"lon": "东经", "lat": 39.2, "idempotency_key": "k"}, "lon"),
        ("check-in", {"lon": 117.1, "lat": 1e308, "idempotency_key": "k"}, "lat"),
        ("check-in", {"lon": 117.1, "lat": 39.2, "crs": "bd09", "idempotency_key": "k"}, "crs"),
        ("check-in", {"lon": 117.1, "lat": 39.2, "idempotency_key": "a\u0000b"}, "idempotency_key"),
        ("check-in", {"lon": 117.1, "lat": 39.2, "idempotency_key": "x" * 65}, "idempotency_key"),
        ("sign-up", {"idempotency_key": ""}, "idempotency_key"),
        ("sign-up", {"idempotency_key": "\u202e"}, "idempotency_key"),
    ],
)
def test_odd_phone_input_is_a_4xx_naming_the_field(world, url, body, field):
    v = make(world)
    clock.set_now(START)
    response = client(v.resident).post(
        f"/api/v1/volunteers/activities/{v.activity.pk}/{url}",
        json.dumps(body),
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500, response.content
    assert field in json.dumps(response.json()), response.json()
    assert not SignUp.objects.filter(checked_in_at__isnull=False).exists()


@pytest.mark.parametrize("ref", ["0", "99999999999999999999", "%00", "１", "-1"])
def test_odd_ids_are_not_found(world, ref):
    v = make(world)
    for c in (client(v.resident), client(v.organiser)):
        assert c.get(f"/api/v1/volunteers/activities/{ref}").status_code in (404, 422)
        assert c.post(
            f"/api/v1/volunteers/activities/{ref}/sign-up",
            {"idempotency_key": "k"},
            content_type="application/json",
        ).status_code in (403, 404, 422)  # the organiser is no volunteer: 403
    assert client(v.organiser).get(f"/volunteers/activities/{ref}/").status_code == 404


def test_the_roster_shows_phones_whole_only_to_the_communitys_organiser_and_logs_it(world):
    v = make(world)
    v.resident.phone = "13812345678"
    v.resident.save()
    own = client(v.organiser).get("/volunteers/roster/")
    assert "13812345678" in own.content.decode()
    logged = PersonalDataRead.objects.get()
    assert logged.kind == PersonalDataRead.Kind.VOLUNTEER
    assert logged.subject_id == str(v.volunteer.pk) and logged.user == v.organiser
    # Party staff of the street read the roster masked, and nothing is logged.
    staff = person("pstaff", Role.PARTY_STAFF, unit=world.street)
    masked = client(staff).get("/volunteers/roster/").content.decode()
    assert "138****5678" in masked and "13812345678" not in masked
    assert PersonalDataRead.objects.count() == 1
    # An organiser of another street sees none of them.
    other = person("o_other", Role.ORGANISER, unit=world.other_street)
    assert (
        "138" not in client(other).get("/volunteers/roster/").content.decode().split("roster")[-1]
    )
    api = client(v.organiser).get("/api/v1/volunteers/roster").json()
    assert api[0]["phone"] == "13812345678" and PersonalDataRead.objects.count() == 2


def test_the_xlsx_roster_is_masked_even_for_the_organiser(world):
    v = make(world)
    v.resident.phone = "13812345678"
    v.resident.save()
    response = client(v.organiser).get("/volunteers/roster/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "138****5678" in values and "13812345678" not in values
    assert not PersonalDataRead.objects.exists()


def test_the_organiser_pages_post_confirm_and_close(world):
    v = make(world)
    c = client(v.organiser)
    lon, lat = world.point
    form = {
        "community": world.community.code,
        "title": "敬老",
        "starts_at": "2026-03-12T09:00",
        "ends_at": "2026-03-12T08:00",
        "lon": str(lon),
        "lat": str(lat),
        "capacity": "4",
    }
    refused = c.post("/volunteers/", form)
    assert refused.status_code == 422 and 'data-error-for="ends_at"' in refused.content.decode()
    assert Activity.objects.count() == 1
    form["ends_at"] = "2026-03-12T11:00"
    created = c.post("/volunteers/", form)
    assert created.status_code == 302
    activity = Activity.objects.get(title="敬老")
    clock.set_now(START.replace(day=11))
    activities.sign_up(actor=v.resident, activity_id=activity.pk, idempotency_key="x")
    clock.set_now(activity.starts_at)
    activities.check_in(
        actor=v.resident, activity_id=activity.pk, lon=lon, lat=lat, idempotency_key="i"
    )
    clock.set_now(activity.ends_at)
    activities.check_out(
        actor=v.resident, activity_id=activity.pk, lon=lon, lat=lat, idempotency_key="o"
    )
    row = SignUp.objects.get(activity=activity)
    bad = c.post(f"/volunteers/activities/{activity.pk}/", {"sign_up": row.pk, "hours": "1"})
    assert bad.status_code == 422 and 'data-error-for="reason"' in bad.content.decode()
    ok = c.post(f"/volunteers/activities/{activity.pk}/", {"sign_up": row.pk, "hours": "2"})
    assert ok.status_code == 302
    row.refresh_from_db()
    assert str(row.confirmed_hours) == "2.00"
    c.post(f"/volunteers/activities/{activity.pk}/", {"state": "finished"})
    activity.refresh_from_db()
    assert activity.state == "finished"


def test_registering_on_the_field_page(world):
    c = client(world.people.resident)
    page = c.get("/field/volunteering/")
    assert 'id="register-form"' in page.content.decode()
    refused = c.post("/field/volunteering/", {"community": "x\x00"})
    assert refused.status_code == 422 and 'data-error-for="community"' in refused.content.decode()
    assert c.post("/field/volunteering/", {"community": world.community.code}).status_code == 302
    assert Volunteer.objects.get().community == world.community
    assert not world.people.resident.roles.filter(role=Role.VOLUNTEER).exists()
    assert 'href="/field/points/"' in c.get("/field/volunteering/hours/").content.decode()
    assert volunteering  # the service module the page calls


def test_every_role_against_the_organisers_writes_and_the_volunteers_withdrawal(world):
    v = make(world)
    lon, lat = world.point
    activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="s")
    clock.set_now(START)
    activities.check_in(
        actor=v.resident, activity_id=v.activity.pk, lon=lon, lat=lat, idempotency_key="i"
    )
    clock.set_now(START.replace(hour=11))
    activities.check_out(
        actor=v.resident, activity_id=v.activity.pk, lon=lon, lat=lat, idempotency_key="o"
    )
    row = SignUp.objects.get()
    clock.set_now(START.replace(hour=9))
    later = activities.post_activity(
        actor=v.organiser,
        community_code=world.community.code,
        title="下午场",
        starts_at=START.replace(hour=14),
        ends_at=START.replace(hour=16),
        lon=lon,
        lat=lat,
        capacity=10,
    )
    organisers = {Role.ORGANISER}
    for role, user in everyone(world).items():
        c = client(user)
        calls = [
            (f"/api/v1/volunteers/sign-ups/{row.pk}/confirm", {}, organisers),
            (f"/api/v1/volunteers/volunteers/{v.volunteer.pk}/real-name-check", {}, organisers),
            (f"/api/v1/volunteers/activities/{v.activity.pk}/state/finished", {}, organisers),
        ]
        for url, body, allowed in calls:
            status = c.post(url, body, content_type="application/json").status_code
            assert status == (200 if role in allowed else 403), (role, url, status)
        listing = c.get(f"/api/v1/volunteers/activities/{later.pk}/sign-ups").status_code
        assert listing == (200 if role in ORGANISER_PAGE else 403), (role, listing)
        if role in VOLUNTEERING:
            volunteering.register(actor=user, community_code=world.community.code)
            activities.sign_up(actor=user, activity_id=later.pk, idempotency_key="k")
        status = c.post(f"/api/v1/volunteers/activities/{later.pk}/cancel-sign-up").status_code
        assert status == (200 if role in VOLUNTEERING else 403), (role, status)
    assert SignUp.objects.filter(activity=later, cancelled_at__isnull=True).count() == 0
    row.refresh_from_db()
    assert row.confirmed_by.username == f"r_{Role.ORGANISER}"
