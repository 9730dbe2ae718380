"""One-time codes: the keyed digest, new codes, and checking a typed code against the live one.

No SMS here (residents.services sends them): the sign-in backend (residents.auth) checks codes
through this module alone.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import InvalidInput

from .models import OneTimeCode


def digest(phone: str, purpose: str, code: str) -> str:
    """A keyed digest: a table dump alone cannot be searched for the 10⁶ possible codes."""
    key = "onegrid.residents.code"
    return salted_hmac(key, f"{phone}:{purpose}:{code}", algorithm="sha256").hexdigest()


def new_code(length: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


def check_code(phone: str, purpose: str, code: object, now: dt.datetime) -> bool:
    """Inside the caller's transaction: whether `code` is the live code of (phone, purpose).

    A right code is used up; a wrong one counts a try (the code retires after MAX_TRIES); an
    expired one retires. The caller commits either way (a wrong try must count) and refuses
    after the commit."""
    typed = str(code or "").strip()
    row = (
        OneTimeCode.objects.select_for_update()
        .filter(phone=phone, purpose=purpose, retired_at=None)
        .first()
    )
    if row is None:
        return False
    if row.expires_at <= now:
        row.retired_at = now
        row.save(update_fields=["retired_at"])
        return False
    if typed.isascii() and constant_time_compare(row.digest, digest(phone, purpose, typed)):
        row.used_at = row.retired_at = now
        row.save(update_fields=["used_at", "retired_at"])
        return True
    row.attempts += 1
    if row.attempts >= settings.ONEGRID["RESIDENTS"]["CODE_MAX_TRIES"]:
        row.retired_at = now
    row.save(update_fields=["attempts", "retired_at"])
    return False


def wrong_code() -> InvalidInput:
    return InvalidInput(
        _("The code is wrong or no longer valid. Check the message, or ask for a new code."),
        field="code",
    )


def consume_code(*, phone: str, purpose: str, code: str) -> bool:
    """Check and use up a code in a transaction of its own (the sign-in backend's check)."""
    with transaction.atomic():
        return check_code(phone, purpose, code, clock.now())
