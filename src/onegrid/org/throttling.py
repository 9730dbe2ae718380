"""Sign-in throttling: per account and per address, with back-off, on django-axes.

Every sign-in (the login page, /admin/login/, `POST /api/v1/auth/token`) goes through
`django.contrib.auth.authenticate` with the request. django-axes records each failure in the
database (`AccessAttempt`, one row per username, address and user agent, and the
`AccessFailureLog` that auditors read in /admin/) and refuses a locked-out caller before the
password is checked. This module decides when a caller is locked out:

- an account is locked after `ACCOUNT_FAILURES` failures, an address after
  `ADDRESS_FAILURES` (larger: a street office signs in many people from one address);
- the first lockout lasts `LOCKOUT_SECONDS`; each further failure after it doubles the wait,
  up to `MAX_LOCKOUT_SECONDS` (back-off); tries while locked out are refused unchecked and do
  not count;
- failures are forgotten `AXES_COOLOFF_TIME` after the last one; a successful sign-in forgets
  the account's own failures (never the address's: signing in to one's own account must not
  wipe the failures one made against others).

State lives in the database, not the cache: it is shared by every gunicorn process and host
with no Redis needed, survives restarts, is the same table auditors read, and each test's
transaction rolls it back.

`minute_wait` is the other kind of throttle, for callers that are not signing in (tracking-code
look-ups on the public pages, Open311 clients): a count per key and clock minute in the cache.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from onegrid.core import clock

# Axes passes the credentials of a sign-in as a dict (username, password…), or none.
Credentials = dict[str, Any] | None


@dataclass(frozen=True)
class Limits:
    account_failures: int
    address_failures: int
    lockout_seconds: int
    max_lockout_seconds: int
    forget_seconds: int


def limits() -> Limits:
    knobs = settings.ONEGRID["SIGN_IN_THROTTLE"]
    return Limits(
        account_failures=knobs["ACCOUNT_FAILURES"],
        address_failures=knobs["ADDRESS_FAILURES"],
        lockout_seconds=knobs["LOCKOUT_SECONDS"],
        max_lockout_seconds=knobs["MAX_LOCKOUT_SECONDS"],
        forget_seconds=int(settings.AXES_COOLOFF_TIME.total_seconds()),
    )


def backoff_seconds(failures: int, limit: int, rules: Limits) -> int:
    """How long `failures` failures lock out, counted from the last one (0: not locked)."""
    if failures < limit:
        return 0
    doublings = min(failures - limit, 32)  # 2**32 × any lockout is past every maximum
    return int(min(rules.lockout_seconds * 2**doublings, rules.max_lockout_seconds))


def _failures(field: str, value: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
    found = AccessAttempt.objects.filter(**{field: value}, attempt_time__gte=since).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    return found["failures"] or 0, found["last"]


class BackoffHandler(AxesDatabaseHandler):
    """Axes' database handler with separate account and address limits and back-off."""

    def seconds_locked(self, request: Any, credentials: Credentials = None) -> int:
        """Seconds until this account and address may try again; 0 when they may now."""
        rules = limits()
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        since = now - dt.timedelta(seconds=rules.forget_seconds)
        waits = [0.0]
        for field, value, limit in (
            ("username", get_client_username(request, credentials), rules.account_failures),
            ("ip_address", getattr(request, "axes_ip_address", None), rules.address_failures),
        ):
            if value is None:
                continue
            failures, last = _failures(field, value, since)
            wait = backoff_seconds(failures, limit, rules)
            if wait and last is not None:
                waits.append((last + dt.timedelta(seconds=wait) - now).total_seconds())
        return max(0, math.ceil(max(waits)))

    def get_failures(self, request: Any, credentials: Credentials = None) -> int:
        # Axes locks out when this reaches AXES_FAILURE_LIMIT, which the settings fix at 1:
        # the limits and back-off above decide, so this is 1 while locked out and 0 otherwise.
        return 1 if self.seconds_locked(request, credentials) else 0

    def reset_user_attempts(self, request: Any, credentials: Credentials = None) -> int:
        # On a successful sign-in (AXES_RESET_ON_SUCCESS): the account's failures only.
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def seconds_locked(request: Any, credentials: Credentials = None) -> int:
    """For a response to a locked-out sign-in: how long until it may try again."""
    AxesProxyHandler.update_request(request)  # type: ignore[no-untyped-call]
    handler = AxesProxyHandler.get_implementation()
    if isinstance(handler, BackoffHandler):
        return handler.seconds_locked(request, credentials)
    return limits().lockout_seconds


class ThrottledBackend(AxesStandaloneBackend):
    """Axes' check, first in AUTHENTICATION_BACKENDS, for every sign-in made with a request.

    A sign-in without a request comes from inside the process (tests' `Client.login`, a
    management command, a service called from a script): there is no caller to throttle,
    so it is passed on to the next backend instead of failing as axes would."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is not None:
            # Returns nothing, or raises when the caller is locked out.
            super().authenticate(request, username=username, password=password, **kwargs)


def client_address(request: HttpRequest) -> str | None:
    """The caller's address: REMOTE_ADDR, or behind `PROXY_COUNT` trusted proxies (nginx),
    the address the nearest of them saw, taken from the right of X-Forwarded-For (a client
    can put anything at its left)."""
    proxies = settings.ONEGRID["PROXY_COUNT"]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies and _is_address(hops[-proxies]):
            return str(hops[-proxies])
    remote = request.META.get("REMOTE_ADDR")
    return str(remote) if _is_address(remote) else None


def _is_address(text: str | None) -> bool:
    try:
        ipaddress.ip_address(text or "")
    except ValueError:
        return False
    return True


def minute_wait(key: str, per_minute: int) -> int:
    """Count one call under `key` in the current minute (core.clock's); 0 while the minute's
    count is within `per_minute`, else the seconds until the next minute, when the count starts
    again. Counted in the cache (per process, or shared by every process with REDIS_URL)."""
    now = int(clock.now().timestamp())
    slot = f"{key}:{now // 60}"
    cache.add(slot, 0, timeout=90)
    try:
        count = cache.incr(slot)
    except ValueError:  # expired between add and incr
        cache.add(slot, 1, timeout=90)
        count = 1
    return 0 if count <= per_minute else 60 - now % 60
