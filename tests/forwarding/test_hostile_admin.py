"""The stored Open311 API key is write-only: it is never sent to an address other than the one
it was given for. Moving a target to a new URL (or making it Open311) asks for the key again,
else whoever may edit a target could read the key off their own server."""

import pytest
from django.test import Client

from onegrid.forwarding.models import Target
from onegrid.org.models import User


def _form(**changes):
    form = {
        "name": "12345 平台",
        "kind": "open311",
        "url": "https://hotline.example.org/open311/v2/",
        "secret": "",
        "api_key": "",
        "jurisdiction_id": "tianjin",
        "service_codes": "{}",
        "active": "on",
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    return {**form, **changes}


@pytest.mark.django_db
def test_a_new_address_needs_the_api_key_again(world):
    User.objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.login(username="root", password="pw-root-123")
    assert client.post("/admin/forwarding/target/add/", _form(api_key="key-1")).status_code == 302
    target = Target.objects.get()
    url = f"/admin/forwarding/target/{target.pk}/change/"
    # The same address with the key left blank: kept (as before).
    assert client.post(url, _form(name="12345")).status_code == 302
    target.refresh_from_db()
    assert (target.name, target.api_key) == ("12345", "key-1")
    # Another address with the key left blank: refused naming the key, nothing changed.
    moved = client.post(url, _form(url="https://attacker.example/open311/v2/"))
    assert moved.status_code == 200
    assert "api_key" in moved.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.url == "https://hotline.example.org/open311/v2/"
    # With the key typed again, the move is saved.
    again = _form(url="https://new.example.org/open311/v2/", api_key="key-2")
    assert client.post(url, again).status_code == 302
    target.refresh_from_db()
    assert (target.url, target.api_key) == ("https://new.example.org/open311/v2/", "key-2")
