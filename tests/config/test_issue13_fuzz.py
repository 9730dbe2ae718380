"""schemathesis against the issue-13 routers only (/api/v1/deliberation, /api/v1/mediation,
/api/v1/insight/governance), with the tokens of the roles that act there: no answer may be a
5xx, and every answer must be declared. Bounded like tests/config/test_api_fuzz.py."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode

from onegrid.core import clock
from onegrid.mediation import legal_basis
from onegrid.org.models import Role
from onegrid.org.services import issue_token
from onegrid.territory import locator, selectors
from support.mediation_world import build, mediating
from support.people import person

from .test_api_fuzz import fuzz

PREFIXES = ("/api/v1/deliberation", "/api/v1/mediation", "/api/v1/insight/governance")
ROLES = ["mediator", "judicial", "committee", "adviser", "resident", "acceptor"]


@pytest.fixture
def issue13_schema(world, live_server):
    legal_basis.ensure_default_types()  # the live server's flush emptied the migration's rows
    med = build(world)
    mediating(world, med)
    person("committee", Role.COMMUNITY_COMMITTEE, unit=world.community)
    person("adviser", Role.LEGAL_ADVISER, unit=world.community)
    clock.set_now(None)
    locator.invalidate()
    selectors.clear_cache()
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")


@pytest.mark.parametrize("role", ROLES)
def test_issue13_answers_are_declared_and_none_is_a_server_error(issue13_schema, world, role):
    from onegrid.org.models import User

    user = (
        User.objects.get(username=role)
        if role in ("committee", "adviser", "mediator", "judicial")
        else getattr(world.people, role)
    )
    failures = []
    for result in issue13_schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(PREFIXES):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            token, _ = issue_token(username=user.username, password="pw-" + user.username)
            try:
                fuzz(operation, mode, {"Authorization": f"Bearer {token}"})
            except Exception as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
