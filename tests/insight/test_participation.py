"""Participation measures (insight.participation): figures from known rows, scoping per role,
the small-cell rule, who opens the page and the endpoint, and the download equals the page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client

from onegrid.cases.models import Case
from onegrid.core.errors import PermissionDenied
from onegrid.insight import participation as p
from onegrid.insight import periods
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.party.models import Member, Membership, Organisation, ReportIn
from onegrid.volunteers.models import (
    Claim,
    CoBuildingUnit,
    ListItem,
    Volunteer,
    VolunteerOrganisation,
)
from onegrid.volunteers.models.activities import Activity, SignUp
from support.api import token_client
from support.people import person

MARCH = periods.month(2026, 3)
T = dt.datetime(2026, 3, 3, 10, 0, tzinfo=periods.TZ)  # in March, before the frozen now
FEBRUARY = dt.datetime(2026, 2, 10, 10, 0, tzinfo=periods.TZ)
_n = iter(range(1, 10_000))


def case_at(world, grid, reporter, at=T):
    return Case.objects.create(
        number=f"T-{next(_n)}",
        state="reported",
        source="resident",
        case_class=world.rubbish,
        lon=grid.label_lon,
        lat=grid.label_lat,
        grid=grid,
        community=grid.community,
        street=grid.street,
        reporter=reporter,
        urgency="blue",
        reported_at=at,
    )


def member(world, org, name, *, user=True, grid=None, category="in_service"):
    account = person(name, Role.PARTY_MEMBER, unit=world.district) if user else None
    m = Member.objects.create(
        user=account,
        name=name,
        category=category,
        home_community=world.community,
        home_grid=grid,
        organisation=org,
        created_at=FEBRUARY,
    )
    Membership.objects.create(
        member=m,
        organisation=org,
        started_on=dt.date(2020, 1, 1),
        start="registered",
        recorded_at=FEBRUARY,
    )
    return m


def org(world, code, kind="community_committee", **extra):
    return Organisation.objects.create(
        code=code, name=code, kind=kind, unit=world.community, created_at=FEBRUARY, **extra
    )


def claim(item, state="claimed", at=T, hours=None, **claimant):
    return Claim.objects.create(
        item=item,
        state=state,
        claimed_at=at,
        service_hours=hours,
        confirmed_at=at if state == "confirmed" else None,
        **claimant,
    )


@pytest.fixture
def rows(world):
    """Known rows in March in 果园新村街道's community: see each test for what they give."""
    w = world
    branch = org(w, "P-BRANCH")
    m1 = member(w, branch, "m1", grid=w.grids[0])
    m2 = member(w, branch, "m2", grid=w.grids[1])
    retired = member(w, branch, "m3", category="retired")
    # Reports: m1 two in grid 0, m2 one in grid 1 (Party members); a volunteer, a grid-team
    # volunteer and a resident one each in grid 0; one of m1's in February (outside).
    volunteer = person("vol", Role.RESIDENT, unit=w.district)
    team = person("teamvol", Role.VOLUNTEER, grid=w.grids[0])
    vorg = VolunteerOrganisation.objects.create(name="队", unit=w.community, created_at=FEBRUARY)
    v = Volunteer.objects.create(user=volunteer, community=w.community, joined_at=FEBRUARY)
    vm1 = Volunteer.objects.create(user=m1.user, community=w.community, joined_at=FEBRUARY)
    for reporter, grid in [
        (m1.user, 0),
        (m1.user, 0),
        (m2.user, 1),
        (volunteer, 0),
        (team, 0),
        (w.people.resident, 0),
    ]:
        case_at(w, w.grids[grid], reporter)
    case_at(w, w.grids[0], m1.user, at=FEBRUARY)
    # Claims on one item: m1 confirmed (2.5 h); a unit's claim made; a partner's confirmed (3 h);
    # a volunteer organisation's withdrawn (not counted).
    item = ListItem.objects.create(
        community=w.community, kind="need", title="助老", capacity=9, created_at=FEBRUARY
    )
    unit_a = org(w, "U-A", kind="unit", unit_kind="enterprise")
    unit_b = org(w, "U-B", kind="unit", unit_kind="organ")
    org(w, "U-GONE", kind="unit", unit_kind="organ", dissolved_at=FEBRUARY)
    partner = CoBuildingUnit.objects.create(
        name="物业", kind="property", community=w.community, registered_at=FEBRUARY
    )
    claim(item, "confirmed", hours=Decimal("2.5"), member=m1)
    claim(item, organisation=unit_a)
    claim(item, "confirmed", hours=Decimal("3"), partner=partner)
    claim(item, "withdrawn", volunteer_organisation=vorg)
    # 双报到: unit A confirmed, unit B pending; m1 confirmed to home, m2 pending.
    ReportIn.objects.create(
        kind="unit",
        community=w.community,
        organisation=unit_a,
        state="confirmed",
        reported_at=FEBRUARY,
        decided_at=FEBRUARY,
    )
    ReportIn.objects.create(
        kind="unit",
        community=w.community,
        organisation=unit_b,
        state="pending",
        reported_at=FEBRUARY,
    )
    ReportIn.objects.create(
        kind="member",
        community=w.community,
        member=m1,
        state="confirmed",
        reported_at=FEBRUARY,
        decided_at=FEBRUARY,
    )
    ReportIn.objects.create(
        kind="member", community=w.community, member=m2, state="pending", reported_at=FEBRUARY
    )
    # Activity hours: m1 (a volunteer too) 2 h, the other volunteer 3 h; one unconfirmed.
    activity = Activity.objects.create(
        community=w.community,
        title="清扫",
        starts_at=T,
        ends_at=T + dt.timedelta(hours=3),
        lon=117.1,
        lat=39.2,
        capacity=5,
        created_at=FEBRUARY,
    )
    SignUp.objects.create(
        activity=activity,
        volunteer=vm1,
        signed_up_at=FEBRUARY,
        confirmed_hours=Decimal(2),
        confirmed_at=T,
    )
    SignUp.objects.create(
        activity=activity,
        volunteer=v,
        signed_up_at=FEBRUARY,
        confirmed_hours=Decimal(3),
        confirmed_at=T,
    )
    staff = person("pstaff", Role.PARTY_STAFF, unit=w.district)
    return SimpleNamespace(branch=branch, m1=m1, m2=m2, retired=retired, staff=staff)


def values(row):
    return {k: c.value for k, c in row.cells.items()}


def street_scope(world):
    return p.resolve_scope(world.people.leader, kind="street", code=world.street.code)


def test_figures_from_known_rows(world, rows):
    table = p.participation(rows.staff, period=MARCH, scope=street_scope(world))
    street, community = table.rows
    assert (street.code, community.code) == (world.street.code, world.community.code)
    for row in (street, community):
        got = values(row)
        assert got["reports"] == 6
        assert got["reports_members"] == 3
        assert got["reports_volunteers"] == 3  # the volunteer's and m1's two (a volunteer too)
        assert got["reports_team_volunteers"] == 1
        assert (got["claims_members"], got["claims_members_confirmed"]) == (1, 1)
        assert (got["claims_units"], got["claims_units_confirmed"]) == (1, 0)
        assert (got["claims_partners"], got["claims_partners_confirmed"]) == (1, 1)
        assert (got["claims_volunteer_orgs"], got["claims_volunteer_orgs_confirmed"]) == (0, 0)
        assert got["hours_members"] == Decimal("4.50")  # 2 on the activity + 2.5 on the claim
        assert got["hours_volunteers"] == Decimal("3.00")
        assert got["hours_units"] == Decimal("3.00")
        assert (got["unit_orgs"], got["units_reported_in"]) == (2, 1)
        assert got["unit_coverage"] == Decimal("50.00")
        assert (got["employed_members"], got["members_reported_in"]) == (2, 1)
        assert got["member_coverage"] == Decimal("50.00")
        assert not any(c.withheld for c in row.cells.values())


def test_grids_have_reports_and_members_but_no_claims(world, rows):
    scope = p.resolve_scope(rows.staff, kind="community", code=world.community.code)
    table = p.participation(rows.staff, period=MARCH, scope=scope)
    total, g0, g1 = table.rows
    assert [values(r)["reports"] for r in (g0, g1)] == [5, 1]
    assert [values(r)["reports_members"] for r in (g0, g1)] == [2, 1]
    assert [values(r)["employed_members"] for r in (g0, g1)] == [1, 1]
    assert not g0.cells["claims_members"].applicable and g0.cells["claims_members"].shown == "—"
    assert total.cells["claims_members"].value == 1


def test_the_district_lists_its_streets(world, rows):
    table = p.participation(world.people.leader, period=MARCH, scope=p.Scope("district"))
    codes = [r.code for r in table.rows]
    assert codes == [world.district.code, world.street.code, world.other_street.code]
    assert values(table.rows[0])["reports"] == 6 and values(table.rows[2])["reports"] == 0


def test_a_past_period_counts_nothing_of_march_and_coverage_as_it_stood(world, rows):
    table = p.participation(rows.staff, period=periods.month(2026, 1), scope=street_scope(world))
    got = values(table.rows[0])
    assert got["reports"] == 0 and got["claims_members"] == 0
    # At the end of January no unit's organisation stood yet and no report-in was confirmed;
    # the members' memberships were open (since 2020).
    assert (got["unit_orgs"], got["employed_members"], got["members_reported_in"]) == (0, 2, 0)
    assert got["unit_coverage"] is None and got["member_coverage"] == Decimal("0.00")


# --- the small-cell rule -------------------------------------------------------------------------


def test_few_members_are_withheld_from_those_who_may_not_read_membership(world, rows):
    table = p.participation(world.people.leader, period=MARCH, scope=street_scope(world))
    street = table.rows[0]
    # Two members stand behind the reports, one behind the claims and hours.
    for key in ("reports_members", "claims_members", "hours_members", "employed_members"):
        assert street.cells[key].withheld and street.cells[key].shown == p.WITHHELD, key
        assert street.cells[key].as_dict()["value"] is None
    assert street.cells["member_coverage"].withheld
    # What is not about members is shown.
    assert street.cells["reports_volunteers"].shown == "3"
    assert street.cells["unit_coverage"].shown == "50.00"


def test_three_members_are_shown(world, rows):
    m4 = member(world, rows.branch, "m4", grid=world.grids[0])
    case_at(world, world.grids[0], m4.user)
    table = p.participation(world.people.leader, period=MARCH, scope=street_scope(world))
    assert table.rows[0].cells["reports_members"].shown == "4"


def test_one_withheld_cell_takes_another_with_it(world, rows):
    """Grid 0: three members report (shown alone); grid 1: one (withheld). Grid 0's figure
    is withheld too, else grid 1's would be the total less grid 0's."""
    for name in ("m4", "m5"):
        case_at(world, world.grids[0], member(world, rows.branch, name).user)
    scope = p.resolve_scope(world.people.leader, kind="community", code=world.community.code)
    total, g0, g1 = p.participation(world.people.leader, period=MARCH, scope=scope).rows
    assert g1.cells["reports_members"].withheld
    assert g0.cells["reports_members"].withheld
    assert total.cells["reports_members"].shown == "5"
    # The Party-organisation staff see every figure.
    staff_rows = p.participation(rows.staff, period=MARCH, scope=scope).rows
    assert [r.cells["reports_members"].shown for r in staff_rows] == ["5", "4", "1"]


def test_staff_of_another_street_do_not_read_membership_here(world, rows):
    other = person("pstaff2", Role.PARTY_STAFF, unit=world.other_street)
    RoleAssignment.objects.create(user=other, role=Role.LEADER, unit=world.district)
    table = p.participation(other, period=MARCH, scope=street_scope(world))
    assert table.rows[0].cells["reports_members"].withheld


# --- who reads which places ----------------------------------------------------------------


def test_scopes_per_role(world, rows):
    w, people = world, world.people
    community_staff = person("pstaff_c", Role.PARTY_STAFF, unit=w.community)
    grid0 = w.grids[0].code
    cases = {
        # user: {(kind, code): may read}
        people.leader: {("district", ""): True, ("street", w.other_street.code): True},
        people.acceptor: {
            ("district", ""): False,
            ("street", w.street.code): True,
            ("community", w.community.code): True,
            ("street", w.other_street.code): False,
        },
        people.worker: {("grid", grid0): True, ("grid", w.grids[1].code): False},
        community_staff: {
            ("community", w.community.code): True,
            ("grid", grid0): True,
            ("street", w.street.code): False,
        },
        rows.staff: {("district", ""): True},
    }
    for user, answers in cases.items():
        for (kind, code), allowed in answers.items():
            if allowed:
                scope = p.resolve_scope(user, kind=kind, code=code)
                p.participation(user, period=MARCH, scope=scope)
            else:
                with pytest.raises(PermissionDenied):
                    p.resolve_scope(user, kind=kind, code=code)
    for user in (people.city_handler, people.resident):
        assert p.visible_scopes(user) == []
        with pytest.raises(PermissionDenied):
            p.resolve_scope(user)
    assert p.resolve_scope(community_staff).code == w.community.code


# --- pages and the endpoint ----------------------------------------------------------------

READERS = {
    Role.LEADER,
    Role.SUPERVISOR,
    Role.COMMAND_CENTRE,
    Role.ADMIN,
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.PARTY_STAFF,
}
GRID_ROLES = {
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.POLICE_OFFICER,
    Role.BUILDING_HEAD,
    Role.VOLUNTEER,
}


def _holder(world, role) -> User:
    if role in GRID_ROLES:
        where = {"grid": world.grids[0]}
    elif role == Role.DEPT_HANDLER:
        where = {"department": world.city_mgmt}
    elif role in (Role.ACCEPTOR, Role.DISPATCHER, Role.SHIFT_LEAD, Role.CALLBACK):
        where = {"unit": world.street}
    else:
        where = {"unit": world.district}
    return person(f"r_{role}", role, **where)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_opens_the_page_and_endpoint_or_not(world, role):
    user = _holder(world, role)
    client = Client()
    client.force_login(user)
    page = client.get("/console/participation/", {"month": "2026-03"})
    api = token_client(user).get("/api/v1/insight/participation", {"month": "2026-03"})
    expected = 200 if role in READERS else 403
    assert page.status_code == expected, role
    assert api.status_code == expected, role


def test_anonymous_callers_are_sent_away(world):
    assert Client().get("/console/participation/").status_code == 302
    assert Client().get("/api/v1/insight/participation").status_code == 401


def test_the_measures_page_links_here(world):
    client = Client()
    client.force_login(world.people.leader)
    body = client.get("/console/measures/", {"month": "2026-03"}).content.decode()
    assert 'id="participation-link"' in body and "/console/participation/?month=2026-03" in body


def test_the_page_drills_from_street_to_communities(world, rows):
    client = Client()
    client.force_login(world.people.leader)
    body = client.get("/console/participation/", {"month": "2026-03"}).content.decode()
    assert f"scope=street%3A{world.street.code}" in body
    body = client.get(
        "/console/participation/", {"month": "2026-03", "scope": f"street:{world.street.code}"}
    ).content.decode()
    assert f'data-code="{world.community.code}"' in body
    assert 'id="small-cell-rule"' in body  # the leader sees withheld cells and the rule


def test_a_bad_code_is_named_and_another_street_is_refused(world, rows):
    client = Client()
    client.force_login(world.people.acceptor)
    bad = client.get("/console/participation/", {"scope": "street:12x"})
    assert bad.status_code == 400 and 'data-field="code"' in bad.content.decode()
    other = client.get("/console/participation/", {"scope": f"street:{world.other_street.code}"})
    assert other.status_code == 403
    api = token_client(world.people.acceptor).get(
        "/api/v1/insight/participation", {"scope": "street", "code": world.other_street.code}
    )
    assert api.status_code == 403
    api = token_client(world.people.acceptor).get(
        "/api/v1/insight/participation", {"scope": "galaxy"}
    )
    assert api.status_code == 422


def test_the_endpoint_withholds_as_the_page_does(world, rows):
    answer = token_client(world.people.leader).get(
        "/api/v1/insight/participation",
        {"month": "2026-03", "scope": "street", "code": world.street.code},
    )
    assert answer.status_code == 200
    body = answer.json()
    street = body["rows"][0]
    assert street["figures"]["reports_members"] == {
        "value": None,
        "withheld": True,
        "applicable": True,
    }
    assert street["figures"]["reports"]["value"] == 6
    assert street["figures"]["hours_units"]["value"] == "3.00"
    assert {f["key"] for f in body["figures"]} == {f.key for f in p.FIGURES}
    assert all(f["formula"] for f in body["figures"])


def _page_rows(body: str) -> list[list[str]]:
    table = body.split('id="participation-table"', 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in re.findall(r'<tr data-code="[^"]*"[^>]*>(.*?)</tr>', table, re.S):
        code = re.search(r'<span class="muted small">([^<]*)</span>', tr).group(1)
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", tr)
        rows.append([code, *cells])
    return rows


def test_the_download_equals_the_page(world, rows):
    client = Client()
    client.force_login(world.people.leader)
    query = {"month": "2026-03", "scope": f"street:{world.street.code}"}
    page = _page_rows(client.get("/console/participation/", query).content.decode())
    response = client.get("/console/participation/", {**query, "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert [[r[0], *r[2:]] for r in lines[1:]] == page
    assert len(page) == 2 and page[0][2] == p.WITHHELD  # the street's members' reports


# --- whistle response ------------------------------------------------------------------------


def whistle_task(case, department, *, due, reported=None, rating="", rated=None):
    from onegrid.cases.models import Task

    return Task.objects.create(
        case=case,
        department=department,
        role=Task.Role.WHISTLE,
        state=Task.State.SUMMONED if reported is None else Task.State.FED_BACK,
        dispatched_at=due - dt.timedelta(hours=2),
        due_at=due + dt.timedelta(days=1),
        report_in_due_at=due,
        reported_in_at=reported,
        reported_in_on_time=None if reported is None else reported <= due,
        rating=rating,
        rated_at=rated,
    )


def test_whistle_response_per_street_and_department(world):
    w = world
    case = case_at(w, w.grids[0], w.people.resident)
    far = case_at(w, w.grids[2], w.people.resident)
    due = T + dt.timedelta(hours=4)
    whistle_task(
        case,
        w.city_mgmt,
        due=due,
        reported=due - dt.timedelta(hours=1),
        rating="satisfied",
        rated=due + dt.timedelta(days=2),
    )
    whistle_task(
        case,
        w.ecology,
        due=due,
        reported=due + dt.timedelta(hours=3),
        rating="unsatisfied",
        rated=due + dt.timedelta(days=2),
    )
    whistle_task(far, w.market, due=due)  # missed, in the other street
    table = p.participation(w.people.leader, period=MARCH, scope=street_scope(w))
    rows = {r["department"]: r for r in table.whistles}
    assert set(rows) == {w.city_mgmt.name, w.ecology.name}
    assert rows[w.city_mgmt.name]["reported_in_on_time"] == 1
    assert rows[w.ecology.name]["on_time_rate"] == Decimal("0.00")
    assert rows[w.ecology.name]["satisfaction_rate"] == Decimal("0.00")
    district = p.participation(w.people.leader, period=MARCH, scope=p.Scope("district")).whistles
    assert [(r["street"], r["department"]) for r in district][-1] == (
        w.other_street.name,
        w.market.name,
    )
    assert district[-1]["due"] == 1 and district[-1]["reported_in"] == 0
    community = p.resolve_scope(w.people.leader, kind="community", code=w.community.code)
    assert p.participation(w.people.leader, period=MARCH, scope=community).whistles is None
    client = Client()
    client.force_login(w.people.leader)
    query = {"month": "2026-03", "scope": f"street:{w.street.code}"}
    body = client.get("/console/participation/", query).content.decode()
    assert 'id="whistle-table"' in body and w.ecology.name in body
    csv_text = b"".join(
        client.get(
            "/console/participation/", {**query, "format": "csv", "table": "whistles"}
        ).streaming_content
    ).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(csv_text)))) == 3
    api = (
        token_client(w.people.leader)
        .get(
            "/api/v1/insight/participation",
            {"month": "2026-03", "scope": "street", "code": w.street.code},
        )
        .json()
    )
    assert {r["department"]: r["on_time_rate"] for r in api["whistles"]} == {
        w.city_mgmt.name: "100.00",
        w.ecology.name: "0.00",
    }
