"""The GIS officer's layer pages: who may open them, upload (dry run, import, refusal), the
check report, and a fusion proposal shown, applied once and refused the second time."""

from __future__ import annotations

import json
import re

import pytest
from django.utils.translation import gettext
from shapely import box
from shapely.geometry import mapping

from onegrid.territory.models import AdminUnit, Beat, Grid, LayerVersion
from support.web import client_for

PAGES = [
    "/console/layers/",
    "/console/layers/check/?level=grid",
    "/console/layers/check/?level=beat",
    "/console/layers/check.geojson?level=grid",
    "/console/layers/fuse/",
    "/console/layers/layer/grid.geojson",
    "/console/layers/layer/beat.geojson",
    "/console/layers/export/grid.geojson",
]
# Two beats drawn ~3 m east of the line between grids 0 and 1: the east beat splits grid 1.
SPLIT_BEATS = [
    ("B-WEST", box(117.10, 39.20, 117.11003, 39.21)),
    ("B-EAST", box(117.11003, 39.20, 117.13, 39.21)),
]


@pytest.fixture(autouse=True)
def _proposals_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def geojson_file(features, name="beats.geojson"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": code}, "geometry": geom}
            for code, geom in features
        ],
    }
    return SimpleUploadedFile(name, json.dumps(doc).encode(), "application/geo+json")


def upload(client, features, **choices):
    data = {"level": "beat", "crs": "wgs84", "file": geojson_file(features)} | choices
    return client.post("/console/layers/", data)


def import_split_beats(client):
    response = upload(client, [(c, mapping(g)) for c, g in SPLIT_BEATS])
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def test_command_centre_opens_every_page(world):
    client = client_for(world, "command")
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    console = client.get("/console/").content.decode()
    assert 'href="/console/layers/"' in console


@pytest.mark.parametrize("username", ["acceptor", "worker", "city_handler"])
def test_others_are_refused(world, username):
    client = client_for(world, username)
    for url in PAGES:
        assert client.get(url).status_code == 403, (username, url)
    assert client.post("/console/layers/fuse/", {"snap": "5"}).status_code == 403
    if username == "acceptor":
        assert 'href="/console/layers/"' not in client.get("/console/").content.decode()


def test_dry_run_changes_nothing_and_import_makes_version_1(world):
    client = client_for(world, "command")
    page = client.get("/console/layers/").content.decode()
    assert re.search(r'name="dry_run" value="1"\s+checked', page)  # a dry run by default

    beats = [(c, mapping(g)) for c, g in SPLIT_BEATS]
    dry = upload(client, beats, dry_run="1", note="first try")
    assert dry.status_code == 200
    text = dry.content.decode()
    assert 'data-dry-run="1"' in text and 'data-count="added">2<' in text
    assert not Beat.objects.exists() and not LayerVersion.objects.exists()
    # the form keeps its choices
    assert 'value="first try"' in text and re.search(r'value="beat"\s+selected', text)

    real = upload(client, beats, note="police beats 2026")
    assert real.status_code == 200
    assert LayerVersion.objects.get(kind="beats").number == 1
    assert set(Beat.objects.values_list("code", flat=True)) == {"B-WEST", "B-EAST"}
    overview = client.get("/console/layers/").content.decode()
    assert "police beats 2026" in overview and "command" in overview


def test_a_bad_file_lists_every_problem_and_changes_nothing(world):
    client = client_for(world, "command")
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[117.1, 39.2], [117.11, 39.21], [117.11, 39.2], [117.1, 39.21], [117.1, 39.2]]
        ],
    }
    far_away = mapping(box(100.0, 30.0, 100.01, 30.01))
    response = upload(
        client,
        [("B1", bow_tie), ("B2", mapping(box(117.1, 39.2, 117.11, 39.21))), ("B3", far_away)],
        replace="1",
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert 'data-refused="1"' in text
    rows = re.findall(r"<tr><td>(\d+)</td><td>(B\d)</td>", text)
    assert ("1", "B1") in rows and ("3", "B3") in rows
    assert not Beat.objects.exists() and not LayerVersion.objects.exists()
    assert re.search(r'name="replace" value="1"\s+checked', text)  # choices kept
    assert not re.search(r'name="dry_run" value="1"\s+checked', text)

    missing = client.post("/console/layers/", {"level": "beat", "crs": "wgs84"})
    assert missing.status_code == 400


def test_check_lists_a_beat_that_splits_a_grid(world):
    client = client_for(world, "command")
    import_split_beats(client)
    page = client.get("/console/layers/check/?level=beat")
    text = page.content.decode()
    assert 'data-kind="splits_grid"' in text and world.grids[1].code in text
    assert 'id="check-map"' in text and 'id="check-issues"' in text
    report = client.get("/console/layers/check.geojson?level=beat")
    assert report["Content-Type"] == "application/geo+json"
    assert "attachment" in report["Content-Disposition"]
    kinds = {f["properties"]["kind"] for f in json.loads(report.content)["features"]}
    assert "splits_grid" in kinds


def test_fuse_shows_changes_and_applies_once(world):
    client = client_for(world, "command")
    import_split_beats(client)
    made = client.post("/console/layers/fuse/", {"snap": "5", "sliver": "100"})
    assert made.status_code == 302
    url = made["Location"]
    key = url.rstrip("/").rsplit("/", 1)[1]
    page = client.get(url).content.decode()
    assert 'id="changes"' in page and 'data-beat="B-WEST"' in page and 'data-beat="B-EAST"' in page
    assert 'id="map-before"' in page and 'id="map-after"' in page
    assert Grid.objects.filter(beat__isnull=False).count() == 0  # nothing applied yet

    proposal = client.get(f"/console/layers/proposals/{key}.geojson?download=1")
    assert "attachment" in proposal["Content-Disposition"]
    assert {f["properties"]["layer"] for f in json.loads(proposal.content)["features"]} == {
        "grid",
        "beat",
    }

    applied = client.post(f"/console/layers/proposals/{key}/apply/", {"note": "one network"})
    assert applied.status_code == 302 and applied["Location"] == "/console/layers/"
    assert LayerVersion.objects.filter(kind="grids").get().number == 1
    assert LayerVersion.objects.filter(kind="beats").order_by("-number")[0].number == 2
    assert LayerVersion.objects.get(kind="grids").created_by == "command"
    assert dict(Grid.objects.values_list("code", "beat__code")) == {
        world.grids[0].code: "B-WEST",
        world.grids[1].code: "B-EAST",
        world.grids[2].code: "B-EAST",
    }

    again = client.post(f"/console/layers/proposals/{key}/apply/")
    assert again.status_code == 409
    assert 'id="apply-error"' in again.content.decode()
    assert LayerVersion.objects.filter(kind="grids").count() == 1
    assert 'id="applied-note"' in client.get(url).content.decode()


def test_fuse_refuses_bad_numbers_and_unknown_proposals(world):
    client = client_for(world, "command")
    import_split_beats(client)
    bad = client.post("/console/layers/fuse/", {"snap": "-1", "sliver": "x"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.content.decode()
    assert client.get("/console/layers/proposals/not-a-key/").status_code == 404
    assert client.get("/console/layers/proposals/" + "a" * 24 + "/").status_code == 404
    assert client.post("/console/layers/proposals/" + "a" * 24 + "/apply/").status_code == 404


def test_fuse_needs_both_layers_and_a_proposal_goes_stale_when_they_move(world):
    client = client_for(world, "command")
    refused = client.post("/console/layers/fuse/", {"snap": "5", "sliver": "100"})
    assert refused.status_code == 400
    assert gettext("Fusing needs a grid layer and a beat layer.") in refused.content.decode()
    import_split_beats(client)
    url = client.post("/console/layers/fuse/", {"snap": "5", "sliver": "100"})["Location"]
    assert 'id="apply-form"' in client.get(url).content.decode()
    west = [(c, mapping(g)) for c, g in SPLIT_BEATS[:1]]
    assert upload(client, west, replace="1").status_code == 200  # beat layer version 2
    page = client.get(url).content.decode()
    assert 'id="apply-form"' not in page
    stale = gettext("The layers have changed since this proposal was made: run the fusion again.")
    assert stale in page


def test_every_kept_version_downloads_in_every_format(world, tmp_path):
    from onegrid.territory import layerio

    client = client_for(world, "command")
    import_split_beats(client)  # beat version 1
    overview = client.get("/console/layers/").content.decode()
    assert 'href="/console/layers/export/beat.gpkg?version=1"' in overview
    for fmt in ("geojson", "gpkg", "zip", "xlsx"):
        response = client.get(f"/console/layers/export/beat.{fmt}?version=1")
        assert response.status_code == 200, fmt
        assert f'filename="beats-v1.{fmt}"' in response["Content-Disposition"]
        path = tmp_path / f"beats.{fmt}"
        path.write_bytes(response.content)
        layer = layerio.read_layer(path, level="beat")
        assert sorted(f.code for f in layer.features) == ["B-EAST", "B-WEST"], fmt
    current = client.get("/console/layers/export/grid.geojson").json()
    assert len(current["features"]) == 3
    for bad in ("beat.geojson?version=7", "beat.geojson?version=x", "beat.shp", "town.geojson"):
        assert client.get(f"/console/layers/export/{bad}").status_code == 404, bad


def test_the_check_page_judges_slivers_by_the_rule_in_its_form(world):
    client = client_for(world, "command")
    # A 0.0001° × 0.01° beat (about 9 m × 1.1 km), under 1% of the median beat: a sliver.
    thin = box(117.10, 39.20, 117.1001, 39.21)
    rest = box(117.1001, 39.20, 117.13, 39.21)
    upload(client, [("B-THIN", mapping(thin)), ("B-REST", mapping(rest))], dry_run="")
    default = client.get("/console/layers/check/?level=beat").content.decode()
    assert 'data-kind="sliver"' in default
    assert 'name="sliver_width" type="number" min="0" step="any" value="5"' in default
    # Over 0.1% of the median it is a beat, unless the width rule is raised above its 8.6 m.
    share = "/console/layers/check/?level=beat&sliver_share=0.1"
    assert 'data-kind="sliver"' not in client.get(share).content.decode()
    assert 'data-kind="sliver"' in client.get(share + "&sliver_width=10").content.decode()
    report = client.get("/console/layers/check.geojson?level=beat&sliver_share=0.1")
    assert "sliver" not in {f["properties"]["kind"] for f in json.loads(report.content)["features"]}
    bad = client.get("/console/layers/check/?level=beat&sliver_share=x&sliver_width=-3")
    assert bad.status_code == 200 and 'data-kind="sliver"' in bad.content.decode()  # defaults


def test_streets_and_communities_upload_on_the_same_page(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(world, "command")
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "120113001002", "name": "第2社区"},
                "geometry": mapping(box(117.10, 39.21, 117.12, 39.22)),
            }
        ],
    }
    file = SimpleUploadedFile("communities.geojson", json.dumps(doc).encode())
    response = client.post("/console/layers/", {"level": "community", "crs": "wgs84", "file": file})
    assert response.status_code == 200, response.content.decode()[:2000]
    community = AdminUnit.objects.get(code="120113001002")
    assert (community.level, community.parent.code) == ("community", "120113001000")
    refused = client.post(
        "/console/layers/",
        {"level": "community", "crs": "wgs84", "replace": "1", "file": file},
    )
    assert refused.status_code == 400
