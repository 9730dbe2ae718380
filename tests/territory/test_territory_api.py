"""The territory router: GET /grids (GeoJSON) and GET /locate, mounted on a throw-away API."""

from __future__ import annotations

import json

import pytest
from fast_geocn.coord import wgs84_to_gcj02
from ninja import NinjaAPI
from ninja.testing import TestClient

from onegrid.core.errors import DomainError
from onegrid.territory.api import router
from onegrid.territory.models import AdminUnit, Grid

pytestmark = pytest.mark.usefixtures("db", "fresh_locator")


@pytest.fixture(scope="module")
def client():
    api = NinjaAPI(urls_namespace="territory-api-test")

    @api.exception_handler(DomainError)
    def domain_error(request, exc):  # what the lead's mounting does, in miniature
        return api.create_response(request, exc.as_dict(), status=exc.status)

    api.add_router("/territory", router)
    return TestClient(api)


def test_grids_geojson(client, beichen):
    response = client.get("/territory/grids")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == Grid.objects.count()


def test_grids_filtered_by_street_and_community(client, beichen):
    community = AdminUnit.objects.filter(level="community").order_by("code")[10]
    street = community.parent
    data = json.loads(client.get(f"/territory/grids?street={street.code}").content)
    assert {f["properties"]["street_code"] for f in data["features"]} == {street.code}
    assert len(data["features"]) == Grid.objects.filter(street=street).count()
    data = json.loads(client.get(f"/territory/grids?community={community.code}").content)
    assert {f["properties"]["community_code"] for f in data["features"]} == {community.code}
    # A community code is not a street code.
    response = client.get(f"/territory/grids?street={community.code}")
    assert response.status_code == 404
    assert response.json()["field"] == "street"
    assert client.get("/territory/grids?community=12").json()["field"] == "community"


def test_locate_wgs84_and_gcj02(client, beichen):
    # A small urban grid: a ~500 m GCJ-02 shift cannot stay inside it.
    grid = (
        Grid.objects.select_related("community", "street")
        .filter(area_m2__lt=40_000)
        .order_by("code")[20]
    )
    body = client.get(f"/territory/locate?lon={grid.label_lon}&lat={grid.label_lat}").json()
    assert body == {
        "lon": pytest.approx(grid.label_lon),
        "lat": pytest.approx(grid.label_lat),
        "grid_code": grid.code,
        "grid_name": grid.name,
        "community_code": grid.community.code,
        "community_name": grid.community.name,
        "street_code": grid.street.code,
        "street_name": grid.street.name,
    }
    gx, gy = wgs84_to_gcj02(grid.label_lon, grid.label_lat)
    body = client.get(f"/territory/locate?lon={gx}&lat={gy}&crs=gcj02").json()
    assert body["grid_code"] == grid.code
    assert body["lon"] == pytest.approx(grid.label_lon, abs=1e-5)  # echoed in WGS-84
    # The same numbers taken as WGS-84 are another place, hence another grid.
    assert client.get(f"/territory/locate?lon={gx}&lat={gy}").json()["grid_code"] != grid.code


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("lon=116.3975&lat=39.9087", "lon", "outside_district"),
        ("lon=0&lat=0", "lon", "outside_district"),
        ("lon=nan&lat=39.2", "lon", "invalid_input"),
        ("lon=117.2&lat=91", "lat", "invalid_input"),
        ("lon=117.2&lat=39.2&crs=bd09", "crs", "invalid_crs"),
    ],
)
def test_locate_errors_name_the_field(client, beichen, query, field, code):
    response = client.get(f"/territory/locate?{query}")
    assert response.status_code == 422
    body = response.json()
    assert (body["field"], body["code"]) == (field, code)
    if code == "outside_district":
        assert "北辰区" in body["message"]
