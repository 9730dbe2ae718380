"""The field app's server side through Django's test client: who may open it, what it lists,
the manifest and the service worker, and its languages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from support.cases import act, drive, photo, report
from support.web import client_for

FIELD_URLS = ["/field/", "/field/manifest.webmanifest", "/field/sw.js", "/field/tasks/"]


@pytest.mark.parametrize("url", FIELD_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(world, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("url", FIELD_URLS)
@pytest.mark.parametrize("username", ["city_handler", "acceptor", "leader"])
def test_people_without_a_field_role_get_403(world, url, username):
    assert client_for(world, username).get(url).status_code == 403


@pytest.mark.parametrize("username", ["worker", "worker2", "resident"])
def test_grid_team_and_residents_open_the_field_app(world, username):
    response = client_for(world, username).get("/field/")
    assert response.status_code == 200
    html = response.content.decode()
    for part in ('id="report-form"', 'id="tab-tasks"', 'id="tab-queue"', 'id="field-i18n"'):
        assert part in html
    # The camera input and the WGS-84 point the API expects.
    assert 'accept="image/*" capture="environment"' in html
    assert 'name="crs" id="report-crs" value="wgs84"' in html
    assert 'rel="manifest"' in html


def test_tasks_list_the_cases_to_verify_and_check_with_only_the_offered_actions(world):
    p = world.people
    to_verify = report(world, who=p.resident)
    act(to_verify, p.acceptor, "request_verification")
    to_check = drive(world, "checking", case_class=world.building)
    elsewhere = report(world, who=p.far_worker, point=world.far_point)
    mine = report(world, who=p.worker)  # exposed rubbish: minor, may be self-closed

    client = client_for(world, "worker")
    response = client.get("/field/")
    tasks = [c["case"].number for c in response.context["tasks"]]
    assert sorted(tasks) == sorted([to_verify.number, to_check.number])
    actions = {
        c["case"].number: [a["name"] for a in c["actions"]] for c in response.context["tasks"]
    }
    assert actions[to_verify.number] == ["verify"]
    assert sorted(actions[to_check.number]) == ["fail_check", "pass_check"]
    reports = {
        c["case"].number: [a["name"] for a in c["actions"]] for c in response.context["reports"]
    }
    assert reports[mine.number] == ["self_close"]
    html = response.content.decode()
    assert elsewhere.number not in html
    assert 'value="confirmed"' in html and 'value="not_found"' in html

    # The fragment the page polls shows the same.
    fragment = client.get("/field/tasks/").content.decode()
    assert to_verify.number in fragment and to_check.number in fragment
    assert elsewhere.number not in fragment

    # Another grid's worker sees none of them as tasks.
    other = client_for(world, "far_worker").get("/field/")
    assert other.context["tasks"] == []


def test_the_short_class_list_starts_with_what_is_reported_most_in_my_grids(world):
    for _ in range(3):
        report(world, case_class=world.building)
    report(world, case_class=world.manhole)
    response = client_for(world, "worker").get("/field/")
    codes = [c["code"] for c in response.context["frequent"]]
    assert codes[:2] == ["A0101", "A0201"]
    assert set(codes) == {"A0101", "A0201", "A0102", "E0101"}
    catalogue = json.loads(
        response.content.decode()
        .split('id="field-classes" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert {c["code"] for c in catalogue} == {"A0101", "A0102", "A0201", "E0101"}
    assert next(c for c in catalogue if c["code"] == "A0102")["minor"] is True


def test_the_report_map_shows_only_my_own_grids(world):
    response = client_for(world, "worker").get("/field/")
    grids = response.context["field_grids"]["features"]
    assert [g["properties"]["code"] for g in grids] == [world.grids[0].code]
    assert grids[0]["geometry"]["type"] == "Polygon"
    resident = client_for(world, "resident").get("/field/")
    assert resident.context["field_grids"]["features"] == []
    config = resident.context["field_config"]
    assert config["districtBounds"] is not None and config["photoRequired"] is False


def test_manifest_is_installable_json(world):
    response = client_for(world, "worker").get("/field/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/field/"
    assert manifest["scope"] == "/field/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "zh-hans"
    assert manifest["name"] and manifest["short_name"]
    icon = manifest["icons"][0]
    assert icon["src"].endswith("web/icon.svg")
    assert icon["sizes"] == "any" and icon["type"] == "image/svg+xml"


def test_service_worker_is_javascript_never_cached_and_keeps_off_the_api(world):
    response = client_for(world, "worker").get("/field/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    config = json.loads(body.split("const FIELD_SW = ", 1)[1].split(";\n", 1)[0])
    assert config["page"] == config["scope"] == "/field/"
    assert config["apiPrefix"] == "/api/"
    for asset in ("web/app.css", "web/field.js", "leaflet/leaflet.js", "leaflet/leaflet.css"):
        assert any(a.endswith(asset) for a in config["assets"]), asset
    assert len(config["version"]) == 16
    assert 'request.method !== "GET"' in body
    # The same files give the same version: phones only reinstall when something changed.
    again = client_for(world, "worker").get("/field/sw.js").content.decode()
    assert again == body


def test_chinese_by_default_english_with_the_language_cookie(world):
    chinese = client_for(world, "worker").get("/field/")
    assert '<html lang="zh-hans">' in chinese.content.decode()
    assert (
        json.loads(client_for(world, "worker").get("/field/manifest.webmanifest").content)["lang"]
        == "zh-hans"
    )

    english = client_for(world, "worker", language="en").get("/field/")
    html = english.content.decode()
    assert '<html lang="en">' in html
    assert "Report a problem" in html and "Waiting on this phone" in html
    strings = english.context["field_strings"]
    assert strings["needPhoto"] == "Take a photo of the problem."
    assert english.context["field_config"]["language"] == "en"
    manifest = json.loads(
        client_for(world, "worker", language="en").get("/field/manifest.webmanifest").content
    )
    assert manifest["lang"] == "en" and manifest["name"] == "OneGrid · Grid worker"


def test_class_names_follow_the_language(world):
    world.rubbish.name_en = "Exposed rubbish"
    world.rubbish.save()
    report(world)
    zh = client_for(world, "worker").get("/field/")
    assert "暴露垃圾" in zh.content.decode()
    en = client_for(world, "worker", language="en").get("/field/")
    classes = {c["code"]: c for c in en.context["field_classes"]}
    assert classes["A0102"]["name"] == "Exposed rubbish"
    assert classes["A0102"]["alt"] == "暴露垃圾"  # the other name is searched too
    assert "Exposed rubbish" in en.content.decode()


def test_a_self_close_via_the_api_removes_the_action_from_my_reports(world):
    case = report(world)
    act(case, world.people.worker, "self_close", photos=[photo()])
    response = client_for(world, "worker").get("/field/")
    card = next(c for c in response.context["reports"] if c["case"].number == case.number)
    assert card["actions"] == []
    assert str(card["state_label"]) in response.content.decode()


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_number_of_cards(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        client = client_for(world, "worker")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/field/").status_code == 200
        return len(captured)

    report(world)
    drive(world, "checking", case_class=world.building)
    few = queries()
    for _ in range(4):
        report(world)
        drive(world, "checking", case_class=world.building)
    assert queries() == few
