"""A city's districts share the catalogue but keep their own overrides (cases.overrides):
a time limit, default department or urgency changed, or a class switched off, in one district
only; per-process copies reload when the overrides' version changes."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from shapely import box

from onegrid.cases import catalogue, overrides, rules, selectors
from onegrid.cases.models import ClassOverride, OverrideState
from onegrid.core import clock
from onegrid.core.errors import InvalidInput
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory import locator
from onegrid.territory.models import AdminUnit, Grid, LayerState
from support.cases import act, report

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def city(world):
    """The world's district (北辰, A) and a second district of the same city (东丽, B) with one
    street, one grid and its own staff."""
    east = AdminUnit.objects.create(
        code="120110000000", name="东丽区", level="district", parent=world.district.parent
    )
    street = AdminUnit.objects.create(
        code="120110001000", name="张贵庄街道", level="street", parent=east
    )
    community = AdminUnit.objects.create(
        code="120110001001", name="第1社区", level="community", parent=street
    )
    shape = box(117.30, 39.20, 117.31, 39.21)
    grid = Grid.objects.create(
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

    def person(username, role, **where):
        user = User.objects.create_user(username, password="pw", display_name=username)
        RoleAssignment.objects.create(user=user, role=role, **where)
        return user

    world.east = east
    world.east_point = (shape.centroid.x, shape.centroid.y)
    world.east_worker = person("east_worker", Role.GRID_WORKER, grid=grid)
    world.east_acceptor = person("east_acceptor", Role.ACCEPTOR, unit=street)
    world.east_dispatcher = person("east_dispatcher", Role.DISPATCHER, unit=street)
    overrides.forget()
    yield world
    locator.invalidate()


def report_east(world, case_class):
    return report(world, who=world.east_worker, case_class=case_class, point=world.east_point)


def dispatched(world, case, east: bool):
    acceptor = world.east_acceptor if east else world.people.acceptor
    dispatcher = world.east_dispatcher if east else world.people.dispatcher
    case = act(case, acceptor, "register")
    return act(case, dispatcher, "dispatch")


def test_an_override_changes_deadline_department_and_urgency_in_its_district_only(city):
    w = city
    _row, outcome = overrides.set_override(
        district=w.east,
        case_class=w.rubbish,
        time_limit=2,
        time_unit="days",
        default_department_id=w.ecology.pk,
        urgency="yellow",
        by="test",
    )
    assert outcome == "added"
    home = report(w, case_class=w.rubbish)
    east = report_east(w, w.rubbish)
    assert (home.urgency, east.urgency) == ("blue", "yellow")
    assert rules.default_department(home) == w.city_mgmt
    assert rules.default_department(east) == w.ecology
    home, east = dispatched(w, home, east=False), dispatched(w, east, east=True)
    lead_home = home.tasks.get()
    lead_east = east.tasks.get()
    assert lead_home.department == w.city_mgmt and lead_east.department == w.ecology
    # Tuesday 09:30: 4 working hours at home, 2 working days in the east.
    assert lead_home.due_at == dt.datetime(2026, 3, 10, 13, 30, tzinfo=TZ)
    assert lead_east.due_at == dt.datetime(2026, 3, 12, 9, 30, tzinfo=TZ)
    # The class list and the API show each district its own values.
    assert overrides.effective(w.rubbish, w.district.pk).time_limit == 4
    assert overrides.effective(w.rubbish, w.east.pk).time_limit == 2


def test_a_class_switched_off_is_refused_in_its_district_only(city):
    w = city
    overrides.set_override(district=w.east, case_class=w.building, active=False, by="test")
    with pytest.raises(InvalidInput) as refused:
        report_east(w, w.building)
    assert refused.value.field == "class_code"
    assert "A0101" in str(refused.value.message)
    assert report(w, case_class=w.building).case_class == w.building  # home still has it
    codes_east = [c.code for c in selectors.active_classes(w.east.pk)]
    codes_home = [c.code for c in selectors.active_classes(w.district.pk)]
    assert "A0101" not in codes_east and "A0101" in codes_home
    assert selectors.reporting_district(w.east_worker) == w.east.pk
    # A desk cannot reclassify an east case into it either; nothing changes.
    case = act(report_east(w, w.rubbish), w.east_acceptor, "register")
    with pytest.raises(InvalidInput) as refused:
        act(case, w.east_acceptor, "reclassify", class_code="A0101")
    assert refused.value.field == "class_code"
    case.refresh_from_db()
    assert case.case_class == w.rubbish


def test_the_api_class_list_for_a_place_leaves_out_a_class_switched_off_there(city, client):
    w = city
    overrides.set_override(district=w.east, case_class=w.building, active=False, by="test")
    overrides.set_override(district=w.east, case_class=w.rubbish, urgency="red", by="test")
    client.force_login(w.east_worker)
    east = client.get("/api/v1/catalogue", {"district": "120110"}).json()
    home = client.get("/api/v1/catalogue", {"district": "120113000000"}).json()
    assert "A0101" not in {c["code"] for c in east} and "A0101" in {c["code"] for c in home}
    assert {c["code"]: c["urgency"] for c in east}["A0102"] == "red"
    assert {c["code"]: c["urgency"] for c in home}["A0102"] == "blue"
    bad = client.get("/api/v1/catalogue", {"district": "999999"})
    assert bad.status_code == 422 and "district" in bad.content.decode()


def test_bad_overrides_are_refused_naming_the_field_and_change_nothing(city):
    w = city
    cases = [
        ({"time_limit": 3}, "time_limit"),
        ({"time_limit": 0, "time_unit": "days"}, "time_limit"),
        ({"time_limit": 3, "time_unit": "weeks"}, "time_unit"),
        ({"urgency": "purple"}, "urgency"),
    ]
    for values, field in cases:
        with pytest.raises(InvalidInput) as refused:
            overrides.set_override(district=w.east, case_class=w.rubbish, by="t", **values)
        assert refused.value.field == field
    with pytest.raises(InvalidInput) as refused:
        overrides.set_override(district=w.street, case_class=w.rubbish, urgency="red")
    assert refused.value.field == "district"
    assert not ClassOverride.objects.exists()


def test_clearing_every_field_removes_the_override(city):
    w = city
    overrides.set_override(district=w.east, case_class=w.rubbish, urgency="red", by="t")
    again = overrides.set_override(district=w.east, case_class=w.rubbish, urgency="red", by="t")
    assert again[1] == "unchanged"
    assert overrides.set_override(district=w.east, case_class=w.rubbish, by="t")[1] == "removed"
    assert overrides.effective(w.rubbish, w.east.pk).urgency == "blue"


def test_another_process_change_is_seen_at_the_next_version_check(city):
    w = city
    assert overrides.effective(w.rubbish, w.east.pk).urgency == "blue"
    # Another process adds an override: row and version change, this process is not told
    # (bulk_create: no signal in this process, as for a write made in another).
    ClassOverride.objects.bulk_create(
        [ClassOverride(district=w.east, case_class=w.rubbish, urgency="red")]
    )
    state, _created = OverrideState.objects.get_or_create(pk=1)
    state.version += 1
    state.save()
    slow = {**settings.ONEGRID, "CALENDAR_RECHECK_SECONDS": 3600}
    with override_settings(ONEGRID=slow):
        assert overrides.effective(w.rubbish, w.east.pk).urgency == "blue"  # still cached
    overrides._cache.next_check = 0.0  # the interval has passed
    assert overrides.effective(w.rubbish, w.east.pk).urgency == "red"


def test_no_overrides_cost_no_queries_and_no_district_look_up(
    world, settings, django_assert_num_queries
):
    # (No version re-check inside the measured loop on a slow machine.)
    settings.ONEGRID = {**settings.ONEGRID, "CALENDAR_RECHECK_SECONDS": 3600}
    case = dispatched(world, report(world, case_class=world.rubbish), east=False)
    case.case_class  # noqa: B018 - the class is read with the case, as the pages do
    overrides.forget()
    rules.disposal_due(case, clock.now())  # the first read loads the (empty) overrides
    with django_assert_num_queries(0):
        for _ in range(20):
            rules.disposal_due(case, clock.now())
            assert overrides.for_case(case).time_limit == 4
            selectors.timer_colour(case)
    assert overrides._cache.streets == {}  # no case's district was looked up


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_catalogue_export_and_import_by_district(city, tmp_path):
    w = city
    path = tmp_path / "east.csv"
    call_command("catalogue", "export", str(path), "--district", "120110")
    rows = _csv_rows(path.read_bytes())
    by_code = {r["code"]: r for r in rows}
    assert by_code["A0102"]["time_limit"] == "4"
    by_code["A0102"].update(time_limit="1", time_unit="days", default_department="ecology")
    by_code["A0101"]["active"] = "false"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    call_command("catalogue", "import", str(path), "--district", "120110000000", "--dry-run")
    assert not ClassOverride.objects.exists()
    call_command("catalogue", "import", str(path), "--district", "120110000000")
    assert ClassOverride.objects.filter(district=w.east).count() == 2
    east = overrides.effective(w.rubbish, w.east.pk)
    assert (east.time_limit, east.time_unit, east.default_department_id) == (
        1,
        "days",
        w.ecology.pk,
    )
    assert not overrides.effective(w.building, w.east.pk).active
    assert overrides.effective(w.rubbish, w.district.pk).time_limit == 4  # home unchanged
    # The export reads back as the district has it; the city's catalogue is untouched.
    again = {r["code"]: r for r in _csv_rows(catalogue.export_catalogue("csv", w.east))}
    assert (again["A0102"]["time_limit"], again["A0101"]["active"]) == ("1", "false")
    city_rows = {r["code"]: r for r in _csv_rows(catalogue.export_catalogue("csv"))}
    assert (city_rows["A0102"]["time_limit"], city_rows["A0101"]["active"]) == ("4", "true")
    # Importing the same file again changes nothing (not even the overrides' version).
    version = OverrideState.objects.get(pk=1).version
    call_command("catalogue", "import", str(path), "--district", "120110")
    assert OverrideState.objects.get(pk=1).version == version
    assert ClassOverride.objects.filter(district=w.east).count() == 2


def test_a_district_import_naming_an_unknown_class_or_district_changes_nothing(city, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "major_code,major_name,code,name,time_limit,time_unit\nA,城市管理,Z9999,无,1,days\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="Z9999"):
        call_command("catalogue", "import", str(path), "--district", "120110")
    with pytest.raises(CommandError, match="district"):
        call_command("catalogue", "import", str(path), "--district", "120199")
    assert not ClassOverride.objects.exists()


def test_the_admin_page_shows_and_takes_a_district_administrator_own_district_only(
    city, client, settings
):
    w = city
    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODES": "120110000000"}
    keeper = User.objects.create_user("east_admin", password="pw", is_staff=True)
    RoleAssignment.objects.create(user=keeper, role=Role.ADMIN, unit=w.east)
    overrides.set_override(district=w.east, case_class=w.rubbish, urgency="red", by="t")
    overrides.set_override(district=w.district, case_class=w.rubbish, urgency="yellow", by="t")
    client.force_login(keeper)
    listed = client.get("/admin/cases/classoverride/")
    assert listed.status_code == 200
    body = listed.content.decode()
    assert "东丽区" in body and "北辰区" not in body
    # Adding an override for the other district is refused (not a choice), nothing saved.
    before = ClassOverride.objects.count()
    refused = client.post(
        "/admin/cases/classoverride/add/",
        {"district": w.district.pk, "case_class": w.building.pk, "urgency": "red"},
    )
    assert refused.status_code == 200 and ClassOverride.objects.count() == before
    added = client.post(
        "/admin/cases/classoverride/add/",
        {"district": w.east.pk, "case_class": w.building.pk, "urgency": "red", "active": ""},
    )
    assert added.status_code == 302
    # The change reaches the cached overrides at once (the version was bumped).
    assert overrides.effective(w.building, w.east.pk).urgency == "red"
