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


def test_the_coded_layer_imports_after_a_dry_run_and_retires_only_the_split_grid(command, world):
    # Only the redrawn part of the layer: grid 001 of the community is not in the file.
    key_url = upload(command, SPLIT_LAYER[1:3])["Location"]
    dry = command.post(f"{key_url}import/", {"dry_run": "1"})
    assert dry.status_code == 200 and 'data-dry-run="1"' in dry.content.decode()
    assert 'data-count="retired">1<' in dry.content.decode()
    assert not LayerVersion.objects.exists()
    done = command.post(f"{key_url}import/", {"note": "split 002"})
    assert done.status_code == 200 and 'id="coded-applied"' in done.content.decode()
    assert set(Grid.objects.values_list("code", flat=True)) == {
        f"{COMMUNITY}001",  # not in the file, and kept
        f"{COMMUNITY}003",
        f"{COMMUNITY}004",
        f"{OTHER}003",
    }
    assert Grid.all_objects.get(code=f"{COMMUNITY}002").retired_in == 1
    # A repeated post (a double click, a retry) answers with the import, and adds nothing.
    again = command.post(f"{key_url}import/", {})
    assert again.status_code == 200 and 'id="coded-applied"' in again.content.decode()
    assert LayerVersion.objects.count() == 1


def test_codes_given_before_the_layer_changed_are_not_imported(command, world):
    # Two new grids drawn north of the community's grids (over them, they would be refused as
    # stacked over grids that stay).
    first = upload(command, [({"parent_code": COMMUNITY}, box(117.10, 39.21, 117.105, 39.22))])
    second = upload(command, [({"parent_code": COMMUNITY}, box(117.105, 39.21, 117.11, 39.22))])
    # Both were given the community's next serial, 003.
    for response in (first, second):
        assert f"{COMMUNITY}003" in command.get(response["Location"]).content.decode()
    assert command.post(f"{first['Location']}import/", {}).status_code == 200
    refused = command.post(f"{second['Location']}import/", {})
    assert refused.status_code == 409 and 'id="coded-error"' in refused.content.decode()
    assert 'id="coded-import"' not in command.get(second["Location"]).content.decode()
    assert Grid.objects.get(code=f"{COMMUNITY}003").geometry.bounds[0] == pytest.approx(117.10)


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
