"""The grid team pages (1+3+N): who may open them, scoping, the list's filters and pages, members
and shifts added and removed through the forms, refusals shown at their field, the vacancies
report and its XLSX download, and who may edit the slots."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onegrid.org import selectors, teams
from onegrid.org.models import DutyShift, Role, RoleAssignment, TeamSlot, User
from onegrid.territory.models import Grid
from support.web import client_for
from support.world import MONDAY_MORNING

PAGES = ["/console/teams/", "/console/teams/vacancies/", "/console/teams/slots/"]


def _user(username: str, **extra) -> User:
    return User.objects.create_user(
        username, password="pw-" + username, display_name=username, **extra
    )


def _staff(world, username: str, role: str) -> Client:
    user = _user(username)
    RoleAssignment.objects.create(user=user, role=role, unit=world.district)
    client = Client()
    client.force_login(user)
    return client


def team_url(grid) -> str:
    return f"/console/teams/{grid.code}/"


def body(response) -> str:
    return response.content.decode()


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["acceptor", "dispatcher", "shift_lead", "command"])
def test_console_people_open_every_page(world, username):
    client = client_for(world, username)
    for url in [*PAGES, team_url(world.grids[0])]:
        assert client.get(url).status_code == 200, url
    console = body(client.get("/console/"))
    assert 'href="/console/teams/"' in console


def test_supervisor_and_admin_open_the_pages(world):
    for client in (_staff(world, "sup", Role.SUPERVISOR), _staff(world, "adm", Role.ADMIN)):
        for url in [*PAGES, team_url(world.grids[2])]:
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("username", ["worker", "resident", "city_handler", "leader"])
def test_others_are_refused(world, username):
    client = client_for(world, username)
    for url in [*PAGES, team_url(world.grids[0])]:
        assert client.get(url).status_code == 403, (username, url)
    response = client.post(
        f"{team_url(world.grids[0])}members/add/", {"username": "worker2", "role": "volunteer"}
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=world.people.worker2, role="volunteer").exists()


def test_anonymous_visitors_are_sent_to_sign_in(world):
    response = Client().get("/console/teams/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_grid_outside_the_viewers_scope_is_not_found(world):
    client = client_for(world, "acceptor")
    far = world.grids[2]
    assert client.get(team_url(far)).status_code == 404
    assert client.get("/console/teams/999999999999999/").status_code == 404
    response = client.post(f"{team_url(far)}members/add/", {"username": "x", "role": "volunteer"})
    assert response.status_code == 404
    # The other street's acceptor sees grid 2 but not grid 0.
    other = client_for(world, "other_acceptor")
    assert other.get(team_url(far)).status_code == 200
    assert other.get(team_url(world.grids[0])).status_code == 404


# --- list ------------------------------------------------------------------------------------


def test_list_shows_only_the_viewers_grids_with_counts(world):
    g0, g1, g2 = world.grids
    _user("cop")
    teams.add_member(
        actor=world.people.command, grid_code=g0.code, username="cop", role="police_officer"
    )
    page = body(client_for(world, "acceptor").get("/console/teams/"))
    codes = re.findall(r'<tr data-grid="(\d+)" data-vacancies="(\d+)"', page)
    assert codes == [(g0.code, "2"), (g1.code, "3")]
    row = re.search(rf'data-grid="{g0.code}".*?</tr>', page, re.S).group(0)
    assert re.search(r'data-group="core">1 / 1<', row)
    assert re.search(r'data-group="helper">1 / 3<', row)
    assert re.search(r'data-group="volunteer">0<', row)
    everything = body(client_for(world, "command").get("/console/teams/"))
    assert [c for c, _v in re.findall(r'data-grid="(\d+)" data-vacancies="(\d+)"', everything)] == [
        g.code for g in world.grids
    ]


def test_extra_holders_of_one_slot_do_not_hide_a_vacancy(world):
    """Two building heads and a grid head but no police officer: 2 of 3 helper places, short,
    in the list and on the team page alike."""
    g0 = world.grids[0]
    for name, role in [("bh1", "building_head"), ("bh2", "building_head"), ("head", "grid_head")]:
        _user(name)
        teams.add_member(actor=world.people.command, grid_code=g0.code, username=name, role=role)
    client = client_for(world, "acceptor")
    page = body(client.get("/console/teams/"))
    row = re.search(rf'<tr data-grid="{g0.code}" data-vacancies="1">.*?</tr>', page, re.S).group(0)
    assert re.search(r'class="n short" data-group="helper">2 / 3<', row)
    assert re.search(r'class="n" data-group="core">1 / 1<', row)
    team = body(client.get(team_url(g0)))
    helper = re.search(r'<section class="team-group" data-group="helper">.*?</h3>', team, re.S)
    assert "已有 2 / 需 3" in helper.group(0)


def test_the_team_page_reads_the_slots_once(world):
    teams.load_default_slots()
    teams.schedule_duty(
        actor=world.people.command,
        grid_code=world.grids[0].code,
        username="worker",
        starts_at=MONDAY_MORNING - dt.timedelta(hours=1),
        ends_at=MONDAY_MORNING + dt.timedelta(hours=3),
    )
    client = client_for(world, "acceptor")
    with CaptureQueriesContext(connection) as queries:
        page = body(client.get(team_url(world.grids[0])))
    assert 'id="on-duty"' in page and "专职网格员" in page
    assert len([q for q in queries.captured_queries if "org_teamslot" in q["sql"]]) == 1


def test_list_filters_by_street_and_text(world):
    g0, g1, g2 = world.grids
    client = client_for(world, "command")

    def codes(query):
        return re.findall(r'<tr data-grid="(\d+)"', body(client.get(f"/console/teams/?{query}")))

    assert codes(f"street={world.other_street.code}") == [g2.code]
    assert codes(f"street={world.street.code}") == [g0.code, g1.code]
    assert codes(f"q={g1.code[-6:]}") == [g1.code]
    assert codes("q=第003") == [g2.code]
    assert codes(f"street={world.street.code}&q=第003") == []
    bad = client.get("/console/teams/?street=120113999000")
    assert bad.status_code == 400 and "120113999000" in body(bad)
    # A street outside the viewer's scope narrows to nothing, never widens.
    acceptor = client_for(world, "acceptor")
    page = body(acceptor.get(f"/console/teams/?street={world.other_street.code}"))
    assert not re.findall(r'<tr data-grid="', page)


def test_list_is_paginated_and_keeps_the_filters(world, settings):
    from onegrid.web.views import teams as team_views

    g0 = world.grids[0]
    extra = [
        Grid(
            code=f"{world.community.code}{i:03d}",
            name=f"第{i:03d}网格",
            community=world.community,
            street=world.street,
            geometry_wkb=g0.geometry_wkb,
            area_m2=1e6,
            label_lon=g0.label_lon,
            label_lat=g0.label_lat,
        )
        for i in range(10, 10 + team_views.PAGE_SIZE + 5)
    ]
    Grid.objects.bulk_create(extra)
    client = client_for(world, "acceptor")
    first = body(client.get(f"/console/teams/?street={world.street.code}"))
    assert len(re.findall(r'<tr data-grid="', first)) == team_views.PAGE_SIZE
    assert re.search(rf"street={world.street.code}&(amp;)?page=2", first)
    second = body(client.get(f"/console/teams/?street={world.street.code}&page=2"))
    assert len(re.findall(r'<tr data-grid="', second)) == 2 + 55 - team_views.PAGE_SIZE
    # No query per row: the counts of a whole page come in a fixed number of queries.
    with CaptureQueriesContext(connection) as few:
        client.get("/console/teams/?page=2")
    with CaptureQueriesContext(connection) as many:
        client.get("/console/teams/")
    assert len(many.captured_queries) == len(few.captured_queries) < 20


# --- members ---------------------------------------------------------------------------------


def test_add_and_remove_a_member(world):
    g0 = world.grids[0]
    _user("bh", phone="13912345678")
    client = client_for(world, "acceptor")
    page = body(client.get(team_url(g0)))
    assert 'id="add-member"' in page and "138****5678" in page and "13812345678" not in page
    response = client.post(f"{team_url(g0)}members/add/", {"username": "bh", "role": "volunteer"})
    assert response.status_code == 302 and response["Location"] == team_url(g0)
    assert RoleAssignment.objects.filter(user__username="bh", grid=g0, role="volunteer").exists()
    page = body(client.get(team_url(g0)))
    assert "139****5678" in page and "13912345678" not in page
    assert 'class="success"' in page  # the success note after the redirect
    response = client.post(
        f"{team_url(g0)}members/remove/", {"username": "bh", "role": "volunteer"}
    )
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(user__username="bh").exists()


def test_a_refused_member_shows_the_error_at_its_field_and_keeps_the_input(world):
    g0 = world.grids[0]
    client = client_for(world, "acceptor")
    response = client.post(
        f"{team_url(g0)}members/add/", {"username": "nobody-here", "role": "party_member"}
    )
    assert response.status_code == 400
    page = body(response)
    assert 'id="add-username-error"' in page and "nobody-here" in page
    assert re.search(r'name="username" value="nobody-here"[^>]*aria-invalid="true"', page)
    assert re.search(r'<option value="party_member" selected>', page)
    # Chinese by default: the service's message is translated.
    assert "没有名为 nobody-here 的有效用户" in page
    # A role that is no slot is refused at the role.
    response = client.post(f"{team_url(g0)}members/add/", {"username": "worker", "role": "admin"})
    assert response.status_code == 400 and 'id="add-role-error"' in body(response)
    assert RoleAssignment.objects.filter(user=world.people.worker, grid=g0).count() == 1


def _offered_roles(page: str) -> list[str]:
    form = re.search(r'<form[^>]*id="add-member".*?</form>', page, re.S)
    return re.findall(r'<option value="([^"]+)"', form.group(0)) if form else []


def _remove_buttons(page: str) -> set[tuple[str, str]]:
    """(role, username) of every team row that carries a Remove form."""
    rows = re.findall(r'<tr data-role="([^"]+)" data-username="([^"]+)">(.*?)</tr>', page, re.S)
    return {(role, username) for role, username, row in rows if "members/remove/" in row}


def test_street_staff_are_offered_only_the_places_they_may_give(world):
    """Street staff give and take away the volunteer places only (org.policies): the page offers
    nothing the service would refuse at the role, and no one is offered to remove themselves."""
    g0 = world.grids[0]
    for username in ["bh", "vol"]:
        _user(username)
    teams.add_member(
        actor=world.people.command, grid_code=g0.code, username="bh", role="building_head"
    )
    teams.add_member(
        actor=world.people.command, grid_code=g0.code, username="vol", role="volunteer"
    )
    teams.add_member(
        actor=world.people.command, grid_code=g0.code, username="acceptor", role="volunteer"
    )
    adm = _staff(world, "adm", Role.ADMIN)
    teams.add_member(
        actor=User.objects.get(username="adm"),
        grid_code=g0.code,
        username="command",
        role="party_member",
    )
    everyone = {
        ("grid_worker", "worker"),
        ("building_head", "bh"),
        ("volunteer", "vol"),
        ("volunteer", "acceptor"),
        ("party_member", "command"),
    }
    street = body(client_for(world, "acceptor").get(team_url(g0)))
    assert _offered_roles(street) == ["party_member", "volunteer"]
    # Staff places stay listed, without a Remove button; their own place neither.
    assert ("grid_worker", "worker") in {
        (r, u) for r, u in re.findall(r'<tr data-role="([^"]+)" data-username="([^"]+)"', street)
    }
    # Who holds a Party-member place is Party membership (PIPL art. 28): kept from everyone but
    # Party-organisation staff, so no Remove button names them (tests/party/test_team_privacy.py).
    assert _remove_buttons(street) == {("volunteer", "vol")}
    every_slot = [s.role for s in teams.current_slots()]
    command = body(client_for(world, "command").get(team_url(g0)))
    assert _offered_roles(command) == every_slot
    assert _remove_buttons(command) == everyone - {("party_member", "command")}
    assert _remove_buttons(body(adm.get(team_url(g0)))) == everyone - {("party_member", "command")}


def test_a_forged_post_for_a_place_not_offered_is_still_refused(world):
    g0 = world.grids[0]
    client = client_for(world, "acceptor")
    before = set(RoleAssignment.objects.values_list("user_id", "role", "grid_id", "unit_id"))
    response = client.post(
        f"{team_url(g0)}members/add/", {"username": "worker2", "role": "grid_head"}
    )
    assert response.status_code == 400 and 'id="add-role-error"' in body(response)
    response = client.post(
        f"{team_url(g0)}members/remove/", {"username": "worker", "role": "grid_worker"}
    )
    assert response.status_code == 400 and 'id="remove-error"' in body(response)
    after = set(RoleAssignment.objects.values_list("user_id", "role", "grid_id", "unit_id"))
    assert after == before


def test_adding_or_removing_again_is_a_replay_not_an_error(world):
    """A double click or a retry after a lost answer: done already, so a note, not an error."""
    g0 = world.grids[0]
    teams.add_member(
        actor=world.people.command, grid_code=g0.code, username="worker", role="volunteer"
    )
    client = client_for(world, "acceptor")
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/teams/"})
    response = client.post(
        f"{team_url(g0)}members/add/", {"username": "worker", "role": "volunteer"}
    )
    assert response.status_code == 302 and response["Location"] == team_url(g0)
    page = body(client.get(team_url(g0)))
    assert re.search(r'class="success">[^<]*already holds', page)
    assert RoleAssignment.objects.filter(user=world.people.worker, grid=g0).count() == 2
    _user("bh")
    data = {"username": "bh", "role": "volunteer"}
    for _attempt in range(2):
        assert client.post(f"{team_url(g0)}members/add/", data).status_code == 302
    assert RoleAssignment.objects.filter(user__username="bh").count() == 1
    for _attempt in range(2):
        response = client.post(f"{team_url(g0)}members/remove/", data)
        assert response.status_code == 302 and response["Location"] == team_url(g0)
    assert not RoleAssignment.objects.filter(user__username="bh").exists()
    assert re.search(r'class="success">[^<]*was no longer', body(client.get(team_url(g0))))
    # An unknown person is still refused at the field.
    response = client.post(
        f"{team_url(g0)}members/remove/", {"username": "ghost", "role": "volunteer"}
    )
    assert response.status_code == 400 and 'id="remove-error"' in body(response)


def test_supervisor_sees_the_team_without_forms_and_may_not_post(world):
    client = _staff(world, "sup", Role.SUPERVISOR)
    page = body(client.get(team_url(world.grids[0])))
    assert "worker" in page and 'id="add-member"' not in page and 'id="schedule-shift"' not in page
    _user("bh")
    response = client.post(
        f"{team_url(world.grids[0])}members/add/", {"username": "bh", "role": "building_head"}
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user__username="bh").exists()


# --- shifts ----------------------------------------------------------------------------------


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(MONDAY_MORNING.tzinfo).strftime("%Y-%m-%dT%H:%M")


def test_schedule_and_cancel_a_shift_in_beijing_time(world):
    g0 = world.grids[0]
    client = client_for(world, "dispatcher")
    data = {"username": "worker", "starts_at": "2026-03-10T14:00", "ends_at": "2026-03-10T22:00"}
    response = client.post(f"{team_url(g0)}shifts/", data)
    assert response.status_code == 302
    shift = DutyShift.objects.get()
    # 14:00 in Shanghai is 06:00 UTC.
    assert shift.starts_at == dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)
    assert shift.ends_at - shift.starts_at == dt.timedelta(hours=8)
    page = body(client.get(team_url(g0)))
    assert f'data-shift="{shift.pk}"' in page and "2026-03-10 14:00" in page
    # A retry of exactly the same shift gives back the one there: no second row, no error.
    again = client.post(f"{team_url(g0)}shifts/", data)
    assert again.status_code == 302 and DutyShift.objects.count() == 1
    response = client.post(f"{team_url(g0)}shifts/{shift.pk}/cancel/")
    assert response.status_code == 302 and not DutyShift.objects.exists()
    # A second click finds it gone: no error page, nothing else changes.
    assert client.post(f"{team_url(g0)}shifts/{shift.pk}/cancel/").status_code == 302


def test_who_is_on_duty_now_and_a_shift_under_way_cannot_be_cancelled(world):
    g0 = world.grids[0]
    start = MONDAY_MORNING - dt.timedelta(hours=1)
    shift = teams.schedule_duty(
        actor=world.people.command,
        grid_code=g0.code,
        username="worker",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=8),
    )
    client = client_for(world, "acceptor")
    page = body(client.get(team_url(g0)))
    on_duty = re.search(r'<ul id="on-duty".*?</ul>', page, re.S).group(0)
    assert "worker" in on_duty and "138****5678" in on_duty
    assert f"shifts/{shift.pk}/cancel/" not in page
    response = client.post(f"{team_url(g0)}shifts/{shift.pk}/cancel/")
    assert response.status_code == 400 and 'id="cancel-error"' in body(response)
    assert DutyShift.objects.filter(pk=shift.pk).exists()


@pytest.mark.parametrize(
    ("data", "field_id"),
    [
        (
            {"username": "worker", "starts_at": "2026-03-10T14:00", "ends_at": "2026-03-10T13:00"},
            "ends-at-error",
        ),
        (
            {"username": "worker", "starts_at": "soon", "ends_at": "2026-03-10T13:00"},
            "starts-at-error",
        ),
        ({"username": "worker", "starts_at": "", "ends_at": "2026-03-10T13:00"}, "starts-at-error"),
        (
            {"username": "worker2", "starts_at": "2026-03-10T14:00", "ends_at": "2026-03-10T16:00"},
            "shift-username-error",
        ),
        # Out of the years allowed: refused at the field, never an overflow (500).
        (
            {"username": "worker", "starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T08:00"},
            "starts-at-error",
        ),
        (
            {"username": "worker", "starts_at": "9999-12-31T12:00", "ends_at": "9999-12-31T20:00"},
            "starts-at-error",
        ),
    ],
)
def test_a_refused_shift_shows_the_error_at_its_field(world, data, field_id):
    client = client_for(world, "acceptor")
    response = client.post(f"{team_url(world.grids[0])}shifts/", data)
    assert response.status_code == 400
    page = body(response)
    assert f'id="{field_id}"' in page
    assert f'value="{data["username"]}"' in page and (
        not data["starts_at"] or f'value="{data["starts_at"]}"' in page
    )
    assert not DutyShift.objects.exists()


def test_an_overlapping_shift_is_refused_at_the_start(world):
    g0 = world.grids[0]
    client = client_for(world, "acceptor")
    data = {"username": "worker", "starts_at": "2026-03-11T08:00", "ends_at": "2026-03-11T16:00"}
    assert client.post(f"{team_url(g0)}shifts/", data).status_code == 302
    data["ends_at"] = "2026-03-11T12:00"
    response = client.post(f"{team_url(g0)}shifts/", data)
    assert response.status_code == 400 and 'id="starts-at-error"' in body(response)
    assert DutyShift.objects.count() == 1


# --- vacancies -------------------------------------------------------------------------------


def _summary(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def test_vacancies_match_the_selector_and_filter_by_street(world):
    RoleAssignment.objects.filter(user=world.people.worker2).delete()
    _user("cop")
    teams.add_member(
        actor=world.people.command,
        grid_code=world.grids[0].code,
        username="cop",
        role="police_officer",
    )
    client = client_for(world, "command")
    page = body(client.get("/console/teams/vacancies/"))
    expected = selectors.vacancies(world.people.command)
    assert _summary(page) == {
        "grids": 3,
        "fully_staffed": 0,
        "missing_core": 1,
        "grids_missing_helpers": 3,
        "missing_helpers": 8,
        "missing_total": 9,
    }
    assert _summary(page)["missing_total"] == expected.summary.missing_total
    rows = re.findall(r'<tr data-grid="(\d+)" data-role="(\w+)"', page)
    assert rows == [(r.grid_code, r.role) for r in expected.rows]
    one = body(client.get(f"/console/teams/vacancies/?street={world.other_street.code}"))
    assert _summary(one)["grids"] == 1
    assert {g for g, _r in re.findall(r'<tr data-grid="(\d+)" data-role="(\w+)"', one)} == {
        world.grids[2].code
    }
    # The acceptor's report covers only their street.
    mine = body(client_for(world, "acceptor").get("/console/teams/vacancies/"))
    assert _summary(mine)["grids"] == 2
    assert client.get("/console/teams/vacancies/?street=1201139").status_code == 400


def test_vacancies_xlsx_has_the_rows_of_the_report(world):
    client = client_for(world, "command")
    street = world.street.code
    page = body(client.get(f"/console/teams/vacancies/?street={street}"))
    assert re.search(rf"street={street}&(amp;)?format=xlsx", page)
    response = client.get(f"/console/teams/vacancies/?street={street}&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    shown = re.findall(r'<tr data-grid="(\d+)" data-role="(\w+)"', page)
    assert len(rows) == 1 + len(shown) == 1 + 6
    assert [r[0] for r in rows[1:]] == [g for g, _role in shown]
    assert rows[0][0] == "网格编码"  # the translated header
    assert rows[1][-1] == 1 and rows[1][5] == "网格长"


def test_vacancies_come_a_page_at_a_time_and_the_xlsx_holds_them_all(world, monkeypatch):
    from onegrid.web.views import teams as team_views

    monkeypatch.setattr(team_views, "VACANCY_PAGE_SIZE", 4)
    client = client_for(world, "command")
    expected = [(r.grid_code, r.role) for r in selectors.vacancies(world.people.command).rows]
    assert len(expected) > 8  # three pages
    shown = []
    for number in (1, 2, 3):
        page = body(client.get(f"/console/teams/vacancies/?page={number}"))
        rows = re.findall(r'<tr data-grid="(\d+)" data-role="(\w+)"', page)
        assert len(rows) <= 4
        shown += rows
    assert shown == expected
    assert 'id="vacancy-pages"' in page and 'rel="prev"' in page
    workbook = client.get("/console/teams/vacancies/?page=2&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert len(list(sheet.iter_rows(values_only=True))) == 1 + len(expected)


# --- slots -----------------------------------------------------------------------------------


def _slot_form(**changes) -> dict:
    form = {}
    for s in teams.DEFAULT_SLOTS:
        form[f"{s.role}-included"] = "1"
        form[f"{s.role}-label"] = s.label
        form[f"{s.role}-group"] = s.group
        form[f"{s.role}-minimum"] = str(s.minimum)
        form[f"{s.role}-order"] = str(s.order)
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_command_centre_edits_the_slots(world):
    client = client_for(world, "command")
    page = body(client.get("/console/teams/slots/"))
    assert 'id="slots-form"' in page and 'name="volunteer-minimum"' in page
    response = client.post(
        "/console/teams/slots/",
        _slot_form(**{"volunteer-minimum": "2", "party_member-included": None}),
    )
    assert response.status_code == 302
    assert TeamSlot.objects.get(role="volunteer").minimum == 2
    assert not TeamSlot.objects.filter(role="party_member").exists()


def test_a_bad_slot_is_shown_at_its_row_and_field_and_changes_nothing(world):
    teams.load_default_slots()
    client = client_for(world, "command")
    response = client.post("/console/teams/slots/", _slot_form(**{"building_head-minimum": "lots"}))
    assert response.status_code == 400
    page = body(response)
    row = re.search(r'<tr data-role="building_head" class="invalid">.*?</tr>', page, re.S).group(0)
    assert re.search(r'name="building_head-minimum" value="lots"[^>]*aria-invalid="true"', row)
    assert TeamSlot.objects.get(role="building_head").minimum == 1
    # The whole-shape rule: the core worker must stay.
    response = client.post("/console/teams/slots/", _slot_form(**{"grid_worker-included": None}))
    assert response.status_code == 400 and 'id="slots-error"' in body(response)
    assert TeamSlot.objects.filter(role="grid_worker").exists()


@pytest.mark.parametrize("username", ["acceptor", "dispatcher"])
def test_street_staff_see_the_slots_read_only(world, username):
    client = client_for(world, username)
    page = body(client.get("/console/teams/slots/"))
    assert 'id="slots-form"' not in page and "楼栋长" in page
    response = client.post("/console/teams/slots/", _slot_form(**{"volunteer-minimum": "3"}))
    assert response.status_code == 403
    assert not TeamSlot.objects.exists()


def test_a_slot_label_left_empty_is_stored_in_the_districts_language(world):
    client = client_for(world, "command")
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/teams/slots/"})
    teams.configure_slots(
        actor=world.people.command,
        slots=[{"role": "grid_worker", "label": "专职网格员", "group": "core", "minimum": 1}],
    )
    page = body(client.get("/console/teams/slots/"))
    # A role not in the shape: its label is empty, the default shown as a placeholder.
    assert re.search(r'name="police_officer-label" value="" placeholder="社区民警"', page)
    form = _slot_form(**{"police_officer-label": ""})
    response = client.post("/console/teams/slots/", form)
    assert response.status_code == 302
    assert TeamSlot.objects.get(role="police_officer").label == "社区民警"


def test_english_pages(world):
    client = client_for(world, "acceptor")
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/teams/"})
    page = body(client.get("/console/teams/"))
    assert "Grid teams (1+3+N)" in page
    response = client.post(
        f"{team_url(world.grids[0])}members/add/", {"username": "ghost", "role": "grid_head"}
    )
    assert "No active user is called ghost." in body(response)
