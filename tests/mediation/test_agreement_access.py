"""Who reads and records the mediation agreement, role × page and role × endpoint: the PDF
download on the dispute page and in the API, the agreement API, the forms on the dispute page;
each read logged once (PersonalDataRead, MEDIATION); the legal basis where staff act."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.mediation import agreements
from onegrid.mediation.models import Agreement, Dispute, JudicialConfirmation
from onegrid.org.models import PersonalDataRead, User
from support.agreement_rows import AGREEMENT, mediation_rows
from support.api import token_client
from support.people import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    rows = mediation_rows(world)
    rows.district_judicial = person("district_judicial", "judicial_office", unit=world.district)
    rows.root = User.objects.create_superuser("root", password="pw-root")
    return rows


def _agree(rows, **changes) -> Agreement:
    return agreements.record_agreement(
        actor=rows.mediator, dispute=rows.dispute, **{**AGREEMENT, **changes}
    ).agreement


def _who(rows, world) -> dict[str, User]:
    return {
        "mediator": rows.mediator,
        "judicial": rows.judicial,
        "district_judicial": rows.district_judicial,
        "other_mediator": rows.other_mediator,
        "acceptor": world.people.acceptor,
        "leader": world.people.leader,
        "command": world.people.command,
        "worker": world.people.worker,
        "resident": world.people.resident,
        "root": rows.root,
    }


# Mediators of the committee and the judicial office over it read; a street desk finds the
# register line but not the content (403); the others have no mediation page at all (403) or
# do not find the dispute (404). A superuser holds no mediation role: the door opens to them
# (as every page) but the register holds nothing for them.
PDF_PAGE = {
    "mediator": 200,
    "judicial": 200,
    "district_judicial": 200,
    "other_mediator": 404,
    "acceptor": 403,
    "leader": 403,
    "command": 403,
    "worker": 403,
    "resident": 403,
    "root": 404,
}


@pytest.mark.parametrize(("who", "status"), sorted(PDF_PAGE.items()))
def test_the_pdf_download_page(rows, world, who, status):
    _agree(rows)
    client = Client()
    client.force_login(_who(rows, world)[who])
    url = f"/mediation/disputes/{rows.dispute.pk}/agreement.pdf"
    response = client.get(url)
    assert response.status_code == status
    reads = PersonalDataRead.objects.filter(kind=PersonalDataRead.Kind.MEDIATION, path=url)
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response).startswith(b"%PDF")
        # One insert: the dispute and the two parties it names.
        assert sorted(reads.values_list("subject_id", flat=True)) == sorted(
            [f"dispute:{rows.dispute.pk}"] + [f"party:{p.pk}" for p in rows.dispute.parties.all()]
        )
        assert {r.channel for r in reads} == {"download"}
        assert len({r.at for r in reads}) == 1
    else:
        assert not reads.exists()


def test_anonymous_is_sent_to_sign_in_and_no_agreement_is_a_404(rows, world):
    url = f"/mediation/disputes/{rows.dispute.pk}/agreement.pdf"
    response = Client().get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client = Client()
    client.force_login(rows.mediator)
    assert client.get(url).status_code == 404  # nothing agreed yet
    assert client.get("/mediation/disputes/９/agreement.pdf").status_code == 404


API = {
    "mediator": 200,
    "judicial": 200,
    "district_judicial": 200,
    "other_mediator": 404,
    "acceptor": 403,
    "leader": 403,
    "resident": 403,
    "root": 404,
}


@pytest.mark.parametrize(("who", "status"), sorted(API.items()))
def test_the_agreement_api(rows, world, who, status):
    _agree(rows)
    client = token_client(_who(rows, world)[who])
    base = f"/api/v1/mediation/disputes/{rows.dispute.pk}/agreement"
    response = client.get(base)
    assert response.status_code == status, response.content
    pdf = client.get(base + ".pdf")
    assert pdf.status_code == status
    if status == 200:
        body = response.json()
        assert body["number"] == "（2026）120113001001调字第1号"
        assert body["confirmation_deadline"] == "2026-04-09"
        assert body["confirmation_open"] is True
        assert body["legal_basis"]["law"] == "《中华人民共和国民法典》"
        assert pdf["Content-Type"] == "application/pdf"
        assert PersonalDataRead.objects.filter(
            kind=PersonalDataRead.Kind.MEDIATION, path=base, channel="api"
        ).exists()


def test_recording_through_the_api(rows, world):
    base = f"/api/v1/mediation/disputes/{rows.dispute.pk}/agreement"
    payload = {**AGREEMENT, "copies": 4}
    refused = token_client(rows.judicial).post(base, payload, content_type="application/json")
    assert refused.status_code == 403
    client = token_client(rows.mediator)
    odd = client.post(
        base, {**payload, "effective_on": "2026-03-31"}, content_type="application/json"
    )
    assert odd.status_code == 422 and odd.json()["field"] == "effective_on"
    made = client.post(base, payload, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["copies"] == 4
    again = client.post(base, payload, content_type="application/json")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert Dispute.objects.get(pk=rows.dispute.pk).state == Dispute.State.AGREED
    late = token_client(rows.judicial).post(
        base + "/confirmation",
        {"court": "天津市北辰区人民法院", "applied_on": "2026-03-10"},
        content_type="application/json",
    )
    assert late.status_code == 201, late.content
    assert late.json()["confirmation"]["state"] == "applied"
    ruled = token_client(rows.judicial).post(
        base + "/ruling",
        {"confirmed": False, "ruled_on": "2026-03-10", "ruling_number": ""},
        content_type="application/json",
    )
    assert ruled.status_code == 200
    assert ruled.json()["confirmation"]["state"] == JudicialConfirmation.State.REFUSED
    types = client.get("/api/v1/mediation/types").json()
    labour = next(t for t in types if t["code"] == "labour")
    assert labour["legal_basis"]["law"] == "《中华人民共和国劳动争议调解仲裁法》"


def test_the_window_closed_is_a_translated_422_naming_applied_on(rows, world):
    import datetime as dt

    from onegrid.core import clock

    _agree(rows)
    base = f"/api/v1/mediation/disputes/{rows.dispute.pk}/agreement/confirmation"
    later = dt.datetime(2026, 4, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    clock.set_now(later)
    response = token_client(rows.mediator, language="zh-hans").post(
        base,
        {"court": "天津市北辰区人民法院", "applied_on": "2026-04-10"},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "applied_on"
    assert "2026-04-09" in body["message"] and "届满" in body["message"]


def test_the_dispute_page_shows_the_agreement_as_text_and_records_it(rows, world):
    client = Client()
    client.force_login(rows.mediator)
    url = f"/mediation/disputes/{rows.dispute.pk}/"
    page = client.get(url).content.decode()
    assert 'id="agreement-form"' in page
    assert "《中华人民共和国民法典》" in page  # the type's legal basis
    form = {**AGREEMENT, "terms": "<script>alert(1)</script>"}
    bad = client.post(url + "agreement/agreement/", {**form, "effective_on": "2027-01-01"})
    assert bad.status_code == 422
    assert 'data-field="effective_on"' in bad.content.decode()
    done = client.post(url + "agreement/agreement/", form)
    assert done.status_code == 302
    page = client.get(url).content.decode()
    assert "（2026）120113001001调字第1号" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert f"/mediation/disputes/{rows.dispute.pk}/agreement.pdf" in page
    assert 'id="confirmation-form"' in page
    applied = client.post(
        url + "agreement/confirmation/", {"court": "北辰区法院", "applied_on": "2026-03-10"}
    )
    assert applied.status_code == 302
    assert 'id="ruling-form"' in client.get(url).content.decode()
    # A street desk finds the line and nothing of the agreement.
    desk = Client()
    desk.force_login(world.people.acceptor)
    line = desk.get(url).content.decode()
    assert "调字第" not in line and "agreement-form" not in line
    assert desk.post(url + "agreement/confirmation/", {}).status_code == 403


def test_the_case_page_shows_its_class_legal_basis(world):
    from onegrid.cases.models import CaseClass
    from support.cases import report

    CaseClass.objects.filter(pk=world.building.pk).update(
        legal_basis_law="《中华人民共和国城乡规划法》", legal_basis_article="第六十四条"
    )
    case = report(world, case_class=world.building)
    client = Client()
    client.force_login(world.people.acceptor)
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert "《中华人民共和国城乡规划法》 第六十四条" in page


APPLY = {
    "mediator": 201,
    "judicial": 201,
    "district_judicial": 201,
    "other_mediator": 404,
    "acceptor": 403,
    "leader": 403,
    "resident": 403,
    "root": 404,
}


@pytest.mark.parametrize(("who", "status"), sorted(APPLY.items()))
def test_who_records_the_application_for_judicial_confirmation(rows, world, who, status):
    _agree(rows)
    response = token_client(_who(rows, world)[who]).post(
        f"/api/v1/mediation/disputes/{rows.dispute.pk}/agreement/confirmation",
        {"court": "天津市北辰区人民法院", "applied_on": "2026-03-10"},
        content_type="application/json",
    )
    assert response.status_code == status, response.content
    assert JudicialConfirmation.objects.exists() == (status == 201)
