"""Fixtures shared by every test folder.

`beichen` builds the Beichen demo district (24 streets/towns, ~250 communities, ~1,300 grids)
once per session into the test database and commits it, because building takes seconds. Tests
that use it must not use `transactional_db` (its flush would delete the district for the rest of
the session); within `db` tests, changes to it roll back as usual.

The district's codes (120113…) would collide with tests that create their own small world with
the same codes, so tests that use `beichen` are moved to the end of the run: by the time the
district exists, those other tests have finished.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def beichen(django_db_setup, django_db_blocker):
    """The demo district, built once; returns onegrid.demo.district.DistrictSummary."""
    from onegrid.demo.district import build_beichen
    from onegrid.territory import locator, selectors

    with django_db_blocker.unblock():
        summary = build_beichen()
    locator.invalidate()
    selectors.clear_cache()
    return summary


@pytest.fixture
def fresh_locator():
    """Start and end with an empty locator and GeoJSON cache.

    They are per-process caches keyed on the layer version; a test's rolled-back transaction
    can leave them holding a layer that no longer exists.
    """
    from onegrid.territory import locator, selectors

    locator.invalidate()
    selectors.clear_cache()
    yield locator.locator
    locator.invalidate()
    selectors.clear_cache()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    uses = [item for item in items if "beichen" in getattr(item, "fixturenames", ())]
    if uses:
        chosen = set(map(id, uses))
        items[:] = [item for item in items if id(item) not in chosen] + uses


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real PBKDF2 costs ~0.3 s per user; tests create dozens. Production keeps PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    # Requests with Accept-Language activate a language for the thread; start every test from
    # the default (zh-hans), as a fresh process would.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
