"""schemathesis against the live test server, with the tokens of six roles.

Every operation of /api/v1/openapi.json gets generated requests, valid and invalid: no answer
may be a 5xx, and every answer must be declared — its status, its content type, its body
schema and headers. Bounded (a fixed number of derandomised examples per operation and
mode) so that it takes a minute or two per database.

The operations run as plain Hypothesis tests here rather than through schemathesis' pytest
plugin (`from_fixture`), which pytest 9.2 breaks (it rewrites `Node._nodeid`).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from onegrid.core import clock
from onegrid.org.services import issue_token
from onegrid.territory import locator, selectors
from support.cases import drive

ROLES = ["worker", "acceptor", "dispatcher", "city_handler", "command", "resident"]
# Examples per operation and mode; ONEGRID_FUZZ_EXAMPLES=200 for a long run by hand.
EXAMPLES = int(os.environ.get("ONEGRID_FUZZ_EXAMPLES", 5))
BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def api_schema(world, live_server):
    # Some history to read: cases with events, tasks and photos.
    for state in ("reported", "checking"):
        drive(world, state)
    # The live server runs in another thread with the real clock; so does this test now.
    clock.set_now(None)
    locator.invalidate()
    selectors.clear_cache()
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")


def fuzz(operation, mode: GenerationMode, headers: dict) -> None:
    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        # Every check but "schema-valid data is accepted": schema-valid is not always valid —
        # a class code must exist, a point must lie in the district, a report needs its
        # idempotency key in the header or the form (OpenAPI cannot say "one of the two").
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


@pytest.mark.parametrize("role", ROLES)
def test_every_answer_is_declared_and_none_is_a_server_error(api_schema, world, role):
    user = getattr(world.people, role)
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # A fresh token each time: DELETE /auth/token revokes the one it is called with.
            token, _ = issue_token(username=user.username, password="pw-" + user.username)
            try:
                fuzz(operation, mode, {"Authorization": f"Bearer {token}"})
            except Exception as exc:  # each operation's failure is reported, all at once
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
