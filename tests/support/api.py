"""Test clients that call the JSON API with a bearer token, as app clients do."""

from __future__ import annotations

from django.test import Client

from onegrid.org.services import issue_token


def token_client(user, language: str = "en", **options) -> Client:
    """A client calling as `user` (password "pw-<username>", as the `world` fixture sets)
    with a fresh token, asking for answers in `language`; `options` go to Client."""
    token, _ = issue_token(username=user.username, password="pw-" + user.username)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=language, **options)
