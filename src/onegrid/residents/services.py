"""Resident accounts: one-time codes by SMS, registration, sign-in with a code.

Each write is one function with keyword arguments. The code's rules (settings
ONEGRID["RESIDENTS"]): 6 digits, 10 minutes of life, at most 5 wrong tries, used once, one live
code per phone and purpose (a new request retires the one before). Sending is throttled per
phone (one a minute, five an hour) and per client address (twenty an hour), counted from the
OneTimeCode rows themselves, so every process and host shares the count and nothing needs Redis.

What the answers never tell: whether a number has an account. Asking for a registration code
for a registered number sends that number a notice instead of a code ("this number already has
an account"); asking for a sign-in code for an unknown number sends nothing; the answer to the
caller is the same in every case, and so are the throttle's counts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from onegrid.cases import services as case_services
from onegrid.core import clock
from onegrid.core.errors import Conflict, DomainError, InvalidInput
from onegrid.notify import services as notify_services
from onegrid.org import policies
from onegrid.org import services as org_services
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.org.throttling import seconds_locked
from onegrid.territory.models import AdminUnit

from .codes import check_code, digest, new_code, wrong_code
from .models import AnonymousReport, OneTimeCode, ResidentProfile
from .phones import normalise_mobile

Purpose = OneTimeCode.Purpose
MAX_DISPLAY_NAME = 50


class TooManyRequests(DomainError):
    """Over a limit: wait `retry_after` seconds (the pages and API send it as Retry-After)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: object, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(str(message), field=field)
        self.retry_after = max(1, int(retry_after))


@dataclass(frozen=True)
class CodeRequest:
    """What a caller may be told of a code request: when a code sent now would expire."""

    expires_at: dt.datetime


def _purpose(value: object) -> str:
    if value not in Purpose.values:
        raise InvalidInput(_("Unknown purpose of a code."), field="purpose")
    return str(value)


def _wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many codes asked for. Try again in %(minutes)d minute.",
        "Too many codes asked for. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins for this number or from this address. "
        "Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this number or from this address. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def throttle_address(address: str | None) -> str | None:
    """The address a caller is counted (and remembered) by: an IPv4 address as it is, an IPv6
    one as its /64 network ("2001:db8:1:2::"): one subscriber holds a whole /64 and could
    otherwise take a fresh address for every request."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def _throttle(phone: str, client_address: str | None, now: dt.datetime) -> None:
    """Refuse a request over the per-phone or per-address limits, saying how long to wait."""
    rules = settings.ONEGRID["RESIDENTS"]
    hour_ago = now - dt.timedelta(hours=1)
    by_phone = list(
        OneTimeCode.objects.filter(phone=phone, created_at__gt=hour_ago)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: rules["CODES_PER_PHONE_HOUR"]]
    )
    waits = []
    if by_phone and (now - by_phone[0]).total_seconds() < rules["CODE_INTERVAL_SECONDS"]:
        waits.append(rules["CODE_INTERVAL_SECONDS"] - (now - by_phone[0]).total_seconds())
    if len(by_phone) >= rules["CODES_PER_PHONE_HOUR"]:
        waits.append((by_phone[-1] + dt.timedelta(hours=1) - now).total_seconds())
    if client_address:
        limit = rules["CODES_PER_ADDRESS_HOUR"]
        by_address = list(
            OneTimeCode.objects.filter(client_address=client_address, created_at__gt=hour_ago)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(by_address) >= limit:
            waits.append((by_address[-1] + dt.timedelta(hours=1) - now).total_seconds())
    if waits:
        seconds = math.ceil(max(waits))
        raise TooManyRequests(_wait_message(seconds), retry_after=seconds, field="phone")


def _account(phone: str) -> User | None:
    """The account a mobile number signs in to: the one whose username is the number."""
    return User.objects.filter(username=phone).first()


def request_code(*, phone: str, purpose: str, client_address: str | None = None) -> CodeRequest:
    """Send a one-time code for `purpose` ("register" or "sign_in") to `phone` by SMS.

    Throttled (TooManyRequests, 429). Never tells whether the number has an account: see the
    module's docstring. The SMS goes through notify.services.send_text, idempotent on the
    code's id, so a retried job never sends it twice."""
    phone = normalise_mobile(phone)
    purpose = _purpose(purpose)
    client_address = throttle_address(client_address)
    rules = settings.ONEGRID["RESIDENTS"]
    now = clock.now()
    expires_at = now + dt.timedelta(seconds=rules["CODE_LIFE_SECONDS"])
    try:
        with transaction.atomic():
            _throttle(phone, client_address, now)
            OneTimeCode.objects.filter(phone=phone, purpose=purpose, retired_at=None).update(
                retired_at=now
            )
            account = _account(phone)
            code = new_code(rules["CODE_LENGTH"])
            minutes = rules["CODE_LIFE_SECONDS"] // 60
            if purpose == Purpose.REGISTER and account is None:
                text = gettext(
                    "[OneGrid] Your registration code is %(code)s, valid for %(minutes)d "
                    "minutes. Do not tell it to anyone."
                ) % {"code": code, "minutes": minutes}
            elif purpose == Purpose.REGISTER:
                # The owner of the number learns that it has an account; the caller does not.
                text = gettext(
                    "[OneGrid] This number already has an account. Sign in with your "
                    "password or a sign-in code. If you did not ask, ignore this message."
                )
            elif policies.may_sign_in_with_code(account):
                text = gettext(
                    "[OneGrid] Your sign-in code is %(code)s, valid for %(minutes)d minutes. "
                    "Do not tell it to anyone."
                ) % {"code": code, "minutes": minutes}
            else:
                text = ""
            row = OneTimeCode.objects.create(
                phone=phone,
                purpose=purpose,
                digest=digest(phone, purpose, code),
                created_at=now,
                expires_at=expires_at,
                client_address=client_address or None,
                sent=bool(text),
            )
            if text:
                notify_services.send_text(phone=phone, text=text, key=f"code:{row.pk}")
    except IntegrityError:
        # A concurrent request for the same number made its live code first.
        seconds = settings.ONEGRID["RESIDENTS"]["CODE_INTERVAL_SECONDS"]
        raise TooManyRequests(_wait_message(seconds), retry_after=seconds, field="phone") from None
    return CodeRequest(expires_at=expires_at)


def _display_name(value: object) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise InvalidInput(_("Enter the name to show on your reports."), field="display_name")
    if len(name) > MAX_DISPLAY_NAME:
        raise InvalidInput(
            _("The name is at most %(n)d characters.") % {"n": MAX_DISPLAY_NAME},
            field="display_name",
        )
    if not name.isprintable():
        raise InvalidInput(_("The name may not hold control characters."), field="display_name")
    return name


def _district() -> AdminUnit:
    district = AdminUnit.objects.filter(code=settings.ONEGRID["DISTRICT_CODE"]).first()
    if district is None:
        district = AdminUnit.objects.filter(level="district").order_by("code").first()
    if district is None:
        raise Conflict(_("The district is not set up yet."), field="phone")
    return district


def register(*, phone: str, code: str, password: str, display_name: str) -> User:
    """A new resident account for a mobile number proven by its registration code: the
    username and phone are the number, the password passes Django's validators, and the person
    holds Role.RESIDENT bound to the district (residents report anywhere in it)."""
    phone = normalise_mobile(phone)
    display_name = _display_name(display_name)
    if not password:
        raise InvalidInput(_("Choose a password."), field="password")
    if "\x00" in password or len(password) > 128:
        raise InvalidInput(_("The password is at most 128 characters."), field="password")
    candidate = User(username=phone, phone=phone, display_name=display_name)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), field="password") from None
    district = _district()
    now = clock.now()
    with transaction.atomic():
        right = check_code(phone, Purpose.REGISTER, code, now)
        if right:
            if User.objects.filter(username=phone).exists():
                raise Conflict(
                    _("This number already has an account: sign in instead."), field="phone"
                )
            user = User(username=phone, phone=phone, display_name=display_name)
            user.set_password(password)
            user.save()
            RoleAssignment.objects.create(user=user, role=Role.RESIDENT, unit=district)
            ResidentProfile.objects.create(user=user, registered_at=now, phone_verified_at=now)
    if not right:
        raise wrong_code()
    return user


def sign_in_with_code(*, phone: str, code: str, request: HttpRequest | None) -> User:
    """The account of `phone` when `code` is its live sign-in code; the caller logs them in.

    Goes through django.contrib.auth.authenticate (residents.auth.CodeBackend), so a wrong code
    counts as a failed sign-in for the account and the address, and a locked-out caller is
    refused unchecked, exactly as the password sign-in (org.throttling)."""
    phone = normalise_mobile(phone)
    typed = str(code or "").strip()
    if not typed:
        raise InvalidInput(_("Enter the code from the message."), field="code")
    user = authenticate(request, username=phone, one_time_token=typed)
    if user is None:
        if request is not None and getattr(request, "axes_locked_out", False):
            seconds = max(1, seconds_locked(request, {"username": phone}))
            raise TooManyRequests(_locked_message(seconds), retry_after=seconds, field="code")
        raise wrong_code()
    return user


# --- anonymous reports -------------------------------------------------------------------------


def report_anonymously(*, client_address: str | None, **report: Any) -> case_services.Outcome:
    """A report on the anonymous form (/report/), from `client_address`: refused over
    ANONYMOUS_REPORTS_PER_HOUR from that address (an IPv6 one by its /64), else
    cases.services.report_anonymously with the `report`'s fields; a new case's address is kept
    (AnonymousReport) for the limit and for abuse reviews. A replay counts nothing new."""
    address = throttle_address(client_address)
    _anonymous_throttle(address, clock.now())
    # Not one transaction with the report: its photos' files are kept only once the report's
    # own transaction has committed (cases.photos.staged). A lost row only undercounts.
    outcome = case_services.report_anonymously(**report)
    if not outcome.replayed:
        AnonymousReport.objects.get_or_create(
            case=outcome.case, defaults={"client_address": address, "created_at": clock.now()}
        )
    return outcome


def _anonymous_throttle(address: str | None, now: dt.datetime) -> None:
    if not address:
        return
    limit = settings.ONEGRID["RESIDENTS"]["ANONYMOUS_REPORTS_PER_HOUR"]
    recent = list(
        AnonymousReport.objects.filter(
            client_address=address, created_at__gt=now - dt.timedelta(hours=1)
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        seconds = max(1, math.ceil((recent[-1] + dt.timedelta(hours=1) - now).total_seconds()))
        minutes = max(1, math.ceil(seconds / 60))
        message = ngettext(
            "Too many reports from this address. Try again in %(minutes)d minute, or call "
            "the 12345 hotline.",
            "Too many reports from this address. Try again in %(minutes)d minutes, or call "
            "the 12345 hotline.",
            minutes,
        ) % {"minutes": minutes}
        raise TooManyRequests(message, retry_after=seconds, field="form")


# Codes are kept a day: the sending limits look an hour back and a code lives ten minutes, so
# older rows only hold phone numbers and addresses no one needs (PIPL: minimisation). The
# address an anonymous report came from is kept 30 days, for abuse reviews, then forgotten.
CODE_RETENTION = dt.timedelta(days=1)
ANONYMOUS_ADDRESS_RETENTION = dt.timedelta(days=30)


@dataclass(frozen=True)
class Purged:
    codes: int
    addresses: int


def purge(*, now: dt.datetime | None = None) -> Purged:
    """Delete old one-time codes and forget old anonymous reports' addresses (idempotent:
    `onegrid residents purge`, daily)."""
    now = now or clock.now()
    with transaction.atomic():
        codes, _ = OneTimeCode.objects.filter(created_at__lt=now - CODE_RETENTION).delete()
        addresses = AnonymousReport.objects.filter(
            created_at__lt=now - ANONYMOUS_ADDRESS_RETENTION, client_address__isnull=False
        ).update(client_address=None)
    return Purged(codes=codes, addresses=addresses)


def new_token(user: User, *, request: HttpRequest | None = None) -> tuple[str, dt.datetime]:
    """An API token for a resident who just registered or proved their number with a code:
    org.services.token_for, as a password sign-in gets one (with the request, it counts as a
    sign-in)."""
    return org_services.token_for(user, request=request)
