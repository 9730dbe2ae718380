"""API authentication: bearer tokens for app clients, the Django session (with CSRF) for pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from . import services
from .models import User


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = services.user_for_token(token)
        if user is not None:
            request.user = user
        return user


class PageSessionAuth(SessionAuth):
    """The pages' session, CSRF-checked — only when there is a session cookie at all: a
    caller with neither a valid token nor a session is unauthenticated (401), not a page
    that lost its CSRF token (403)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


API_AUTH = [TokenAuth(), PageSessionAuth()]
