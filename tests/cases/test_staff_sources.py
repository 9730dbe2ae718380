"""Who enters a report for someone else, by its source: street and command-centre staff enter
hotline, camera and import reports; Party-organisation staff only their service-centre
inspections' rectification items (source inspection), through the API too."""

from __future__ import annotations

import pytest

from onegrid.cases.models import Case
from onegrid.core.errors import PermissionDenied
from onegrid.org import policies
from onegrid.org.models import Role
from support.api import token_client
from support.cases import photo, report
from support.people import person

OTHERS = {"hotline": {"reporter_phone": "13900000000"}, "sensor": {}, "import": {}}


@pytest.fixture
def party_staff(world):
    return person("party_street_s", Role.PARTY_STAFF, unit=world.street)


def _post(client, world, key, **fields):
    data = {
        "lon": world.point[0],
        "lat": world.point[1],
        "class_code": world.rubbish.code,
        "description": "活动室灯坏了",
        "photos": [photo()],
        **fields,
    }
    return client.post("/api/v1/cases", data, HTTP_IDEMPOTENCY_KEY=key)


def test_party_staff_are_refused_every_source_but_inspection_through_the_api(world, party_staff):
    client = token_client(party_staff)
    for source, extra in OTHERS.items():
        refused = _post(client, world, f"k-{source}", source=source, **extra)
        assert refused.status_code == 403, source
        assert refused.json()["field"] == "source"
    # Saying no source is no way round it: it would have been a hotline report.
    unnamed = _post(client, world, "k-none")
    assert unnamed.status_code == 403 and unnamed.json()["field"] == "source"
    assert not Case.objects.exists()
    made = _post(client, world, "k-inspection", source="inspection")
    assert made.status_code == 201, made.content
    case = Case.objects.get()
    assert case.source == "inspection" and case.state == "reported"
    # Entered for the inspection's record, like an import: no reporter account.
    assert case.reporter is None


def test_street_and_command_centre_staff_keep_their_sources_and_not_inspection(world):
    p = world.people
    for who in (p.acceptor, p.command):
        for source, extra in OTHERS.items():
            assert report(world, who=who, source=source, **extra).source == source
        with pytest.raises(PermissionDenied) as refused:
            report(world, who=who, source="inspection")
        assert refused.value.field == "source"
    assert report(world, who=p.acceptor, reporter_phone="13900000000").source == "hotline"


def test_the_policy_names_who_enters_which_source(world, party_staff):
    p = world.people
    for source in OTHERS:
        assert policies.may_enter_staff_report(p.acceptor, source)
        assert not policies.may_enter_staff_report(party_staff, source)
        assert not policies.may_enter_staff_report(p.worker, source)
    assert policies.may_enter_staff_report(party_staff, "inspection")
    assert not policies.may_enter_staff_report(p.acceptor, "inspection")
    assert not policies.may_enter_staff_report(party_staff, "open311")
