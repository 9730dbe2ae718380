"""schemathesis over /api/v1/residents/ only (tests/config/test_api_fuzz.py runs every
operation): valid and invalid requests, no 5xx, every answer declared (status, content type,
body schema) — 429s with their retry_after included."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from onegrid.core import clock
from onegrid.territory import locator, selectors

BOUNDED = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def test_the_residents_api_declares_every_answer_and_never_fails(world, live_server, outbox):
    clock.set_now(None)
    locator.invalidate()
    selectors.clear_cache()
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/residents")
    ]
    assert len(operations) == 3
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @BOUNDED
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                # A schema-valid code or phone is mostly refused by the rules (a real number,
                # the live code): acceptance of valid-looking data is not the point here.
                case.call_and_validate(excluded_checks=[positive_data_acceptance])

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
