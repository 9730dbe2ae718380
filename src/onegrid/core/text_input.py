"""Text a person typed into a form or an API field, checked the one way every service checks it."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .errors import InvalidInput

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Control characters (a tab and line breaks aside), surrogates, private-use and unassigned code
# points, and the line/paragraph separators: nothing a person means to store (PostgreSQL refuses
# NUL outright). Spaces of every script (全角空格 U+3000 included) and format characters (the
# joiners inside emoji) are text.
_REFUSED = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def bounded_text(value: object, field: str, *, max_length: int, required: bool = False) -> str:
    """`value` trimmed, at most `max_length` characters, without refused characters; None is
    empty. Anything else is a 422 naming `field`: nothing is cut off silently."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_("Expected text."), field=field)
    text = value.strip()
    if required and not text:
        raise InvalidInput(_("This field is required."), field=field)
    if len(text) > max_length:
        raise InvalidInput(
            _("At most %(n)d characters.") % {"n": max_length}, field=field, code="too_long"
        )
    if any(unicodedata.category(ch) in _REFUSED and ch not in _ALLOWED_CONTROLS for ch in text):
        raise InvalidInput(_("Control characters are not allowed."), field=field)
    return text


MAX_IDEMPOTENCY_KEY = 64


def idempotency_key(value: object, *, missing: StrOrPromise, field: str = "idempotency_key") -> str:
    """A client's idempotency key (what makes a retry replay instead of doing twice): trimmed,
    1 to 64 printable characters. `missing` says, translated, what a missing key would risk."""
    key = "" if value is None else str(value).strip()
    if not key:
        raise InvalidInput(missing, field=field)
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidInput(
            _("The idempotency key is at most 64 printable characters."), field=field
        )
    return key


# Every table's key is a BigAutoField: ids run from 1 to 2**63 - 1.
MAX_ROW_ID = 2**63 - 1


def row_id(value: object) -> int | None:
    """The id of a row as a client names it (an int, or ASCII digits with spaces around), or
    None for anything else — "١٢", "１２", True, 0, a negative or a number past the key's range
    — so the caller says what is missing in its own words (a 404, or a 422 at its field)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


def chosen_row_id(value: object, field: str) -> int:
    """The id of a row picked from a list; anything but an id is a 422 at `field`."""
    number = row_id(value)
    if number is None:
        raise InvalidInput(_("Choose from the list."), field=field)
    return number


# Money columns hold 12 digits, 2 after the point: at most this many yuan.
MAX_YUAN = Decimal("9999999999.99")
_YUAN = re.compile(r"(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?")


def yuan_amount(value: object, field: str) -> Decimal:
    """An amount of yuan, 0 to MAX_YUAN, with at most two decimals, written with 0-9 and one
    point (12, 12.5, 12.50): anything else (negative, huge, 1e3, 1,000, full-width digits,
    NaN) is a 422 naming `field`. A JSON number is read by its text."""
    if isinstance(value, bool) or value is None:
        raise InvalidInput(_("Give an amount in yuan, e.g. 12000 or 12000.50."), field=field)
    if isinstance(value, Decimal | int | float):
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise InvalidInput(_("Give an amount in yuan, e.g. 12000 or 12000.50."), field=field)
    if text.startswith("-"):
        raise InvalidInput(_("An amount cannot be negative."), field=field)
    if len(text) > 20 or not _YUAN.fullmatch(text):
        raise InvalidInput(
            _("Give an amount in yuan with the digits 0-9 and at most two decimals."),
            field=field,
        )
    amount = Decimal(text).quantize(Decimal("0.01"))
    if amount > MAX_YUAN:
        raise InvalidInput(
            _("At most %(max)s yuan.") % {"max": f"{MAX_YUAN:,}"}, field=field, code="too_large"
        )
    return amount
