"""The mobile numbers residents register and sign in with.

The rule: a mainland China mobile number, 11 ASCII digits starting 13–19 (1[3-9]). Spaces and
dashes between the digits and a leading +86 / 0086 country code are dropped first, as people
type them so; anything else (full-width or other Unicode digits, letters, NUL, control
characters) is refused with a clear message naming the field, never guessed at.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import InvalidInput

MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_SEPARATORS = re.compile(r"[ \-]", re.ASCII)
_COUNTRY_CODE = re.compile(r"^(?:\+86|0086)", re.ASCII)
# Longer than any number with separators and a country code: refused before any regex.
MAX_TYPED = 32


def normalise_mobile(text: object, *, field: str = "phone") -> str:
    """The 11-digit mobile number in `text`, or InvalidInput naming `field`."""
    raw = str(text or "").strip()
    if not raw:
        raise InvalidInput(_("Enter your mobile number."), field=field)
    if len(raw) > MAX_TYPED:
        raise InvalidInput(_("A mobile number has 11 digits."), field=field)
    number = _COUNTRY_CODE.sub("", _SEPARATORS.sub("", raw))
    if not number.isascii():
        raise InvalidInput(
            _("Type the mobile number with the digits 0–9 (half-width)."), field=field
        )
    if not MOBILE.fullmatch(number):
        raise InvalidInput(
            _("A mainland mobile number has 11 digits and starts with 13–19."), field=field
        )
    return number
