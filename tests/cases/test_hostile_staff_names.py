"""A resident reading their own report through the case page or the API (the field app, a
token from the resident API) is not told the names of the staff who handled it, as the
resident portal's timeline does not: the steps, not the people. Staff still see each other."""

from __future__ import annotations

from django.test import Client

from onegrid.cases import services as case_services
from support.cases import new_key
from support.residents import staff_take

STAFF = {
    "acceptor": "受理员甲某",
    "worker": "网格员乙某",
    "dispatcher": "派遣员丙某",
    "city_handler": "处置员丁某",
}


def _closed_report(world):
    for username, name in STAFF.items():
        person = getattr(world.people, username)
        person.display_name = name
        person.save(update_fields=["display_name"])
    case = case_services.report_case(
        actor=world.people.resident,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        description="楼下垃圾",
        idempotency_key=new_key(),
    ).case
    return staff_take(world, case)


def test_the_reporter_does_not_read_staff_names(world):
    case = _closed_report(world)
    client = Client()
    client.force_login(world.people.resident)
    api = client.get(f"/api/v1/cases/{case.pk}")
    page = client.get(f"/cases/{case.number}/")
    assert api.status_code == page.status_code == 200
    for body in (api.content.decode(), page.content.decode()):
        assert not [name for name in STAFF.values() if name in body]
    events = api.json()["events"] if "events" in api.json() else api.json()["history"]
    assert all(e["actor"] is None for e in events)


def test_staff_still_read_each_others_names(world):
    case = _closed_report(world)
    client = Client()
    client.force_login(world.people.command)
    body = client.get(f"/api/v1/cases/{case.pk}").content.decode()
    assert all(name in body for name in STAFF.values())
