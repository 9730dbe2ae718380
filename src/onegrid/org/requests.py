"""The request of a signed-in caller, for the type checker.

Django types `request.user` as a user or an AnonymousUser. Behind the API's authentication
(org.auth: a token or the page session) and the pages' `web.access.signed_in`, it is always a
OneGrid user: handlers there take a `SignedInRequest`, so their code reads `request.user` as a
`User` without checking again.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class SignedInRequest(HttpRequest):
    user: User
