"""The grid team API (1+3+N): reads scoped like the pages, writes through org.teams, refusals as
translated 4xx JSON naming the field, idempotent shift scheduling."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.test import Client

from onegrid.org import selectors, teams
from onegrid.org.models import DutyShift, Role, RoleAssignment, TeamSlot, User
from onegrid.org.services import issue_token
from support.world import MONDAY_MORNING

SH = MONDAY_MORNING.tzinfo


def api(user, language: str = "en") -> Client:
    token, _ = issue_token(username=user.username, password="pw-" + user.username)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=language)


def _user(username: str, **extra) -> User:
    return User.objects.create_user(
        username, password="pw-" + username, display_name=username, **extra
    )


def _error(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert body["field"] == field and body["message"] and body["code"]
    return body


# --- reads -----------------------------------------------------------------------------------


def test_team_groups_slots_members_masked_and_on_duty(world):
    g0 = world.grids[0]
    _user("cop", phone="13987654321")
    teams.add_member(
        actor=world.people.command, grid_code=g0.code, username="cop", role="police_officer"
    )
    teams.schedule_duty(
        actor=world.people.command,
        grid_code=g0.code,
        username="cop",
        starts_at=MONDAY_MORNING - dt.timedelta(hours=1),
        ends_at=MONDAY_MORNING + dt.timedelta(hours=3),
    )
    response = api(world.people.acceptor).get(f"/api/v1/teams/{g0.code}")
    assert response.status_code == 200
    body = response.json()
    assert (body["grid_code"], body["may_manage"]) == (g0.code, True)
    groups = {g["group"]: g for g in body["groups"]}
    assert list(groups) == ["core", "helper", "volunteer"]
    assert groups["helper"]["required"] == 3 and groups["helper"]["missing"] == 2
    police = next(s for s in groups["helper"]["slots"] if s["role"] == "police_officer")
    assert police["members"] == [
        {
            "username": "cop",
            "name": "cop",
            "role": "police_officer",
            "role_label": "社区民警",
            "phone": "139****4321",
        }
    ]
    assert "13987654321" not in response.content.decode()
    assert [d["name"] for d in body["on_duty"]] == ["cop"]
    assert body["on_duty"][0]["starts_at"].endswith("+08:00")


def test_a_grid_out_of_scope_is_not_found_as_json(world):
    g0, _g1, g2 = world.grids
    client = api(world.people.acceptor)
    for path in [f"/api/v1/teams/{g2.code}", f"/api/v1/teams/{g2.code}/shifts"]:
        body = _error(client.get(path), 404, "grid_code")
        assert body["code"] == "not_found"
    _error(client.get("/api/v1/teams/999999999999999"), 404, "grid_code")
    _user("vol")
    _error(
        client.post(
            f"/api/v1/teams/{g2.code}/members",
            {"username": "vol", "role": "volunteer"},
            content_type="application/json",
        ),
        404,
        "grid_code",
    )
    assert not RoleAssignment.objects.filter(user__username="vol").exists()
    # Residents and department handlers see no grid at all.
    for who in ("resident", "city_handler"):
        _error(api(getattr(world.people, who)).get(f"/api/v1/teams/{g0.code}"), 404, "grid_code")
    assert Client().get(f"/api/v1/teams/{g0.code}").status_code == 401


def test_vacancies_match_the_selector_and_are_scoped(world):
    RoleAssignment.objects.filter(user=world.people.worker2).delete()
    response = api(world.people.command).get("/api/v1/teams/vacancies")
    assert response.status_code == 200
    body = response.json()
    expected = selectors.vacancies(world.people.command)
    assert body["summary"] == {
        "grids": 3,
        "fully_staffed": 0,
        "missing_core": 1,
        "grids_missing_helpers": 3,
        "missing_helpers": 9,
        "missing_total": 10,
    }
    assert body["summary"]["missing_total"] == expected.summary.missing_total
    assert [(r["grid_code"], r["role"]) for r in body["rows"]] == [
        (r.grid_code, r.role) for r in expected.rows
    ]
    mine = api(world.people.other_acceptor).get("/api/v1/teams/vacancies").json()
    assert mine["summary"]["grids"] == 1
    one = api(world.people.command).get(f"/api/v1/teams/vacancies?street={world.street.code}")
    assert one.json()["summary"]["grids"] == 2
    _error(
        api(world.people.command).get("/api/v1/teams/vacancies?street=120113999000"),
        422,
        "street",
    )


# --- members ---------------------------------------------------------------------------------


def test_add_and_remove_members_by_body_or_query(world):
    g0 = world.grids[0]
    _user("bh", phone="13700001111")
    client = api(world.people.dispatcher)
    response = client.post(
        f"/api/v1/teams/{g0.code}/members",
        {"username": "bh", "role": "party_member"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["phone"] == "137****1111"
    assert RoleAssignment.objects.filter(user__username="bh", grid=g0, role="party_member").exists()
    assert response.json()["replayed"] is False
    # A retry changes nothing and succeeds: 200, replayed.
    again = client.post(
        f"/api/v1/teams/{g0.code}/members",
        {"username": "bh", "role": "party_member"},
        content_type="application/json",
    )
    assert again.status_code == 200
    assert again.json() == {**response.json(), "replayed": True}
    assert RoleAssignment.objects.filter(user__username="bh").count() == 1
    for _attempt in range(2):  # the retry of a removal is a 204 too
        response = client.delete(
            f"/api/v1/teams/{g0.code}/members",
            {"username": "bh", "role": "party_member"},
            content_type="application/json",
        )
        assert response.status_code == 204
        assert not RoleAssignment.objects.filter(user__username="bh").exists()
    teams.add_member(actor=world.people.command, grid_code=g0.code, username="bh", role="volunteer")
    for _attempt in range(2):
        response = client.delete(f"/api/v1/teams/{g0.code}/members?username=bh&role=volunteer")
        assert response.status_code == 204
    assert not RoleAssignment.objects.filter(user__username="bh").exists()
    _error(client.delete(f"/api/v1/teams/{g0.code}/members?username=bh"), 422, "role")
    # Truly wrong input is still refused at its field.
    _error(
        client.delete(f"/api/v1/teams/{g0.code}/members?username=ghost&role=volunteer"),
        422,
        "username",
    )
    _error(client.delete(f"/api/v1/teams/{g0.code}/members?username=bh&role=acceptor"), 422, "role")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "ghost", "role": "volunteer"}, "username"),
        ({"username": "worker2", "role": "acceptor"}, "role"),
        ({"username": "worker2"}, "role"),
        ({"role": "volunteer"}, "username"),
    ],
)
def test_bad_members_are_refused_with_the_field(world, payload, field):
    response = api(world.people.acceptor).post(
        f"/api/v1/teams/{world.grids[0].code}/members", payload, content_type="application/json"
    )
    _error(response, 422, field)
    assert not RoleAssignment.objects.filter(
        user=world.people.worker2, grid=world.grids[0]
    ).exists()


def test_a_reader_who_may_not_manage_is_forbidden(world):
    sup = _user("sup")
    RoleAssignment.objects.create(user=sup, role=Role.SUPERVISOR, unit=world.district)
    client = api(sup)
    g0 = world.grids[0]
    assert client.get(f"/api/v1/teams/{g0.code}").json()["may_manage"] is False
    body = _error(
        client.post(
            f"/api/v1/teams/{g0.code}/members",
            {"username": "worker2", "role": "volunteer"},
            content_type="application/json",
        ),
        403,
        "actor",
    )
    assert body["code"] == "forbidden"


def test_errors_are_translated(world):
    response = api(world.people.acceptor, language="zh-hans").post(
        f"/api/v1/teams/{world.grids[0].code}/members",
        {"username": "ghost", "role": "volunteer"},
        content_type="application/json",
    )
    assert response.json()["message"] == "没有名为 ghost 的有效用户。"


# --- shifts ----------------------------------------------------------------------------------


def _shift(start_hour: int, hours: int, username: str = "worker") -> dict:
    start = MONDAY_MORNING.replace(hour=0, minute=0) + dt.timedelta(days=1, hours=start_hour)
    return {
        "username": username,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=hours)).isoformat(),
    }


def test_schedule_is_idempotent_list_and_cancel(world):
    g0 = world.grids[0]
    client = api(world.people.acceptor)
    url = f"/api/v1/teams/{g0.code}/shifts"
    first = client.post(url, _shift(8, 8), content_type="application/json")
    assert first.status_code == 201
    shift = first.json()
    assert shift["starts_at"] == "2026-03-11T08:00:00+08:00" and shift["phone"] == "138****5678"
    again = client.post(url, _shift(8, 8), content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == shift["id"]
    assert DutyShift.objects.count() == 1
    # Another desk retrying in UTC is the same shift too.
    utc = {
        "username": "worker",
        "starts_at": "2026-03-11T00:00:00Z",
        "ends_at": "2026-03-11T08:00:00Z",
    }
    assert (
        api(world.people.command).post(url, utc, content_type="application/json").status_code == 200
    )
    assert DutyShift.objects.count() == 1
    # An overlapping but different shift is refused at the start.
    _error(client.post(url, _shift(10, 2), content_type="application/json"), 422, "starts_at")
    listed = client.get(url).json()
    assert [s["id"] for s in listed] == [shift["id"]]
    assert client.get(f"{url}?start=2026-03-12T00:00:00%2B08:00").json() == []
    response = client.delete(f"{url}/{shift['id']}")
    assert response.status_code == 204 and not DutyShift.objects.exists()
    _error(client.delete(f"{url}/{shift['id']}"), 404, "shift_id")
    _error(client.delete(f"{url}/not-a-number"), 404, "shift_id")


def test_a_scheduled_shift_is_answered_from_the_shift_written(world, monkeypatch):
    """The answer is built from the shift schedule_duty returns, not read back off the roster."""

    def no_roster_read(*args, **kwargs):
        raise AssertionError("the roster is not read again")

    monkeypatch.setattr(selectors, "shifts", no_roster_read)
    url = f"/api/v1/teams/{world.grids[0].code}/shifts"
    client = api(world.people.acceptor)
    first = client.post(url, _shift(8, 8), content_type="application/json")
    assert first.status_code == 201
    shift = DutyShift.objects.get()
    assert first.json() == {
        "id": shift.pk,
        "username": "worker",
        "name": str(world.people.worker),
        "phone": "138****5678",
        "role_labels": ["专职网格员"],
        "starts_at": "2026-03-11T08:00:00+08:00",
        "ends_at": "2026-03-11T16:00:00+08:00",
    }
    again = client.post(url, _shift(8, 8), content_type="application/json")
    assert (again.status_code, again.json()) == (200, first.json())


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("0001-01-01T00:00:00+08:00", "0001-01-01T08:00:00+08:00", "starts_at"),
        ("9999-12-31T12:00:00+08:00", "9999-12-31T20:00:00+08:00", "starts_at"),
        ("2026-03-11T08:00:00+08:00", "2101-01-01T08:00:00+08:00", "ends_at"),
    ],
)
def test_dates_out_of_range_are_refused_at_their_field(world, starts_at, ends_at, field):
    url = f"/api/v1/teams/{world.grids[0].code}/shifts"
    payload = {"username": "worker", "starts_at": starts_at, "ends_at": ends_at}
    body = _error(
        api(world.people.acceptor).post(url, payload, content_type="application/json"), 422, field
    )
    assert "2000" in body["message"] and "2100" in body["message"]
    assert not DutyShift.objects.exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=9999-12-30T00:00:00%2B08:00", "start"),
        ("start=0001-01-01T00:00:00%2B08:00", "start"),
        ("end=9999-12-30T00:00:00%2B08:00", "end"),
        ("start=2026-03-11T00:00:00%2B08:00&end=0001-01-01T00:00:00%2B08:00", "end"),
    ],
)
def test_shift_windows_out_of_range_are_refused_at_their_field(world, query, field):
    url = f"/api/v1/teams/{world.grids[0].code}/shifts?{query}"
    _error(api(world.people.acceptor).get(url), 422, field)


def test_a_shift_of_another_grid_or_under_way_is_not_cancelled(world):
    g0, g1, _g2 = world.grids
    started = teams.schedule_duty(
        actor=world.people.command,
        grid_code=g0.code,
        username="worker",
        starts_at=MONDAY_MORNING - dt.timedelta(hours=1),
        ends_at=MONDAY_MORNING + dt.timedelta(hours=1),
    )
    client = api(world.people.acceptor)
    _error(client.delete(f"/api/v1/teams/{g0.code}/shifts/{started.pk}"), 422, "shift_id")
    _error(client.delete(f"/api/v1/teams/{g1.code}/shifts/{started.pk}"), 404, "shift_id")
    assert DutyShift.objects.filter(pk=started.pk).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**_shift(8, 8), "ends_at": _shift(8, 8)["starts_at"]}, "ends_at"),
        (_shift(8, 24 * 8), "ends_at"),
        (_shift(8, 8, username="worker2"), "username"),
        ({**_shift(8, 8), "starts_at": "2026-03-11T08:00:00"}, "starts_at"),  # no time zone
        ({**_shift(8, 8), "starts_at": "tomorrow"}, "starts_at"),
        ({"username": "worker", "ends_at": _shift(8, 8)["ends_at"]}, "starts_at"),
    ],
)
def test_bad_shifts_are_refused_with_the_field(world, payload, field):
    response = api(world.people.acceptor).post(
        f"/api/v1/teams/{world.grids[0].code}/shifts", payload, content_type="application/json"
    )
    _error(response, 422, field)
    assert not DutyShift.objects.exists()


def test_bad_shift_windows(world):
    url = f"/api/v1/teams/{world.grids[0].code}/shifts"
    client = api(world.people.acceptor)
    _error(
        client.get(f"{url}?start=2026-03-12T00:00:00%2B08:00&end=2026-03-11T00:00:00%2B08:00"),
        422,
        "end",
    )
    _error(
        client.get(f"{url}?start=2026-03-01T00:00:00%2B08:00&end=2026-06-01T00:00:00%2B08:00"),
        422,
        "end",
    )
    _error(client.get(f"{url}?start=2026-03-12T00:00:00"), 422, "start")
    _error(client.get(f"{url}?start=soon"), 422, "start")


# --- slots -----------------------------------------------------------------------------------


def test_slots_read_by_all_and_replaced_by_the_command_centre(world):
    body = api(world.people.acceptor).get("/api/v1/teams/slots").json()
    assert (body["configured"], body["may_configure"]) == (False, False)
    assert [s["role"] for s in body["slots"]][:2] == ["grid_worker", "grid_head"]
    payload = {
        "slots": [
            {"role": "grid_worker", "label": "专职网格员", "group": "core", "minimum": 1},
            {"role": "police_officer", "group": "helper", "minimum": 2},
        ]
    }
    response = api(world.people.command).put(
        "/api/v1/teams/slots", payload, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["configured"] and body["may_configure"]
    assert [(s["role"], s["minimum"], s["order"]) for s in body["slots"]] == [
        ("grid_worker", 1, 10),
        ("police_officer", 2, 20),
    ]
    # No label typed: the role's name in the district's language, whatever the caller's.
    assert body["slots"][1]["label"] == "社区民警"
    assert TeamSlot.objects.get(role="police_officer").label == "社区民警"
    _error(
        api(world.people.acceptor).put(
            "/api/v1/teams/slots", payload, content_type="application/json"
        ),
        403,
        "actor",
    )
    bad = {"slots": [{"role": "grid_worker", "group": "core", "minimum": 99}]}
    _error(
        api(world.people.command).put("/api/v1/teams/slots", bad, content_type="application/json"),
        422,
        "minimum",
    )
    _error(
        api(world.people.command).put(
            "/api/v1/teams/slots",
            {"slots": [{"role": "grid_worker"}]},
            content_type="application/json",
        ),
        422,
        "slots.0.group",
    )
    assert TeamSlot.objects.get(role="police_officer").minimum == 2


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "",
        " ",
        "9" * 40,
        "中文",
        "'; DROP TABLE x;--",
        "\u202e",
        "0001-01-01T00:00:00+08:00",
        "9999-12-30T00:00:00+08:00",
    ],
)
def test_hostile_values_get_a_4xx_never_a_500(world, value):
    client = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=api(world.people.command).defaults["HTTP_AUTHORIZATION"],
    )
    g0 = world.grids[0].code
    shift = _shift(8, 8)
    for method, path, data in [
        ("get", f"/api/v1/teams/{value}", None),
        ("get", f"/api/v1/teams/{g0}/shifts?start={quote(value)}", None),
        ("get", f"/api/v1/teams/{g0}/shifts?end={quote(value)}", None),
        ("get", f"/api/v1/teams/vacancies?street={value}", None),
        ("post", f"/api/v1/teams/{g0}/members", {"username": value, "role": value}),
        ("post", f"/api/v1/teams/{g0}/shifts", {"username": "worker", "starts_at": value}),
        ("post", f"/api/v1/teams/{g0}/shifts", {**shift, "starts_at": value}),
        ("post", f"/api/v1/teams/{g0}/shifts", {**shift, "ends_at": value}),
        ("post", f"/api/v1/teams/{g0}/shifts", {**shift, "starts_at": value, "ends_at": value}),
        ("delete", f"/api/v1/teams/{g0}/shifts/{value}", None),
        ("put", "/api/v1/teams/slots", {"slots": [{"role": value, "group": value}]}),
    ]:
        if data is None:
            response = getattr(client, method)(path)
        else:
            response = getattr(client, method)(path, data, content_type="application/json")
        assert response.status_code < 500, (method, path, response.content[:300])
