"""The leaders' pages through Django's test client: who opens the measures page, the drill-down,
the person pages and the big screen; which scopes each is offered; that the figures on the page
are the selectors' (insight.selectors); that every list downloads with the page's filters; that
bad filters are 400s naming their field; and where each role lands after signing in.

Cases are driven through the real services (support.cases) in March 2026, the month the
`world` fixture's clock stands in.
"""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from onegrid.insight import periods, selectors
from onegrid.insight.measures import Scope
from onegrid.org.models import Role, RoleAssignment, User
from support.cases import drive, report
from support.people import person as support_person
from support.web import client_for

MARCH = periods.month(2026, 3)
MEASURES = "/console/measures/"
CASES = "/console/measures/cases/"


def person(world, username: str, role: str, **where) -> User:
    """A person with one role, signed up as `world.people.<username>` too."""
    user = support_person(username, role, **where)
    setattr(world.people, username, user)
    return user


@pytest.fixture
def history(world):
    """Cases in both streets in March 2026, one closed, one at the department, three waiting."""
    p = world.people
    drive(world, "closed")
    drive(world, "in_progress")
    report(world, who=p.worker2, point=(117.115, 39.205))
    report(world, who=p.far_worker, point=world.far_point)
    report(world, who=p.far_worker, point=world.far_point)
    return world


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def card(body: str, key: str) -> str:
    """The HTML of one measure card."""
    start = body.index(f'<article class="measure-card" data-measure="{key}">')
    return body[start : body.index("</article>", start)]


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def link(html: str, part: str) -> str:
    found = re.search(rf'<a href="([^"]+)" data-part="{part}"', html)
    assert found, (part, html[:400])
    return unescape(found.group(1))


def downloaded(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:400]
    data = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data)))


# --- who opens what ------------------------------------------------------------------------------

OPENS = {
    "leader": 200,
    "command": 200,
    "acceptor": 200,  # their street
    "worker": 200,  # their grid and their own figures
    "city_handler": 200,  # their department
    "resident": 403,
}


@pytest.mark.parametrize("username", sorted(OPENS))
def test_who_opens_the_measures_page(world, username):
    body = page(client_for(world, username), f"{MEASURES}?month=2026-03", OPENS[username])
    if OPENS[username] == 403:
        assert "你的角色无权访问此页面" in body


def test_supervision_opens_it_and_auditors_do_not(world):
    person(world, "supervisor", Role.SUPERVISOR, unit=world.district)
    person(world, "auditor", Role.AUDITOR, unit=world.district)
    page(client_for(world, "supervisor"), MEASURES)
    page(client_for(world, "auditor"), MEASURES, 403)
    page(client_for(world, "auditor"), "/bigscreen/", 403)


def scope_options(body: str) -> list[str]:
    select = body[
        body.index('id="scope-select"') : body.index("</select>", body.index("scope-select"))
    ]
    return re.findall(r'<option value="([^"]+)"', select)


def test_each_role_is_offered_the_scopes_it_may_read(world):
    leader = scope_options(page(client_for(world, "leader"), MEASURES))
    assert leader[0] == "district"
    assert f"street:{world.street.code}" in leader and f"street:{world.other_street.code}" in leader
    assert "department:ecology" in leader
    acceptor = scope_options(page(client_for(world, "acceptor"), MEASURES))
    assert acceptor == [f"street:{world.street.code}", f"community:{world.community.code}"]
    assert scope_options(page(client_for(world, "worker"), MEASURES)) == [
        f"grid:{world.grids[0].code}"
    ]
    assert scope_options(page(client_for(world, "city_handler"), MEASURES)) == [
        "department:city_management"
    ]


@pytest.mark.parametrize(
    ("username", "scope"),
    [
        ("acceptor", "district"),
        ("acceptor", "street:120113002000"),
        ("worker", "grid:120113001001002"),
        ("city_handler", "department:ecology"),
        ("other_acceptor", "street:120113001000"),
    ],
)
def test_a_scope_out_of_reach_is_refused_on_every_page(world, username, scope):
    client = client_for(world, username)
    for url in (MEASURES, CASES + "?key=open_now&part=numerator&", "/bigscreen/data.json"):
        joiner = "&" if "?" in url else "?"
        response = client.get(f"{url}{joiner}scope={scope}&month=2026-03")
        assert response.status_code == 403, (url, response.status_code)
    # Its downloads too, whatever the table.
    for table in ("measures", "trend", "league-street"):
        response = client.get(f"{MEASURES}?scope={scope}&format=csv&table={table}")
        assert response.status_code == 403


# --- the figures are the selectors' ------------------------------------------------------------


def test_every_card_shows_the_selectors_figures_with_formula_and_comparisons(history):
    leader = history.people.leader
    body = page(client_for(history, "leader"), f"{MEASURES}?month=2026-03")
    board = selectors.dashboard(leader, period=MARCH, scope=Scope("district"))
    assert "全区" in text_of(body[: body.index("</h1>")])
    for figure in board.figures:
        html = card(body, figure.key)
        shown = text_of(html)
        assert figure.label in shown
        assert figure.formula in text_of(html)  # the formula beside the figure
        if not figure.applicable:
            continue
        value = "—" if figure.value is None else f"{figure.value}%"
        figure_html = re.search(r'<p class="figure">(.*?)</p>', html, re.S).group(1)
        assert text_of(figure_html).strip() == value
        fraction = re.search(r'class="fraction">(.*?)</p>', html, re.S).group(1)
        assert text_of(fraction).split() == [
            str(figure.numerator),
            "÷",
            str(figure.denominator),
        ]
        assert 'data-compare="previous"' in html and 'data-compare="last_year"' in html
    # The counts above the cards.
    for key in ("reports", "n_due", "closed", "overdue", "open_now"):
        found = re.search(rf'data-figure="{key}">(\d+)<', body)
        assert found and int(found.group(1)) == board.counts[key], key
    # The four shifts are one group, each card naming its shift.
    shifts = body[body.index('id="group-shifts"') :]
    shifts = shifts[: shifts.index("</section>")]
    for key in ("proactive_share", "joint_case_share", "lowest_level_share", "recurrence_rate"):
        if any(f.key == key for f in board.figures):
            assert f'data-measure="{key}"' in shifts, key
    assert "等问题" in text_of(shifts) or "主动发现" in text_of(shifts)


def test_the_trend_chart_carries_the_selectors_trend(history):
    body = page(client_for(history, "leader"), f"{MEASURES}?month=2026-03&step=week")
    import json

    data = json.loads(
        re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', body, re.S)
        .group(1)
        .replace("\\u003C", "<")
    )
    trend = selectors.trend(
        history.people.leader,
        scope=Scope("district"),
        start=MARCH.first,
        end=MARCH.last,
        step="week",
    )
    assert data["labels"] == [p.label for p in trend.points]
    reports = next(c for c in data["counts"] if c["key"] == "reports")
    assert reports["values"] == [p.counts["reports"] for p in trend.points]
    assert sum(reports["values"]) == 5
    closure = next(r for r in data["rates"] if r["key"] == "closure_rate")
    assert closure["values"] == [
        None if p.values["closure_rate"] is None else str(p.values["closure_rate"])
        for p in trend.points
    ]
    assert 'id="trend-table"' in body


def test_open_now_drills_down_to_the_same_count_of_cases(history):
    client = client_for(history, "leader")
    body = page(client, f"{MEASURES}?month=2026-03")
    href = unescape(re.search(r'<a href="([^"]+)" data-figure="open_now">(\d+)<', body).group(1))
    shown = int(re.search(r'data-figure="open_now">(\d+)<', body).group(1))
    query = parse_qs(urlsplit(href).query)
    assert query["key"] == ["open_now"] and query["month"] == ["2026-03"]
    assert query["scope"] == ["district"]
    drill = page(client, href)
    assert int(re.search(r'data-count="(\d+)"', drill).group(1)) == shown == 4
    assert len(re.findall(r'<tr data-number="', drill)) == 4


def test_each_figure_links_its_cases_with_the_page_filters(history):
    """Every numerator and denominator links to the drill-down with the same key, scope and
    period; where the selectors answer, the list holds as many cases as the figure counts."""
    client = client_for(history, "leader")
    street = f"street:{history.street.code}"
    body = page(client, f"{MEASURES}?scope={street}&month=2026-03")
    board = selectors.dashboard(
        history.people.leader,
        period=MARCH,
        scope=selectors.resolve_scope(
            history.people.leader, kind="street", code=history.street.code
        ),
    )
    for figure in board.figures:
        if not figure.applicable:
            continue
        html = card(body, figure.key)
        for part, count in (("numerator", figure.numerator), ("denominator", figure.denominator)):
            href = link(html, part)
            query = parse_qs(urlsplit(href).query)
            assert query == {
                "key": [figure.key],
                "part": [part],
                "scope": [street],
                "month": ["2026-03"],
            }
            drill = page(client, href)
            shown = int(re.search(r'data-count="(\d+)"', drill).group(1))
            if selectors.counts_cases(figure.key, part):
                assert shown == count, (figure.key, part)
                assert 'id="drill-per-event"' not in drill
            else:  # checks, call-backs, dispatches: a case may count more than once
                assert shown <= count, (figure.key, part)
                assert 'id="drill-per-event"' in drill


def test_every_count_drills_down_to_as_many_cases(history):
    client = client_for(history, "leader")
    body = page(client, f"{MEASURES}?month=2026-03")
    board = selectors.dashboard(history.people.leader, period=MARCH, scope=Scope("district"))
    for key in ("reports", "n_due", "closed", "closed_on_time", "overdue", "open_now"):
        href = unescape(re.search(rf'<a href="([^"]+)" data-figure="{key}">', body).group(1))
        drill = page(client, href)
        assert int(re.search(r'data-count="(\d+)"', drill).group(1)) == board.counts[key], key


def test_the_class_filter_narrows_every_figure_and_link(history):
    client = client_for(history, "leader")
    leader = history.people.leader
    body = page(client, f"{MEASURES}?month=2026-03&class_prefix=A0101")
    board = selectors.dashboard(leader, period=MARCH, scope=Scope("district"), class_prefix="A0101")
    assert int(re.search(r'data-figure="reports">(\d+)<', body).group(1)) == board.counts["reports"]
    assert board.counts["reports"] == 0  # every case of the history is exposed rubbish (A0102)
    everything = page(client, f"{MEASURES}?month=2026-03&class_prefix=A")
    assert int(re.search(r'data-figure="reports">(\d+)<', everything).group(1)) == 5
    href = unescape(re.search(r'<a href="([^"]+)" data-figure="reports">', body).group(1))
    assert parse_qs(urlsplit(href).query)["class_prefix"] == ["A0101"]
    assert int(re.search(r'data-count="(\d+)"', page(client, href)).group(1)) == 0
    bad = page(client, f"{MEASURES}?month=2026-03&class_prefix=A%00", 400)
    assert 'data-field="class_prefix"' in bad
    # Person totals are not kept per class: the grid workers' table says it counts every class.
    assert 'id="league-grid_worker-all-classes"' in body
    assert 'id="league-grid_worker-all-classes"' not in page(client, f"{MEASURES}?month=2026-03")


def test_a_street_desk_reads_its_street_only(history):
    acceptor = history.people.acceptor
    body = page(client_for(history, "acceptor"), f"{MEASURES}?month=2026-03")
    board = selectors.dashboard(acceptor, period=MARCH, scope=selectors.resolve_scope(acceptor))
    assert int(re.search(r'data-figure="reports">(\d+)<', body).group(1)) == 3
    assert board.counts["reports"] == 3
    assert history.street.name in text_of(body[: body.index("</h1>")])


# --- league tables ------------------------------------------------------------------------------


def league_rows(body: str, kind: str) -> list[tuple[str, str]]:
    table = body[body.index(f'id="league-{kind}-table"') :]
    table = table[: table.index("</table>")]
    return re.findall(r'<tr data-code="([^"]+)"(?: class="(mark-\w+)")?', table)


def test_league_tables_as_the_selectors_rank_them(history):
    leader = history.people.leader
    body = page(client_for(history, "leader"), f"{MEASURES}?month=2026-03")
    for kind in ("street", "department", "grid_worker"):
        league = selectors.league_table(leader, kind=kind, period=MARCH)
        rows = league_rows(body, kind)
        assert [code for code, _mark in rows] == [r.code for r in league.rows], kind
        assert [mark for _code, mark in rows] == [
            f"mark-{r.mark}" if r.mark else "" for r in league.rows
        ], kind
        section = body[body.index(f'id="league-{kind}"') :]
        assert league.formula in text_of(section[: section.index("</table>")])
        # Every extra column with a formula (the departments' 吹哨报到 columns) shows it too.
        shown = text_of(section[: section.index("</section>")])
        for key, label in league.columns:
            if key in league.formulas:
                assert label in shown and league.formulas[key] in shown, key
    assert selectors.league_table(leader, kind="department", period=MARCH).formulas
    # A department handler reads the departments' table only.
    handler = page(client_for(history, "city_handler"), f"{MEASURES}?month=2026-03")
    assert 'id="league-department"' in handler
    assert 'id="league-street"' not in handler and 'id="league-grid_worker"' not in handler


def test_a_league_ranked_by_another_measure_and_a_bad_measure(history):
    client = client_for(history, "leader")
    body = page(client, f"{MEASURES}?month=2026-03&street_measure=proactive_share")
    section = body[body.index('id="league-street"') :]
    assert "主动发现率" in text_of(section[: section.index("</h2>")])
    body = page(client, f"{MEASURES}?month=2026-03&street_measure=bogus", 400)
    assert 'data-field="measure"' in body or 'data-field="street_measure"' in body


# --- downloads: the page's lists with the page's filters --------------------------------------


def test_the_measures_table_downloads_as_shown(history):
    client = client_for(history, "leader")
    board = selectors.dashboard(history.people.leader, period=MARCH, scope=Scope("district"))
    rows = downloaded(client.get(f"{MEASURES}?month=2026-03&format=csv&table=measures"))
    assert rows[0][0] == "指标"
    assert [r[0] for r in rows[1:]] == [f.label for f in board.figures]
    for row, figure in zip(rows[1:], board.figures, strict=True):
        assert row[2:4] == [str(figure.numerator), str(figure.denominator)]
        assert row[-1] == figure.formula
    xlsx = client.get(f"{MEASURES}?month=2026-03&format=xlsx&table=measures")
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"


def test_league_downloads_hold_the_page_rows(history):
    client = client_for(history, "acceptor")
    body = page(client, f"{MEASURES}?month=2026-03")
    for kind in ("street", "grid_worker"):
        rows = downloaded(client.get(f"{MEASURES}?month=2026-03&format=csv&table=league-{kind}"))
        assert [r[1] for r in rows[1:]] == [code for code, _m in league_rows(body, kind)]
    # The download links on the page carry the page's filters.
    links = re.findall(r'href="([^"]+)" data-download="csv"', body)
    assert links and all("month=2026-03" in unescape(h) for h in links)
    # A table the viewer does not read is refused, naming the field.
    handler = client_for(history, "city_handler")
    response = handler.get(f"{MEASURES}?month=2026-03&format=csv&table=league-street")
    assert response.status_code == 400


def test_the_drill_down_downloads_exactly_its_cases(history):
    client = client_for(history, "acceptor")
    url = f"{CASES}?key=open_now&part=numerator&month=2026-03"
    body = page(client, url)
    numbers = re.findall(r'<tr data-number="([^"]+)"', body)
    assert len(numbers) == 2  # the acceptor's street: not the other street's two
    rows = downloaded(client.get(url + "&format=csv"))
    assert sorted(r[0] for r in rows[1:]) == sorted(numbers)
    assert not any("138" in cell for row in rows for cell in row)  # no phone at all


# --- bad input: a 400 naming the field, never a 500 --------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("month=２０２６-03", "month"),
        ("month=2026-13", "month"),
        ("month=99999999999999999999-01", "month"),
        ("month=2026-03&year=2026", "year"),
        ("period=custom&start=2026-03-05&end=2026-03-01", "end"),
        ("period=planet", "period"),
        ("week=2026-W60", "week"),
        ("start=2026-03-01%00", "start"),
        ("scope=planet:1", "scope"),
        ("scope=street:999", "code"),
        ("scope=grid:%E2%80%AE1", "code"),
        ("step=hourly", "step"),
    ],
)
def test_bad_filters_are_refused_at_their_field(world, query, field):
    body = page(client_for(world, "leader"), f"{MEASURES}?{query}", 400)
    assert f'data-field="{field}"' in body, body[body.find("filter-errors") :][:400]


def test_a_bad_drill_key_or_part_is_a_400(world):
    client = client_for(world, "leader")
    body = page(client, f"{CASES}?key=bogus&part=numerator", 400)
    assert 'data-field="key"' in body
    body = page(client, f"{CASES}?key=open_now&part=half", 400)
    assert 'data-field="part"' in body
    assert client.get(f"{CASES}?key=bogus&part=numerator&format=csv").status_code == 400
    assert client.get(f"{MEASURES}?format=pdf").status_code == 400
    assert client.get(f"{MEASURES}?format=csv&table=nothing").status_code == 400


# --- person pages ------------------------------------------------------------------------------


def test_person_pages_for_those_who_may_read_them(history):
    worker = history.people.worker
    url = f"/console/measures/people/{worker.username}/?month=2026-03"
    for username, status in [
        ("worker", 200),  # their own
        ("leader", 200),
        ("acceptor", 200),  # a grid worker of their street
        ("worker2", 404),
        ("other_acceptor", 404),
        ("city_handler", 404),
    ]:
        body = page(client_for(history, username), url, status)
        if status == 200:
            figures = selectors.person_figures(history.people.leader, person=worker, period=MARCH)
            for f in figures.figures:
                row = body[body.index(f'<tr data-measure="{f.key}">') :]
                row = row[: row.index("</tr>")]
                assert f.label in row and f">{f.numerator}<" in row and f.formula in text_of(row)
    page(client_for(history, "leader"), "/console/measures/people/nobody-here/", 404)
    own = page(client_for(history, "worker"), MEASURES)
    assert f"/console/measures/people/{worker.username}/" in own


# --- the big screen ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [("leader", 200), ("command", 200), ("acceptor", 403), ("worker", 403), ("resident", 403)],
)
def test_who_opens_the_big_screen(world, username, status):
    client = client_for(world, username)
    page(client, "/bigscreen/", status)
    assert client.get("/bigscreen/data.json").status_code == status


def test_the_big_screen_figures_are_the_selectors(history):
    leader = history.people.leader
    data = client_for(history, "leader").get("/bigscreen/data.json").json()
    today = periods.custom(MARCH.first.replace(day=10), MARCH.first.replace(day=10))
    board = selectors.dashboard(leader, period=today, scope=Scope("district"))
    month = selectors.dashboard(leader, period=MARCH, scope=Scope("district"))
    assert {c["key"]: c["value"] for c in data["today"]["counts"]} == {
        k: board.counts[k] for k in ("reports", "n_due", "closed", "overdue")
    }
    for rate in data["month"]["rates"]:
        figure = month[rate["key"]]
        assert (rate["numerator"], rate["denominator"]) == (figure.numerator, figure.denominator)
        assert rate["value"] == (None if figure.value is None else str(figure.value))
    assert data["live"]["open"] == month.counts["open_now"] == 4
    assert sum(g["open"] for g in data["grids"].values()) == 4
    assert len(data["trend"]["labels"]) == 30 and data["trend"]["labels"][-1] == "2026-03-10"
    assert data["league"]["kind"] == "street"


def test_the_big_screen_counts_open_and_overdue_of_the_chosen_scope(history):
    """A district reader's screen of one street: open and overdue now are that street's, not
    every case the reader may see (the overdue figure was summed over the whole reach)."""
    from onegrid.cases.models import Case

    Case.objects.filter(state__in=("reported", "in_progress")).update(overdue=True)
    leader = client_for(history, "leader")
    other = f"street:{history.other_street.code}"
    data = leader.get("/bigscreen/data.json", {"scope": other}).json()
    far = Case.objects.filter(street=history.other_street)
    assert data["live"]["open"] == far.filter(state="reported").count() == 2
    assert data["live"]["overdue"] == 2
    whole = leader.get("/bigscreen/data.json").json()
    assert whole["live"]["overdue"] == Case.objects.filter(overdue=True).count() == 4


# --- landing --------------------------------------------------------------------------------------


LANDING = {
    "leader": "/console/measures/",
    "command": "/console/measures/",
    "supervisor": "/console/measures/",
    "acceptor": "/console/",
    "admin": "/console/",
    "auditor": "/map/",
    "worker": "/field/",
    "resident": "/resident/",
    "city_handler": "/inbox/",
}


@pytest.mark.parametrize("username", sorted(LANDING))
def test_each_role_lands_on_its_page_after_signing_in(world, username):
    if username in ("supervisor", "admin", "auditor"):
        role = {"supervisor": Role.SUPERVISOR, "admin": Role.ADMIN, "auditor": Role.AUDITOR}
        person(world, username, role[username], unit=world.district)
    client = Client()
    response = client.post("/login/", {"username": username, "password": f"pw-{username}"})
    assert response.status_code == 302 and response["Location"] == LANDING[username]
    assert client.get(LANDING[username]).status_code == 200


def test_a_leader_who_also_handles_cases_lands_on_the_inbox(world):
    RoleAssignment.objects.create(
        user=world.people.leader, role=Role.DEPT_HANDLER, department=world.ecology
    )
    response = client_for(world, "leader").get("/")
    assert response["Location"] == "/inbox/"


def test_the_navigation_names_the_measures_page_for_those_who_open_it(world):
    assert 'href="/console/measures/"' in page(client_for(world, "acceptor"), "/console/")
    assert 'href="/console/measures/"' not in page(client_for(world, "resident"), "/field/")


def test_communities_grids_and_beats_by_code(history):
    leader = client_for(history, "leader")
    body = page(leader, MEASURES)
    assert 'id="scope-by-code"' in body
    grid = history.grids[2]
    body = page(leader, f"{MEASURES}?scope=grid&code={grid.code}&month=2026-03")
    assert grid.name in text_of(body[: body.index("</h1>")])
    assert int(re.search(r'data-figure="reports">(\d+)<', body).group(1)) == 2
    body = page(leader, f"{MEASURES}?scope=community&code=120113009009", 400)
    assert 'data-field="code"' in body
    # A street's desk: its own grids by code, another street's refused.
    acceptor = client_for(history, "acceptor")
    page(acceptor, f"{MEASURES}?scope=grid&code={history.grids[0].code}&month=2026-03")
    page(acceptor, f"{MEASURES}?scope=grid&code={grid.code}", 403)
    assert 'value="beat"' not in page(acceptor, MEASURES)
    assert 'id="scope-by-code"' not in page(client_for(history, "worker"), MEASURES)
