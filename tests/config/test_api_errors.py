"""Every failure under /api/ answers JSON {code, message, field} in the caller's language."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from onegrid.cases.models import Case
from support.api import token_client
from support.cases import photo

TOKEN_URL = "/api/v1/auth/token"


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    assert "field" in body
    return body


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_over_large_json_body_is_a_413_in_json():
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    big = json.dumps({"username": "x" * 2000, "password": "y"})
    body = problem(client.post(TOKEN_URL, big, content_type="application/json"), 413, "too_large")
    assert body["field"] == "body"
    assert "0.0 MB" not in body["message"] or "MB" in body["message"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_over_large_form_is_a_413_and_reports_nothing(world):
    client = token_client(world.people.worker, raise_request_exception=False)
    data = {"lon": world.point[0], "lat": world.point[1], "class_code": "A0102"}
    data["description"] = "垃圾" * 1000
    response = client.post("/api/v1/cases", data, HTTP_IDEMPOTENCY_KEY="big-1")
    problem(response, 413, "too_large")
    assert not Case.objects.exists()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_too_many_fields_is_a_400_in_json(world):
    client = token_client(world.people.worker, raise_request_exception=False)
    data = {f"extra{i}": "x" for i in range(10)}
    data.update(lon=world.point[0], lat=world.point[1], class_code="A0102")
    response = client.post("/api/v1/cases", data, HTTP_IDEMPOTENCY_KEY="fields-1")
    problem(response, 400, "too_many_fields")
    assert not Case.objects.exists()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=2)
def test_too_many_files_is_a_400_naming_the_photos(world):
    client = token_client(world.people.worker, raise_request_exception=False)
    data = {"lon": world.point[0], "lat": world.point[1], "class_code": "A0102"}
    data["photos"] = [photo(), photo(), photo()]
    response = client.post("/api/v1/cases", data, HTTP_IDEMPOTENCY_KEY="files-1")
    assert problem(response, 400, "too_many_files")["field"] == "photos"
    assert not Case.objects.exists()


def test_a_broken_multipart_body_is_a_400_in_json(world):
    client = token_client(world.people.worker, raise_request_exception=False)
    response = client.generic(
        "POST",
        "/api/v1/cases",
        b"--x\r\nnot a part at all",
        content_type="multipart/form-data; boundary=",
        HTTP_IDEMPOTENCY_KEY="multipart-1",
    )
    problem(response, 400, "bad_form")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "nested_too_deep"),
        (b'{"username": ' * 200 + b"1" + b"}" * 200, "nested_too_deep"),
    ],
    ids=["broken", "not-utf8", "recursion", "deep"],
)
def test_bad_and_deep_json_is_a_400_naming_the_body(raw, code):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(TOKEN_URL, raw, content_type="application/json")
    assert problem(response, 400, code)["field"] == "body"


@pytest.mark.django_db
def test_unknown_paths_and_methods_are_json():
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    problem(client.get("/api/v1/no-such-thing"), 404, "not_found")
    problem(client.get("/api/no-such-version/"), 404, "not_found")
    not_allowed = problem(client.get(TOKEN_URL), 405, "method_not_allowed")
    assert not_allowed is not None
    assert "POST" in client.get(TOKEN_URL)["Allow"]


def test_a_server_error_under_api_is_json_and_pages_keep_html(world, monkeypatch):
    from onegrid.cases import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "list_cases", broken)
    client = token_client(world.people.acceptor, raise_request_exception=False)
    body = problem(client.get("/api/v1/cases"), 500, "server_error")
    assert "boom" not in body["message"]
    page = Client(raise_request_exception=False).get("/no-such-page/")
    assert page.status_code == 404
    assert not page["Content-Type"].startswith("application/json")


def test_errors_speak_the_callers_language(world):
    client = token_client(world.people.worker, language="zh-hans", raise_request_exception=False)
    body = problem(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    message = problem(client.get(TOKEN_URL), 405, "method_not_allowed")["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


@pytest.mark.django_db
def test_a_refused_host_under_api_is_json():
    client = Client(raise_request_exception=False, HTTP_HOST="evil.example")
    problem(client.get("/api/v1/workflow"), 400, "bad_request")


def test_an_offset_postgresql_refuses_is_taken_as_the_same_instant(world):
    client = token_client(world.people.acceptor, raise_request_exception=False)
    response = client.get(
        "/api/v1/cases",
        {"reported_from": "2026-03-01T00:00:00+18:20", "reported_to": "2026-03-31T23:59:59-20:00"},
    )
    assert response.status_code == 200, response.content[:300]
    response = client.get("/api/v1/cases", {"reported_from": "0001-01-01T00:00:00+23:00"})
    assert response.status_code == 422
    assert response.json()["field"] == "reported_from"


@pytest.mark.parametrize(
    "field", ["address_code", "class_code", "description", "reporter_name", "idempotency_key"]
)
def test_a_nul_character_in_a_form_is_a_422_naming_the_field_and_reports_nothing(world, field):
    # PostgreSQL refuses NUL in text (it was a 500 there for an address code); SQLite stores it.
    client = token_client(world.people.worker, raise_request_exception=False)
    data = {"lon": world.point[0], "lat": world.point[1], "class_code": "A0102"}
    data[field] = "A01\x0002"
    response = client.post("/api/v1/cases", data, HTTP_IDEMPOTENCY_KEY=f"nul-{field}")
    assert problem(response, 422, "nul_character")["field"] == field
    assert not Case.objects.exists()


def test_a_nul_character_in_a_query_or_json_body_is_a_422_naming_the_field(world):
    client = token_client(world.people.worker, raise_request_exception=False)
    assert problem(client.get("/api/v1/cases?grid=1\x00"), 422, "nul_character")["field"] == "grid"
    body = json.dumps({"username": "a\x00b", "password": "x"})
    response = Client(raise_request_exception=False).post(
        TOKEN_URL, body, content_type="application/json"
    )
    assert problem(response, 422, "nul_character")["field"] == "username"
