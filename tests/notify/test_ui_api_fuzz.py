"""schemathesis over /api/v1/notifications/ only (tests/config/test_api_fuzz.py runs every
operation; this is the quick one for the inbox): valid and invalid requests, no 5xx, every
answer declared (status, content type, body schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from onegrid.core import clock
from onegrid.org.services import issue_token
from onegrid.territory import locator, selectors
from support.notify_ui import notify

BOUNDED = settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _fuzz(operation, mode: GenerationMode, headers: dict) -> None:
    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        # "Schema-valid data is accepted" is not checked: a valid-looking id may be no one's.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


@pytest.mark.parametrize("role", ["acceptor", "resident"])
def test_the_inbox_api_declares_every_answer_and_never_fails(world, live_server, role):
    user = getattr(world.people, role)
    for minutes in range(3):
        notify(user, minutes=minutes)
    notify(world.people.dispatcher)
    clock.set_now(None)
    locator.invalidate()
    selectors.clear_cache()
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    failures = []
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/notifications")
    ]
    assert len(operations) == 7
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            token, _ = issue_token(username=user.username, password="pw-" + user.username)
            try:
                _fuzz(operation, mode, {"Authorization": f"Bearer {token}"})
            except Exception as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
