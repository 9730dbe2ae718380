"""The service-centre and 双报到 pages and API: every role against every new page and endpoint,
the writes through them, and odd input answered with a 4xx that changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.cases.models import Case
from onegrid.org.models import PersonalDataRead, Role
from onegrid.party import report_ins
from onegrid.party.models import Inspection, ReportIn
from support.api import token_client
from support.cases import photo
from support.party_rows import holder, party_rows

# Who opens the centres' pages and reads their API (PAGE_ROLES["centres"]).
CENTRE_READERS = {
    Role.PARTY_STAFF,
    Role.LEADER,
    Role.COMMAND_CENTRE,
    Role.SUPERVISOR,
    Role.ADMIN,
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
}
# Who opens the 双报到 page (PAGE_ROLES["report_ins"]) and the member's own page.
REPORT_IN_STAFF = {Role.PARTY_STAFF}
RESIDENT_PORTAL = {Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER}


@pytest.fixture
def rows(world, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return party_rows(world)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_new_page(world, rows, role):
    client = _signed_in(holder(world, role))
    centre = rows.centre.pk
    expected = {
        "/party/centres/": 200 if role in CENTRE_READERS else 403,
        "/party/centres/checklist/": 200 if role in CENTRE_READERS else 403,
        f"/party/centres/{centre}/": 200 if role in CENTRE_READERS else 403,
        # The inspection form: Party staff of the place or above; other readers find nothing.
        f"/party/centres/{centre}/inspect/": (
            200 if role == Role.PARTY_STAFF else 404 if role in CENTRE_READERS else 403
        ),
        "/party/report-ins/": 200 if role in REPORT_IN_STAFF else 403,
        "/resident/report-in/": 200 if role in RESIDENT_PORTAL else 403,
    }
    for url, status in expected.items():
        assert client.get(url).status_code == status, (role, url)


def test_signed_out_pages_redirect_to_sign_in(world, rows):
    for url in ("/party/centres/", "/party/report-ins/", "/resident/report-in/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_new_read_endpoint(world, rows, role):
    client = token_client(holder(world, role))
    readers = {
        "/api/v1/party/centres": CENTRE_READERS,
        "/api/v1/party/centres/checklist": CENTRE_READERS,
        f"/api/v1/party/centres/{rows.centre.pk}": CENTRE_READERS,
        "/api/v1/party/report-ins": REPORT_IN_STAFF,
    }
    for url, allowed in readers.items():
        status = client.get(url).status_code
        assert status == (200 if role in allowed else 403), (role, url, status)


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_new_write_endpoint(world, rows, role):
    user = holder(world, role)
    client = token_client(user)
    item = {"category": "staff", "text": "专职人员", "max_score": 10}
    added = client.post("/api/v1/party/centres/checklist", item, content_type="application/json")
    # Administrators and the district's Party staff configure the checklist.
    assert added.status_code == (201 if role in {Role.ADMIN, Role.PARTY_STAFF} else 403), role
    scores = {str(i.pk): i.max_score for i in rows.checklist[:2]}
    if added.status_code == 201:
        scores[str(added.json()["id"])] = 10
    inspected = client.post(
        f"/api/v1/party/centres/{rows.centre.pk}/inspections",
        {"idempotency_key": f"k-{role}", "scores": scores},
        content_type="application/json",
    )
    assert inspected.status_code == (201 if role == Role.PARTY_STAFF else 403), role
    registered = client.post(
        "/api/v1/party/centres",
        {"unit_code": world.street.code, "name": "街道中心", "lon": 117.1, "lat": 39.2},
        content_type="application/json",
    )
    assert registered.status_code == (201 if role == Role.PARTY_STAFF else 403), role
    pending = report_ins.report_in_unit(
        actor=rows.secretary, organisation=rows.firm, idempotency_key=f"u-{role}"
    ).report_in
    confirmed = client.post(f"/api/v1/party/report-ins/{pending.pk}/confirm")
    assert confirmed.status_code == (200 if role == Role.PARTY_STAFF else 403), role
    on_behalf = client.post(
        f"/api/v1/party/members/{rows.employed.pk}/report-in",
        {"idempotency_key": "m"},
        content_type="application/json",
    )
    # Whom the caller has no say over is not found (not even that the member exists).
    assert on_behalf.status_code == (201 if role == Role.PARTY_STAFF else 404), role


def test_signed_out_endpoints_answer_401(world, rows):
    client = Client()
    assert client.get("/api/v1/party/centres").status_code == 401
    assert client.get("/api/v1/party/report-ins").status_code == 401
    assert client.post("/api/v1/party/report-ins/me", {}, "application/json").status_code == 401


def test_a_member_reports_in_through_the_api_and_a_retry_replays(world, rows):
    client = token_client(rows.member_account)
    body = {"idempotency_key": "phone-1"}
    first = client.post("/api/v1/party/report-ins/me", body, content_type="application/json")
    assert first.status_code == 201 and first.json()["state"] == "pending"
    again = client.post("/api/v1/party/report-ins/me", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert ReportIn.objects.count() == 1
    second = client.post(
        "/api/v1/party/report-ins/me",
        {"idempotency_key": "phone-2"},
        content_type="application/json",
    )
    assert second.status_code == 422 and second.json()["field"] == "community"
    # A resident not linked to a member has nothing to report in.
    other = token_client(world.people.resident)
    assert other.post("/api/v1/party/report-ins/me", body, "application/json").status_code == 404


def test_the_staff_queue_names_members_to_party_staff_and_logs_it(world, rows):
    report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m"
    )
    answer = token_client(rows.community_staff).get("/api/v1/party/report-ins")
    [row] = answer.json()
    assert row["name"] == "李四" and row["masked"] is False
    assert PersonalDataRead.objects.filter(channel="api", kind="party_membership").count() == 1
    page = _signed_in(rows.street_staff).get("/party/report-ins/")
    assert "李四" in page.content.decode()
    assert PersonalDataRead.objects.filter(channel="page").count() == 1


def test_decline_on_the_page_needs_a_reason(world, rows):
    pending = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m"
    ).report_in
    client = _signed_in(rows.community_staff)
    refused = client.post(f"/party/report-ins/{pending.pk}/decline/", {"reason": ""})
    assert refused.status_code == 422
    pending.refresh_from_db()
    assert pending.state == "pending"
    done = client.post(f"/party/report-ins/{pending.pk}/decline/", {"reason": "已搬离"})
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.state == "declined"


def test_the_member_page_reports_in(world, rows):
    client = _signed_in(rows.member_account)
    home = client.get("/resident/")
    assert 'id="my-report-in-link"' in home.content.decode()
    assert client.get("/resident/report-in/").status_code == 200
    done = client.post("/resident/report-in/", {"idempotency_key": "k1"})
    assert done.status_code == 302
    assert ReportIn.objects.get().member == rows.employed
    assert (
        'id="my-report-in-link"'
        not in _signed_in(world.people.resident).get("/resident/").content.decode()
    )


def test_the_inspection_form_on_a_phone_makes_the_rectification_case(world, rows):
    client = _signed_in(rows.community_staff)
    form = client.get(f"/party/centres/{rows.centre.pk}/inspect/")
    assert form.status_code == 200 and 'capture="environment"' in form.content.decode()
    space, signage = rows.checklist[:2]
    data = {
        "idempotency_key": "form-1",
        f"score_{space.pk}": "5",
        f"score_{signage.pk}": "10",
        f"note_{space.pk}": "面积不足",
        "photos": [photo()],
    }
    before = Case.objects.count()
    done = client.post(f"/party/centres/{rows.centre.pk}/inspect/", data)
    assert done.status_code == 302
    assert Case.objects.count() == before + 1
    # The browser sends the form again (a retry): the same key records nothing more.
    data["photos"] = [photo()]
    assert client.post(f"/party/centres/{rows.centre.pk}/inspect/", data).status_code == 302
    assert Case.objects.count() == before + 1 and Inspection.objects.count() == 1
    page = client.get(f"/party/centres/{rows.centre.pk}/").content.decode()
    case = Case.objects.latest("reported_at")
    assert f"/cases/{case.number}/" in page
    inspection = Inspection.objects.get()
    shot = inspection.photos.get()
    thumb = client.get(f"/party/centre-photos/{shot.pk}/thumb/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert client.get(f"/party/centre-photos/{shot.pk}/original/").status_code == 404
    # Staff of another street see neither the centre nor its photos.
    stranger = _signed_in(rows.other_staff)
    assert stranger.get(f"/party/centres/{rows.centre.pk}/").status_code == 404
    assert stranger.get(f"/party/centre-photos/{shot.pk}/thumb/").status_code == 404


ODD = ["0", "-1", "abc", "١٢", "9" * 40, "1%00", "%E2%80%8B"]


def test_odd_ids_and_input_are_4xx(world, rows):
    staff = _signed_in(rows.community_staff)
    api = token_client(rows.community_staff)
    for odd in ODD:
        for url in (f"/party/centres/{odd}/", f"/party/centres/{odd}/inspect/"):
            assert staff.get(url).status_code == 404, url
        assert staff.post(f"/party/report-ins/{odd}/confirm/").status_code == 404, odd
        assert api.get(f"/api/v1/party/centres/{odd}").status_code == 404, odd
        assert api.post(f"/api/v1/party/report-ins/{odd}/confirm").status_code == 404, odd
    space, signage = rows.checklist[:2]
    for scores in (
        {str(space.pk): 10**30, str(signage.pk): 1},
        {str(space.pk): -5, str(signage.pk): 1},
        {str(space.pk): 5},
        {"x\x00": 5},
    ):
        answer = api.post(
            f"/api/v1/party/centres/{rows.centre.pk}/inspections",
            {"idempotency_key": "odd", "scores": scores},
            content_type="application/json",
        )
        assert 400 <= answer.status_code < 500, (scores, answer.status_code)
    for key in ("", "a\x00b", "k" * 65):
        answer = api.post(
            f"/api/v1/party/centres/{rows.centre.pk}/inspections",
            {"idempotency_key": key, "scores": {str(space.pk): 1, str(signage.pk): 1}},
            content_type="application/json",
        )
        assert answer.status_code == 422, key
    for body in (
        {"unit_code": "x\x00", "name": "a", "lon": 1, "lat": 1},
        {"unit_code": world.street.code, "name": "a\x00", "lon": 117, "lat": 39},
        {"unit_code": world.street.code, "name": "a", "lon": 1e308, "lat": 39},
        {"unit_code": world.street.code, "name": "x" * 5000, "lon": 117, "lat": 39},
    ):
        answer = token_client(rows.street_staff).post(
            "/api/v1/party/centres", body, content_type="application/json"
        )
        assert answer.status_code == 422, body
    declined = api.post(
        "/api/v1/party/report-ins/1/decline", {"reason": "a\x00"}, "application/json"
    )
    assert declined.status_code in (404, 422)
    assert not Inspection.objects.exists()
    assert api.get("/api/v1/party/report-ins?state=%00").status_code == 422
