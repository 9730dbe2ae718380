"""The resident portal's pages: register, sign in with a code, my reports, my report (comment,
rate, reopen), reporting with and without an account."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from onegrid.cases import services as case_services
from onegrid.cases.models import Case, CaseEvent
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.residents.models import AnonymousReport
from support.cases import advance, new_key, photo
from support.residents import staff_take
from support.web import client_for

PHONE = "13700002222"


def errors_of(response) -> dict[str, str]:
    page = response.content.decode()
    return dict(re.findall(r'class="error" role="alert" data-field="(\w+)">([^<]*)<', page))


def register_through_pages(client, outbox, phone=PHONE, name="李雷") -> None:
    sent = client.post("/resident/register/", {"phone": phone, "send_code": "1"})
    assert sent.status_code == 200
    assert "验证码已发出" in sent.content.decode()
    done = client.post(
        "/resident/register/",
        {
            "phone": phone,
            "code": outbox.code(phone),
            "display_name": name,
            "password": "long-enough-pass",
            "password2": "long-enough-pass",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/resident/"


def resident_report(world, who, **extra):
    return case_services.report_case(
        actor=who,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        description="楼下垃圾堆了三天",
        idempotency_key=new_key(),
        **extra,
    ).case


def test_register_sign_out_and_sign_in_with_a_code(world, outbox):
    client = Client()
    register_through_pages(client, outbox)
    user = User.objects.get(username=PHONE)
    assert Role.RESIDENT in {r.role for r in user.roles.all()}
    assert client.get("/").headers["Location"] == "/resident/"
    assert client.get("/resident/").status_code == 200

    other = Client()
    advance(seconds=61)
    assert (
        other.post("/resident/sign-in/code/", {"phone": PHONE, "send_code": "1"}).status_code == 200
    )
    signed = other.post("/resident/sign-in/code/", {"phone": PHONE, "code": outbox.code(PHONE)})
    assert signed.status_code == 302 and signed["Location"] == "/resident/"
    assert other.get("/resident/").status_code == 200
    # And the password, on the ordinary sign-in page, with the number as the username.
    third = Client()
    assert (
        third.post("/login/", {"username": PHONE, "password": "long-enough-pass"}).status_code
        == 302
    )


@pytest.mark.parametrize(
    "form, field",
    [
        ({"phone": "１３７００００２２２２"}, "phone"),
        ({"phone": "12700002222"}, "phone"),
        ({"phone": "137000022\x0022"}, "phone"),
        ({"code": "000000"}, "code"),
        ({"password2": "something-else"}, "password2"),
        ({"password": "short", "password2": "short"}, "password"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_a_refused_registration_names_the_field_and_keeps_the_form(world, outbox, form, field):
    client = Client()
    client.post("/resident/register/", {"phone": PHONE, "send_code": "1"})
    code = outbox.code(PHONE)
    given = {
        "phone": PHONE,
        "code": code if code != "000000" else "111111",
        "display_name": "韩梅梅",
        "password": "long-enough-pass",
        "password2": "long-enough-pass",
    } | form
    response = client.post("/resident/register/", given)
    assert response.status_code == 422
    assert field in errors_of(response)
    assert 'value="韩梅梅"' in response.content.decode() or field == "display_name"
    assert not User.objects.filter(username=PHONE).exists()


def test_asking_too_often_is_a_429_with_retry_after(world, outbox):
    client = Client()
    client.post("/resident/register/", {"phone": PHONE, "send_code": "1"})
    again = client.post("/resident/register/", {"phone": PHONE, "send_code": "1"})
    assert again.status_code == 429
    assert 0 < int(again["Retry-After"]) <= 60
    assert "phone" in errors_of(again)


def test_wrong_codes_lock_the_code_sign_in_like_passwords(world, outbox, settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "SIGN_IN_THROTTLE": {**settings.ONEGRID["SIGN_IN_THROTTLE"], "ACCOUNT_FAILURES": 3},
    }
    client = Client()
    register_through_pages(client, outbox)
    other = Client()
    advance(seconds=61)
    other.post("/resident/sign-in/code/", {"phone": PHONE, "send_code": "1"})
    code = outbox.code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):
        refused = other.post("/resident/sign-in/code/", {"phone": PHONE, "code": wrong})
        assert refused.status_code == 422 and "code" in errors_of(refused)
    # The third failure locks the account, as the third wrong password would.
    third = other.post("/resident/sign-in/code/", {"phone": PHONE, "code": wrong})
    assert third.status_code == 429
    # Locked out: even the right code is refused unchecked, on this page, with the wait.
    locked = other.post("/resident/sign-in/code/", {"phone": PHONE, "code": code})
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "登录失败次数过多" in errors_of(locked)["code"]
    assert "_auth_user_id" not in other.session


def test_my_reports_in_plain_words_with_the_expected_completion(world):
    resident = world.people.resident
    fresh = resident_report(world, resident)
    dispatched = staff_take(world, resident_report(world, resident), until="dispatched")
    someone_elses = resident_report(world, world.people.worker, photo_files=[photo()])
    page = client_for(world, "resident").get("/resident/").content.decode()
    assert fresh.tracking_code in page and dispatched.tracking_code in page
    assert someone_elses.tracking_code not in page
    assert "已收到，等待核实受理" in page
    assert "已派往责任部门" in page
    # The running deadline, in Beijing time; before dispatch an estimate.
    due = dispatched.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f'预计办结时间 <time datetime="{due.isoformat()}">{due:%Y-%m-%d %H:%M}</time>' in page
    assert "预计办结时间约为" in page


def test_my_report_shows_progress_without_staff_names_and_404s_for_others(world):
    resident = world.people.resident
    case = staff_take(world, resident_report(world, resident), until="in_progress")
    client = client_for(world, "resident")
    page = client.get(f"/resident/reports/{case.tracking_code}/").content.decode()
    for text in ("报告已收到", "已请网格员现场核实", "已受理", "已派往责任部门", "责任部门已签收"):
        assert text in page
    for person in ("acceptor", "dispatcher", "city_handler", "worker"):
        assert f">{person}<" not in page and person not in page.split('id="timeline"')[1]
    # Lower case and Crockford look-alikes find it too.
    assert client.get(f"/resident/reports/{case.tracking_code.lower()}/").status_code == 200
    other = resident_report(world, world.people.worker, photo_files=[photo()])
    assert client.get(f"/resident/reports/{other.tracking_code}/").status_code == 404
    assert client.get("/resident/reports/NOT-A-CODE/").status_code == 404
    assert client.get("/resident/reports/%00%00/").status_code == 404
    # Staff do not open the resident portal.
    assert client_for(world, "acceptor").get("/resident/").status_code == 403


def test_comment_with_a_photo_then_rate_unsatisfied_and_reopen(world):
    resident = world.people.resident
    case = resident_report(world, resident)
    client = client_for(world, "resident")
    url = f"/resident/reports/{case.tracking_code}/"
    commented = client.post(
        url + "comment/",
        {"reason": "垃圾越堆越多了", "photos": photo(), "idempotency_key": "c-1"},
    )
    assert commented.status_code == 302
    event = CaseEvent.objects.get(case=case, action="comment")
    assert event.reason == "垃圾越堆越多了" and event.photos.count() == 1
    # A retried form (same key) comments once.
    client.post(url + "comment/", {"reason": "垃圾越堆越多了", "idempotency_key": "c-1"})
    assert CaseEvent.objects.filter(case=case, action="comment").count() == 1
    page = client.get(url).content.decode()
    assert "垃圾越堆越多了" in page and "/thumb" in page

    staff_take(world, case, until="closed")
    page = client.get(url).content.decode()
    assert 'id="rate-form"' in page
    missing_reason = client.post(
        url + "rate/", {"satisfaction": "unsatisfied", "idempotency_key": "r-1"}
    )
    assert missing_reason.status_code == 422
    assert "reason" in errors_of(missing_reason)
    bad_value = client.post(url + "rate/", {"satisfaction": "great", "idempotency_key": "r-2"})
    assert bad_value.status_code == 422 and "satisfaction" in errors_of(bad_value)
    rated = client.post(
        url + "rate/",
        {"satisfaction": "unsatisfied", "reason": "还有残留", "idempotency_key": "r-3"},
    )
    assert rated.status_code == 302
    case.refresh_from_db()
    assert case.satisfaction == "unsatisfied" and case.callback_needed
    page = client.get(url).content.decode()
    assert "不满意" in page and 'id="rate-form"' not in page and 'id="reopen-form"' in page
    reopened = client.post(url + "reopen/", {"reason": "还有残留", "idempotency_key": "o-1"})
    assert reopened.status_code == 302
    case.refresh_from_db()
    assert case.state == "registered" and not case.callback_needed


def test_odd_input_on_my_report_is_a_4xx(world):
    case = resident_report(world, world.people.resident)
    client = client_for(world, "resident")
    url = f"/resident/reports/{case.tracking_code}/"
    nul = client.post(url + "comment/", {"reason": "a\x00b", "idempotency_key": "k"})
    assert nul.status_code == 422 and "reason" in errors_of(nul)
    assert client.post(url + "close/", {"reason": "x"}).status_code == 404
    long = client.post(url + "comment/", {"reason": "长" * 2001, "idempotency_key": "k2"})
    assert long.status_code == 422
    assert not CaseEvent.objects.filter(case=case, action="comment").exists()


def test_report_a_problem_signed_in(world):
    client = client_for(world, "resident")
    form = client.get("/resident/report/")
    assert form.status_code == 200
    key = re.search(r'name="idempotency_key" value="(\w+)"', form.content.decode()).group(1)
    data = {
        "class_code": world.rubbish.code,
        "lon": str(world.point[0]),
        "lat": str(world.point[1]),
        "description": "路口垃圾满溢",
        "address": "果园新村一号路",
        "idempotency_key": key,
    }
    sent = client.post("/resident/report/", data | {"photos": photo()})
    case = Case.objects.get(reporter=world.people.resident)
    assert sent.status_code == 302
    assert sent["Location"] == f"/resident/reports/{case.tracking_code}/"
    assert case.source == "resident" and case.photos.count() == 1
    # The same form sent again files nothing new.
    assert client.post("/resident/report/", data | {"photos": photo()}).status_code == 302
    assert Case.objects.filter(reporter=world.people.resident).count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"class_code": ""}, "class_code"),
        ({"lon": "１１７.１"}, "lon"),
        ({"lon": "1e999"}, "lon"),
        ({"lon": "nan"}, "lon"),
        ({"lon": "", "lat": ""}, "lon"),
        ({"lon": "116.0", "lat": "39.0"}, "lon"),
        ({"description": "x" * 2001}, "description"),
        ({"description": "a\x00b"}, "description"),
        ({"address": "\x07"}, "address"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_a_refused_report_names_the_field_and_files_nothing(world, change, field):
    client = client_for(world, "resident")
    data = {
        "class_code": world.rubbish.code,
        "lon": str(world.point[0]),
        "lat": str(world.point[1]),
        "description": "路口垃圾满溢",
        "idempotency_key": "form-1",
    } | change
    response = client.post("/resident/report/", data)
    assert 400 <= response.status_code < 500
    assert field in errors_of(response), errors_of(response)
    assert not Case.objects.exists()
    assert 'value="form-1"' in response.content.decode() or field == "idempotency_key"


@pytest.mark.parametrize("path", ["/resident/report/", "/report/"])
def test_a_report_without_a_place_says_how_to_give_one_in_the_forms_words(world, path):
    """Not the API's "lon, lat or address_code": the form has no address code."""
    client = client_for(world, "resident") if path.startswith("/resident/") else Client()
    data = {"class_code": world.rubbish.code, "description": "路口垃圾满溢", "lon": "", "lat": ""}
    response = client.post(path, data | {"idempotency_key": "place-1"})
    assert response.status_code == 422
    assert errors_of(response) == {"lon": "请说明问题的位置：使用我的位置、点击地图，或输入坐标。"}
    half = client.post(path, data | {"lon": str(world.point[0]), "idempotency_key": "place-2"})
    assert errors_of(half) == {"lat": "请同时填写经度和纬度。"}
    assert not Case.objects.exists()


def test_report_without_an_account(world):
    client = Client()
    form = client.get("/report/")
    assert form.status_code == 200
    data = {
        "class_code": world.rubbish.code,
        "lon": str(world.point[0]),
        "lat": str(world.point[1]),
        "description": "公园门口垃圾",
        "reporter_phone": "13700009999",
        "idempotency_key": "anon-1",
    }
    sent = client.post("/report/", data)
    assert sent.status_code == 200
    case = Case.objects.get()
    assert case.source == "public" and case.reporter is None
    page = sent.content.decode()
    assert case.tracking_code in page
    assert f"/public/reports/{case.tracking_code}/" in page
    assert AnonymousReport.objects.get(case=case).client_address == "127.0.0.1"
    # A retried post answers with the same case and code.
    again = client.post("/report/", data)
    assert case.tracking_code in again.content.decode()
    assert Case.objects.count() == 1


def test_anonymous_reports_are_limited_per_address(world, settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "RESIDENTS": {**settings.ONEGRID["RESIDENTS"], "ANONYMOUS_REPORTS_PER_HOUR": 2},
    }
    client = Client()
    data = {
        "class_code": world.rubbish.code,
        "lon": str(world.point[0]),
        "lat": str(world.point[1]),
        "description": "公园门口垃圾",
    }
    for i in range(2):
        assert client.post("/report/", data | {"idempotency_key": f"a-{i}"}).status_code == 200
    refused = client.post("/report/", data | {"idempotency_key": "a-9"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Case.objects.count() == 2
    # Another address may still report.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.post("/report/", data | {"idempotency_key": "b-1"}).status_code == 200


def test_a_volunteer_follows_own_reports_but_lands_on_the_field_app(world):
    volunteer = User.objects.create_user("vol", password="pw")
    RoleAssignment.objects.create(user=volunteer, role=Role.VOLUNTEER, grid=world.grids[0])
    client = Client()
    client.force_login(volunteer)
    assert client.get("/").headers["Location"] == "/field/"
    assert client.get("/resident/").status_code == 200


def test_a_merged_report_is_followed_through_the_case_it_joined(world):
    from support.cases import act

    first = case_services.report_case(
        actor=world.people.worker,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        photo_files=[photo()],
        idempotency_key=new_key(),
    ).case
    act(first, world.people.acceptor, "register")
    mine = resident_report(world, world.people.resident)
    act(mine, world.people.acceptor, "merge", target=first.number)
    client = client_for(world, "resident")
    listing = client.get("/resident/").content.decode()
    assert mine.tracking_code in listing and first.tracking_code not in listing
    assert "已受理，正在派往责任部门" in listing
    page = client.get(f"/resident/reports/{mine.tracking_code}/").content.decode()
    assert "合并办理" in page and 'data-state="registered"' in page
    # The joined case is someone else's report: followed, not acted on from here.
    assert 'id="comment-form"' not in page


def test_the_portal_in_english(world):
    case = resident_report(world, world.people.resident)
    client = client_for(world, "resident", language="en")
    listing = client.get("/resident/").content.decode()
    assert "My reports" in listing
    assert "Received; waiting to be checked and accepted" in listing
    page = client.get(f"/resident/reports/{case.tracking_code}/").content.decode()
    assert "Report received" in page and "Add a comment" in page
    login = Client().get("/login/").content.decode()
    assert "居民注册" in login and "验证码登录" in login


def test_the_anonymous_form_is_linked_for_visitors_and_sends_residents_to_their_own(world):
    visitor = Client().get("/public/track/").content.decode()
    assert 'href="/report/" id="report-link"' in visitor
    resident = client_for(world, "resident").get("/report/")
    assert resident.status_code == 302 and resident["Location"] == "/resident/report/"
    assert client_for(world, "acceptor").get("/report/").status_code == 200
