"""The live map page and its JSON endpoints through Django's test client: who may open them,
and that every count, case and team member shown is one the viewer may see."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.org import policies
from onegrid.org.models import Role, RoleAssignment
from onegrid.web.views import live_map
from support.cases import act, advance, drive, report
from support.web import client_for

MAP_URLS = ["/map/", "/map/grids.json", "/map/live.json", "/map/grid/120113001001001.json"]
MAP_ROLES = [
    "acceptor",
    "dispatcher",
    "shift_lead",
    "callback",
    "other_acceptor",
    "command",
    "leader",
]
NOT_MAP_ROLES = ["worker", "far_worker", "city_handler", "resident"]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def live(client, since=None) -> dict:
    url = "/map/live.json" + (f"?{urlencode({'since': since})}" if since is not None else "")
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


# --- who may open the map --------------------------------------------------------------------


@pytest.mark.parametrize("username", MAP_ROLES)
def test_map_roles_open_the_page_and_its_data(world, username):
    client = client_for(world, username)
    for url in MAP_URLS:
        assert client.get(url).status_code == 200, (username, url)


@pytest.mark.parametrize("username", NOT_MAP_ROLES)
def test_other_roles_are_refused_the_page_and_its_data(world, username):
    client = client_for(world, username)
    for url in MAP_URLS:
        response = client.get(url)
        assert response.status_code == 403, (username, url)
        assert b"13812345678" not in response.content


def test_anonymous_visitors_are_sent_to_sign_in(world):
    for url in MAP_URLS:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_the_map_endpoints_only_answer_get(world):
    client = client_for(world, "command")
    for url in MAP_URLS:
        assert client.post(url).status_code in (403, 405), url  # 403: CSRF refuses first


# --- the page --------------------------------------------------------------------------------


def test_page_loads_leaflet_locally_and_passes_settings_and_strings(world, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 7}
    response = client_for(world, "leader").get("/map/")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "/static/leaflet/leaflet.js" in html and "/static/leaflet/leaflet.css" in html
    assert "/static/web/map.js" in html
    # Nothing from the internet: no CDN scripts, styles or fonts.
    assert 'src="http' not in html and 'href="http' not in html and "@import" not in html
    config = response.context["map_config"]
    assert config["pollSeconds"] == 7
    assert config["tileUrl"] == ""  # no base tiles by default: grids on a plain background
    assert config["gridUrl"] == "/map/grid/CODE.json"
    assert config["now"].endswith("+08:00")
    assert 'id="map-config"' in html and 'id="map-strings"' in html
    strings = response.context["map_strings"]
    assert {"newCasesOne", "newCasesMany", "team", "openCases", "timer_red"} <= set(strings)


def test_page_passes_a_configured_tile_layer(world, settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png",
        "MAP_TILE_ATTRIBUTION": "Local tiles",
    }
    config = client_for(world, "command").get("/map/").context["map_config"]
    assert config["tileUrl"] == "/tiles/{z}/{x}/{y}.png"
    assert config["tileAttribution"] == "Local tiles"


def test_page_speaks_english_when_asked(world):
    client = client_for(world, "command", HTTP_ACCEPT_LANGUAGE="en")
    response = client.get("/map/")
    assert '<html lang="en">' in response.content.decode()
    assert response.context["map_strings"]["openCases"] == "Open cases"


# --- grids.json ------------------------------------------------------------------------------


def test_grid_layer_is_every_grid_and_revalidates_by_etag(world):
    client = client_for(world, "other_acceptor")
    response = client.get("/map/grids.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    layer = json.loads(response.content)
    # Geometry is not personal: even a street's staff see the whole district's grids.
    assert [f["properties"]["code"] for f in layer["features"]] == [g.code for g in world.grids]
    assert layer["features"][0]["geometry"]["type"] == "Polygon"
    etag = response["ETag"]
    assert etag.startswith('"') and "private" in response["Cache-Control"]
    again = client.get("/map/grids.json", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get("/map/grids.json", HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_grid_layer_is_sent_gzipped_to_browsers_that_accept_it(world, monkeypatch):
    monkeypatch.setattr(live_map, "GZIP_MIN_BYTES", 10)
    live_map._etag_cache.clear()
    client = client_for(world, "command")
    plain = client.get("/map/grids.json").content
    packed = client.get("/map/grids.json", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain
    live_map._etag_cache.clear()


# --- live.json -------------------------------------------------------------------------------


def test_counts_cover_only_the_cases_the_viewer_may_see(world):
    p = world.people
    first_street = [report(world), report(world, point=world.point)]
    report(world, who=p.far_worker, point=world.far_point)
    Case.objects.filter(pk=first_street[0].pk).update(overdue=True)
    g0, g2 = world.grids[0].code, world.grids[2].code

    assert live(client_for(world, "command"))["grids"] == {
        g0: {"open": 2, "overdue": 1},
        g2: {"open": 1, "overdue": 0},
    }
    assert live(client_for(world, "leader"))["totals"] == {"open": 3, "overdue": 1}
    assert live(client_for(world, "acceptor"))["grids"] == {g0: {"open": 2, "overdue": 1}}
    # The other street's acceptor does not count the first street's cases.
    other = live(client_for(world, "other_acceptor"))
    assert other["grids"] == {g2: {"open": 1, "overdue": 0}}
    assert other["totals"] == {"open": 1, "overdue": 0}


def test_closed_cases_are_not_counted(world):
    case = report(world)
    act(case, world.people.acceptor, "reject", reason="not a problem")
    assert live(client_for(world, "command"))["grids"] == {}


def test_live_without_since_gives_counts_and_the_cursor(world):
    report(world)
    body = live(client_for(world, "command"))
    assert body["cases"] == [] and body["since"] is None and body["more"] is False
    assert dt.datetime.fromisoformat(body["now"]) == clock.now()
    assert body["now"].endswith("+08:00")


def test_since_returns_the_cases_reported_from_then_newest_first(world):
    old = report(world)
    advance(hours=1)
    cursor = clock.now()
    newer = report(world, case_class=world.building)
    advance(minutes=5)
    newest = report(world, who=world.people.far_worker, point=world.far_point)

    body = live(client_for(world, "command"), since=cursor.isoformat())
    assert [c["number"] for c in body["cases"]] == [newest.number, newer.number]
    assert old.number not in {c["number"] for c in body["cases"]}
    row = body["cases"][1]
    assert row["id"] == str(newer.pk)
    assert row["url"] == f"/cases/{newer.number}/"
    assert (row["lon"], row["lat"]) == (newer.lon, newer.lat)
    assert row["grid"] == world.grids[0].code
    assert row["class_name"] == world.building.name
    assert row["state"] == "reported" and row["state_label"]
    assert row["timer"] == "none"  # no clock runs before registration
    assert row["reported_at"].endswith("+08:00")
    assert dt.datetime.fromisoformat(row["reported_at"]) == newer.reported_at
    assert dt.datetime.fromisoformat(body["since"]) == cursor

    # The same moment written in UTC, with "Z", or as Shanghai wall time without an offset.
    utc = cursor.astimezone(dt.UTC)
    for since in (
        utc.isoformat(),
        utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        cursor.astimezone(SHANGHAI).replace(tzinfo=None).isoformat(),
    ):
        body = live(client_for(world, "command"), since=since)
        assert [c["number"] for c in body["cases"]] == [newest.number, newer.number], since

    # An unencoded "+08:00" arrives as " 08:00" and is read as meant.
    client = client_for(world, "command")
    raw = client.get("/map/live.json?since=" + cursor.astimezone(SHANGHAI).isoformat())
    assert raw.status_code == 200
    assert len(raw.json()["cases"]) == 2


def test_since_only_shows_cases_the_viewer_may_see(world):
    cursor = clock.now()
    report(world)
    far = report(world, who=world.people.far_worker, point=world.far_point)
    body = live(client_for(world, "other_acceptor"), since=cursor.isoformat())
    assert [c["number"] for c in body["cases"]] == [far.number]


def test_since_returns_at_most_the_limit(world, monkeypatch):
    monkeypatch.setattr(live_map, "LIVE_CASE_LIMIT", 2)
    cursor = clock.now()
    made = []
    for _ in range(3):
        made.append(report(world))
        advance(minutes=1)
    body = live(client_for(world, "command"), since=cursor.isoformat())
    assert [c["number"] for c in body["cases"]] == [made[2].number, made[1].number]
    assert body["more"] is True


@pytest.mark.parametrize(
    "since", ["yesterday", "2026-13-40T99:00", "12345", "2026-03-10T09:30:00+99"]
)
def test_a_bad_since_is_a_422_naming_the_field(world, since):
    response = client_for(world, "command").get("/map/live.json", {"since": since})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["field"] == "since"
    assert body["message"]


def test_the_422_message_is_translated(world):
    english = client_for(world, "command", HTTP_ACCEPT_LANGUAGE="en")
    message = english.get("/map/live.json", {"since": "soon"}).json()["message"]
    assert "ISO 8601" in message and "since" in message


# --- grid/<code>.json ------------------------------------------------------------------------


def test_grid_detail_shows_the_team_with_masked_phones_and_open_cases(world):
    p = world.people
    reported = report(world)
    dispatched = drive(world, "dispatched")
    rejected = report(world)
    act(rejected, p.acceptor, "reject", reason="not a problem")
    report(world, who=p.far_worker, point=world.far_point)  # another street's grid

    response = client_for(world, "acceptor").get(f"/map/grid/{world.grids[0].code}.json")
    assert response.status_code == 200
    assert b"13812345678" not in response.content  # phones leave masked only
    body = response.json()
    assert body["code"] == world.grids[0].code and body["name"] == world.grids[0].name
    assert body["community"] == {"code": world.community.code, "name": world.community.name}
    assert body["street"] == {"code": world.street.code, "name": world.street.name}
    assert body["in_area"] is True
    assert body["team"] == [
        {
            "name": "worker",
            "role": "grid_worker",
            "role_label": body["team"][0]["role_label"],
            "phone": "138****5678",
        }
    ]
    numbers = [c["number"] for c in body["cases"]]
    assert sorted(numbers) == sorted([reported.number, dispatched.number])
    assert body["open"] == 2 and body["overdue"] == 0
    timers = {c["number"]: c["timer"] for c in body["cases"]}
    assert timers == {reported.number: "none", dispatched.number: "green"}
    assert all(c["url"] == f"/cases/{c['number']}/" for c in body["cases"])


def test_grid_detail_outside_the_viewers_area_shows_no_team_and_no_cases(world):
    report(world)
    body = client_for(world, "other_acceptor").get(f"/map/grid/{world.grids[0].code}.json").json()
    assert body["in_area"] is False
    assert body["team"] == [] and body["cases"] == [] and body["open"] == 0
    # Its own area works as usual.
    mine = client_for(world, "other_acceptor").get(f"/map/grid/{world.grids[2].code}.json").json()
    assert mine["in_area"] is True
    assert [m["name"] for m in mine["team"]] == ["far_worker"]


def test_grid_detail_shows_a_case_the_viewer_reported_outside_their_area(world):
    # Everyone sees what they reported themselves wherever it lies, as in the API: here the
    # other street's acceptor, who also lives in the district, reports as a resident.
    someone = world.people.other_acceptor
    RoleAssignment.objects.create(user=someone, role=Role.RESIDENT, unit=world.district)
    policies.forget(someone)
    own = report(world, who=someone)
    body = client_for(world, "other_acceptor").get(f"/map/grid/{world.grids[0].code}.json").json()
    assert body["in_area"] is False and body["team"] == []
    assert [c["number"] for c in body["cases"]] == [own.number]


def test_grid_detail_for_the_district_sees_every_grid(world):
    far = report(world, who=world.people.far_worker, point=world.far_point)
    Case.objects.filter(pk=far.pk).update(overdue=True)
    body = client_for(world, "command").get(f"/map/grid/{world.grids[2].code}.json").json()
    assert body["in_area"] is True
    assert [c["number"] for c in body["cases"]] == [far.number]
    assert body["cases"][0]["overdue"] is True and body["overdue"] == 1


def test_unknown_grid_is_a_404_json(world):
    response = client_for(world, "command").get("/map/grid/120113009009009.json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["field"] == "code"
    malformed = client_for(world, "command").get("/map/grid/nonsense.json")
    assert malformed.status_code == 422
    assert malformed.json()["field"] == "code"
