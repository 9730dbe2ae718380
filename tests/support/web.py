"""Signed-in test clients for the page tests (tests/web)."""

from __future__ import annotations

from django.conf import settings
from django.test import Client


def client_for(world, username: str, *, language: str | None = None, **headers) -> Client:
    """A test client signed in as `world.people.<username>`; `language` sets the language
    cookie, `headers` go to every request (HTTP_ACCEPT=…)."""
    client = Client(**headers)
    client.force_login(getattr(world.people, username))
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client
