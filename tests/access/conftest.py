"""The fixture district of the role × endpoint table, built once per module (tests/access)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from onegrid.core import clock
from onegrid.territory import locator, selectors

from .calls import api_client, page_client, values
from .district import ROLES, build


# The table has some ten thousand cells, each a test: the root conftest's per-test settings
# (the immediate job backend, the fast password hasher) are set once for the module here
# instead, by `district`; these two empty fixtures stand in for the root's of the same name.
@pytest.fixture(autouse=True)
def jobs_run_at_once():
    yield


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    yield


TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notify", "forwarding"],
    }
}


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    """The district, its people and a signed-in page client and an API client per role, in a
    transaction rolled back at the module's end; each cell's own changes roll back in a
    savepoint (test_access_table.py)."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers, TASKS=TASKS),
        transaction.atomic(),
    ):
        locator.invalidate()
        selectors.clear_cache()
        world = build()
        world.values = values(world)
        world.pages = {role: page_client(world.users[role]) for role in ROLES}
        world.api = {role: api_client(world.users[role]) for role in ROLES}
        yield world
        transaction.set_rollback(True)
    clock.set_now(None)
    locator.invalidate()
    selectors.clear_cache()
