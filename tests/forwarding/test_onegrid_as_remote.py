"""Forwarding to OneGrid's own Open311 endpoint (/open311/v2/, a live server) as the remote:
the GeoReport v2 client and server agree — the POST is acknowledged with the new case's number,
a re-send with the same Idempotency-Key makes no second case, the request is found again by the
reference in its description, and reconcile finds it still there."""

import datetime as dt

import pytest

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.forwarding import remotes, services
from onegrid.forwarding.models import Forward
from onegrid.open311 import services as open311_services
from support.cases import drive
from support.forwarding_remotes import open311_target


@pytest.mark.django_db(transaction=True)
def test_forward_to_onegrids_own_open311(world, live_server, settings):
    # A real server doing real work on a shared machine: the production timeout.
    settings.ONEGRID = {**settings.ONEGRID, "FORWARDING_TIMEOUT_SECONDS": 10}
    _, key = open311_services.add_client(
        actor=None, name="12345 hotline", jurisdiction_code=world.district.code
    )
    target = open311_target(
        f"{live_server.url}/open311/v2/", api_key=key, jurisdiction_id=world.district.code
    )
    case = drive(world, "registered")
    # Committed, the scan's job runs at once (the tests' immediate queue) and delivers.
    assert services.scan() == 1
    forward = Forward.objects.get()
    assert forward.state == "acknowledged", forward.last_error
    made = Case.objects.get(number=forward.external_id)
    assert made.pk != case.pk
    assert made.source == "open311"
    assert made.case_class == case.case_class
    assert made.description.startswith(f"[OneGrid {case.number} {services.reference(forward)}]")
    assert forward.token == made.tracking_code

    # A re-send (the answer was lost) with the same key: the same request, no second case.
    again = remotes.post_request(
        target, services.open311_fields(forward), idempotency_key=str(forward.pk)
    )
    assert (again.acknowledged, again.external_id) == (True, made.number)
    assert Case.objects.filter(source="open311").count() == 1
    # Found by the token, by its id, and by the reference in its description.
    assert remotes.resolve_token(target, made.tracking_code).external_id == made.number
    assert remotes.has_request(target, made.number).found is True
    assert remotes.has_request(target, "NO-SUCH-NUMBER").found is False
    now = dt.datetime.now(dt.UTC)
    found = remotes.find_request(
        target,
        service_code=case.case_class.code,
        since=now - dt.timedelta(hours=1),
        until=now + dt.timedelta(hours=1),
        marker=services.reference(forward),
    )
    assert (found.found, found.external_id) == (True, made.number)
    outcome = services.reconcile(now=clock.now())
    assert (outcome.acknowledged, outcome.resend, outcome.unreachable) == (0, 0, 0)
