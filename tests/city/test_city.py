"""A city in one installation: two districts under one city, each district's staff kept to
their district, the city's command centre and leaders reading both and the city's rollup."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from shapely import box

from onegrid.cases import selectors as case_selectors
from onegrid.core import clock
from onegrid.core.errors import PermissionDenied
from onegrid.deliberation import selectors as deliberation_selectors
from onegrid.deliberation.models import Topic
from onegrid.insight import selectors as insight
from onegrid.insight.periods import parse_period
from onegrid.mediation import selectors as mediation_selectors
from onegrid.org import policies
from onegrid.org.models import Role
from onegrid.territory import district as districts
from onegrid.territory.locator import locate, locator
from onegrid.territory.models import AdminUnit, Grid, LayerState
from support import mediation_world
from support.api import token_client
from support.cases import act, report
from support.people import person

XIQING = "120111000000"


@pytest.fixture
def city(world, settings):
    """The world's Beichen (district A) and Xiqing (district B) under 天津市, one street, one
    community and one grid in Xiqing, and the people of each district and of the city."""
    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODES": "120113," + XIQING}
    a = world.district
    b = AdminUnit.objects.create(code=XIQING, name="西青区", level="district", parent=a.parent)
    street = AdminUnit.objects.create(
        code="120111001000", name="西营门街道", level="street", parent=b
    )
    community = AdminUnit.objects.create(
        code="120111001001", name="第1社区", level="community", parent=street
    )
    shape = box(117.00, 39.10, 117.01, 39.11)
    grid = Grid.objects.create(
        code="120111001001001",
        name="西青第001网格",
        community=community,
        street=street,
        geometry_wkb=shape.wkb,
        area_m2=1e6,
        label_lon=shape.centroid.x,
        label_lat=shape.centroid.y,
    )
    LayerState.objects.filter(name="grids").update(version=2)
    locator.invalidate()
    people = SimpleNamespace(
        b_worker=person("b_worker", Role.GRID_WORKER, grid=grid),
        b_acceptor=person("b_acceptor", Role.ACCEPTOR, unit=street),
        b_command=person("b_command", Role.COMMAND_CENTRE, unit=b),
        b_leader=person("b_leader", Role.LEADER, unit=b),
        city_command=person("city_command", Role.COMMAND_CENTRE, unit=a.parent),
        city_leader=person("city_leader", Role.LEADER, unit=a.parent),
    )
    case_a = report(world)
    case_b = report(world, who=people.b_worker, point=(grid.label_lon, grid.label_lat))
    return SimpleNamespace(
        a=a,
        b=b,
        city=a.parent,
        street=street,
        community=community,
        grid=grid,
        people=people,
        case_a=case_a,
        case_b=case_b,
    )


def numbers(client: Client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return {item["number"] for item in response.json()["items"]}


def test_the_installation_serves_a_city_of_two_districts(city):
    assert districts.is_city()
    assert districts.district_codes() == ("120113000000", XIQING)
    assert districts.city_code() == "120100000000"
    assert [d.code for d in districts.districts()] == ["120113000000", XIQING]


def test_each_report_is_located_in_its_districts_grid_and_numbered_with_its_prefix(world, city):
    assert city.case_a.grid_id == world.grids[0].pk and city.case_a.street.parent_id == city.a.pk
    assert city.case_b.grid_id == city.grid.pk and city.case_b.street.parent_id == city.b.pk
    assert locate(city.grid.label_lon, city.grid.label_lat).district_code == XIQING
    assert locate(*world.point).district_code == "120113000000"
    assert city.case_a.number.startswith("120113-")
    assert city.case_b.number.startswith("120111-")


def test_a_districts_staff_list_and_read_only_their_districts_cases_through_the_api(world, city):
    a, b = city.case_a, city.case_b
    p = city.people
    for user, own, other in (
        (world.people.command, a, b),
        (world.people.leader, a, b),
        (p.b_command, b, a),
        (p.b_leader, b, a),
    ):
        client = token_client(user)
        assert numbers(client, "/api/v1/cases?limit=500") == {own.number}, user
        assert client.get(f"/api/v1/cases/{own.number}").status_code == 200
        assert client.get(f"/api/v1/cases/{other.number}").status_code == 404
        assert client.get(f"/api/v1/cases/{other.pk}").status_code == 404
    for user in (p.city_command, p.city_leader):
        client = token_client(user)
        assert numbers(client, "/api/v1/cases?limit=500") == {a.number, b.number}
        assert client.get(f"/api/v1/cases/{b.number}").status_code == 200


def test_a_districts_staff_cannot_open_the_other_districts_case_page_console_or_map(world, city):
    a, b = city.case_a, city.case_b
    district_a = Client()
    district_a.force_login(world.people.command)
    assert district_a.get(f"/cases/{a.number}/").status_code == 200
    assert district_a.get(f"/cases/{b.number}/").status_code in (403, 404)
    console = district_a.get("/console/").content.decode()
    assert a.number in console and b.number not in console
    live = district_a.get("/map/live.json")
    assert live.status_code == 200
    assert set(live.json()["grids"]) == {world.grids[0].code}
    assert live.json()["totals"]["open"] == 1
    # The grid layer is drawn whole, but another district's grid shows no case and no team.
    other = district_a.get(f"/map/grid/{city.grid.code}.json").json()
    assert other["in_area"] is False and other["open"] == 0 and other["cases"] == []
    assert other["team"] == []

    acceptor_b = Client()
    acceptor_b.force_login(city.people.b_acceptor)
    console = acceptor_b.get("/console/").content.decode()
    assert b.number in console and a.number not in console
    assert acceptor_b.get(f"/cases/{a.number}/").status_code in (403, 404)

    whole = Client()
    whole.force_login(city.people.city_command)
    assert whole.get(f"/cases/{a.number}/").status_code == 200
    assert whole.get(f"/cases/{b.number}/").status_code == 200
    live = whole.get("/map/live.json").json()
    assert set(live["grids"]) == {world.grids[0].code, city.grid.code}
    assert live["totals"]["open"] == 2


def test_roles_over_a_place_follow_the_district_the_binding_is_at(world, city):
    place_a = policies.grid_place(world.grids[0])
    place_b = policies.grid_place(city.grid)
    command_a = world.people.command
    assert Role.COMMAND_CENTRE in policies.roles_over(command_a, place_a)
    assert policies.roles_over(command_a, place_b) == set()
    assert not policies.may_see_place(command_a, place_b)
    whole = city.people.city_command
    assert Role.COMMAND_CENTRE in policies.roles_over(whole, place_b)
    assert policies.reader_district_ids(command_a) == frozenset({city.a.pk})
    assert policies.reader_district_ids(whole) is None
    # An administrator of district A keeps district A only; the city's settings are the city's.
    admin_a = person("admin_a", Role.ADMIN, unit=city.a)
    assert policies.keeps_district(admin_a, city.a.pk)
    assert policies.kept_district_ids(admin_a) == frozenset({city.a.pk})
    assert policies.kept_district_ids(world.people.leader) == frozenset()
    assert not policies.keeps_district(admin_a, city.b.pk)
    assert not policies.may_manage_territory(admin_a)
    admin_city = person("admin_city", Role.ADMIN, unit=city.city)
    assert policies.keeps_district(admin_city, city.b.pk) and policies.may_manage_territory(
        admin_city
    )
    assert policies.kept_district_ids(admin_city) is None


def _month() -> dict[str, str]:
    return {"month": clock.now().strftime("%Y-%m")}


def test_measures_a_district_reads_its_own_the_city_reads_all_and_sums_them(world, city):
    # One more case in district B, closed: the districts' figures differ.
    extra = report(
        world, who=city.people.b_worker, point=(city.grid.label_lon, city.grid.label_lat)
    )
    act(extra, city.people.b_acceptor, "register")
    month = "&".join(f"{k}={v}" for k, v in _month().items())
    district_a = token_client(world.people.command)
    assert (
        district_a.get(f"/api/v1/insight/measures?scope=district&code={XIQING}&{month}").status_code
        == 403
    )
    assert district_a.get(f"/api/v1/insight/measures?scope=city&{month}").status_code == 403
    assert district_a.get(f"/api/v1/insight/city?{month}").status_code == 403
    own = district_a.get(f"/api/v1/insight/measures?scope=district&code=120113000000&{month}")
    assert own.status_code == 200 and own.json()["counts"]["reports"] == 1
    scopes = district_a.get("/api/v1/insight/scopes").json()["scopes"]
    assert {s["code"] for s in scopes} >= {"120113000000", world.street.code}
    assert not any(s["code"].startswith("120111") for s in scopes)
    league = district_a.get(f"/api/v1/insight/league/street?{month}").json()
    assert {r["code"] for r in league["rows"]} == {world.street.code, world.other_street.code}
    assert district_a.get(f"/api/v1/insight/league/department?{month}").status_code == 403
    assert (
        token_client(city.people.city_leader)
        .get(f"/api/v1/insight/league/department?{month}")
        .status_code
        == 200
    )

    whole = token_client(city.people.city_leader)
    rollup = whole.get(f"/api/v1/insight/city?{month}")
    assert rollup.status_code == 200, rollup.content
    body = rollup.json()
    assert [d["scope"]["code"] for d in body["districts"]] == ["120113000000", XIQING]
    by_district = {}
    for d in body["districts"]:
        alone = whole.get(
            f"/api/v1/insight/measures?scope=district&code={d['scope']['code']}&{month}"
        ).json()
        for key in ("reports", "n_due", "closed", "closed_on_time", "overdue"):
            assert d["counts"][key] == alone["counts"][key], (d["scope"]["code"], key)
        by_district[d["scope"]["code"]] = d
    assert by_district["120113000000"]["counts"]["reports"] == 1
    assert by_district[XIQING]["counts"]["reports"] == 2
    city_row = whole.get(f"/api/v1/insight/measures?scope=city&{month}").json()
    for key, value in body["city"]["counts"].items():
        assert value == sum(d["counts"][key] for d in body["districts"]), key
        assert value == city_row["counts"][key], key
    for i, figure in enumerate(body["city"]["measures"]):
        parts = [d["measures"][i] for d in body["districts"]]
        assert figure["numerator"] == sum(p["numerator"] for p in parts)
        assert figure["denominator"] == sum(p["denominator"] for p in parts)
        assert figure["value"] == city_row["measures"][i]["value"]
    page = Client()
    page.force_login(city.people.city_command)
    html = page.get(f"/console/measures/?scope=city:120100000000&{month}").content.decode()
    assert 'id="city-districts"' in html and "西青区" in html
    assert page.get("/bigscreen/data.json").json()["scope"]["kind"] == "city"
    own_page = Client()
    own_page.force_login(world.people.command)
    html = own_page.get(f"/console/measures/?{month}").content.decode()
    assert 'id="city-districts"' not in html and "西青区" not in html
    assert own_page.get(f"/console/measures/?scope=district:{XIQING}&{month}").status_code == 403
    screen = own_page.get("/bigscreen/data.json").json()
    assert screen["scope"]["code"] == "120113000000"


def test_the_city_rollup_equals_the_sum_of_the_districts_dashboards(world, city):
    period = parse_period(_month())
    rollup = insight.city_rollup(city.people.city_command, period=period)
    for row in rollup.districts:
        board = insight.dashboard(city.people.city_command, period=period, scope=row.scope)
        assert row.counts == {k: board.counts[k] for k in insight.PERIOD_COUNTS}
    assert rollup.city.counts["reports"] == 2
    with pytest.raises(PermissionDenied):
        insight.city_rollup(world.people.command, period=period)


def test_mediation_and_deliberation_registers_keep_to_the_district(world, city):
    med = mediation_world.build(world)
    dispute_a = mediation_world.walk_in(world, med)
    from onegrid.mediation.models import MediationCommittee

    MediationCommittee.objects.create(name="西青第1社区人民调解委员会", unit=city.community)
    b_mediator = person("b_mediator", Role.MEDIATOR, unit=city.community)
    dispute_b = mediation_world.walk_in(world, med, by=b_mediator, community=city.community)
    b_judicial = person("b_judicial", Role.JUDICIAL_OFFICE, unit=city.b)
    city_judicial = person("city_judicial", Role.JUDICIAL_OFFICE, unit=city.city)
    for user, seen in (
        (med.district_judicial, {dispute_a.pk}),
        (b_judicial, {dispute_b.pk}),
        (city_judicial, {dispute_a.pk, dispute_b.pk}),
    ):
        assert set(mediation_selectors.register(user).values_list("pk", flat=True)) == seen
        assert set(mediation_selectors.readable(user).values_list("pk", flat=True)) == seen
    client = token_client(med.district_judicial)
    assert client.get(f"/api/v1/mediation/disputes/{dispute_b.pk}").status_code in (403, 404)
    assert client.get(f"/api/v1/mediation/disputes/{dispute_a.pk}").status_code == 200

    now = clock.now()
    topics = {}
    for key, community in (("a", world.community), ("b", city.community)):
        topics[key] = Topic.objects.create(
            number=f"T-{key}",
            title="加装电梯",
            body="……",
            scope="community",
            community=community,
            state="submitted",
            raised_at=now - dt.timedelta(hours=1),
        )
    for user, seen in (
        (world.people.leader, {"T-a"}),
        (city.people.b_leader, {"T-b"}),
        (city.people.city_leader, {"T-a", "T-b"}),
    ):
        found = deliberation_selectors.topics_in_reach(user).values_list("number", flat=True)
        assert set(found) == seen


def test_one_district_reads_with_the_same_queries_as_before(world, monkeypatch):
    """A one-district installation never reads a district's streets, and a district binding
    reads cases with the same queries as a superuser's (no filter, no join)."""
    assert not districts.is_city()

    def never(*args, **kwargs):
        raise AssertionError("a one-district installation read a district's streets")

    monkeypatch.setattr(policies, "streets_of_districts", never)
    command = world.people.command
    report(world)
    superuser = person("root", Role.LEADER, unit=world.street)
    superuser.is_superuser = True
    superuser.save()
    counts = []
    sql = []
    for user in (command, superuser):
        policies.forget(user)
        with CaptureQueriesContext(connection) as queries:
            assert policies.scope_for(user).district_wide
            list(case_selectors.visible_cases(user)[:50])
            insight.visible_scopes(user)
            policies.roles_over(user, policies.grid_place(world.grids[2]))
        counts.append(len(queries))
        sql.append([q["sql"] for q in queries.captured_queries if "cases_case" in q["sql"]])
    assert sql[0] == sql[1]
    # The command centre's roles are read once (the superuser's too): the same count.
    assert counts[0] == counts[1], counts
    assert policies.reader_district_ids(command) is None
