"""Forwarding sends through notify.outbound, as notify does: only http(s) addresses are opened
(a target's file: URL is a failed attempt naming why, never a file read or a crash)."""

import pytest

from onegrid.forwarding import services
from onegrid.forwarding.models import Forward
from support.cases import drive
from support.forwarding_remotes import webhook_target


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["file:///etc/hostname", "ftp://127.0.0.1/x"])
def test_a_target_that_is_not_http_is_a_failed_attempt(world, url):
    webhook_target(url)
    drive(world, "registered")
    services.scan()
    assert services.deliver_due() == {"failed": 1}
    forward = Forward.objects.get()
    assert forward.sent_at is None and forward.acknowledged_at is None
    assert "only http(s)" in forward.last_error
