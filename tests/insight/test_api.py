"""/api/v1/insight/: who gets what, error answers, and the published check through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from insight.test_measures import _published_history, place  # noqa: F401 (a fixture)
from onegrid.cases.rollups import rebuild_rollups
from onegrid.core import clock
from onegrid.insight.models import Campaign
from onegrid.insight.periods import at_midnight
from onegrid.org.models import Role
from support.api import token_client
from support.cases import drive, report
from support.people import person

BASE = "/api/v1/insight"


@pytest.fixture
def readers(world):
    drive(world, "closed")
    drive(world, "in_progress")
    report(world, who=world.people.far_worker, point=world.far_point)
    world.people.supervisor = person("supervisor", Role.SUPERVISOR, unit=world.district)
    return world


def get(user, path, **params):
    return token_client(user).get(BASE + path, params)


def test_each_role_reads_what_it_may_and_gets_403_for_the_rest(readers):
    w = readers
    p = w.people
    street = {"scope": "street", "code": w.street.code}
    other = {"scope": "street", "code": w.other_street.code}
    grid0 = {"scope": "grid", "code": w.grids[0].code}
    dept = {"scope": "department", "code": "city_management"}
    month = {"month": "2026-03"}
    expected = {
        # user: {(path, params-name): status}
        "leader": {"default": 200, "street": 200, "other": 200, "dept": 200, "grid0": 200},
        "supervisor": {"default": 200, "street": 200, "other": 200, "dept": 200, "grid0": 200},
        "command": {"default": 200, "street": 200, "other": 200, "dept": 200, "grid0": 200},
        "acceptor": {"default": 200, "street": 200, "other": 403, "dept": 403, "grid0": 200},
        "other_acceptor": {"default": 200, "street": 403, "other": 200, "dept": 403, "grid0": 403},
        "city_handler": {"default": 200, "street": 403, "other": 403, "dept": 200, "grid0": 403},
        "worker": {"default": 200, "street": 403, "other": 403, "dept": 403, "grid0": 200},
        "resident": {"default": 403, "street": 403, "other": 403, "dept": 403, "grid0": 403},
    }
    scopes = {"default": {}, "street": street, "other": other, "dept": dept, "grid0": grid0}
    for username, answers in expected.items():
        user = getattr(p, username)
        for name, status in answers.items():
            for path in ("/measures", "/trend", "/cases"):
                params = scopes[name] | month | ({"key": "open_now"} if path == "/cases" else {})
                answer = get(user, path, **params)
                assert answer.status_code == status, (username, path, name, answer.json())
                if status == 403:
                    assert answer.json()["code"] == "forbidden"
                    assert answer.json()["field"] == "scope"


def test_league_tables_by_role(readers):
    p = readers.people
    expected = {
        "leader": (200, 200, 200),
        "command": (200, 200, 200),
        "acceptor": (200, 200, 200),
        "city_handler": (403, 200, 403),
        "worker": (403, 403, 403),
        "resident": (403, 403, 403),
    }
    for username, statuses in expected.items():
        user = getattr(p, username)
        for kind, status in zip(("street", "department", "grid_worker"), statuses, strict=True):
            answer = get(user, f"/league/{kind}", month="2026-03")
            assert answer.status_code == status, (username, kind)
    table = get(p.acceptor, "/league/street", month="2026-03", measure="proactive_share").json()
    assert [r["drillable"] for r in table["rows"]] == [True, False]
    assert table["formula"] and table["rule"] and table["label"]
    workers = get(p.acceptor, "/league/grid_worker", month="2026-03").json()
    assert {r["code"] for r in workers["rows"]} == {"worker", "worker2"}
    assert get(p.leader, "/league/planet").json()["field"] == "kind"


def test_scopes(readers):
    p = readers.people
    leader = get(p.leader, "/scopes").json()
    assert leader["default"]["kind"] == "district"
    assert set(leader["leagues"]) == {"street", "department", "grid_worker"}
    worker = get(p.worker, "/scopes").json()
    assert worker["person_id"] == p.worker.pk and worker["leagues"] == []
    assert get(p.resident, "/scopes").status_code == 403


def test_the_measures_answer(readers):
    body = get(readers.people.leader, "/measures", month="2026-03").json()
    assert body["period"] == {
        "kind": "month",
        "key": "2026-03",
        "label": body["period"]["label"],
        "first": "2026-03-01",
        "last": "2026-03-31",
    }
    assert body["previous_period"]["key"] == "2026-02"
    assert body["last_year_period"]["key"] == "2025-03"
    assert body["counts"]["reports"] == 3 and body["counts"]["open_now"] == 2
    keys = [m["key"] for m in body["measures"]]
    assert "on_time_closure_rate" in keys and "proactive_share" in keys
    proactive = next(m for m in body["measures"] if m["key"] == "proactive_share")
    assert (proactive["numerator"], proactive["denominator"], proactive["value"]) == (
        3,
        3,
        "100.00",
    )
    assert proactive["previous"] == {"numerator": 0, "denominator": 0, "value": None}
    assert proactive["change_from_previous"] is None
    assert proactive["formula"]
    assert body["as_of"].endswith("+08:00")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "２０２６-０３"}, "month"),
        ({"month": "2026-03", "year": "2026"}, "year"),
        ({"year": "99999999999999999999999"}, "year"),
        ({"start": "2026-03-01"}, "end"),
        ({"as_of": "2026-02-30"}, "as_of"),
        ({"scope": "planet"}, "scope"),
        ({"scope": "street"}, "code"),
        ({"scope": "grid", "code": "x" * 41}, "code"),
        ({"scope": "grid", "code": "1\u200b2"}, "code"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(readers, params, field):
    answer = get(readers.people.leader, "/measures", **params)
    assert answer.status_code == 422, answer.json()
    body = answer.json()
    assert body["code"] == "invalid_input" and body["field"] == field and body["message"]


def test_bad_input_elsewhere(readers):
    leader = readers.people.leader
    cases = get(leader, "/cases", key="open_now", part="all")
    assert (cases.status_code, cases.json()["field"]) == (422, "part")
    assert get(leader, "/cases", key="nonsense").json()["field"] == "key"
    assert get(leader, "/cases", key="open_now", limit="0").status_code == 422
    assert get(leader, "/trend", step="hour").json()["field"] == "step"
    assert get(leader, "/trend", year="2026", step="day").status_code == 200
    assert get(leader, "/trend", start="2020-01-01", end="2026-01-01").json()["field"] == "step"
    for raw in ("٣", "99999999999999999999999", "-1", "0", "1.5", "x"):
        answer = get(leader, f"/persons/{raw}")
        assert (answer.status_code, answer.json()["field"]) == (422, "person_id"), raw
    assert get(leader, "/persons/999999").status_code == 404
    assert Client().get(BASE + "/measures").status_code == 401


def test_errors_in_chinese(readers):
    client = token_client(readers.people.leader, language="zh-hans")
    body = client.get(BASE + "/measures", {"month": "2026-13"}).json()
    assert body["field"] == "month" and "月" in body["message"]
    body = token_client(readers.people.resident, language="zh-hans").get(BASE + "/measures").json()
    assert body["code"] == "forbidden" and body["message"] != "You may not read these figures."


def test_drilldown_pages_the_cases_the_figure_counts(readers):
    leader = readers.people.leader
    first = get(leader, "/cases", key="open_now", limit="1", month="2026-03").json()
    second = get(leader, "/cases", key="open_now", limit="1", offset="1", month="2026-03").json()
    assert first["count"] == second["count"] == 2
    assert first["items"][0]["number"] != second["items"][0]["number"]
    assert "reporter_phone" not in first["items"][0]


def test_person_figures_through_the_api(readers):
    p = readers.people
    own = get(p.worker, f"/persons/{p.worker.pk}", month="2026-03")
    assert own.status_code == 200
    figures = {f["key"]: f for f in own.json()["figures"]}
    assert figures["reports"]["numerator"] == 2 and figures["reports"]["denominator"] is None
    assert get(p.worker, f"/persons/{p.worker2.pk}").status_code == 404
    assert get(p.acceptor, f"/persons/{p.worker2.pk}").status_code == 200
    assert get(p.acceptor, f"/persons/{p.far_worker.pk}").status_code == 404
    assert get(p.leader, f"/persons/{p.city_handler.pk}").status_code == 200


# --- campaigns ---------------------------------------------------------------------------------


def campaign_body(world, **changes):
    body = {
        "name": "暴露垃圾集中整治",
        "class_prefix": "A01",
        "scope_kind": "street",
        "area_code": world.street.code,
        "start": "2026-03-01",
        "end": "2026-03-10",
    }
    return body | changes


def post(user, body):
    return token_client(user).post(BASE + "/campaigns", body, content_type="application/json")


def test_campaigns_are_declared_by_the_command_centre_and_administrators(readers):
    w = readers
    admin = person("admin", Role.ADMIN, unit=w.district)
    for user in (w.people.command, admin):
        answer = post(user, campaign_body(w))
        assert answer.status_code == 201, answer.json()
        assert answer.json()["days"] == 10 and answer.json()["area_code"] == w.street.code
    for user in (w.people.leader, w.people.acceptor, w.people.worker, w.people.resident):
        answer = post(user, campaign_body(w))
        assert answer.status_code == 403
    assert Campaign.objects.count() == 2
    created = Campaign.objects.first()
    assert created is not None and created.created_by in (w.people.command, admin)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"class_prefix": "Z9"}, "class_prefix"),
        ({"class_prefix": "A 01"}, "class_prefix"),
        ({"scope_kind": "planet"}, "scope_kind"),
        ({"area_code": "120113999000"}, "area_code"),
        ({"scope_kind": "community", "area_code": "120113001000"}, "area_code"),
        ({"start": "2026-03-11"}, "end"),
        ({"start": "2026-02-30"}, "start"),
        ({"end": "２０２６-03-10"}, "end"),
        ({"start": "2025-01-01", "end": "2026-03-10"}, "end"),
    ],
)
def test_campaign_input_errors(readers, changes, field):
    answer = post(readers.people.command, campaign_body(readers, **changes))
    assert answer.status_code == 422, answer.json()
    assert answer.json()["field"] == field
    assert not Campaign.objects.exists()


def test_campaigns_are_read_where_their_area_is_readable(readers):
    w = readers
    mine = post(w.people.command, campaign_body(w)).json()
    theirs = post(
        w.people.command, campaign_body(w, area_code=w.other_street.code, name="其他街道")
    ).json()
    district = post(w.people.command, campaign_body(w, scope_kind="district", area_code="")).json()
    seen = {
        u: {c["id"] for c in get(getattr(w.people, u), "/campaigns").json()}
        for u in (
            "leader",
            "acceptor",
            "other_acceptor",
        )
    }
    assert seen["leader"] == {mine["id"], theirs["id"], district["id"]}
    assert seen["acceptor"] == {mine["id"]}
    assert seen["other_acceptor"] == {theirs["id"]}
    assert get(w.people.acceptor, f"/campaigns/{mine['id']}").status_code == 200
    assert get(w.people.acceptor, f"/campaigns/{theirs['id']}").status_code == 404
    assert get(w.people.resident, "/campaigns").status_code == 403
    assert get(w.people.leader, "/campaigns/１").json()["field"] == "campaign_id"


# --- the published check (DOMAIN.md §5) through the API ------------------------------------------


@pytest.fixture
def published(db, request):
    """tests/insight/test_measures.py's history: 972 due in March 2026, 911 closed, 737 on
    time, as of 10 April; and a district leader to ask."""
    made = request.getfixturevalue("place")
    _published_history(made)
    district = made.streets[0].parent
    return person("district_leader", Role.LEADER, unit=district)


def published_figures(leader, **params):
    body = get(leader, "/measures", month="2026-03", **params).json()
    return {m["key"]: m for m in body["measures"]}, body


def test_published_check_as_of_10_april(published):
    # Evaluated at the end of 9 April (10 April 00:00): the full recompute from the history.
    figures, body = published_figures(published, as_of="2026-04-09")
    closure, on_time = figures["closure_rate"], figures["on_time_closure_rate"]
    assert (closure["numerator"], closure["denominator"], closure["value"]) == (911, 972, "93.72")
    assert (on_time["numerator"], on_time["denominator"], on_time["value"]) == (737, 972, "75.82")
    assert figures["overdue_rate"]["value"] == "24.18"
    assert body["counts"]["n_due"] == 972 and body["counts"]["overdue"] == 235
    for key, part, expected in [
        ("closure_rate", "numerator", 911),
        ("closure_rate", "denominator", 972),
        ("on_time_closure_rate", "numerator", 737),
        ("overdue", "numerator", 235),
    ]:
        drill = get(published, "/cases", key=key, part=part, month="2026-03", as_of="2026-04-09")
        assert drill.json()["count"] == expected, key


def test_published_check_from_the_rollups(published):
    rebuild_rollups()
    clock.set_now(at_midnight(dt.date(2026, 4, 10)))
    try:
        figures, _body = published_figures(published)
        assert (figures["closure_rate"]["numerator"], figures["closure_rate"]["value"]) == (
            911,
            "93.72",
        )
        assert figures["on_time_closure_rate"]["value"] == "75.82"
        drill = get(published, "/cases", key="closure_rate", part="denominator", month="2026-03")
        assert drill.json()["count"] == 972
    finally:
        clock.set_now(None)
