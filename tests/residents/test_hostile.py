"""A hostile resident and an auditor against the resident portal (wave-2 review)."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.cases.models import Case
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.residents import services
from support.cases import new_key
from support.residents import staff_take

from .test_pages import resident_report

OTHER = "13700003333"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _resident(world, phone, name="王五"):
    user = User.objects.create_user(
        username=phone, phone=phone, display_name=name, password="x-long-pass-1"
    )
    RoleAssignment.objects.create(
        user=user, role=Role.RESIDENT, unit=world.people.resident.roles.first().unit
    )
    return user


def test_another_residents_report_is_404_everywhere(world, outbox):
    case = resident_report(world, world.people.resident)
    intruder = _resident(world, OTHER)
    client = client_for(intruder)
    code = case.tracking_code
    assert client.get(f"/resident/reports/{code}/").status_code == 404
    for action in ("comment", "rate", "reopen"):
        answer = client.post(
            f"/resident/reports/{code}/{action}/", {"reason": "x", "satisfaction": "unsatisfied"}
        )
        assert answer.status_code == 404, action
    # Case page by id, photos, API
    assert client.get(f"/cases/{case.pk}/").status_code in (302, 403, 404)
    api = client.get(f"/api/v1/cases/{case.pk}")
    assert api.status_code in (401, 403, 404), api.content


def test_code_sign_in_never_reaches_a_staff_account_named_by_a_number(world, outbox):
    staff = world.people.acceptor
    staff.username = "13900004444"
    staff.phone = "13900004444"
    staff.save()
    services.request_code(phone="13900004444", purpose="sign_in")
    assert outbox.messages("13900004444") == []


def test_a_volunteer_still_signs_in_with_a_code(world, outbox):
    user = _resident(world, OTHER)
    RoleAssignment.objects.create(user=user, role=Role.VOLUNTEER, grid=world.grids[0])
    services.request_code(phone=OTHER, purpose="sign_in")
    answer = Client().post("/resident/sign-in/code/", {"phone": OTHER, "code": outbox.code(OTHER)})
    assert answer.status_code == 302


def test_a_resident_made_staff_no_longer_signs_in_with_a_live_code(world, outbox):
    user = _resident(world, OTHER)
    services.request_code(phone=OTHER, purpose="sign_in")
    code = outbox.code(OTHER)
    RoleAssignment.objects.create(user=user, role=Role.ACCEPTOR, unit=world.street)
    answer = Client().post("/resident/sign-in/code/", {"phone": OTHER, "code": code})
    assert answer.status_code == 422
    assert "_auth_user_id" not in answer.client.session


def test_odd_tracking_codes(world):
    client = client_for(world.people.resident)
    for code in ("%00", "..%2f..%2fadmin", "A" * 5000, "１２３", "<script>", "%ff%fe"):
        answer = client.get(f"/resident/reports/{code}/")
        assert answer.status_code == 404, (code, answer.status_code)
        answer = client.get(f"/public/reports/{code}/")
        assert answer.status_code == 404, (code, answer.status_code)


def test_hostile_register_inputs(world, outbox):
    client = Client()
    for phone in (
        "1３800001111",
        "13800001111\x00",
        "\u202e13800001111",
        "9" * 10000,
        "+8613800001111x",
    ):
        answer = client.post("/resident/register/", {"phone": phone, "send_code": "1"})
        assert answer.status_code == 422, (phone, answer.status_code)
    answer = client.post(
        "/resident/sign-in/code/", {"phone": "13800001111", "code": "１２３４５６"}
    )
    assert answer.status_code in (400, 422)


def test_open_redirect_after_code_sign_in(world, outbox):
    phone = OTHER
    _resident(world, phone)
    client = Client()
    client.post("/resident/sign-in/code/", {"phone": phone, "send_code": "1"})
    answer = client.post(
        "/resident/sign-in/code/?next=//evil.example/",
        {"phone": phone, "code": outbox.code(phone), "next": "https://evil.example/"},
    )
    assert answer.status_code == 302
    assert "evil" not in answer["Location"]


def test_csrf_on_resident_pages(world, outbox):
    case = resident_report(world, world.people.resident)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people.resident)
    for url in (
        "/resident/report/",
        f"/resident/reports/{case.tracking_code}/comment/",
        "/resident/register/",
        "/resident/sign-in/code/",
        "/report/",
    ):
        answer = client.post(url, {"reason": "x", "phone": OTHER, "send_code": "1"})
        assert answer.status_code == 403, url


def test_an_ipv6_caller_cannot_dodge_the_code_limit_by_changing_address(world, outbox, settings):
    # One subscriber holds a whole /64: counting each address apart would let them send codes
    # to any number of phones. The limit counts the /64.
    settings.ONEGRID = {
        **settings.ONEGRID,
        "RESIDENTS": {**settings.ONEGRID["RESIDENTS"], "CODES_PER_ADDRESS_HOUR": 3},
    }
    for n in range(3):
        services.request_code(
            phone=f"1380000{n:04d}", purpose="register", client_address=f"2001:db8:1:2::{n + 1}"
        )
    with pytest.raises(services.TooManyRequests):
        services.request_code(
            phone="13800009999", purpose="register", client_address="2001:db8:1:2:aaaa::9"
        )
    # Another /64 (another subscriber) is counted apart; IPv4 addresses one by one.
    services.request_code(phone="13800008888", purpose="register", client_address="2001:db8:1:3::1")


def test_an_ipv6_caller_cannot_dodge_the_anonymous_report_limit(world, settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "RESIDENTS": {**settings.ONEGRID["RESIDENTS"], "ANONYMOUS_REPORTS_PER_HOUR": 2},
    }
    answers = []
    for n in range(3):
        client = Client(REMOTE_ADDR=f"2001:db8:7:7::{n + 1}")
        answers.append(
            client.post(
                "/report/",
                {
                    "class_code": world.rubbish.code,
                    "lon": str(world.point[0]),
                    "lat": str(world.point[1]),
                    "description": f"垃圾 {n}",
                    "idempotency_key": new_key(),
                },
            ).status_code
        )
    assert answers == [200, 200, 429]
    assert Case.objects.count() == 2


def test_a_merged_in_reporter_never_reads_the_other_reporters_words(world, outbox):
    """B's report joined A's case: B follows that case's progress, but A's rating reason and
    reopen reason are A's own words (they may hold A's name, flat, phone), as A's comments are."""
    from support.cases import act

    first = resident_report(world, world.people.resident)
    act(first, world.people.acceptor, "request_verification")
    act(first, world.people.worker, "verify", result="confirmed")
    act(first, world.people.acceptor, "register")
    other = _resident(world, OTHER)
    mine = resident_report(world, other)
    act(mine, world.people.acceptor, "merge", target=first.number)
    staff_take(world, first)
    a = world.people.resident
    act(first, a, "rate", reason="不满意，我是3-201的张秘密", satisfaction="unsatisfied")
    act(first, a, "reopen", reason="还是没修好，电话找张秘密")
    act(first, a, "comment", reason="张秘密的留言")
    page = client_for(other).get(f"/resident/reports/{mine.tracking_code}/")
    assert page.status_code == 200
    assert "张秘密" not in page.content.decode()
    # A still reads their own words.
    own = client_for(a).get(f"/resident/reports/{first.tracking_code}/").content.decode()
    assert own.count("张秘密") == 3


def test_the_joined_cases_code_shows_a_merged_in_reporter_their_own_report(world, outbox):
    """B's report joined A's case, so B's notifications link A's case by its tracking code:
    B's page there shows B's own report (description, address) with the case's progress, never
    A's description and address."""
    from support.cases import act

    a = world.people.resident
    first = resident_report(world, a)
    type(first).objects.filter(pk=first.pk).update(
        description="张秘密家门口垃圾", address="果园新村3-201张秘密"
    )
    act(first, world.people.acceptor, "request_verification")
    act(first, world.people.worker, "verify", result="confirmed")
    act(first, world.people.acceptor, "register")
    other = _resident(world, OTHER)
    mine = resident_report(world, other)
    act(mine, world.people.acceptor, "merge", target=first.number)
    page = client_for(other).get(f"/resident/reports/{first.tracking_code}/")
    assert page.status_code in (200, 404)
    body = page.content.decode()
    assert "张秘密" not in body
    if page.status_code == 200:
        assert "楼下垃圾堆了三天" in body  # B's own words
