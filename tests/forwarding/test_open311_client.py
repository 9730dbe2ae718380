"""Forwarding by Open311 GeoReport v2 to a fake remote (a real local HTTP server): the POST,
tokens resolved later, permanent and passing failures, and reconcile finding the lost
acknowledgement, re-sending what the remote does not have."""

import urllib.parse

import pytest

from onegrid.forwarding import services
from onegrid.forwarding.models import Forward
from support.cases import advance, drive
from support.forwarding_remotes import open311_target


def _deliver_all():
    services.scan()
    return services.deliver_due()


@pytest.mark.django_db
def test_post_request_acknowledged_by_service_request_id(world, remote311):
    open311_target(remote311.url, service_codes={"A01": "101"})
    case = drive(world, "registered")
    assert _deliver_all() == {"acknowledged": 1}
    forward = Forward.objects.get()
    ((request_id, request),) = remote311.requests.items()
    assert forward.external_id == request_id
    assert request["service_code"] == "101"
    assert request["api_key"] == "key-1" and request["jurisdiction_id"] == "tianjin"
    assert float(request["lat"]) == pytest.approx(case.lat)
    assert float(request["long"]) == pytest.approx(case.lon)
    assert request["description"].startswith(
        f"[OneGrid {case.number} {services.reference(forward)}]"
    )
    assert "phone" not in request


@pytest.mark.django_db
def test_reporter_sent_only_where_agreed(world, remote311):
    open311_target(remote311.url, include_reporter=True)
    drive(world, "registered").__class__.objects.update(
        reporter_name="张三", reporter_phone="13900001111"
    )
    _deliver_all()
    (request,) = remote311.requests.values()
    assert (request["first_name"], request["phone"]) == ("张三", "13900001111")


@pytest.mark.django_db
def test_a_token_is_sent_not_acknowledged_until_resolved(world, remote311):
    open311_target(remote311.url)
    drive(world, "registered")
    remote311.answer = "token"
    remote311.resolve_after = 2  # the first GET tokens/{token} has no id yet
    assert _deliver_all() == {"sent": 1}
    forward = Forward.objects.get()
    assert forward.token and not forward.external_id and forward.acknowledged_at is None
    advance(hours=1)
    assert services.deliver_due() == {"sent": 1}  # asked: no id yet
    advance(hours=1)
    assert services.deliver_due() == {"acknowledged": 1}
    forward.refresh_from_db()
    assert forward.external_id == remote311.tokens[forward.token]
    assert remote311.posts == 1  # the token was asked about, the request never re-sent


@pytest.mark.django_db
def test_unknown_service_code_and_bad_key_are_dead_not_retried(world, remote311):
    open311_target(remote311.url, service_codes={"A": "999"})
    drive(world, "registered")
    assert _deliver_all() == {"dead": 1}
    assert "service_code" in Forward.objects.get().last_error
    Forward.objects.all().delete()
    remote311.services = ("999",)
    from onegrid.forwarding.models import Target

    Target.objects.update(api_key="wrong")
    from onegrid.forwarding.models import Mark

    Mark.objects.all().delete()
    assert _deliver_all() == {"dead": 1}
    assert "403" in Forward.objects.get().last_error
    assert remote311.requests == {}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["down", "hang"])
def test_never_acknowledged_on_a_5xx_or_a_timeout(world, remote311, mode):
    open311_target(remote311.url)
    drive(world, "registered")
    remote311.mode = mode
    assert _deliver_all() == {"failed": 1}
    forward = Forward.objects.get()
    assert forward.sent_at is None and forward.external_id == ""
    remote311.mode = "up"
    advance(hours=1)
    assert services.deliver_due() == {"acknowledged": 1}
    assert len(remote311.requests) == 1


@pytest.mark.django_db
def test_reconcile_finds_the_lost_acknowledgement(world, remote311):
    """The remote made the request but its answer never arrived (timeout): the forward failed.
    Reconcile finds the request by the reference in its description and takes its id, so the
    remote does not get the case twice."""
    open311_target(remote311.url)
    case = drive(world, "registered")
    remote311.mode = "lose"
    assert _deliver_all() == {"failed": 1}
    (request_id,) = remote311.requests
    remote311.mode = "up"
    outcome = services.reconcile()
    assert (outcome.acknowledged, outcome.resend, outcome.unreachable) == (1, 0, 0)
    forward = Forward.objects.get()
    assert (forward.state, forward.external_id) == ("acknowledged", request_id)
    advance(hours=2)
    assert services.deliver_due() == {}
    assert len(remote311.requests) == 1 and remote311.posts == 1
    assert case.number in remote311.requests[request_id]["description"]


@pytest.mark.django_db
def test_reconcile_resends_what_the_remote_does_not_have(world, remote311):
    open311_target(remote311.url)
    drive(world, "registered")
    remote311.mode = "hang"  # no request made, no answer
    assert _deliver_all() == {"failed": 1}
    remote311.mode = "up"
    outcome = services.reconcile()
    assert (outcome.acknowledged, outcome.resend) == (0, 1)
    # Due now, without waiting out the back-off.
    assert services.deliver_due() == {"acknowledged": 1}
    assert len(remote311.requests) == 1


@pytest.mark.django_db
def test_reconcile_resends_a_request_the_remote_lost(world, remote311):
    open311_target(remote311.url)
    drive(world, "registered")
    assert _deliver_all() == {"acknowledged": 1}
    lost = Forward.objects.get().external_id
    remote311.forget(lost)
    outcome = services.reconcile()
    assert outcome.resend == 1
    assert services.deliver_due() == {"acknowledged": 1}
    forward = Forward.objects.get()
    assert forward.external_id != lost and forward.external_id in remote311.requests


@pytest.mark.django_db
def test_reconcile_resolves_tokens_and_reports_a_remote_that_is_down(world, remote311):
    open311_target(remote311.url)
    drive(world, "registered")
    remote311.answer = "token"
    remote311.resolve_after = 99
    assert _deliver_all() == {"sent": 1}
    remote311.mode = "down"
    assert services.reconcile().unreachable == 1
    remote311.mode = "up"
    remote311.resolve_after = 0
    assert services.reconcile().acknowledged == 1
    assert Forward.objects.get().state == "acknowledged"


@pytest.mark.django_db
def test_a_resend_with_the_same_idempotency_key_makes_no_second_request(world, remote311):
    remote311.honour_idempotency = True
    open311_target(remote311.url)
    drive(world, "registered")
    remote311.mode = "lose"
    _deliver_all()
    remote311.mode = "up"
    advance(hours=1)
    assert services.deliver_due() == {"acknowledged": 1}
    assert remote311.posts == 2 and len(remote311.requests) == 1


def test_hostile_ids_from_a_remote_are_not_taken():
    from onegrid.forwarding.remotes import _identifier

    assert _identifier("1001") == "1001"
    assert _identifier(42) == "42"
    for bad in (None, True, "", " ", "x" * 101, "a\nb", "a\x00b", {"id": 1}, [1], 1.5):
        assert _identifier(bad) == ""
    assert urllib.parse.quote("../x", safe="") == "..%2Fx"
