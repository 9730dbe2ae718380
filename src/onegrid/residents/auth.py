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
from onegrid.org.policies import OWN_REPORTS_ONLY

from .codes import consume_code
from .models import OneTimeCode


def code_sign_in_allowed(user: User | None) -> bool:
    """Whether `user` may sign in with a code sent to their number: an active resident account
    alone (residents, volunteers, Party members: org.policies.OWN_REPORTS_ONLY). Anyone holding
    a staff role (or staff/superuser rights) signs in with a password, even when an
    administrator named the account by its phone number."""
    if user is None or not user.is_active or user.is_staff or user.is_superuser:
        return False
    return not user.roles.exclude(role__in=OWN_REPORTS_ONLY).exists()


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
        if not code_sign_in_allowed(user):
            return None
        return user

    def get_user(self, user_id: int) -> User | None:
        user = User.objects.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
