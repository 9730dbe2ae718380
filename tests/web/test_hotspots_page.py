"""The hotspots page, its downloads, the cases behind its figures, the console's alerts panel
and the API, through Django's test client: who may open them, that each shows its reader's area
only, that a download holds exactly the page's table, and that odd input is a 4xx."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import parse_qs, urlencode, urlparse

import numpy as np
import pytest
from django.test import Client
from openpyxl import load_workbook

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.insight.hotspots import TZ
from support.hotspots import build_lattice, place_cases, set_cache_seconds
from support.web import client_for

PAGE = "/console/hotspots/"
API = "/api/v1/insight/hotspots/"
NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=TZ)
WEEK = dt.timedelta(days=7)
READERS = [
    "acceptor",
    "dispatcher",
    "shift_lead",
    "callback",
    "other_acceptor",
    "command",
    "leader",
]
OTHERS = ["worker", "far_worker", "city_handler", "resident"]


@pytest.fixture(autouse=True)
def _no_cache(settings):
    set_cache_seconds(settings, 0)


@pytest.fixture
def scene(world, fresh_locator):
    """A lattice with a hot cluster in each street, a repeat place in the west (the world's
    street) and a surge of rubbish in the east (the other street), over ten weeks of steady
    reports."""
    clock.set_now(NOW)
    lattice = build_lattice(world)
    rng = np.random.default_rng(4)
    for grid in lattice.grids:
        n = int(rng.poisson(5))
        place_cases(grid, n, world.building, at=NOW, spread_days=70, jitter_m=150, rng=rng)
    for r in (2, 3, 4):
        for c in (1, 2, 3):
            place_cases(lattice.at(r, c), 35, world.building, at=NOW, spread_days=70, jitter_m=150)
        for c in (5, 6):
            place_cases(lattice.at(r, c), 60, world.building, at=NOW, spread_days=70, jitter_m=150)
    place_cases(
        lattice.at(6, 1), 4, world.rubbish, at=NOW, spread_days=40, point=lattice.centre(6, 1)
    )
    east = lattice.at(0, 6)
    for k, n in enumerate([18, 2, 3, 2, 2, 3, 2, 2, 3, 2]):
        place_cases(east, n, world.rubbish, at=NOW - k * WEEK, spread_days=6.5)
    return lattice


def page(client, **query):
    response = client.get(PAGE + ("?" + urlencode(query) if query else ""))
    return response


def rows(response, table_id):
    """The data-* of each row of a table on the page, in order."""
    import re

    text = response.content.decode()
    start = text.index(f'id="{table_id}"')
    body = text[start : text.index("</table>", start)]
    return re.findall(r'<tr data-[a-z]+="([^"]+)"', body)


# --- the door --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", READERS)
def test_readers_open_the_page_and_the_api(scene, world, who):
    client = client_for(world, who)
    assert page(client).status_code == 200
    for part in ("grids", "heat", "repeats", "alerts", "summary"):
        response = client.get(API + part)
        assert response.status_code == 200, (who, part, response.content)


@pytest.mark.parametrize("who", OTHERS)
def test_others_are_refused(scene, world, who):
    client = client_for(world, who)
    assert page(client).status_code == 403
    assert client.get(PAGE + "cases/?grid=120113001009001").status_code == 403
    response = client.get(API + "grids")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_anonymous_visitors_sign_in_first(scene):
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert Client().get(API + "grids").status_code == 401


# --- what each reader sees -------------------------------------------------------------------


def test_the_page_lists_the_hot_grids_of_the_readers_area(scene, world):
    west = {scene.at(r, c).code for r in (2, 3, 4) for c in (1, 2, 3)}
    east = {scene.at(r, c).code for r in (2, 3, 4) for c in (5, 6)}
    command = page(client_for(world, "command"))
    listed = set(rows(command, "hotspot-grids"))
    assert listed & west and listed & east
    theirs = set(rows(page(client_for(world, "other_acceptor")), "hotspot-grids"))
    assert theirs & east and not theirs & west
    desk = page(client_for(world, "acceptor"))
    mine = set(rows(desk, "hotspot-grids"))
    assert scene.at(3, 2).code in mine
    assert not mine & east
    assert mine <= west | {g.code for g in scene.grids if g.street_id == world.street.pk}
    # Its map holds its own figures only.
    config = desk.context["map_config"]
    assert set(config["bins"]) == mine
    assert config["alertStreets"] == []
    assert "heat" in config["heatUrl"]


def test_repeat_places_and_alerts_on_the_page(scene, world):
    rubbish = {"class": "A0102"}
    desk = page(client_for(world, "acceptor"), **rubbish)
    assert rows(desk, "repeat-places") == ["A0102"]
    assert desk.context["places"][0].grid_code == scene.at(6, 1).code
    assert rows(desk, "surge-alerts") == []
    other = page(client_for(world, "other_acceptor"), **rubbish)
    assert [p.grid_code for p in other.context["places"]] == [scene.at(0, 6).code]
    assert set(rows(other, "surge-alerts")) == {"area", "street"}
    assert other.context["map_config"]["alertStreets"] == [world.other_street.code]


def test_the_cases_behind_a_grid_a_place_and_an_alert(scene, world):
    client = client_for(world, "acceptor")
    response = page(client)
    grid_link = response.context["grid_rows"][0]["cases_url"]
    listed = client.get(grid_link)
    assert listed.status_code == 200
    code = parse_qs(urlparse(grid_link).query)["grid"][0]
    first, last = response.context["period"].first, response.context["period"].last
    expected = Case.objects.filter(
        grid__code=code,
        reported_at__gte=dt.datetime.combine(first, dt.time(), tzinfo=TZ),
        reported_at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=TZ),
    ).exclude(state__in=("merged", "rejected"))
    numbers = [r["case"].number for r in listed.context["rows"]]
    assert sorted(numbers) == sorted(expected.values_list("number", flat=True))[: len(numbers)]
    assert listed.context["page"].paginator.count == expected.count()
    place = page(client, **{"class": "A0102"}).context["place_rows"][0]
    near = client.get(place["cases_url"])
    assert sorted(r["case"].number for r in near.context["rows"]) == sorted(place["place"].numbers)
    other = client_for(world, "other_acceptor")
    alert_link = page(other).context["alert_rows"][0]["cases_url"]
    behind = other.get(alert_link)
    assert behind.status_code == 200
    assert {r["case"].street_id for r in behind.context["rows"]} == {world.other_street.pk}
    # The other street's grid is not the acceptor's to open.
    refused = client.get(f"{PAGE}cases/?grid={scene.at(3, 6).code}")
    assert refused.status_code == 400
    assert list(refused.context["errors"]) == ["grid"]
    assert scene.at(3, 6).code in refused.context["errors"]["grid"]


# --- downloads -------------------------------------------------------------------------------


def test_each_download_holds_exactly_the_pages_table(scene, world):
    client = client_for(world, "command")
    shown = page(client)
    grid_codes = rows(shown, "hotspot-grids")
    response = client.get(PAGE + "?table=grids&format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in table[1:]] == grid_codes
    response = client.get(PAGE + "?table=repeats&format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    # The repeat places' table pages its rows; the download holds every page (in order).
    every = [p.class_code for p in shown.context["places"]]
    assert rows(shown, "repeat-places") == every[:50]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == every
    second = page(client, rpage=2)
    assert rows(second, "repeat-places") == every[50:100]
    response = client.get(PAGE + "?table=alerts&format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) - 1 == len(rows(shown, "surge-alerts"))
    # The desk's download is its own area's.
    desk = client_for(world, "acceptor")
    text = b"".join(desk.get(PAGE + "?table=grids&format=csv").streaming_content).decode(
        "utf-8-sig"
    )
    assert [r[0] for r in list(csv.reader(io.StringIO(text)))[1:]] == rows(
        page(desk), "hotspot-grids"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"table": "people", "format": "csv"}, "table"),
        ({"table": "grids", "format": "pdf"}, "format"),
        ({"table": "grids", "format": "csv", "class": "Ａ"}, "class"),
    ],
)
def test_a_refused_download_names_its_field(scene, world, query, field):
    response = page(client_for(world, "command"), **query)
    assert response.status_code == 400
    assert response.context["field"] == field


# --- odd input -------------------------------------------------------------------------------

ODD = [
    ({"class": "Z9"}, "class"),
    ({"class": "A\u202e01"}, "class"),
    ({"start": "２０２６-03-01", "end": "2026-03-09"}, "start"),
    ({"start": "2026-03-09", "end": "2026-03-01"}, "end"),
    ({"start": "2020-01-01", "end": "2026-03-01"}, "start"),
    ({"start": "2016-01-01", "end": "2026-03-01"}, "end"),
    ({"month": "2026-13"}, "month"),
    ({"street": "120113099000"}, "street"),
    ({"street": "1" * 5000}, "street"),
    ({"band_m": "1e400"}, "band_m"),
    ({"band_m": "99999999999999999999"}, "band_m"),
    ({"alpha": "0.5"}, "alpha"),
    ({"weights": "rook"}, "weights"),
    ({"basis": "rate"}, "basis"),
    ({"days": "-3"}, "days"),
    ({"radius_m": "五十"}, "radius_m"),
    ({"min_count": "2.5"}, "min_count"),
    ({"window_days": "\x00"}, "window_days"),
]


@pytest.mark.parametrize(("query", "field"), ODD)
def test_odd_page_input_is_a_400_naming_the_field(scene, world, query, field):
    response = page(client_for(world, "command"), **query)
    assert response.status_code == 400, response.content[:300]
    assert field in response.context["errors"]


@pytest.mark.parametrize(("query", "field"), ODD)
def test_odd_api_input_is_a_4xx_naming_the_field(scene, world, query, field):
    part = (
        "repeats"
        if field in ("days", "radius_m", "min_count")
        else "alerts"
        if field == "window_days"
        else "grids"
    )
    response = client_for(world, "command").get(API + part + "?" + urlencode(query))
    assert response.status_code in (404, 422), response.content
    assert response.json()["field"] == field


def test_the_api_answers_the_pages_figures(scene, world):
    client = client_for(world, "acceptor")
    body = client.get(API + "grids?significant=1").json()
    assert [g["code"] for g in body["grids"]] == rows(page(client), "hotspot-grids")
    assert body["area"] == world.street.name
    heat = client.get(API + "heat").json()
    since = dt.datetime(2026, 2, 11, tzinfo=TZ)  # the last 28 days, today included
    assert heat["period"]["first"] == "2026-02-11"
    assert heat["total"] == Case.objects.filter(street=world.street, reported_at__gte=since).count()
    summary = client_for(world, "other_acceptor").get(API + "summary").json()
    # Rubbish rose well above its level; the major class as a whole (with the steady
    # illegal-building reports) did not.
    assert summary["alert_count"] == 1
    assert summary["page_url"] == PAGE
    assert [(a["level"], a["class_code"]) for a in summary["alerts"]] == [("area", "A0102")]
    assert summary["alerts"][0]["area_name"] == world.other_street.name


@pytest.mark.parametrize("url", [PAGE, API + "summary"])
def test_a_page_of_several_figures_reads_the_caches_version_once(scene, world, settings, url):
    """The Gi* grids, repeat places and alerts each come from the cache under a key holding the
    newest case: the page and the big screen's feed read it once for the three."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    set_cache_seconds(settings, 60)
    client = client_for(world, "leader")
    for _ in range(2):  # computed, then from the cache
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        sql = [q["sql"] for q in queries.captured_queries]
        assert sum('FROM "cases_case" ORDER BY 1 DESC LIMIT 1' in q for q in sql) == 1


# --- the console's alerts panel and the live map ---------------------------------------------


def test_the_console_shows_the_desks_alerts(scene, world):
    other = client_for(world, "other_acceptor").get("/console/")
    assert other.status_code == 200
    assert b'id="alerts-panel"' in other.content
    assert b'data-count="1"' in other.content
    mine = client_for(world, "acceptor").get("/console/")
    assert b'id="alerts-panel"' in mine.content and b'data-count="0"' in mine.content


def test_the_live_map_offers_hotspot_layers_to_their_readers(scene, world):
    config = client_for(world, "leader").get("/map/").context["map_config"]
    assert config["hotspotsUrl"].startswith(API + "grids")
    assert config["heatUrl"].startswith(API + "heat")
    assert config["alertsUrl"].startswith(API + "alerts")


def test_the_navigation_links_the_page_for_its_readers_only(scene, world):
    assert b'href="/console/hotspots/"' in client_for(world, "leader").get("/map/").content
    assert b'href="/console/hotspots/"' in client_for(world, "acceptor").get("/console/").content
    # The auditor opens the live map but not the hotspots.
    from onegrid.org.models import Role, RoleAssignment, User

    auditor = User.objects.create_user("auditor", password="pw-auditor")
    RoleAssignment.objects.create(user=auditor, role=Role.AUDITOR, unit=world.district)
    client = Client()
    client.force_login(auditor)
    response = client.get("/map/")
    assert response.status_code == 200
    assert b'href="/console/hotspots/"' not in response.content
    assert "hotspotsUrl" not in response.context["map_config"]
    assert client.get(PAGE).status_code == 403
