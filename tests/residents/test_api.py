"""The residents API for apps: a code, registration with a token, a token with a code."""

from __future__ import annotations

import json

from django.test import Client

from onegrid.org.models import ApiToken, User
from support.cases import advance

PHONE = "13600003333"


def post(client, path, body, **headers):
    return client.post(
        f"/api/v1/residents/{path}", json.dumps(body), content_type="application/json", **headers
    )


def test_register_then_sign_in_with_a_code_for_a_token(world, outbox):
    client = Client()
    sent = post(client, "codes", {"phone": PHONE, "purpose": "register"})
    assert sent.status_code == 202 and "expires_at" in sent.json()
    # Times in answers are Asia/Shanghai, as everywhere in the API.
    assert sent.json()["expires_at"].endswith("+08:00")
    made = post(
        client,
        "register",
        {
            "phone": PHONE,
            "code": outbox.code(PHONE),
            "password": "long-enough-pass",
            "display_name": "韩梅梅",
        },
    )
    assert made.status_code == 201, made.content
    token = made.json()["token"]
    assert ApiToken.objects.filter(user__username=PHONE).count() == 1
    me = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert me["username"] == PHONE and me["roles"][0]["role"] == "resident"

    advance(seconds=61)
    assert post(client, "codes", {"phone": PHONE, "purpose": "sign_in"}).status_code == 202
    signed = post(client, "token", {"phone": PHONE, "code": outbox.code(PHONE)})
    assert signed.status_code == 200 and signed.json()["username"] == PHONE
    assert User.objects.get(username=PHONE).last_login is not None


def test_api_refusals_name_the_field(world, outbox):
    client = Client()
    bad_phone = post(client, "codes", {"phone": "１３６００００３３３３", "purpose": "register"})
    assert bad_phone.status_code == 422 and bad_phone.json()["field"] == "phone"
    bad_purpose = post(client, "codes", {"phone": PHONE, "purpose": "reset"})
    assert bad_purpose.status_code == 422 and bad_purpose.json()["field"] == "purpose"
    nul = post(client, "token", {"phone": PHONE, "code": "12\x003456"})
    assert nul.status_code == 422
    post(client, "codes", {"phone": PHONE, "purpose": "register"})
    again = post(client, "codes", {"phone": PHONE, "purpose": "register"})
    assert again.status_code == 429
    assert again.json()["field"] == "phone" and int(again["Retry-After"]) > 0
    assert again.json()["retry_after"] == int(again["Retry-After"])
    wrong = post(client, "token", {"phone": PHONE, "code": "999999"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "code"
    assert not ApiToken.objects.exists()


def test_wrong_codes_lock_the_api_sign_in(world, outbox, settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "SIGN_IN_THROTTLE": {**settings.ONEGRID["SIGN_IN_THROTTLE"], "ACCOUNT_FAILURES": 2},
    }
    User.objects.create_user(PHONE, phone=PHONE, password="pw")
    client = Client()
    post(client, "codes", {"phone": PHONE, "purpose": "sign_in"})
    code = outbox.code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    assert post(client, "token", {"phone": PHONE, "code": wrong}).status_code == 422
    assert post(client, "token", {"phone": PHONE, "code": wrong}).status_code == 429
    locked = post(client, "token", {"phone": PHONE, "code": code})
    assert locked.status_code == 429 and locked.json()["field"] == "code"
    assert not ApiToken.objects.exists()
