"""A district's own calendar days (core.district_days) over the national schedule: they count
in that district only, move its cases' deadlines, and reach every process by the calendar's
version."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from onegrid.cases import calendar, overrides, services
from onegrid.core import clock, district_days, workdays
from onegrid.core.errors import InvalidInput
from onegrid.core.models import CalendarState, DistrictDay

TZ = dt.timezone(dt.timedelta(hours=8))
EAST = "120110000000"
HOME = "120113000000"
D = dt.date


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def test_a_district_rest_day_counts_in_that_district_only(db):
    wednesday = D(2026, 3, 11)
    district_days.add_day(district="120110", day="2026-03-11", kind="休", added_by="t")
    assert not workdays.is_working_day(wednesday, EAST)
    assert workdays.is_working_day(wednesday, HOME)
    assert workdays.is_working_day(wednesday)  # the national calendar
    assert workdays.shift_working_days(D(2026, 3, 10), 1, EAST) == D(2026, 3, 12)
    assert workdays.shift_working_days(D(2026, 3, 10), 1) == wednesday
    assert workdays.count_working_days(D(2026, 3, 9), D(2026, 3, 16), EAST) == 4
    assert workdays.count_working_days(D(2026, 3, 9), D(2026, 3, 16)) == 5
    # A 4-hour limit from Tuesday 15:30 runs into Wednesday at home, into Thursday in the east.
    assert calendar.add_working_time(at(2026, 3, 10, 15, 30), 4, "hours") == at(2026, 3, 11, 11, 30)
    assert calendar.add_working_time(at(2026, 3, 10, 15, 30), 4, "hours", EAST) == at(
        2026, 3, 12, 11, 30
    )


def test_a_district_make_up_working_day_counts_in_that_district_only(db):
    saturday = D(2026, 3, 14)
    district_days.add_day(district=EAST, day=saturday, kind="work", name="调休", added_by="t")
    assert workdays.is_working_day(saturday, EAST) and not workdays.is_working_day(saturday)
    assert calendar.working_hours_between(at(2026, 3, 13, 9), at(2026, 3, 16, 9), EAST) == 16
    assert calendar.working_hours_between(at(2026, 3, 13, 9), at(2026, 3, 16, 9)) == 8


def test_a_district_rest_day_moves_its_cases_deadlines_only(city_world):
    w = city_world
    district_days.add_day(district=EAST, day="2026-03-11", kind="休", added_by="t")
    clock.set_now(at(2026, 3, 10, 15, 30))
    home = _dispatched(w, east=False)
    east = _dispatched(w, east=True)
    assert overrides.calendar_district(east) == EAST
    assert home.tasks.get().due_at == at(2026, 3, 11, 11, 30)
    assert east.tasks.get().due_at == at(2026, 3, 12, 11, 30)
    # The tick counts lateness on each case's calendar: on Wednesday 17:00 the home case is
    # late, the east one (its district resting) is not.
    clock.set_now(at(2026, 3, 11, 17, 0))
    assert services.tick().escalated == 1
    home.refresh_from_db()
    east.refresh_from_db()
    assert home.overdue and not east.overdue


def test_days_that_change_nothing_or_bad_input_are_refused_naming_the_field(db):
    bad = [
        ({"district": "12011", "day": "2026-03-11", "kind": "休"}, "district"),
        ({"district": "120100000000", "day": "2026-03-11", "kind": "休"}, "district"),
        ({"district": EAST, "day": "2026-13-01", "kind": "休"}, "day"),
        ({"district": EAST, "day": "1999-03-11", "kind": "休"}, "day"),
        ({"district": EAST, "day": "2026-03-11", "kind": "holiday?"}, "kind"),
        # Saturday is already a rest day, Wednesday already a working day.
        ({"district": EAST, "day": "2026-03-14", "kind": "休"}, "kind"),
        ({"district": EAST, "day": "2026-03-11", "kind": "班"}, "kind"),
    ]
    for values, field in bad:
        with pytest.raises(InvalidInput) as refused:
            district_days.add_day(added_by="t", **values)
        assert refused.value.field == field, values
    assert not DistrictDay.objects.exists()


def test_adding_again_is_harmless_and_removing_restores_the_national_day(db):
    first = district_days.add_day(district=EAST, day="2026-03-11", kind="休", added_by="t")
    again = district_days.add_day(district=EAST, day="2026-03-11", kind="rest", added_by="t")
    assert (first.outcome, again.outcome) == ("added", "unchanged")
    assert DistrictDay.objects.count() == 1
    assert not workdays.is_working_day(D(2026, 3, 11), EAST)
    assert district_days.remove_day(district=EAST, day="2026-03-11")
    assert not district_days.remove_day(district=EAST, day="2026-03-11")
    assert workdays.is_working_day(D(2026, 3, 11), EAST)


def test_another_process_change_is_seen_at_the_next_version_check(db):
    wednesday = D(2026, 3, 11)
    assert workdays.is_working_day(wednesday, EAST)
    # Another process adds a district day: the row and the version change, this one is not told.
    DistrictDay.objects.create(
        district_code=EAST, day=wednesday, kind="rest", added_by="other", added_at=clock.now()
    )
    state, _created = CalendarState.objects.get_or_create(pk=1)
    state.version += 1
    state.save()
    slow = {**settings.ONEGRID, "CALENDAR_RECHECK_SECONDS": 3600}
    with override_settings(ONEGRID=slow):
        assert workdays.is_working_day(wednesday, EAST)  # still the cached calendar
    workdays._cache.next_check = 0.0  # the interval has passed
    assert not workdays.is_working_day(wednesday, EAST)
    assert workdays.is_working_day(wednesday)


def test_the_calendar_command_adds_shows_and_removes_a_district_day(db, capsys):
    call_command(
        "calendar",
        "add-day",
        "--district",
        "120110",
        "--date",
        "2026-03-11",
        "--kind",
        "休",
        "--name",
        "区庆",
    )
    call_command("calendar", "show", "--district", "120110")
    shown = capsys.readouterr().out
    assert "2026-03-11" in shown and "区庆" in shown
    with pytest.raises(CommandError, match="kind"):
        call_command(
            "calendar", "add-day", "--district", EAST, "--date", "2026-03-14", "--kind", "休"
        )
    call_command("calendar", "remove-day", "--district", EAST, "--date", "2026-03-11")
    assert not DistrictDay.objects.exists()
    with pytest.raises(CommandError):
        call_command("calendar", "remove-day", "--district", EAST, "--date", "2026-03-11")


# --- a two-district world ---------------------------------------------------------------------


@pytest.fixture
def city_world(world):
    from shapely import box

    from onegrid.org.models import Role, RoleAssignment, User
    from onegrid.territory import locator
    from onegrid.territory.models import AdminUnit, Grid, LayerState

    east = AdminUnit.objects.create(
        code=EAST, name="东丽区", level="district", parent=world.district.parent
    )
    street = AdminUnit.objects.create(
        code="120110001000", name="张贵庄街道", level="street", parent=east
    )
    community = AdminUnit.objects.create(
        code="120110001001", name="第1社区", level="community", parent=street
    )
    shape = box(117.30, 39.20, 117.31, 39.21)
    Grid.objects.create(
        code=f"{community.code}001",
        name="第001网格",
        community=community,
        street=street,
        geometry_wkb=shape.wkb,
        area_m2=1e6,
        label_lon=shape.centroid.x,
        label_lat=shape.centroid.y,
    )
    LayerState.objects.filter(name="grids").update(version=2)
    locator.invalidate()
    grid = Grid.objects.get(code=f"{community.code}001")

    def person(username, role, **where):
        user = User.objects.create_user(username, password="pw", display_name=username)
        RoleAssignment.objects.create(user=user, role=role, **where)
        return user

    world.east_point = (shape.centroid.x, shape.centroid.y)
    world.east_worker = person("east_worker", Role.GRID_WORKER, grid=grid)
    world.east_acceptor = person("east_acceptor", Role.ACCEPTOR, unit=street)
    world.east_dispatcher = person("east_dispatcher", Role.DISPATCHER, unit=street)
    yield world
    locator.invalidate()


def _dispatched(w, *, east: bool):
    from support.cases import act, report

    if east:
        case = report(w, who=w.east_worker, case_class=w.rubbish, point=w.east_point)
        case = act(case, w.east_acceptor, "register")
        return act(case, w.east_dispatcher, "dispatch")
    case = report(w, case_class=w.rubbish)
    case = act(case, w.people.acceptor, "register")
    return act(case, w.people.dispatcher, "dispatch")


# --- the page ---------------------------------------------------------------------------------


@pytest.fixture
def two_districts(city_world, settings):
    from onegrid.org.models import Role, RoleAssignment, User
    from onegrid.territory.models import AdminUnit

    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODES": EAST}
    east = AdminUnit.objects.get(code=EAST)
    keeper = User.objects.create_user("east_admin", password="pw", display_name="east_admin")
    RoleAssignment.objects.create(user=keeper, role=Role.ADMIN, unit=east)
    city_world.east_admin = keeper
    return city_world


def test_a_district_administrator_keeps_their_district_days_only(two_districts, client):
    client.force_login(two_districts.east_admin)
    page = client.get("/console/calendar/districts/")
    assert page.status_code == 200
    body = page.content.decode()
    assert EAST in body and HOME not in body
    added = client.post(
        "/console/calendar/districts/change/",
        {"district": EAST, "verb": "add", "day": "2026-03-11", "kind": "rest", "name": "区庆"},
    )
    assert added.status_code == 302
    assert DistrictDay.objects.filter(district_code=EAST, day=D(2026, 3, 11)).exists()
    # Another district's days are not theirs: refused, nothing added.
    other = client.post(
        "/console/calendar/districts/change/",
        {"district": HOME, "verb": "add", "day": "2026-03-12", "kind": "rest"},
    )
    assert other.status_code == 403
    assert client.get("/console/calendar/districts/", {"district": HOME}).status_code == 403
    # Bad input: the field is named, nothing changes.
    bad = client.post(
        "/console/calendar/districts/change/",
        {"district": EAST, "verb": "add", "day": "2026-02-30", "kind": "rest"},
    )
    assert bad.status_code == 422 and 'data-field="day"' in bad.content.decode()
    assert DistrictDay.objects.count() == 1
    removed = client.post(
        "/console/calendar/districts/change/",
        {"district": EAST, "verb": "remove", "day": "2026-03-11"},
    )
    assert removed.status_code == 302 and not DistrictDay.objects.exists()


def test_a_district_page_is_refused_to_staff_who_keep_no_district(two_districts, client):
    client.force_login(two_districts.people.dispatcher)
    assert client.get("/console/calendar/districts/").status_code == 403
    assert (
        client.post(
            "/console/calendar/districts/change/",
            {"district": HOME, "verb": "add", "day": "2026-03-11", "kind": "rest"},
        ).status_code
        == 403
    )
    assert not DistrictDay.objects.exists()
