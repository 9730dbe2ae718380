"""GET /api/v1/addresses and /addresses/{code}: scoped to the caller, text search, nearest
first, bounded limits (4xx JSON naming the field), and unknown or unseen codes as 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onegrid.org.policies import scope_for
from onegrid.territory import addresses, selectors
from onegrid.territory.geometry import from_wgs84
from onegrid.territory.models import Address
from support.api import token_client

URL = "/api/v1/addresses"


@pytest.fixture
def places(world):
    rows = []
    # Grid 0 (117.10–117.11): a row of buildings 100 m apart going east from 117.1005.
    for i in range(8):
        rows.append(
            addresses.AddressRow(
                0, f"E{i}", f"佳园里{i}号楼", f"{i}号楼", "", "", 117.1005 + i * 0.00116, 39.205
            )
        )
    rows.append(addresses.AddressRow(0, "G1", "华顺苑1号楼", "1号楼", "", "", 117.115, 39.205))
    rows.append(addresses.AddressRow(0, "G2", "宜景家园1号楼", "1号楼", "", "", 117.125, 39.205))
    for index, row in enumerate(rows, 2):
        row.index = index
    report = addresses.import_addresses(rows=rows, problems=[])
    assert len(report.added) == 10
    return world


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def test_each_caller_sees_only_addresses_in_their_scope(places):
    p = places.people
    all_codes = [f"E{i}" for i in range(8)] + ["G1", "G2"]
    assert codes(token_client(p.command).get(URL, {"limit": 50})) == all_codes
    assert codes(token_client(p.acceptor).get(URL, {"limit": 50})) == all_codes[:-1]
    assert codes(token_client(p.other_acceptor).get(URL)) == ["G2"]
    assert codes(token_client(p.worker).get(URL, {"limit": 50})) == all_codes[:8]
    assert codes(token_client(p.worker2).get(URL)) == ["G1"]
    # Residents (they see only their own reports) and departments see no addresses.
    assert codes(token_client(p.resident).get(URL)) == []
    assert codes(token_client(p.city_handler).get(URL)) == []
    assert Client().get(URL).status_code == 401


def test_detail_is_scoped_and_unknown_codes_are_404(places):
    p = places.people
    body = token_client(p.worker2).get(f"{URL}/G1").json()
    assert body["name"] == "华顺苑1号楼" and body["grid_code"] == places.grids[1].code
    assert (body["lon"], body["lat"]) == (117.115, 39.205)
    unseen = token_client(p.worker).get(f"{URL}/G1")
    assert unseen.status_code == 404 and unseen.json()["field"] == "code"
    unknown = token_client(p.command).get(f"{URL}/NOPE")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "code": "not_found",
        "message": "No standard address has the code NOPE.",
        "field": "code",
    }


def test_text_search_matches_every_word_in_code_or_name(places):
    client = token_client(places.people.command)
    assert codes(client.get(URL, {"q": "佳园里"})) == [f"E{i}" for i in range(8)]
    assert codes(client.get(URL, {"q": "佳园里 3号"})) == ["E3"]
    assert codes(client.get(URL, {"q": "g2"})) == ["G2"]
    assert codes(client.get(URL, {"grid": places.grids[1].code})) == ["G1"]
    assert codes(client.get(URL, {"q": "没有"})) == []


def test_inactive_addresses_are_not_offered(places):
    Address.objects.filter(code="E0").update(active=False)
    client = token_client(places.people.command)
    assert "E0" not in codes(client.get(URL, {"limit": 50}))


def test_nearest_first_with_distances(places):
    client = token_client(places.people.command)
    near = {"near_lon": 117.1005 + 5 * 0.00116 + 0.0002, "near_lat": 39.205, "limit": 4}
    response = client.get(URL, near)
    assert codes(response) == ["E5", "E6", "E4", "E7"]
    distances = [item["distance_m"] for item in response.json()["items"]]
    assert distances == sorted(distances) and 10 < distances[0] < 25
    # Far from everything the window grows until it finds them: still nearest first.
    far = codes(client.get(URL, {"near_lon": 117.20, "near_lat": 39.30, "limit": 3}))
    assert far == ["G2", "G1", "E7"]
    # The same point given in GCJ-02 finds the same order.
    lon, lat = from_wgs84(near["near_lon"], near["near_lat"], "gcj02")
    gcj = client.get(URL, {"near_lon": lon, "near_lat": lat, "crs": "gcj02", "limit": 4})
    assert codes(gcj) == ["E5", "E6", "E4", "E7"]
    # Scoping still applies near a point.
    other = token_client(places.people.other_acceptor)
    assert codes(other.get(URL, near)) == ["G2"]


@pytest.mark.parametrize(
    ("params", "field", "status"),
    [
        ({"limit": 0}, "limit", 422),
        ({"limit": 51}, "limit", 422),
        ({"limit": "many"}, "limit", 422),
        ({"near_lon": 117.1}, "near_lat", 422),
        ({"near_lat": 39.2}, "near_lon", 422),
        ({"near_lon": 500, "near_lat": 39.2}, "near_lon", 422),
        ({"near_lon": 117.1, "near_lat": 39.2, "crs": "utm"}, "crs", 422),
        ({"crs": "bogus"}, "crs", 422),  # checked even without a near_* point
        ({"q": "佳园里", "crs": "utm"}, "crs", 422),
        ({"q": "x" * 101}, "q", 422),
        ({"grid": "12"}, "grid", 422),
        ({"grid": "999999999999999"}, "grid", 404),
    ],
)
def test_bad_parameters_are_4xx_json_naming_the_field(places, params, field, status):
    response = token_client(places.people.command).get(URL, params)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["field"] == field and body["message"]


def test_a_grid_outside_the_scope_reads_as_one_that_does_not_exist(places):
    worker2 = token_client(places.people.worker2)  # grid 1 only
    unseen = worker2.get(URL, {"grid": places.grids[0].code})
    unknown = worker2.get(URL, {"grid": "999999999999999"})
    assert unseen.status_code == unknown.status_code == 404
    assert unseen.json() == {
        "code": "not_found",
        "message": f"No grid has the code {places.grids[0].code}.",
        "field": "grid",
    }
    assert unknown.json()["message"] == "No grid has the code 999999999999999."
    assert codes(worker2.get(URL, {"grid": places.grids[1].code})) == ["G1"]


def test_nearest_in_a_small_scope_stops_once_a_window_holds_all_of_it(places):
    # worker2's scope holds one address: no window can ever return `limit` of them.
    qs = selectors.search_addresses(scope_for(places.people.worker2), active=True)
    with CaptureQueriesContext(connection) as near:
        found = selectors.nearest_addresses(qs, 117.1151, 39.205, 20)
    assert [a.code for a, _d in found] == ["G1"] and found[0][1] < 10
    assert len(near) <= 2, [q["sql"] for q in near]  # the first window and one count
    with CaptureQueriesContext(connection) as far:
        found = selectors.nearest_addresses(qs, 117.20, 39.30, 20)
    assert [a.code for a, _d in found] == ["G1"]
    assert len(far) <= 3, [q["sql"] for q in far]  # a window, the count, the whole (small) set
    # A scope larger than the limit still grows its windows and finds the nearest.
    wide = selectors.search_addresses(scope_for(places.people.command), active=True)
    found = selectors.nearest_addresses(wide, 117.20, 39.30, 3)
    assert [a.code for a, _d in found] == ["G2", "G1", "E7"]
    assert selectors.nearest_addresses(wide.none(), 117.1, 39.2, 5) == []


def test_limit_bounds_are_kept(places):
    client = token_client(places.people.command)
    assert len(codes(client.get(URL, {"limit": 1}))) == 1
    assert len(codes(client.get(URL))) == 10  # default 20, ten exist
    assert len(codes(client.get(URL, {"limit": 50}))) == 10
