import pytest

from support.forwarding_remotes import Open311Remote, WebhookReceiver


@pytest.fixture(autouse=True)
def _short_timeout(settings):
    # A remote that hangs is given up on after half a second (production: 10 s).
    settings.ONEGRID = {**settings.ONEGRID, "FORWARDING_TIMEOUT_SECONDS": 0.5}


@pytest.fixture
def receiver():
    remote = WebhookReceiver()
    remote.hang_seconds = 1.0
    with remote.running():
        yield remote


@pytest.fixture
def remote311():
    remote = Open311Remote()
    remote.hang_seconds = 1.0
    with remote.running():
        yield remote
