"""The layer pages with hostile or odd input: bombs and deep JSON are refused with the reason
on the page (never a 500), `?version=` takes ASCII digits only, and a polygon too large for an
Excel cell still exports to XLSX and reads back the same."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from shapely import Polygon, box
from shapely.geometry import mapping

from onegrid.territory import layerio
from onegrid.territory.models import Beat, LayerVersion
from support import bombs


@pytest.fixture(autouse=True)
def _proposals_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def client(world) -> Client:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.people.command)
    return client


def upload(client, name: str, data: bytes, **choices):
    form = {"level": "beat", "crs": "wgs84", "file": SimpleUploadedFile(name, data)} | choices
    return client.post("/console/layers/", form)


def beats_file(beats) -> bytes:
    features = [
        {"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)}
        for code, geom in beats
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def many_points(points: int) -> Polygon:
    xs = np.linspace(117.10, 117.12, points - 3)
    return Polygon([(x, 39.20) for x in xs] + [(117.12, 39.21), (117.10, 39.21)])


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("beats.geojson", bombs.deep_json, "levels deep"),
        ("beats.zip", bombs.zip_bomb, "unpacks to more than"),
        ("beats.xlsx", bombs.xlsx_bomb, "unpacks to more than"),
        ("beats.zip", lambda: bombs.zip_bomb(lie=True), "cannot be unpacked"),
    ],
)
def test_bombs_are_refused_on_the_page_and_change_nothing(client, name, make, reason):
    response = upload(client, name, make())
    assert response.status_code == 422, response.content[:500]
    assert reason in response.content.decode()
    assert not Beat.objects.exists() and not LayerVersion.objects.exists()


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(client, settings):
    settings.ONEGRID = settings.ONEGRID | {"UPLOAD_MAX_BYTES": 1024}
    response = upload(client, "beats.geojson", b" " * 2000)
    assert response.status_code == 400
    assert "larger than 1 KB" in response.content.decode()


def test_version_takes_ascii_digits_only(client):
    assert upload(client, "b.geojson", beats_file([("B1", box(117.1, 39.2, 117.11, 39.21))]))
    assert LayerVersion.objects.filter(kind="beats", number=1).exists()
    url = "/console/layers/export/beat.geojson"
    assert client.get(url, {"version": "1"}).status_code == 200
    # "²" and "١٢" pass str.isdigit(); int() refuses the first and reads the second as 12.
    for bad in ("²", "¹", "١", "١٢", "9" * 30, "9" * 5000, "-1", "0", "01", "1.0", " 1", "1\n"):
        assert client.get(url, {"version": bad}).status_code == 404, repr(bad)


def test_a_polygon_too_large_for_an_excel_cell_exports_and_reads_back(client, tmp_path):
    big = many_points(6000)  # some 230,000 characters of WKT; a cell holds 32,767
    response = upload(client, "b.geojson", beats_file([("B1", big)]))
    assert response.status_code == 200, response.content.decode()[:2000]
    export = client.get("/console/layers/export/beat.xlsx", {"version": "1"})
    assert export.status_code == 200
    path = tmp_path / "beats.xlsx"
    path.write_bytes(export.content)
    layer = layerio.read_layer(path, level="beat")
    assert layer.ok, layer.problems
    [feature] = layer.features
    assert feature.code == "B1" and feature.geometry.equals_exact(big, 1e-12)
