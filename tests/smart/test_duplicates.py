"""Likely duplicates: the text similarity, the score, the API's check before sending (what a
reporter may learn of cases they may not see), the desk's candidates and bad input."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.smart import duplicates
from onegrid.smart.duplicates import MODEL, Evidence, Report, evidence, score
from onegrid.smart.text_similarity import normalise, similarity
from onegrid.territory.geometry import wgs84_to_gcj02
from support.api import token_client
from support.cases import act, advance, report

URL = "/api/v1/smart/duplicates"


def east(point, metres):
    lon, lat = point
    return lon + metres / (111_320.0 * math.cos(math.radians(lat))), lat


def check(client, **fields):
    return client.post(URL, fields, content_type="application/json")


# --- text -------------------------------------------------------------------------------------


def test_normalising_meets_chinese_and_full_width_digits_and_drops_punctuation():
    assert normalise("三号楼东侧，垃圾！") == normalise("3号楼东侧垃圾") == "3号楼东侧垃圾"
    assert normalise("ＡＢ１２ 井盖") == "ab12井盖"


def test_a_paraphrase_is_nearer_than_another_problem_of_the_class():
    first = "佳园里3号楼东侧垃圾袋堆在路边没人清运"
    again = "市民来电反映：三号楼东边有一大堆垃圾，好几天没人收"
    other = "华顺苑南门垃圾袋堆在路边没人清运"
    unrelated = "京津路与北仓道交口路灯晚上不亮"
    assert similarity(first, again) > similarity(first, unrelated)
    assert similarity(first, first) == pytest.approx(1.0)
    assert similarity(first, unrelated) < 0.1
    assert similarity(first, other) < similarity(first, first)


@pytest.mark.parametrize("empty", ["", "   ", "，。！", "\u200b"])
def test_no_words_is_unknown_not_different(empty):
    assert similarity("井盖丢了", empty) is None


@given(st.text(max_size=80), st.text(max_size=80))
def test_similarity_is_symmetric_and_bounded(a, b):
    s = similarity(a, b)
    assert s == similarity(b, a)
    assert s is None or 0.0 <= s <= 1.0


# --- the score ---------------------------------------------------------------------------------


EVIDENCE = st.builds(
    Evidence,
    metres=st.floats(0, 150),
    same_class=st.just(False),
    same_group=st.booleans(),
    hours=st.floats(0, 24 * 14),
    text=st.none() | st.floats(0, 1),
)


def like(e, **changes):
    fields = {
        "metres": e.metres,
        "same_class": e.same_class,
        "same_group": e.same_group,
        "hours": e.hours,
        "text": e.text,
    }
    return Evidence(**(fields | changes))


@given(EVIDENCE, st.floats(1, 100), st.floats(0.1, 48), st.floats(0.01, 1))
def test_the_score_falls_with_distance_and_time_and_rises_with_class_and_words(e, m, h, t):
    base = score(e)
    assert 0.0 <= base <= 1.0
    assert score(like(e, metres=e.metres + m)) <= base
    assert score(like(e, hours=e.hours + h)) <= base
    # Same minor class > same group > same major class only.
    group = score(like(e, same_group=True))
    assert score(like(e, same_group=True, same_class=True)) >= group >= base
    if e.text is not None:
        assert score(like(e, text=min(1.0, e.text + t))) >= base


def test_a_second_report_of_the_same_problem_scores_high_and_a_look_alike_low():
    at = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
    first = Report(117.1, 39.2, "A0102", "A", at, "佳园里3号楼东侧垃圾袋堆在路边没人清运")
    lon, lat = east((117.1, 39.2), 15)
    again = Report(lon, lat, "A0102", "A", at + dt.timedelta(hours=1), "3号楼东边垃圾好几天没人收")
    lon, lat = east((117.1, 39.2), 110)
    other = Report(
        lon, lat, "A0104", "A", at + dt.timedelta(days=3), "京津路288号附近塑料袋到处都是"
    )
    threshold = duplicates.threshold()
    assert score(evidence(again, first)) >= threshold > score(evidence(other, first))
    # Without the earlier case's words (a hint to a reporter who may not read them) the place,
    # class and time still make it likely.
    assert score(evidence(again, first, read_text=False)) >= threshold


def test_the_model_says_what_each_input_does():
    # Signs the fit must keep for the score to mean what docs/architecture.md says.
    assert MODEL.per_100m < 0 and MODEL.log_hours < 0
    assert MODEL.same_group > 0 and MODEL.same_class >= 0 and MODEL.text > 0


# --- the API before sending ---------------------------------------------------------------------


@pytest.fixture
def reported(world):
    """An open rubbish case by the grid worker, described, an hour before now."""
    case = report(world, description="佳园里3号楼东侧垃圾袋堆在路边没人清运", address="3号楼")
    advance(hours=1)
    return case


def test_a_resident_near_an_open_case_is_told_class_place_hour_and_state_only(world, reported):
    client = token_client(world.people.resident)
    near = east(world.point, 30)
    response = check(client, lon=near[0], lat=near[1], class_code="A0102", text="三号楼垃圾")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["threshold"] == duplicates.threshold()
    [hint] = body["candidates"]
    assert hint["class_code"] == "A0102" and hint["state"] == "reported" and hint["open"]
    assert hint["place"] == "果园新村街道 第1社区"
    assert hint["number"] is None and hint["url"] is None and hint["description"] is None
    assert hint["distance_m"] == 50  # 30 m, in the hint's 50 m steps
    at = dt.datetime.fromisoformat(hint["reported_at"])
    assert at.utcoffset() == dt.timedelta(hours=8) and (at.minute, at.second) == (0, 0)
    assert {r["code"] for r in hint["reasons"]} == {"same_class", "distance", "time"}
    text = str(body)
    for secret in ("佳园里", "3号楼", reported.number, "worker", "13812345678"):
        assert secret not in text


def test_the_hint_never_reads_the_words_of_a_case_the_reporter_may_not_see(world, reported):
    client = token_client(world.people.resident)
    near = east(world.point, 30)
    scores = {
        check(client, lon=near[0], lat=near[1], class_code="A0102", text=text).json()["candidates"][
            0
        ]["score"]
        for text in ("", "佳园里3号楼东侧垃圾袋堆在路边没人清运", "完全不同的话")
    }
    assert len(scores) == 1


def test_the_hints_score_does_not_tell_the_distance_the_50_m_steps_hide(world, reported):
    # The model's coefficients are public: a score to three places would give the exact metres
    # back (two points 10 m apart differ by per_100m / 10 in the logit). For a case the
    # reporter may not see the score is of what the hint shows: the same from points in one
    # 50 m step, and as the model scores the step's middle.
    client = token_client(world.people.resident)
    answers = []
    for metres in (12, 20, 28, 36):
        near = east(world.point, metres)
        [hint] = check(client, lon=near[0], lat=near[1], class_code="A0102").json()["candidates"]
        answers.append((hint["distance_m"], hint["score"]))
    assert {a for a in answers} == {(50, answers[0][1])}
    hours = (clock.now() - reported.reported_at.replace(minute=0, second=0)).total_seconds()
    middle = Evidence(25, True, True, hours / 3600 - 0.5, None)
    assert answers[0][1] == round(score(middle), 3)
    # Who may see the case gets the score as it is.
    worker = token_client(world.people.worker)
    near = east(world.point, 12)
    full = check(worker, lon=near[0], lat=near[1], class_code="A0102").json()["candidates"][0]
    assert full["number"] == reported.number and full["score"] != round(full["score"], 1)


def test_the_grid_worker_sees_the_case_in_full(world, reported):
    client = token_client(world.people.worker2)  # another grid of the same street: not visible
    near = east(world.point, 30)
    hint = check(client, lon=near[0], lat=near[1], class_code="A0102").json()["candidates"][0]
    assert hint["number"] is None
    client = token_client(world.people.worker)
    found = check(
        client, lon=near[0], lat=near[1], class_code="A0102", text="3号楼东侧垃圾没人清运"
    ).json()["candidates"][0]
    assert found["number"] == reported.number
    assert found["url"] == f"/cases/{reported.number}/"
    assert found["distance_m"] == 30
    assert found["description"].startswith("佳园里3号楼东侧")
    assert "text" in {r["code"] for r in found["reasons"]}


def test_private_classes_are_hinted_only_to_who_may_see_them(world):
    report(world, case_class=world.fight, description="某某家门口有人聚集")
    near = east(world.point, 10)
    fields = {"lon": near[0], "lat": near[1], "class_code": "E0101"}
    assert check(token_client(world.people.resident), **fields).json()["candidates"] == []
    [seen] = check(token_client(world.people.worker), **fields).json()["candidates"]
    assert seen["class_code"] == "E0101"


def test_only_nearby_same_major_open_or_lately_closed_cases_count(world):
    p = world.people
    case = report(world)
    far = east(world.point, 400)
    client = token_client(p.worker)
    assert check(client, lon=far[0], lat=far[1], class_code="A0102").json()["candidates"] == []
    assert (
        check(client, lon=world.point[0], lat=world.point[1], class_code="E0101").json()[
            "candidates"
        ]
        == []
    )

    # Another minor class counts less: of the same group (A01) more than of another (A02).
    def best(code):
        found = check(client, lon=world.point[0], lat=world.point[1], class_code=code).json()
        return found["candidates"][0] if found["candidates"] else None

    def why(candidate):
        return {r["code"] for r in candidate["reasons"]}

    same, sibling, other = best("A0102"), best("A0101"), best("A0201")
    assert same["score"] > sibling["score"] and "same_class" in why(same)
    assert "same_group" in why(sibling)
    assert other is None or (other["score"] < sibling["score"] and "same_major" in why(other))
    # Self-closed a moment ago: still hinted (closed, not open) for three days, then not.
    act(case, p.worker, "self_close", photos=[_photo()])
    [closed] = check(client, lon=world.point[0], lat=world.point[1], class_code="A0102").json()[
        "candidates"
    ]
    assert closed["state"] == "self_closed" and not closed["open"]
    advance(days=4)
    assert (
        check(client, lon=world.point[0], lat=world.point[1], class_code="A0102").json()[
            "candidates"
        ]
        == []
    )


def _photo():
    from support.cases import photo

    return photo()


def test_an_old_case_falls_out_of_the_window(world, settings):
    report(world)
    advance(days=settings.ONEGRID["DUPLICATE_WINDOW_DAYS"] + 1)
    client = token_client(world.people.worker)
    body = check(client, lon=world.point[0], lat=world.point[1], class_code="A0102").json()
    assert body["candidates"] == []


@pytest.mark.parametrize("bearing", ["north", "east"])
def test_a_case_just_inside_the_radius_is_scored(world, settings, bearing):
    # The database box around the point must hold the whole circle the distance is checked
    # against: a box cut at radius / 111,320 m a degree left out cases 149.83–150 m due north.
    settings.ONEGRID = {**settings.ONEGRID, "DUPLICATE_THRESHOLD": 1e-6}
    radius = settings.ONEGRID["DUPLICATE_RADIUS_M"]
    report(world)
    lon, lat = world.point
    step = math.degrees((radius - 0.1) / 6_371_000.0)
    if bearing == "north":
        lat += step
    else:
        lon += step / math.cos(math.radians(lat))
    [found] = check(token_client(world.people.worker), lon=lon, lat=lat, class_code="A0102").json()[
        "candidates"
    ]
    assert found["distance_m"] == round(radius)


def test_gcj02_and_standard_addresses_are_taken_as_the_report_api_takes_them(world):
    reported_case = report(world)
    client = token_client(world.people.worker)
    lon, lat = wgs84_to_gcj02(*world.point)
    body = check(client, lon=lon, lat=lat, crs="gcj02", class_code="A0102").json()
    assert body["candidates"][0]["number"] == reported_case.number
    assert body["candidates"][0]["distance_m"] <= 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lon": 117.105, "lat": 39.205}, "class_code"),
        ({"lon": 117.105, "lat": 39.205, "class_code": "Z9999"}, "class_code"),
        ({"lon": 117.105, "lat": 39.205, "class_code": "A0102\x00"}, "class_code"),
        ({"lon": 117.105, "lat": 39.205, "class_code": "A" * 5000}, "class_code"),
        ({"class_code": "A0102"}, "lon"),
        ({"lon": 200, "lat": 39.205, "class_code": "A0102"}, "lon"),
        ({"lon": 117.105, "lat": 95, "class_code": "A0102"}, "lat"),
        ({"lon": "１１７", "lat": 39.205, "class_code": "A0102"}, "lon"),
        ({"lon": "nan", "lat": 39.205, "class_code": "A0102"}, "lon"),
        ({"lon": 1e308, "lat": 39.205, "class_code": "A0102"}, "lon"),
        ({"lon": 117.105, "lat": 39.205, "crs": "bd09", "class_code": "A0102"}, "crs"),
        ({"lon": 120.0, "lat": 30.0, "class_code": "A0102"}, "lon"),  # outside the district
        ({"address_code": "no-such-address", "class_code": "A0102"}, "address_code"),
        ({"address_code": "A1\x00", "class_code": "A0102"}, "address_code"),
        ({"address_code": "A1\u202e", "class_code": "A0102"}, "address_code"),
        ({"lon": 117.105, "lat": 39.205, "class_code": "A0102", "text": "字" * 3000}, "text"),
        ({"lon": 117.105, "lat": 39.205, "class_code": "A0102", "text": 5}, "text"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(world, fields, field):
    response = check(token_client(world.people.worker), **fields)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["field"] == field, response.json()


def test_anonymous_and_non_reporting_callers_are_refused(world):
    from django.test import Client

    fields = {"lon": world.point[0], "lat": world.point[1], "class_code": "A0102"}
    assert check(Client(), **fields).status_code == 401
    response = check(token_client(world.people.city_handler), **fields)
    assert response.status_code == 403 and response.json()["field"] == "actor"


# --- the desk ----------------------------------------------------------------------------------


def test_the_desk_gets_older_open_cases_of_its_street_best_first(world):
    p = world.people
    older = report(world, description="3号楼东侧垃圾袋堆在路边没人清运")
    advance(minutes=40)
    lookalike = report(world, point=east(world.point, 90), description="幼儿园门口塑料袋到处都是")
    advance(minutes=20)
    newer = report(
        world, who=p.worker2, point=east(world.point, 12), description="三号楼东边垃圾没人收"
    )
    found = duplicates.for_case(p.acceptor, newer)
    assert [c.case.pk for c in found][:1] == [older.pk]
    assert all(c.visible and c.score >= duplicates.threshold() for c in found)
    assert lookalike.pk not in {c.case.pk for c in found} or found[-1].case.pk == lookalike.pk
    # Never a newer case, never across the street's boundary, never for a desk of another street.
    assert duplicates.for_case(p.acceptor, older) == [] or all(
        c.case.reported_at <= older.reported_at for c in duplicates.for_case(p.acceptor, older)
    )
    assert duplicates.for_case(p.other_acceptor, newer) == []
    # Once merged, the case is no longer offered anything; the older one gained a reporter.
    act(newer, p.acceptor, "merge", target=older.number)
    newer.refresh_from_db()
    assert newer.state == "merged" and duplicates.for_case(p.acceptor, newer) == []
    assert older.reporters.count() == 2


def test_the_console_asks_once_for_a_whole_page(world, django_assert_max_num_queries):
    p = world.people
    for i in range(10):
        report(world, point=east(world.point, 5 * i))
        advance(minutes=5)
    cases = list(Case.objects.select_related("case_class").order_by("reported_at"))
    with django_assert_max_num_queries(6):
        found = duplicates.for_many(p.acceptor, cases, limit=1)
    assert set(found) == {c.pk for c in cases[1:]}
    assert clock.now() > cases[-1].reported_at


def test_the_desk_api_gives_a_stored_cases_likely_duplicates(world):
    p = world.people
    older = report(world, description="3号楼东侧垃圾袋没人清运")
    advance(minutes=30)
    newer = report(world, who=p.worker2, point=east(world.point, 10), description="3号楼垃圾")
    url = f"/api/v1/smart/cases/{newer.number}/duplicates"
    body = token_client(p.acceptor).get(url).json()
    assert body["may_merge"] is True
    assert [c["number"] for c in body["candidates"]] == [older.number]
    assert body["candidates"][0]["description"].startswith("3号楼东侧")
    command = token_client(p.command).get(url).json()
    assert command["may_merge"] is False and command["candidates"][0]["number"] == older.number
    assert token_client(p.resident).get(url).status_code == 404
    assert token_client(p.acceptor).get("/api/v1/smart/cases/nope/duplicates").status_code == 404
