"""Hostile input anywhere in the API gets a 4xx, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.cases.models import Case
from support.api import token_client
from support.cases import drive, photo

WEIRD = [
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "",
    " ",
    "０",
    "null",
    "[]",
    "{}",
    "'; DROP TABLE x;--",
    "9" * 40,
    "-1",
    "\u202e",
    "中文",
    "1,5",
]


@pytest.mark.parametrize("value", WEIRD)
def test_report_fields(world, value):
    client = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=token_client(world.people.worker).defaults["HTTP_AUTHORIZATION"],
    )
    for field in ["lon", "lat", "crs", "class_code", "description", "source", "reporter_phone"]:
        data = {
            "lon": world.point[0],
            "lat": world.point[1],
            "class_code": "A0102",
            "photos": [photo()],
            field: value,
        }
        response = client.post("/api/v1/cases", data, HTTP_IDEMPOTENCY_KEY=f"{field}-{value}")
        assert response.status_code < 500, (field, value, response.content[:300])
        assert response.status_code in (200, 201) or "field" in response.json()


@pytest.mark.parametrize("value", WEIRD)
def test_list_filters_and_actions(world, value):
    case = drive(world, "in_progress")
    client = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=token_client(world.people.city_handler).defaults["HTTP_AUTHORIZATION"],
    )
    for field in ["state", "overdue", "open", "reported_from", "limit", "offset", "q", "grid"]:
        response = client.get("/api/v1/cases", {field: value})
        assert response.status_code < 500, (field, value)
    for field in ["hours", "task", "co_departments", "department", "result", "reason"]:
        response = client.post(
            f"/api/v1/cases/{case.pk}/actions/request_extension", {"reason": "r", field: value}
        )
        assert response.status_code < 500, (field, value, response.content[:300])
    for path in [
        f"/api/v1/cases/{value}",
        f"/api/v1/cases/{value}/actions/sign",
        f"/api/v1/cases/{case.pk}/actions/{value}",
        f"/api/v1/photos/{value}",
        f"/api/v1/locate?lon={value}&lat=39.2",
    ]:
        response = client.get(path) if "actions" not in path else client.post(path)
        assert response.status_code < 500, (path, response.content[:300])
    assert Case.objects.get(pk=case.pk).state == "in_progress"


def test_malformed_json_and_wrong_content_type(world):
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert response.status_code == 422 or response.status_code == 400
    response = client.post("/api/v1/auth/token", {"username": "x"})
    assert 400 <= response.status_code < 500
