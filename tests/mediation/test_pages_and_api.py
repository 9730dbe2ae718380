"""The register's pages and API as people use them: the forms of the dispute page, the case
page's 转人民调解, the resident's application, the walk-in form, and odd input answered with a
translated 4xx naming the field (never a 500)."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.mediation.models import Dispute, MediationSession
from support.api import token_client
from support.cases import report
from support.mediation_world import FACTS, PARTIES, accepted, mediating, walk_in


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _party_form(prefix="p") -> dict[str, str]:
    return {
        "p0_side": "applicant",
        "p0_kind": "person",
        "p0_name": "王五",
        "p0_sex": "male",
        "p0_age": "60",
        "p0_phone": "13900003333",
        "p1_side": "respondent",
        "p1_kind": "organisation",
        "p1_name": "某物业公司",
        "p1_representative": "赵六",
    }


def test_the_mediator_walks_a_dispute_through_the_page(world, med):
    client = _client(med.mediator)
    response = client.post(
        "/mediation/new/",
        {
            "client_key": "page-1",
            "community": str(world.community.pk),
            "type": "property",
            "title": "物业费争议",
            "facts": "物业服务不到位，业主拒交物业费。",
            **_party_form(),
        },
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert [p.name for p in dispute.parties.order_by("pk")] == ["王五", "某物业公司"]
    url = f"/mediation/disputes/{dispute.pk}/"
    assert client.post(url + "accept/").status_code == 302
    assert (
        client.post(
            url + "assign/",
            {"mediators": [med.mediator.pk, med.mediator2.pk], "lead": med.mediator2.pk},
        ).status_code
        == 302
    )
    assert (
        client.post(
            url + "session/",
            {
                "client_key": "sess-1",
                "held_at": "2026-03-10T09:00",
                "place": "调解室",
                "notes": "笔录",
            },
        ).status_code
        == 302
    )
    assert MediationSession.objects.filter(dispute=dispute).count() == 1
    response = client.post(url + "fail/", {"reason": "", "referral": "arbitration"})
    assert response.status_code == 422
    assert 'data-field="reason"' in response.content.decode()
    assert (
        client.post(url + "fail/", {"reason": "双方分歧大", "referral": "arbitration"}).status_code
        == 302
    )
    assert client.post(url + "close/").status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.CLOSED and dispute.referral == "arbitration"
    page = client.get(url).content.decode()
    assert "双方分歧大" in page and "某物业公司" in page


def test_street_desks_get_no_forms_and_cannot_post(world, med):
    dispute = accepted(world, med)
    client = _client(world.people.acceptor)
    page = client.get(f"/mediation/disputes/{dispute.pk}/").content.decode()
    assert 'id="mediator-forms"' not in page
    response = client.post(f"/mediation/disputes/{dispute.pk}/decline/", {"reason": "x"})
    assert response.status_code == 403
    _ = response.content.decode()
    assert FACTS not in response.content.decode()


def test_the_case_page_refers_to_mediation(world, med):
    case = report(world, case_class=world.fight, description="邻里噪音纠纷")
    acceptor = _client(world.people.acceptor)
    page = acceptor.get(f"/cases/{case.number}/").content.decode()
    assert 'id="refer-mediation"' in page
    response = acceptor.post(
        f"/cases/{case.number}/mediation/",
        {"client_key": "case-1", "type": "neighbour", **_party_form()},
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get(case=case)
    assert dispute.facts == "邻里噪音纠纷"
    page = acceptor.get(f"/cases/{case.number}/").content.decode()
    assert dispute.number in page and 'id="refer-mediation"' not in page
    # The grid worker sees the case but may not refer it.
    worker_page = _client(world.people.worker).get(f"/cases/{case.number}/").content.decode()
    assert 'id="refer-mediation"' not in worker_page


def test_a_resident_applies_and_withdraws(world, med):
    client = _client(world.people.resident)
    response = client.post(
        "/resident/mediation/",
        {
            "client_key": "res-1",
            "community": str(world.community.pk),
            "type": "family",
            "title": "赡养",
            "facts": "子女不赡养老人",
            **_party_form(),
        },
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.source == Dispute.Source.RESIDENT
    page = client.get("/resident/mediation/").content.decode()
    assert dispute.number in page
    # The reason is required.
    response = client.post("/resident/mediation/", {"withdraw": str(dispute.pk)})
    assert response.status_code == 422
    assert 'data-field="reason"' in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.REGISTERED
    response = client.post("/resident/mediation/", {"withdraw": str(dispute.pk), "reason": "和好"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.WITHDRAWN
    assert dispute.withdrawal_reason == "和好"
    response = client.post("/resident/mediation/", {"withdraw": "١"})
    assert response.status_code == 404


def test_the_api_flow_and_replays(world, med):
    api = token_client(med.mediator)
    body = {
        "community_id": world.community.pk,
        "type": "neighbour",
        "title": "噪音",
        "facts": FACTS,
        "parties": PARTIES,
        "idempotency_key": "api-1",
    }
    first = api.post("/api/v1/mediation/disputes", body, content_type="application/json")
    assert first.status_code == 201
    again = api.post("/api/v1/mediation/disputes", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    pk = first.json()["id"]
    accept = api.post(f"/api/v1/mediation/disputes/{pk}/accept")
    assert accept.status_code == 200 and accept.json()["state"] == "accepted"
    assign = api.post(
        f"/api/v1/mediation/disputes/{pk}/mediators",
        {"mediators": [med.mediator.pk], "lead": med.mediator.pk},
        content_type="application/json",
    )
    assert assign.json()["mediators"] == [
        {"user_id": med.mediator.pk, "name": "mediator", "lead": True, "chosen_by_parties": False}
    ]
    session = {
        "held_at": "2026-03-10T09:00:00+08:00",
        "place": "调解室",
        "notes": "笔录",
        "idempotency_key": "api-s1",
    }
    s1 = api.post(
        f"/api/v1/mediation/disputes/{pk}/sessions", session, content_type="application/json"
    )
    s2 = api.post(
        f"/api/v1/mediation/disputes/{pk}/sessions", session, content_type="application/json"
    )
    assert (s1.status_code, s2.status_code) == (201, 200) and s1.json()["id"] == s2.json()["id"]
    extend = api.post(
        f"/api/v1/mediation/disputes/{pk}/extend",
        {"reason": "需要鉴定"},
        content_type="application/json",
    )
    assert extend.status_code == 200 and extend.json()["extended"] is True
    again = api.post(
        f"/api/v1/mediation/disputes/{pk}/extend",
        {"reason": "再延一次"},
        content_type="application/json",
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"facts": "a\x00b"}, "facts"),
        ({"title": ""}, "title"),
        ({"type": "x" * 500}, "type"),
        ({"community_id": 10**30}, "community_id"),
        ({"community_id": -1}, "community_id"),
        ({"parties": [{"name": "甲", "age": 10**20}]}, "parties[0].age"),
        ({"parties": []}, "parties"),
        ({"idempotency_key": "\x07"}, "idempotency_key"),
        ({"source": "court"}, "source"),
    ],
)
def test_odd_api_input_is_a_4xx_naming_the_field(world, med, change, field):
    api = token_client(med.mediator, language="zh-hans")
    body = {
        "community_id": world.community.pk,
        "type": "neighbour",
        "title": "噪音",
        "facts": FACTS,
        "parties": PARTIES,
        "idempotency_key": "odd-1",
        **change,
    }
    response = api.post("/api/v1/mediation/disputes", body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content
    data = response.json()
    assert field in (data.get("field") or "") or any(
        field in (e.get("field") or "") for e in data.get("errors", [])
    ), data
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("ref", ["٣", "1" * 40, "0", "-1", "abc", "%00"])
def test_odd_dispute_ids_are_404(world, med, ref):
    walk_in(world, med)
    assert token_client(med.mediator).get(f"/api/v1/mediation/disputes/{ref}").status_code == 404
    assert _client(med.mediator).get(f"/mediation/disputes/{ref}/").status_code == 404


def test_errors_are_translated(world, med):
    dispute = mediating(world, med)
    api = token_client(med.mediator, language="zh-hans")
    response = api.post(
        f"/api/v1/mediation/disputes/{dispute.pk}/fail",
        {"reason": "x", "referral": "nowhere"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "referral"
    assert response.json()["message"] != "Not one of the choices."


def test_committees_are_kept_by_the_judicial_office_and_administrators(world, med):
    body = {"name": "第2社区人民调解委员会", "phone": "022-1234"}
    other = med.other_community
    url = f"/api/v1/mediation/committees/{world.street.pk}"
    assert (
        token_client(med.mediator).put(url, body, content_type="application/json").status_code
        == 403
    )
    assert (
        token_client(med.other_judicial).put(url, body, content_type="application/json").status_code
        == 403
    )
    response = token_client(med.judicial).put(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["phone"] == "022-1234"
    response = token_client(med.admin).put(
        f"/api/v1/mediation/committees/{other.pk}",
        {"name": "新名"},
        content_type="application/json",
    )
    assert response.status_code == 200
    district = token_client(med.admin).put(
        f"/api/v1/mediation/committees/{world.district.pk}", body, content_type="application/json"
    )
    assert district.status_code == 422 and district.json()["field"] == "unit"
    names = [
        c["name"]
        for c in token_client(world.people.worker).get("/api/v1/mediation/committees").json()
    ]
    assert "新名" in names and "第2社区人民调解委员会" in names


@pytest.mark.parametrize(
    "query", ["number=%00", "state=a%00", "type=%E2%80%A8", "page=%00", "page=99999999999999999999"]
)
def test_odd_register_filters_are_no_500(world, med, query):
    walk_in(world, med)
    page = _client(med.mediator).get(f"/mediation/?{query}")
    api = token_client(med.mediator).get(f"/api/v1/mediation/disputes?{query}")
    assert page.status_code == 200 and api.status_code in (200, 422)
