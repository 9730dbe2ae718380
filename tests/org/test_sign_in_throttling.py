"""Sign-in throttling: per account and per address, back-off, a record auditors read."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from onegrid.org.models import ApiToken, Role, RoleAssignment, User
from onegrid.org.throttling import Limits, backoff_seconds

TOKEN_URL = "/api/v1/auth/token"


@pytest.fixture
def limits(settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "SIGN_IN_THROTTLE": {
            "ACCOUNT_FAILURES": 5,
            "ADDRESS_FAILURES": 8,
            "LOCKOUT_SECONDS": 60,
            "MAX_LOCKOUT_SECONDS": 3600,
        },
    }
    settings.AXES_COOLOFF_TIME = dt.timedelta(days=1)


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password="right-password-1")


def api_sign_in(client, username, password):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, content_type="application/json"
    )


def test_fifty_wrong_api_passwords_lock_the_account(limits, alice):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    statuses = [api_sign_in(client, "alice", f"wrong-{i}").status_code for i in range(50)]
    assert statuses[:4] == [401] * 4
    assert statuses[4:] == [429] * 46, statuses
    locked = api_sign_in(client, "alice", "right-password-1")
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "too_many_attempts"
    assert body["field"] == "password"
    assert "Try again in 1 minute" in body["message"]
    assert 0 < int(locked["Retry-After"]) <= 60
    assert body["retry_after"] == int(locked["Retry-After"])
    assert not ApiToken.objects.exists()
    # Tries while locked out are refused unchecked: only the five real failures are counted.
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5
    assert AccessFailureLog.objects.filter(username="alice").count() == 5


def test_the_lockout_message_is_chinese_by_default(limits, alice):
    client = Client()
    for i in range(5):
        response = api_sign_in(client, "alice", f"wrong-{i}")
    assert response.status_code == 429
    assert "分钟" in response.json()["message"], response.json()


def test_each_failure_after_a_lockout_doubles_the_wait(limits, alice):
    client = Client()
    for i in range(5):
        api_sign_in(client, "alice", f"wrong-{i}")
    assert backoff_seconds(5, 5, Limits(5, 8, 60, 3600, 86400)) == 60
    waits = []
    for _ in range(3):
        # The lockout runs out: move the recorded failures back past it.
        attempt = AccessAttempt.objects.get(username="alice")
        wait = int(api_sign_in(client, "alice", "right-password-1")["Retry-After"])
        attempt.attempt_time -= dt.timedelta(seconds=wait + 1)
        attempt.save()
        response = api_sign_in(client, "alice", "still-wrong")
        assert response.status_code == 429
        waits.append(int(response["Retry-After"]))
    assert [round(w, -1) for w in waits] == [120, 240, 480], waits
    assert backoff_seconds(40, 5, Limits(5, 8, 60, 3600, 86400)) == 3600


def test_a_lockout_runs_out_and_a_success_forgets_the_accounts_failures(limits, alice):
    client = Client()
    for i in range(5):
        api_sign_in(client, "alice", f"wrong-{i}")
    AccessAttempt.objects.update(attempt_time=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert api_sign_in(client, "alice", "right-password-1").status_code == 200
    assert not AccessAttempt.objects.filter(username="alice").exists()
    for i in range(4):
        assert api_sign_in(client, "alice", f"again-{i}").status_code == 401
    assert api_sign_in(client, "alice", "right-password-1").status_code == 200


def test_successful_sign_ins_are_never_throttled(limits, alice):
    client = Client()
    for _ in range(30):
        assert api_sign_in(client, "alice", "right-password-1").status_code == 200
    assert not AccessAttempt.objects.exists()


def test_one_address_trying_many_accounts_is_locked_but_not_other_addresses(limits, alice):
    client = Client()
    statuses = [api_sign_in(client, f"nobody-{i}", "guess").status_code for i in range(12)]
    assert statuses[:7] == [401] * 7
    assert statuses[7:] == [429] * 5, statuses
    # The same account from elsewhere is not locked: the address was.
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert api_sign_in(elsewhere, "alice", "right-password-1").status_code == 200
    assert api_sign_in(client, "alice", "right-password-1").status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_throttled(limits, alice, settings):
    settings.ONEGRID = {**settings.ONEGRID, "PROXY_COUNT": 1}
    proxy = "10.0.0.1"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    for i in range(8):
        api_sign_in(attacker, f"nobody-{i}", "guess")
    assert AccessAttempt.objects.filter(ip_address="203.0.113.9").count() == 8
    colleague = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert api_sign_in(colleague, "alice", "right-password-1").status_code == 200


def test_fifty_wrong_passwords_on_the_login_page(limits, alice):
    client = Client()
    statuses = []
    for i in range(50):
        response = client.post("/login/", {"username": "alice", "password": f"wrong-{i}"})
        statuses.append(response.status_code)
    assert statuses[:4] == [400] * 4
    assert statuses[4:] == [429] * 46
    refused = client.post("/login/", {"username": "alice", "password": "right-password-1"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    text = refused.content.decode()
    assert "登录失败次数过多" in text, text[:2000]
    assert 'value="alice"' in text
    assert "_auth_user_id" not in client.session


def test_fifty_wrong_passwords_on_the_admin_login(limits, db):
    User.objects.create_superuser("root", password="right-password-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    statuses = []
    for i in range(50):
        response = client.post(
            "/admin/login/?next=/admin/", {"username": "root", "password": f"wrong-{i}"}
        )
        statuses.append(response.status_code)
    assert statuses[:4] == [200] * 4  # the admin's own form, with its error
    assert statuses[4:] == [429] * 46
    refused = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": "right-password-1"}
    )
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_auditors_and_administrators_read_the_failed_sign_ins(limits, alice):
    api_sign_in(Client(), "alice", "wrong")
    auditor = User.objects.create_user("auditor", password="pw-auditor-1", is_staff=True)
    RoleAssignment.objects.create(user=auditor, role=Role.AUDITOR)
    clerk = User.objects.create_user("clerk", password="pw-clerk-1", is_staff=True)
    root = User.objects.create_superuser("root", password="pw-root-1")
    for user, status in ((auditor, 200), (root, 200), (clerk, 403)):
        client = Client()
        client.force_login(user)
        page = client.get("/admin/axes/accessfailurelog/")
        assert page.status_code == status, user
        if status == 200:
            assert "alice" in page.content.decode()
    client = Client()
    client.force_login(auditor)
    attempt = AccessAttempt.objects.get(username="alice")
    assert client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/").status_code == 403
    # A superuser lifts the lockout by deleting the count (org.policies.may_lift_sign_in_lockout).
    client.force_login(root)
    deleted = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()
