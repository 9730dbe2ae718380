"""API authentication: bearer tokens for app clients, the Django session (with CSRF) for pages."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from . import services


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = services.user_for_token(token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [TokenAuth(), SessionAuth()]
