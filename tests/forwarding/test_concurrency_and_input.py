"""Several workers on one forward send it once; bad target settings are refused naming the
field."""

import pytest
from django.core.exceptions import ValidationError

from onegrid.forwarding import services
from onegrid.forwarding.models import Forward, Target
from support.cases import drive, run_concurrently
from support.forwarding_remotes import webhook_target


@pytest.mark.django_db(transaction=True)
def test_four_workers_at_once_send_a_forward_once(world, receiver):
    webhook_target(receiver.url)
    drive(world, "registered")
    services.scan()  # committed: its job ran at once (the tests' immediate queue)…
    forward = Forward.objects.get()
    assert forward.state == "acknowledged"
    # …so make it due again as if unacknowledged, and let four workers race for it.
    Forward.objects.update(state="failed", acknowledged_at=None, next_attempt_at=forward.created_at)
    posts = receiver.posts
    states = run_concurrently(lambda: services.deliver(forward_id=forward.pk), copies=4)
    # The one that won the claim acknowledged it; the others left it to the winner.
    assert "acknowledged" in states and set(states) <= {"acknowledged", "failed"}
    assert receiver.posts == posts + 1  # one claim won; the others found it leased
    assert Forward.objects.get().attempts == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "ftp://example.org/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://example.org/\x00"}, "url"),
        ({"secret": ""}, "secret"),
        ({"kind": "open311", "api_key": ""}, "api_key"),
        ({"service_codes": ["A01"]}, "service_codes"),
        ({"service_codes": {"A01": 101}}, "service_codes"),
        ({"service_codes": {"": "101"}}, "service_codes"),
        ({"service_codes": {"A01": "x" * 101}}, "service_codes"),
        ({"name": "n" * 101}, "name"),
    ],
)
def test_bad_target_settings_name_the_field(changes, field):
    values = {"name": "hook", "kind": "webhook", "url": "https://example.org/hook", "secret": "s"}
    target = Target(**{**values, **changes})
    with pytest.raises(ValidationError) as refused:
        target.full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_a_good_target_passes():
    Target(
        name="12345",
        kind="open311",
        url="https://12345.example.gov.cn/open311/v2/",
        api_key="k",
        service_codes={"A01": "101"},
    ).full_clean()
