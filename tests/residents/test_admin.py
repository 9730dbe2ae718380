"""The admin's resident pages: codes listed with masked phones and no digest, read-only."""

from __future__ import annotations

from django.test import Client

from onegrid.org.models import User
from onegrid.residents import services
from onegrid.residents.models import OneTimeCode


def test_codes_are_listed_masked_and_read_only(world, outbox):
    services.request_code(phone="13900005555", purpose="register")
    row = OneTimeCode.objects.get()
    root = User.objects.create_superuser("root", password="pw-root")
    client = Client()
    client.force_login(root)
    listing = client.get("/admin/residents/onetimecode/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "139****5555" in page and "13900005555" not in page
    detail = client.get(f"/admin/residents/onetimecode/{row.pk}/change/").content.decode()
    assert row.digest not in detail and "13900005555" not in detail
    assert client.get("/admin/residents/onetimecode/add/").status_code == 403
    for name in ("residentprofile", "anonymousreport"):
        assert client.get(f"/admin/residents/{name}/").status_code == 200
