"""Sign-in with a one-time code, as a Django authentication backend.

Being a backend puts the code sign-in behind the same django-axes check as the password
sign-in (org.throttling.ThrottledBackend comes first in AUTHENTICATION_BACKENDS): a locked-out
account or address is refused before the code is looked at, and a wrong code is a failed
sign-in that counts toward the lockout. The credential is named `one_time_token` so that
Django's failed-sign-in signal blanks it (it hides credentials whose names hold "token").
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from onegrid.org.models import User
from onegrid.org.policies import may_sign_in_with_code

from .codes import consume_code
from .models import OneTimeCode


class CodeBackend:
    """Authenticates `username` (a mobile number) with its live sign-in code. Only accounts
    whose username is the number (resident accounts) sign in this way: staff sign in with a
    password."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        one_time_token: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not one_time_token:
            return None
        user = User.objects.filter(username=username).first()
        if not consume_code(
            phone=username, purpose=OneTimeCode.Purpose.SIGN_IN, code=one_time_token
        ):
            return None
        if not may_sign_in_with_code(user):
            return None
        return user

    def get_user(self, user_id: int) -> User | None:
        user = User.objects.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
