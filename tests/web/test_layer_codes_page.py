"""The code tool on the console: upload, codes in reading order, refusal, download, import."""

from __future__ import annotations

import json
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from shapely import box
from shapely.geometry import mapping

from onegrid.territory import proposals
from onegrid.territory.models import AdminUnit, Grid, LayerVersion

COMMUNITY = "120113001001"
OTHER = "120113002001"


@pytest.fixture(autouse=True)
def _records_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def command(world):
    shapes = {
        COMMUNITY: box(117.10, 39.20, 117.12, 39.21),
        OTHER: box(117.12, 39.20, 117.13, 39.21),
    }
    for code, shape in shapes.items():
        AdminUnit.objects.filter(code=code).update(geometry_wkb=shape.wkb)
    client = Client()
    client.force_login(world.people.command)
    return client


def upload(client, features, **fields):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": mapping(geom)}
            for props, geom in features
        ],
    }
    file = SimpleUploadedFile("drawn.geojson", json.dumps(doc).encode(), "application/geo+json")
    return client.post("/console/layers/codes/", {"crs": "wgs84", "file": file} | fields)


SPLIT_LAYER = [
    ({"code": f"{COMMUNITY}001"}, box(117.10, 39.20, 117.11, 39.21)),
    ({"code": f"{COMMUNITY}002"}, box(117.115, 39.20, 117.12, 39.21)),
    ({"code": f"{COMMUNITY}002"}, box(117.11, 39.20, 117.115, 39.21)),
    ({"code": f"{OTHER}003"}, box(117.12, 39.20, 117.13, 39.21)),
]


def test_codes_are_given_shown_and_downloadable(command):
    response = upload(command, SPLIT_LAYER)
    assert response.status_code == 302
    page = command.get(response["Location"])
    html = page.content.decode()
    assert f"{COMMUNITY}003" in html and f"{COMMUNITY}004" in html
    rows = html.split('id="code-changes"')[1].split("</table>")[0]
    assert rows.count("<tr data-index=") == 2
    download = command.get(response["Location"].rstrip("/") + ".geojson?download=1")
    assert "attachment" in download["Content-Disposition"]
    codes = [f["properties"]["code"] for f in download.json()["features"]]
    assert codes == [f"{COMMUNITY}001", f"{COMMUNITY}004", f"{COMMUNITY}003", f"{OTHER}003"]
    marked = command.get(response["Location"].rstrip("/") + ".geojson?map=1").json()
    assert [f["properties"]["layer"] for f in marked["features"]] == [
        "kept",
        "coded",
        "coded",
        "kept",
    ]


def test_the_coded_layer_imports_after_a_dry_run(command, world):
    key_url = upload(command, SPLIT_LAYER)["Location"]
    dry = command.post(f"{key_url}import/", {"dry_run": "1", "replace": "1"})
    assert dry.status_code == 200 and 'data-dry-run="1"' in dry.content.decode()
    assert not LayerVersion.objects.exists()
    done = command.post(f"{key_url}import/", {"replace": "1", "note": "split 002"})
    assert done.status_code == 200
    assert set(Grid.objects.values_list("code", flat=True)) == {
        f"{COMMUNITY}001",
        f"{COMMUNITY}003",
        f"{COMMUNITY}004",
        f"{OTHER}003",
    }
    assert Grid.all_objects.get(code=f"{COMMUNITY}002").retired_in == 1
    # Importing the same coded file again changes nothing: the grids are unchanged.
    again = command.post(f"{key_url}import/", {"replace": "1"})
    assert 'data-count="unchanged">4<' in again.content.decode()


def test_a_grid_in_no_community_is_refused_by_feature_and_nothing_is_kept(command, tmp_path):
    response = upload(command, [({}, box(117.20, 39.20, 117.21, 39.21))])
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="problems"' in html and "no_community" in html
    assert not list((tmp_path / "proposals").glob("*.json"))


def test_field_errors_are_named(command):
    response = upload(command, SPLIT_LAYER, renumber="120113009009")
    assert response.status_code == 400
    assert 'data-error-for="renumber"' in response.content.decode()
    response = command.post("/console/layers/codes/", {"crs": "wgs84"})
    assert response.status_code == 400
    assert 'data-error-for="file"' in response.content.decode()


def test_only_layer_officers_and_only_code_records(command, world):
    key_url = upload(command, SPLIT_LAYER)["Location"]
    key = key_url.rstrip("/").rsplit("/", 1)[1]
    # A coded-layer record is not a fusion proposal, and the other way round.
    assert command.get(f"/console/layers/proposals/{key}/").status_code == 404
    other = Client()
    other.force_login(world.people.acceptor)
    assert other.get("/console/layers/codes/").status_code == 403
    assert other.get(key_url).status_code == 403


def test_old_records_are_pruned_when_a_new_one_is_saved(settings, tmp_path):
    old = proposals.save({"kind": proposals.CODES, "n": 1})
    recent = proposals.save({"kind": proposals.CODES, "n": 2})
    path = tmp_path / "proposals" / f"{old}.json"
    stale = time.time() - proposals.KEEP_FOR.total_seconds() - 60
    os.utime(path, (stale, stale))
    proposals.save({"kind": proposals.CODES, "n": 3})
    assert not path.exists()
    assert proposals.load(recent, kind=proposals.CODES)["n"] == 2
