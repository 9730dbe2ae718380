"""Resident accounts: codes by SMS, their limits, registration, sign-in with a code."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput
from onegrid.org.models import Role, User
from onegrid.residents import codes, services
from onegrid.residents.models import OneTimeCode, ResidentProfile
from onegrid.residents.phones import normalise_mobile
from onegrid.residents.services import TooManyRequests
from support.world import MONDAY_MORNING

PHONE = "13900001111"


def later(seconds):
    clock.set_now(clock.now() + dt.timedelta(seconds=seconds))


@pytest.mark.parametrize(
    "typed, number",
    [
        ("13900001111", "13900001111"),
        (" 139 0000 1111 ", "13900001111"),
        ("139-0000-1111", "13900001111"),
        ("+8613900001111", "13900001111"),
        ("008619912345678", "19912345678"),
    ],
)
def test_mainland_mobile_numbers_as_people_type_them(typed, number):
    assert normalise_mobile(typed) == number


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1390000111",  # 10 digits
        "139000011112",  # 12 digits
        "12900001111",  # 12x is no mobile prefix
        "23900001111",
        "１３９００００１１１１",  # full-width digits
        "١٣٩٠٠٠٠١١١١",  # Arabic-Indic digits
        "1390000111\x00",
        "1390000\n1111",
        "9" * 500,
        "139O0001111",  # a letter O
    ],
)
def test_anything_else_is_refused_naming_the_phone(typed):
    with pytest.raises(InvalidInput) as refused:
        normalise_mobile(typed)
    assert refused.value.field == "phone"


def test_a_registration_code_arrives_by_sms_and_registers_a_resident(world, outbox):
    services.request_code(phone=PHONE, purpose="register", client_address="10.0.0.1")
    [message] = outbox.messages(PHONE)
    code = outbox.code(PHONE)
    assert code in message["text"]
    row = OneTimeCode.objects.get(phone=PHONE)
    # Only a keyed digest is kept (HMAC-SHA256 under the secret key), not the code.
    assert row.digest == codes.digest(PHONE, "register", code) != code
    assert len(row.digest) == 64
    user = services.register(
        phone=PHONE, code=code, password="a-long-passphrase", display_name=" 王  小明 "
    )
    assert user.username == user.phone == PHONE
    assert user.display_name == "王 小明"
    assert user.check_password("a-long-passphrase")
    [role] = user.roles.all()
    assert (role.role, role.unit_id) == (Role.RESIDENT, world.district.pk)
    assert ResidentProfile.objects.get(user=user).phone_verified_at == MONDAY_MORNING
    # The code is used up: it registers no one else.
    with pytest.raises(InvalidInput) as refused:
        services.register(phone=PHONE, code=code, password="another-passphrase", display_name="x")
    assert refused.value.field == "code"


def test_a_wrong_code_counts_and_the_fifth_retires_the_code(world, outbox):
    services.request_code(phone=PHONE, purpose="register")
    code = outbox.code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for tries in range(1, 6):
        with pytest.raises(InvalidInput) as refused:
            services.register(phone=PHONE, code=wrong, password="a-long-pass", display_name="x")
        assert refused.value.field == "code"
        assert OneTimeCode.objects.get(phone=PHONE).attempts == tries
    # Five wrong tries: the right code no longer works either.
    with pytest.raises(InvalidInput):
        services.register(phone=PHONE, code=code, password="a-long-pass", display_name="x")
    assert not User.objects.filter(username=PHONE).exists()


def test_a_code_lives_ten_minutes(world, outbox):
    services.request_code(phone=PHONE, purpose="register")
    code = outbox.code(PHONE)
    later(601)
    with pytest.raises(InvalidInput):
        services.register(phone=PHONE, code=code, password="a-long-pass", display_name="x")


def test_a_new_code_retires_the_one_before(world, outbox):
    services.request_code(phone=PHONE, purpose="register")
    first = outbox.code(PHONE)
    later(61)
    services.request_code(phone=PHONE, purpose="register")
    second = outbox.code(PHONE)
    assert OneTimeCode.objects.filter(phone=PHONE, retired_at=None).count() == 1
    if first != second:
        with pytest.raises(InvalidInput):
            services.register(phone=PHONE, code=first, password="a-long-pass", display_name="x")
    assert services.register(phone=PHONE, code=second, password="a-long-pass", display_name="x")


def test_bad_registration_input_changes_nothing_and_keeps_the_code(world, outbox):
    services.request_code(phone=PHONE, purpose="register")
    code = outbox.code(PHONE)
    for kwargs, field in [
        ({"password": "short"}, "password"),
        ({"password": ""}, "password"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 51}, "display_name"),
        ({"display_name": "a\x00b"}, "display_name"),
        ({"phone": "１３９００００１１１１"}, "phone"),
    ]:
        given = {"phone": PHONE, "code": code, "password": "a-long-pass", "display_name": "x"}
        with pytest.raises(InvalidInput) as refused:
            services.register(**(given | kwargs))
        assert refused.value.field == field
    assert not User.objects.filter(username=PHONE).exists()
    assert OneTimeCode.objects.get(phone=PHONE).attempts == 0
    assert services.register(phone=PHONE, code=code, password="a-long-pass", display_name="x")


def test_sending_is_limited_per_phone(world, outbox):
    services.request_code(phone=PHONE, purpose="register")
    with pytest.raises(TooManyRequests) as refused:
        services.request_code(phone=PHONE, purpose="register")
    assert refused.value.status == 429 and 0 < refused.value.retry_after <= 60
    for _ in range(4):
        later(61)
        services.request_code(phone=PHONE, purpose="register")
    later(61)  # five in the hour: the sixth waits for the first to be an hour old
    with pytest.raises(TooManyRequests) as refused:
        services.request_code(phone=PHONE, purpose="sign_in")
    assert refused.value.retry_after == 3600 - 5 * 61
    assert len(outbox.messages(PHONE)) == 5
    later(3600)
    services.request_code(phone=PHONE, purpose="register")


def test_sending_is_limited_per_client_address(world, outbox, settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "RESIDENTS": {**settings.ONEGRID["RESIDENTS"], "CODES_PER_ADDRESS_HOUR": 3},
    }
    for i in range(3):
        services.request_code(phone=f"1390000200{i}", purpose="register", client_address="10.9.9.9")
    with pytest.raises(TooManyRequests):
        services.request_code(phone="13900002009", purpose="register", client_address="10.9.9.9")
    # Another address is not held back, nor is an unknown one.
    services.request_code(phone="13900002009", purpose="register", client_address="10.9.9.8")
    assert not outbox.messages("13900002008")


def test_answers_never_tell_whether_a_number_is_registered(world, outbox):
    taken = User.objects.create_user("13900003333", phone="13900003333", password="pw")
    fresh = "13900004444"
    for number in (taken.username, fresh):
        for purpose in ("register", "sign_in"):
            answer = services.request_code(phone=number, purpose=purpose)
            assert answer.expires_at == clock.now() + dt.timedelta(minutes=10)
            later(61)
    # The owner of a registered number is told it has an account, with no code to register.
    [notice, sign_in] = [m["text"] for m in outbox.messages(taken.username)]
    assert "已有账号" in notice and not any(ch.isdigit() for ch in notice)
    assert outbox.code(taken.username) in sign_in
    # An unknown number is sent a registration code but no sign-in code.
    [register_code] = outbox.messages(fresh)
    assert "注册" in register_code["text"]
    assert OneTimeCode.objects.filter(phone=fresh, purpose="sign_in", sent=False).exists()


def test_sign_in_with_a_code(world, outbox):
    services.request_code(phone=PHONE, purpose="register")
    user = services.register(
        phone=PHONE, code=outbox.code(PHONE), password="a-long-pass", display_name="x"
    )
    later(61)
    services.request_code(phone=PHONE, purpose="sign_in")
    code = outbox.code(PHONE)
    with pytest.raises(InvalidInput):
        services.sign_in_with_code(phone=PHONE, code="12345x", request=None)
    assert services.sign_in_with_code(phone=PHONE, code=code, request=None) == user
    with pytest.raises(InvalidInput):  # used once
        services.sign_in_with_code(phone=PHONE, code=code, request=None)


def test_a_register_code_does_not_sign_in_and_staff_never_sign_in_by_code(world, outbox):
    services.request_code(phone=PHONE, purpose="register")
    with pytest.raises(InvalidInput):
        services.sign_in_with_code(phone=PHONE, code=outbox.code(PHONE), request=None)
    # A member of staff whose phone is on file has a username that is not the number.
    staff_phone = world.people.acceptor.phone
    services.request_code(phone=staff_phone, purpose="sign_in")
    assert outbox.messages(staff_phone) == []


def test_a_number_registered_meanwhile_is_a_conflict(world, outbox):
    services.request_code(phone=PHONE, purpose="register")
    code = outbox.code(PHONE)
    User.objects.create_user(PHONE, password="pw")
    with pytest.raises(Conflict):
        services.register(phone=PHONE, code=code, password="a-long-pass", display_name="x")
    # Nothing was used up: the refused transaction rolled back.
    assert OneTimeCode.objects.get(phone=PHONE).used_at is None


def test_a_resend_is_idempotent_per_code(world, outbox):
    from onegrid.notify.models import Delivery

    services.request_code(phone=PHONE, purpose="register")
    row = OneTimeCode.objects.get(phone=PHONE)
    assert Delivery.objects.filter(key__endswith=f"code:{row.pk}").count() == 1


def test_purge_keeps_a_day_of_codes_and_a_month_of_addresses(world, outbox):
    from django.core.management import call_command

    from onegrid.residents.models import AnonymousReport
    from support.cases import report

    services.request_code(phone=PHONE, purpose="register")
    case = report(world)
    AnonymousReport.objects.create(case=case, client_address="10.0.0.7", created_at=clock.now())
    assert services.purge() == services.Purged(codes=0, addresses=0)
    later(24 * 3600 + 1)
    assert services.purge() == services.Purged(codes=1, addresses=0)
    later(30 * 24 * 3600)
    call_command("residents", "purge")
    assert AnonymousReport.objects.get().client_address is None
    assert services.purge() == services.Purged(codes=0, addresses=0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_leave_one_live_code_and_one_message(world, outbox):
    from support.cases import run_concurrently

    def ask():
        try:
            services.request_code(phone=PHONE, purpose="register")
            return "sent"
        except TooManyRequests:
            return "refused"

    clock.set_now(None)  # the threads read the real clock
    results = run_concurrently(ask, copies=4)
    assert sorted(results) == ["refused"] * 3 + ["sent"]
    assert OneTimeCode.objects.filter(phone=PHONE, retired_at=None).count() == 1
    assert len(outbox.messages(PHONE)) == 1
