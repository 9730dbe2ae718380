"""The measures of 自治 and 法治 (insight.governance, rule_of_law, self_governance): each figure
against values computed by hand from the rows of support.governance_rows, scoping per role
and section, the page and the endpoint, the downloads equal to the page, odd periods a 4xx."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from onegrid.core.errors import PermissionDenied
from onegrid.insight import governance as g
from onegrid.insight import periods
from onegrid.org.models import Role, RoleAssignment
from support.api import token_client
from support.governance_rows import deliberation_rows, mediation_rows, stability_rows
from support.people import person

FEBRUARY = periods.month(2026, 2)


@pytest.fixture
def rows(world):
    return (mediation_rows(world), stability_rows(world), deliberation_rows(world))


def values(row, *keys):
    return tuple(row.cells[k].value for k in keys)


def scope(world, kind, code=""):
    return g.resolve_scope(world.people.leader, kind=kind, code=code)


def table(world, kind="street", code=None, period=FEBRUARY, user=None):
    if code is None:
        code = world.street.code if kind == "street" else ""
    s = scope(world, kind, code)
    return g.governance(user or world.people.leader, period=period, scope=s)


# --- mediation ------------------------------------------------------------------------------


def test_mediation_of_the_street(world, rows):
    street, community = table(world).rows
    assert (street.code, community.code) == (world.street.code, world.community.code)
    for row in (street, community):
        # d1 d2 d3 d4 d5 d6 d9 d10 registered; d1 (closed) and d3 agreed, d2 failed.
        assert values(row, "registered", "outcomes", "agreed", "failed") == (8, 3, 2, 1)
        assert row.cells["success_rate"].value == Decimal("66.67")
        # d1 on time, d2 on its extended day at 23:30, d3 half an hour late in Beijing time.
        assert values(row, "timed", "on_time", "on_time_rate") == (3, 2, Decimal("66.67"))
        # d4 (after d1 and d2 in grid 0) and d6 (after d0, both without a grid).
        assert values(row, "recurrences", "recurrence_rate") == (2, Decimal("25.00"))


def test_mediation_of_the_district_counts_the_other_street(world, rows):
    district, street, other = table(world, "district").rows
    # d7: agreed without a mediation period — an outcome, but not timed.
    assert values(district, "registered", "outcomes", "agreed", "failed") == (9, 4, 3, 1)
    assert district.cells["success_rate"].value == Decimal("75.00")
    assert values(district, "timed", "on_time") == (3, 2)
    assert values(other, "registered", "agreed", "timed", "recurrences") == (1, 1, 0, 0)
    assert other.cells["on_time_rate"].value is None and other.cells["on_time_rate"].shown == "—"


def test_mediation_by_grid_and_disputes_per_10000_residents(world, rows):
    grid0, grid1 = world.grids[:2]
    grid0.population = 2000
    grid0.save()
    with translation.override("en"):
        total, g0, g1 = table(world, "community", world.community.code).rows
    assert values(g0, "registered", "agreed", "failed", "recurrences") == (4, 1, 1, 1)
    assert values(g1, "registered", "agreed", "failed", "recurrences") == (3, 1, 0, 0)
    assert values(g0, "population", "per_10k") == (2000, Decimal("20.00"))  # 4 ÷ 2000 × 10^4
    assert g1.cells["per_10k"].value is None
    assert "not recorded" in g1.cells["per_10k"].note
    assert total.cells["per_10k"].value is None  # one of its grids has no population
    assert "1 grid" in total.cells["per_10k"].note
    grid1.population = 3000
    grid1.save()
    total = table(world, "community", world.community.code).rows[0]
    # 8 registered (d6 without a grid counts for the community) ÷ 5000 × 10^4
    assert values(total, "population", "per_10k") == (5000, Decimal("16.00"))


def test_the_recurrence_window_is_ninety_days(world, rows):
    """d8's outcome came 93 days before d1: d1 is not a recurrence; moved to 89 days, it is."""
    d = rows[0]
    before = table(world, "community", world.community.code).rows[1]
    assert before.cells["recurrences"].value == 1
    d.d8.outcome_at = d.d1.registered_at - dt.timedelta(days=89)
    d.d8.save()
    after = table(world, "community", world.community.code).rows[1]
    assert after.cells["recurrences"].value == 2


# --- screening and risks --------------------------------------------------------------------


def test_screening_and_risks_of_the_street(world, rows):
    street, _community = table(world).rows
    assert values(street, "grids", "grid_months", "screened", "unstable") == (2, 2, 1, 1)
    assert street.cells["screening_coverage"].value == Decimal("50.00")
    # r1, r3, r4 raised in February; r1 escalated.
    assert values(street, "risks_raised", "risks_escalated") == (3, 1)
    # Open on 1 March: r6 low, r2 medium (lowered on 5 March), r1 and r3 high (r3 high from
    # 10 February to 3 March); r4 resolved, r5 raised later.
    assert values(street, "risks_open_low", "risks_open_medium", "risks_open_high") == (1, 1, 2)


def test_screening_coverage_over_a_quarter_and_by_month(world, rows):
    q1 = periods.parse_period({"quarter": "2026-Q1"})
    t = table(world, period=q1)
    street = t.rows[0]
    assert values(street, "grid_months", "screened") == (6, 2)
    assert street.cells["screening_coverage"].value == Decimal("33.33")
    months = [(m.month.month, m.grids, m.screened, m.coverage, m.disputes_found) for m in t.months]
    assert months == [
        (1, 2, 1, Decimal("50.00"), 1),
        (2, 2, 1, Decimal("50.00"), 3),
        (3, 2, 0, Decimal("0.00"), 0),
    ]
    district = table(world, "district").rows[0]
    assert values(district, "grids", "screened", "screening_coverage") == (
        3,
        2,
        Decimal("66.67"),
    )


# --- deliberation ---------------------------------------------------------------------------


def test_deliberation_of_the_community(world, rows):
    community = table(world, "community", world.community.code).rows[0]
    # t1, t2 by residents, t3 by staff; t4 in January.
    assert values(community, "topics_raised", "topics_by_residents") == (3, 2)
    # t1: two co-signatures in February (the third on 5 March), t2: one.
    assert values(community, "cosignatures", "cosignatures_per_topic") == (3, Decimal("1.50"))
    # b1 (25 of 40) and b2 (20 of 60); the cancelled one and January's aside.
    assert values(community, "online_ballots", "online_votes", "online_electorate") == (2, 45, 100)
    assert community.cells["online_participation"].value == Decimal("45.00")
    assert values(community, "meeting_ballots", "meeting_present", "meeting_electorate") == (
        1,
        30,
        50,
    )
    assert community.cells["meeting_turnout"].value == Decimal("60.00")
    assert values(community, "topics_decided", "topics_collecting", "topics_voting") == (1, 1, 1)
    assert community.cells["topics_rejected"].value == 0
    # D1 carried out (on 5 March: by now), D2 published, D3 abandoned.
    assert values(
        community, "decisions_published", "decisions_carried_out", "decisions_abandoned"
    ) == (3, 1, 1)
    assert community.cells["carried_out_rate"].value == Decimal("33.33")
    # P1's milestones due 10, 20, 25 February: on track only the first (done 23:00 that day);
    # P2 is cancelled, 20 March is after the period.
    assert values(community, "milestones_due", "milestones_on_track") == (3, 1)
    assert community.cells["on_track_rate"].value == Decimal("33.33")


def test_a_grid_counts_its_own_topics(world, rows):
    _total, g0, g1 = table(world, "community", world.community.code).rows
    assert values(g0, "topics_raised", "cosignatures", "cosignatures_per_topic") == (
        1,
        1,
        Decimal("1.00"),
    )
    assert values(g1, "topics_raised", "online_ballots") == (0, 0)
    assert g1.cells["cosignatures_per_topic"].shown == "—"


# --- who reads what -------------------------------------------------------------------------


def test_sections_per_role(world, rows):
    w = world
    judicial = person("judicial", Role.JUDICIAL_OFFICE, unit=w.street)
    mediator = person("mediator", Role.MEDIATOR, unit=w.community)
    committee = person("committee", Role.COMMUNITY_COMMITTEE, unit=w.community)
    street_code, community_code = w.street.code, w.community.code
    assert g.resolve_scope(judicial).code == street_code
    assert g.governance(judicial, period=FEBRUARY, scope=g.resolve_scope(judicial)).sections == (
        "mediation",
        "stability",
        "deliberation",
    )
    m = g.governance(mediator, period=FEBRUARY, scope=g.resolve_scope(mediator))
    assert (m.scope.code, m.sections, m.groups) == (community_code, ("mediation",), ["mediation"])
    assert m.months is None and "topics_raised" not in m.rows[0].cells
    c = g.governance(committee, period=FEBRUARY, scope=g.resolve_scope(committee))
    assert c.sections == ("deliberation",)
    assert c.groups == ["deliberation", "topics", "decisions"]
    assert "registered" not in c.rows[0].cells and "risks_open_high" not in c.rows[0].cells
    refusals = [
        (judicial, "district", ""),
        (judicial, "street", w.other_street.code),
        (mediator, "street", street_code),
        (committee, "street", street_code),
        (w.people.acceptor, "street", w.other_street.code),
        (w.people.worker, "grid", w.grids[0].code),
    ]
    for user, kind, code in refusals:
        with pytest.raises(PermissionDenied):
            g.resolve_scope(user, kind=kind, code=code)
    assert g.resolve_scope(w.people.acceptor).code == street_code
    assert g.resolve_scope(mediator, kind="grid", code=w.grids[0].code).kind == "grid"
    for user in (w.people.city_handler, w.people.resident, w.people.worker):
        assert g.visible_scopes(user) == []
    # The district's judicial office reads the district.
    district_judicial = person("judicial_d", Role.JUDICIAL_OFFICE, unit=w.district)
    assert g.resolve_scope(district_judicial).kind == "district"


READERS = {
    Role.LEADER,
    Role.SUPERVISOR,
    Role.COMMAND_CENTRE,
    Role.ADMIN,
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
    Role.JUDICIAL_OFFICE,
    Role.MEDIATOR,
    Role.COMMUNITY_COMMITTEE,
}
GRID_ROLES = {
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.POLICE_OFFICER,
    Role.BUILDING_HEAD,
    Role.VOLUNTEER,
}


def _holder(world, role):
    if role in GRID_ROLES:
        where = {"grid": world.grids[0]}
    elif role == Role.DEPT_HANDLER:
        where = {"department": world.city_mgmt}
    elif role in (Role.ACCEPTOR, Role.DISPATCHER, Role.SHIFT_LEAD, Role.CALLBACK):
        where = {"unit": world.street}
    elif role in (Role.MEDIATOR, Role.COMMUNITY_COMMITTEE, Role.LEGAL_ADVISER):
        where = {"unit": world.community}
    else:
        where = {"unit": world.district}
    return person(f"r_{role}", role, **where)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_opens_the_page_and_endpoint_or_not(world, role):
    user = _holder(world, role)
    client = Client()
    client.force_login(user)
    page = client.get("/console/governance/", {"month": "2026-02"})
    api = token_client(user).get("/api/v1/insight/governance", {"month": "2026-02"})
    expected = 200 if role in READERS else 403
    assert page.status_code == expected, role
    assert api.status_code == expected, role


def test_anonymous_callers_are_sent_away(world):
    assert Client().get("/console/governance/").status_code == 302
    assert Client().get("/api/v1/insight/governance").status_code == 401


def test_the_measures_page_and_the_menu_link_here(world):
    client = Client()
    client.force_login(world.people.leader)
    body = client.get("/console/measures/", {"month": "2026-02"}).content.decode()
    assert 'id="governance-link"' in body and "/console/governance/?month=2026-02" in body
    assert 'href="/console/governance/"' in body  # the menu


@pytest.mark.parametrize(
    "query",
    [
        {"month": "2026-13"},
        {"month": "２０２６-02"},
        {"month": "2026-02\x00"},
        {"year": "99999999999999999999"},
        {"start": "2026-03-01", "end": "2026-02-01"},
        {"scope": "galaxy"},
        {"scope": "street", "code": "12x"},
        {"scope": "street", "code": "１２０１１３００１０００"},
    ],
)
def test_odd_input_is_a_4xx_naming_the_field(world, query):
    api = token_client(world.people.leader).get("/api/v1/insight/governance", query)
    assert api.status_code == 422, query
    client = Client()
    client.force_login(world.people.leader)
    page_query = dict(query)
    if "scope" in page_query:
        page_query["scope"] = f"{page_query.pop('scope')}:{page_query.pop('code', '')}"
    page = client.get("/console/governance/", page_query)
    assert page.status_code == 400, query
    assert 'data-field="' in page.content.decode()


def test_another_street_is_refused(world, rows):
    client = Client()
    client.force_login(world.people.acceptor)
    other = client.get("/console/governance/", {"scope": f"street:{world.other_street.code}"})
    assert other.status_code == 403
    api = token_client(world.people.acceptor).get(
        "/api/v1/insight/governance", {"scope": "street", "code": world.other_street.code}
    )
    assert api.status_code == 403


def test_the_endpoint_gives_figures_with_formulas(world, rows):
    answer = token_client(world.people.leader).get(
        "/api/v1/insight/governance",
        {"month": "2026-02", "scope": "street", "code": world.street.code},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["sections"] == ["mediation", "stability", "deliberation"]
    assert [t["key"] for t in body["tables"]] == [
        "mediation",
        "stability",
        "deliberation",
        "topics",
        "decisions",
    ]
    assert all(f["formula"] for t in body["tables"] for f in t["figures"])
    street = body["rows"][0]["figures"]
    assert street["registered"] == {"value": 8, "note": None}
    assert street["success_rate"]["value"] == "66.67"
    assert street["per_10k"]["value"] is None and street["per_10k"]["note"]
    assert body["months"] == [
        {
            "month": "2026-02",
            "grids": 2,
            "screened": 1,
            "coverage": "50.00",
            "unstable": 1,
            "disputes_found": 3,
        }
    ]
    assert body["recurrence_days"] == 90
    mediator = person("mediator", Role.MEDIATOR, unit=world.community)
    mine = token_client(mediator).get("/api/v1/insight/governance", {"month": "2026-02"}).json()
    assert mine["sections"] == ["mediation"] and mine["months"] is None
    assert set(mine["rows"][0]["figures"]) == {f.key for f in g.FIGURES if f.group == "mediation"}


def test_counts_only_no_content_or_name(world, rows):
    client = Client()
    client.force_login(world.people.leader)
    body = client.get(
        "/console/governance/", {"month": "2026-02", "scope": f"street:{world.street.code}"}
    ).content.decode()
    for secret in (
        "保密",
        "纠纷标题",
        "一方拒绝",
        "风险标题",
        "议题标题",
        "voter0",
        "决议正文",
        "TJ2026",
    ):
        assert secret not in body, secret


def _page_rows(body: str, key: str) -> list[list[str]]:
    part = body.split(f'id="{key}-table"', 1)[1].split("</tbody>", 1)[0]
    found = []
    for tr in re.findall(r'<tr data-code="[^"]*"[^>]*>(.*?)</tr>', part, re.S):
        code = re.search(r'<span class="muted small">([^<]*)</span>', tr).group(1)
        found.append([code, *re.findall(r"<td[^>]*>([^<]*)</td>", tr)])
    return found


@pytest.mark.parametrize("key", ["mediation", "stability", "deliberation", "topics", "decisions"])
def test_each_download_equals_the_page(world, rows, key):
    client = Client()
    client.force_login(world.people.leader)
    query = {"month": "2026-02", "scope": f"street:{world.street.code}"}
    page = _page_rows(client.get("/console/governance/", query).content.decode(), key)
    response = client.get("/console/governance/", {**query, "format": "csv", "table": key})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert [[r[0], *r[2:]] for r in lines[1:]] == page
    assert len(page) == 2


def test_the_xlsx_download_and_the_months_table(world, rows):
    from openpyxl import load_workbook

    client = Client()
    client.force_login(world.people.leader)
    query = {"quarter": "2026-Q1", "scope": f"street:{world.street.code}"}
    response = client.get("/console/governance/", {**query, "format": "xlsx", "table": "months"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert [r[0] for r in sheet[1:]] == ["2026-01", "2026-02", "2026-03"]
    assert sheet[2][3] == "50.00%"
    bad = client.get("/console/governance/", {**query, "format": "csv", "table": "nope"})
    assert bad.status_code == 400
    mediator = person("mediator", Role.MEDIATOR, unit=world.community)
    client.force_login(mediator)
    refused = client.get("/console/governance/", {"format": "csv", "table": "topics"})
    assert refused.status_code == 400  # not a table of this reader's page


def test_a_role_at_the_district_and_at_a_street_reads_the_union(world, rows):
    w = world
    both = person("both", Role.MEDIATOR, unit=w.community)
    RoleAssignment.objects.create(user=both, role=Role.COMMUNITY_COMMITTEE, unit=w.community)
    t = g.governance(both, period=FEBRUARY, scope=g.resolve_scope(both))
    assert t.sections == ("mediation", "deliberation")


def test_the_formulas_download_lists_every_figure_the_reader_sees(world, rows):
    client = Client()
    client.force_login(world.people.leader)
    response = client.get(
        "/console/governance/", {"month": "2026-02", "format": "csv", "table": "formulas"}
    )
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    keys = [r[1] for r in lines[1:]]
    assert set(keys) >= {f.key for f in g.FIGURES} and all(r[3] for r in lines[1:])
    mediator = person("mediator", Role.MEDIATOR, unit=world.community)
    client.force_login(mediator)
    response = client.get("/console/governance/", {"format": "csv", "table": "formulas"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert {r[1] for r in lines[1:]} == {f.key for f in g.FIGURES if f.group == "mediation"}
