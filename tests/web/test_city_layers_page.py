"""The layer pages in a city's installation: a district's keepers work on their district's
layers only, the city's on any district's."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from shapely import box
from shapely.geometry import mapping

from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import AdminUnit, Grid, LayerVersion
from support.web import client_for

XIQING = "120111000000"


@pytest.fixture
def city(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODES": XIQING}
    district = AdminUnit.objects.create(
        code=XIQING, name="西青区", level="district", parent=world.district.parent
    )
    street = AdminUnit.objects.create(
        code="120111001000", name="西营门街道", level="street", parent=district
    )
    community = AdminUnit.objects.create(
        code="120111001001", name="第1社区", level="community", parent=street
    )
    shape = box(117.00, 39.10, 117.01, 39.11)
    Grid.objects.create(
        code="120111001001001",
        name="西青第001网格",
        community=community,
        street=street,
        geometry_wkb=shape.wkb,
        area_m2=1e6,
        label_lon=shape.centroid.x,
        label_lat=shape.centroid.y,
    )
    return district


def grids_file(code, parent, shape):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code, "community_code": parent},
                "geometry": mapping(shape),
            }
        ],
    }
    return SimpleUploadedFile("grids.geojson", json.dumps(doc).encode(), "application/geo+json")


def test_a_districts_keeper_checks_and_imports_only_its_district(world, city):
    client = client_for(world, "command")  # the command centre of Beichen
    page = client.get("/console/layers/check/?level=grid").content.decode()
    assert f'value="{world.district.code}"' in page and f'value="{XIQING}"' not in page
    assert client.get(f"/console/layers/check/?level=grid&district={XIQING}").status_code == 403
    before = Grid.objects.count()
    refused = client.post(
        "/console/layers/",
        {
            "level": "grid",
            "crs": "wgs84",
            "district": XIQING,
            "file": grids_file(
                "120111001001002", "120111001001", box(117.01, 39.10, 117.02, 39.11)
            ),
        },
    )
    assert refused.status_code == 403
    assert Grid.objects.count() == before and not LayerVersion.objects.exists()


def test_the_citys_keeper_works_on_any_district(world, city):
    keeper = User.objects.create_user("city-command", password="pw-city-command")
    RoleAssignment.objects.create(user=keeper, role=Role.COMMAND_CENTRE, unit=world.district.parent)
    client = Client()
    client.force_login(keeper)
    page = client.get(f"/console/layers/check/?level=grid&district={XIQING}").content.decode()
    assert f'value="{world.district.code}"' in page and f'value="{XIQING}" selected' in page
    response = client.post(
        "/console/layers/",
        {
            "level": "grid",
            "crs": "wgs84",
            "district": XIQING,
            "file": grids_file(
                "120111001001002", "120111001001", box(117.01, 39.10, 117.02, 39.11)
            ),
        },
    )
    assert response.status_code == 200, response.content.decode()[:1500]
    assert Grid.objects.filter(code="120111001001002", street__parent=city).exists()
    assert Grid.objects.filter(street__parent=world.district).count() == 3  # Beichen's untouched


def test_one_district_shows_no_district_field(world):
    page = client_for(world, "command").get("/console/layers/check/?level=grid").content.decode()
    assert 'name="district"' not in page
