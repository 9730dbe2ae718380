"""Browser tests: Playwright driving Debian's chromium against a live server.

No browser is downloaded: `make test` installs Debian's chromium (apt) and Playwright's Python
driver (PyPI); the tests launch /usr/bin/chromium. Screenshots of each main page are saved
under $ONEGRID_VAR_DIR/test-output/screenshots for reviewers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from onegrid.core import clock
from onegrid.territory import locator, selectors
from support.browser import sign_in

# Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise refuse
# to run beside it. The ORM calls here are the test's own, not made from async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("ONEGRID_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium keeps trying to reach Google's hosts, which an isolated network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian chromium not found at {CHROMIUM}: `make test` installs it with apt.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
        # Inside sync_playwright() the ORM runs in another context and so opens its own
        # database connections; close them here, or PostgreSQL refuses to drop the test
        # database at the end of the run ("being accessed by other users").
        connections.close_all()


@pytest.fixture
def web(world, live_server, browser):
    """The small `world` behind a live server; `web.context(user)` opens a signed-in browser."""
    # The live server runs in another thread with the real clock; so does this test from here on.
    clock.set_now(None)
    locator.invalidate()
    selectors.clear_cache()
    contexts = []

    class Web:
        url = live_server.url
        people = world.people

        def context(self, username=None, *, phone=False, language="zh-hans", **options):
            ctx = browser.new_context(
                viewport=PHONE if phone else DESK,
                locale="zh-CN" if language == "zh-hans" else "en-US",
                base_url=live_server.url,
                **options,
            )
            ctx.set_default_timeout(15_000)
            ctx.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
            )
            contexts.append(ctx)
            if username:
                sign_in(ctx.new_page(), username)
            return ctx

    Web.world = world
    yield Web()
    for ctx in contexts:
        ctx.close()
    locator.invalidate()
    selectors.clear_cache()
