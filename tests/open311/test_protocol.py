"""Every Open311 answer, in both formats, validated against the GeoReport v2 schemas."""

from __future__ import annotations

import pytest

from onegrid.cases.models import Case, CaseEvent
from onegrid.cases.states import State
from onegrid.open311.models import ClientRequest
from support.cases import photo

from .conftest import checked, errors_of, request_form

BASE = "/open311/v2"


def post(client, key, fmt="json", **extra):
    return client.post(f"{BASE}/requests.{fmt}", request_form(key, **extra))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery(client, open311, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    body = checked(response, "discovery")
    if fmt == "json":
        endpoint = body["endpoints"][0]
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    else:
        assert body.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"
        assert [f.text for f in body.findall("endpoints/endpoint/formats/format")] == [
            "text/xml",
            "application/json",
        ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_come_from_the_catalogue(client, open311, fmt):
    response = client.get(f"{BASE}/services.{fmt}")
    body = checked(response, "services")
    if fmt == "xml":
        body = [{child.tag: child.text or "" for child in s} for s in body]
    by_code = {s["service_code"]: s for s in body}
    assert set(by_code) == {"A0101", "A0102", "A0201", "E0101"}
    assert by_code["A0102"]["service_name"] == "暴露垃圾"
    assert by_code["A0102"]["group"] == "城市管理"
    assert by_code["E0101"]["group"] == "社会治安"
    metadata = by_code["A0102"]["metadata"]
    assert metadata in (True, "true")
    assert by_code["A0101"]["metadata"] in (False, "false")
    assert by_code["A0102"]["type"] == "realtime"


def test_an_inactive_class_is_no_service(client, open311):
    open311.world.building.active = False
    open311.world.building.save()
    codes = [s["service_code"] for s in checked(client.get(f"{BASE}/services.json"), "services")]
    assert "A0101" not in codes
    errors_of(client.get(f"{BASE}/services/A0101.json"), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition(client, open311, fmt):
    body = checked(client.get(f"{BASE}/services/A0102.{fmt}"), "service_definition")
    if fmt == "json":
        codes = [a["code"] for a in body["attributes"]]
        amount = body["attributes"][0]
        assert amount["values"] == [{"key": "bag", "name": "一袋"}, {"key": "pile", "name": "一堆"}]
        assert amount["required"] is True
        assert body["attributes"][6]["variable"] is False
    else:
        codes = [a.findtext("code") for a in body.findall("attributes/attribute")]
        assert [v.findtext("key") for v in body.findall("attributes/attribute/values/value")][
            :2
        ] == ["bag", "pile"]
    assert codes == ["amount", "kinds", "bags", "seen", "note", "more", "notice"]
    empty = checked(client.get(f"{BASE}/services/A0101.{fmt}"), "service_definition")
    assert (empty["attributes"] if fmt == "json" else empty.findall("attributes/attribute")) == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_a_404_in_the_spec_format(client, open311, fmt):
    (description,) = errors_of(client.get(f"{BASE}/services/Z9999.{fmt}"), 404)
    assert "service_code" in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_a_request_then_read_it_by_id_and_token(client, open311, fmt):
    response = post(
        client,
        open311.key,
        fmt,
        email="ming@example.com",
        first_name="明",
        last_name="李",
        phone="13900001111",
        **{"attribute[kinds]": "food", "attribute[bags]": "3"},
    )
    assert response.status_code == 201, response.content
    body = checked(response, "post_response")
    if fmt == "xml":
        body = [{c.tag: c.text or "" for c in r} for r in body]
    number, token = body[0]["service_request_id"], body[0]["token"]
    case = Case.objects.get(number=number)
    assert case.tracking_code == token
    assert case.source == "open311"
    assert case.reporter is None
    report = CaseEvent.objects.get(case=case, action="report")
    assert report.data["attributes"] == {"amount": "pile", "kinds": "food", "bags": "3"}
    kept = ClientRequest.objects.get(case=case)
    assert (kept.client, kept.email, kept.first_name) == (open311.client, "ming@example.com", "明")

    # A report no desk has accepted is not public: only its own client reads it.
    errors_of(client.get(f"{BASE}/requests/{number}.{fmt}"), 404)
    mine = {"api_key": open311.key}
    detail = client.get(f"{BASE}/requests/{number}.{fmt}", mine)
    found = checked(detail, "requests")
    if fmt == "json":
        (one,) = found
        assert one["service_request_id"] == number
        assert (one["status"], one["extended_status"]) == ("open", State.REPORTED)
        assert one["service_code"] == "A0102"
    else:
        assert found.findtext("request/service_request_id") == number
        assert found.findtext("request/status") == "open"
    # Nothing personal in any read answer: not the name, phone or e-mail sent.
    listing = client.get(f"{BASE}/requests.{fmt}", mine).content.decode()
    for text in (detail.content.decode(), listing):
        for secret in ("ming@example.com", "13900001111", "李", "明"):
            assert secret not in text

    by_token = checked(client.get(f"{BASE}/tokens/{token}.{fmt}"), "tokens")
    if fmt == "json":
        assert by_token == [{"service_request_id": number, "token": token}]
    else:
        assert by_token.findtext("request/service_request_id") == number
    # Read the Crockford way: lower case, hyphens.
    lowered = token.lower()[:5] + "-" + token.lower()[5:]
    assert checked(client.get(f"{BASE}/tokens/{lowered}.json"), "tokens")[0]["token"] == token


def test_a_blind_retry_returns_the_first_case(client, open311):
    first = checked(post(client, open311.key), "post_response")
    again = post(client, open311.key)
    assert again.status_code == 200
    assert checked(again, "post_response")[0] == first[0]
    assert Case.objects.count() == 1
    # With the client's own key, a different key is a different request.
    other = client.post(
        f"{BASE}/requests.json", request_form(open311.key), HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert other.status_code == 201
    assert Case.objects.count() == 2


def test_media_upload_is_stored_as_the_case_photo(client, open311):
    response = client.post(
        f"{BASE}/requests.json",
        {**request_form(open311.key), "media": photo(), "media_url": "https://x.example/a.jpg"},
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=checked(response, "post_response")[0]["service_request_id"])
    assert case.photos.count() == 1
    assert ClientRequest.objects.get(case=case).media_url == "https://x.example/a.jpg"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_requests_filters_and_pages(client, open311, fmt):
    import datetime as dt

    from onegrid.core import clock
    from support.world import MONDAY_MORNING

    numbers = []
    for i in range(5):
        clock.set_now(MONDAY_MORNING + dt.timedelta(hours=i))
        code = "A0101" if i == 4 else "A0102"
        extra = {"service_code": code, "attribute[amount]": None} if code == "A0101" else {}
        response = post(client, open311.key, description=f"第{i}处", **extra)
        numbers.append(checked(response, "post_response")[0]["service_request_id"])

    def ids(**params):
        mine = {"api_key": open311.key}
        body = checked(client.get(f"{BASE}/requests.{fmt}", {**params, **mine}), "requests")
        if fmt == "json":
            return [r["service_request_id"] for r in body]
        return [r.findtext("service_request_id") for r in body]

    assert ids() == numbers[::-1]
    assert ids(service_code="A0101") == [numbers[4]]
    assert ids(service_code="A0101,A0102") == numbers[::-1]
    assert ids(page_size="2") == [numbers[4], numbers[3]]
    assert ids(page_size="2", page="3") == [numbers[0]]
    assert ids(page_size="2", page="4") == []
    assert ids(service_request_id=f"{numbers[1]},{numbers[2]}") == [numbers[2], numbers[1]]
    assert ids(start_date="2026-03-10T11:00:00+08:00") == [numbers[4], numbers[3], numbers[2]]
    assert ids(end_date="2026-03-10T10:30:00+08:00") == [numbers[1], numbers[0]]
    assert ids(end_date="2026-03-10T01:30:00Z") == [numbers[0]]
    assert ids(status="closed") == []
    assert ids(status="open") == numbers[::-1]
    Case.objects.filter(number=numbers[0]).update(state=State.CLOSED)
    assert ids(status="closed") == [numbers[0]]
    assert ids(status="open,closed") == numbers[::-1]


def test_non_public_classes_are_not_listed_but_their_own_client_sees_them(client, open311):
    number = checked(post(client, open311.key), "post_response")[0]["service_request_id"]
    open311.world.rubbish.public = False
    open311.world.rubbish.save()
    assert checked(client.get(f"{BASE}/requests.json"), "requests") == []
    errors_of(client.get(f"{BASE}/requests/{number}.json"), 404)
    own = client.get(f"{BASE}/requests/{number}.json", {"api_key": open311.key})
    assert checked(own, "requests")[0]["service_request_id"] == number
    other = client.get(f"{BASE}/requests/{number}.json", {"api_key": open311.street_key})
    errors_of(other, 404)


def test_the_location_is_coarsened_and_personal_numbers_masked(client, open311):
    post(
        client,
        open311.key,
        long="117.10537",
        lat="39.20549",
        description="电话13912345678，身份证12010119900101123X，座机022-26881234",
    )
    (one,) = checked(client.get(f"{BASE}/requests.json", {"api_key": open311.key}), "requests")
    assert (one["long"], one["lat"]) == (117.105, 39.205)
    assert "13912345678" not in one["description"]
    assert "12010119900101123X" not in one["description"]
    assert "26881234" not in one["description"]
    assert one["description"].count("***") == 3
    assert one["address"] == "果园新村街道第1社区"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_updates_follow_the_workflow(client, open311, fmt):
    from onegrid.cases import services as case_services
    from support.cases import new_key

    number = checked(post(client, open311.key), "post_response")[0]["service_request_id"]
    case = Case.objects.get(number=number)
    people = open311.world.people
    events = []
    for actor, action in [(people.acceptor, "reject")]:
        case_services.perform_action(
            actor=actor,
            case_id=case.id,
            action=action,
            reason="不属于受理范围",
            idempotency_key=new_key(),
        )
        events.append(action)
    response = client.get(
        f"{BASE}/servicerequestupdates.{fmt}",
        {
            "start_date": "2026-03-10T00:00:00+08:00",
            "end_date": "2026-03-11T00:00:00+08:00",
            "api_key": open311.key,
        },
    )
    body = checked(response, "updates")
    if fmt == "xml":
        body = [{c.tag: c.text or "" for c in u} for u in body]
    assert [u["service_request_id"] for u in body] == [number, number]
    assert [u["status"] for u in body] == ["OPEN", "NO_FURTHER_ACTION"]
    assert [u["external_status_code"] for u in body] == ["reported", "rejected"]
    # Staff's own reason stays inside; the update tells the state in plain words.
    assert "不属于受理范围" not in response.content.decode()
    ids = [u["update_id"] for u in body]
    assert len(set(ids)) == 2
    later = client.get(
        f"{BASE}/servicerequestupdates.{fmt}",
        {"start_date": "2026-03-11T00:00:00+08:00", "api_key": open311.key},
    )
    assert (checked(later, "updates") if fmt == "json" else list(checked(later, "updates"))) == []
