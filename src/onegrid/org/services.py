"""Writes for people: API tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import DomainError

from . import access_cache
from .models import ApiToken, User


class BadCredentials(DomainError):
    status = 401
    code = "bad_credentials"


def issue_token(
    *, username: str, password: str, request: HttpRequest | None = None
) -> tuple[str, dt.datetime]:
    """A new API token for a username and password. `request` is the HTTP request of an API
    sign-in: with it the sign-in is throttled (org/throttling.py) and counts as a login;
    in-process callers (tests, scripts) pass none."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise BadCredentials(_("Wrong username or password."), field="password")
    return token_for(user, request=request)


def token_for(user: User, *, request: HttpRequest | None = None) -> tuple[str, dt.datetime]:
    """A new API token for `user`, who has just proved who they are (a password here, a
    one-time code in residents); only its SHA-256 is stored. With the request it counts as a
    sign-in, as a page sign-in does: last_login, and the account's failures are forgotten."""
    if request is not None:
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    raw = secrets.token_urlsafe(32)
    expires = clock.now() + dt.timedelta(hours=settings.ONEGRID["TOKEN_HOURS"])
    ApiToken.objects.create(user=user, digest=ApiToken.digest_of(raw), expires_at=expires)
    return raw, expires


def user_for_token(raw: str) -> User | None:
    """The active person of a live token, their roles attached (org.access_cache)."""
    return access_cache.user_for_token(raw)


def revoke_token(raw: str) -> None:
    ApiToken.objects.filter(digest=ApiToken.digest_of(raw)).delete()
