"""An Open311 client's service user (Role.API_CLIENT) is a channel, not a member of staff: even
signed in (an administrator gave it a password by mistake) it reads no case and opens no page
of the staff's, and it cannot sign in with a password it was never given."""

from __future__ import annotations

from django.test import Client

from onegrid.open311 import services
from support.cases import drive


def test_an_api_client_user_reads_and_opens_nothing(world):
    case = drive(world, "registered")
    client, _key = services.add_client(
        actor=None, name="12345 平台", jurisdiction_code=world.district.code
    )
    assert not client.user.has_usable_password()
    browser = Client()
    browser.force_login(client.user)
    for url in ("/console/", "/inbox/", "/map/", "/map/live.json", "/field/", "/resident/"):
        assert browser.get(url).status_code == 403, url
    assert browser.get(f"/cases/{case.number}/").status_code == 404
    assert browser.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert browser.get("/api/v1/cases").json()["count"] == 0
    report = browser.post(
        "/api/v1/cases",
        {
            "class_code": world.rubbish.code,
            "lon": str(world.point[0]),
            "lat": str(world.point[1]),
            "description": "x",
            "idempotency_key": "k-1",
        },
    )
    assert report.status_code == 403, report.content
