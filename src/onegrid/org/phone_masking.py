"""How much of a phone number a masked display may show (PIPL minimisation, DOMAIN.md §8).

The rule, for every length and format:

- Only digits are masked (each becomes `*`); spaces, dashes, brackets, `+` and words such as
  `转` stay, so the shape of the number is still recognisable.
- A leading country code `+86` / `0086` is not part of anyone's number and is shown.
- An extension (after `转`, `分机`, `ext`, `x`, `#`, or a last dash/space group after a full
  number of 10 or more digits) is masked whole.
- The number itself, N digits: from 11 digits up (a mobile, or a landline with its area code)
  at most the first 3 and the last 4 are shown — the 138****5678 people know from banks and
  couriers, which always hides at least 4 digits (10,000 candidates). Shorter numbers (a local
  landline without its area code, a short or broken number) show at most 40 % of their digits,
  all from the end: an 8-digit landline shows 3, a 7-digit one 2, and 4 digits or fewer show 1
  or none. So a masked number never names one line: at least 4 digits, or 60 % of a short one,
  are always hidden.
"""

from __future__ import annotations

import re

_COUNTRY_CODE = re.compile(r"^\s*(?:\+|＋|00)\s*86")
# An extension introduced by a word or sign: everything after it is the extension.
_EXTENSION_MARK = re.compile(r"(?:转|轉|分机|分機|ext\.?|x|#)", re.IGNORECASE)
# A trailing group of 1–6 digits after a dash or space: an extension only after a full number.
_TRAILING_GROUP = re.compile(r"[-\s]+(\d{1,6})\s*$")
_DIGIT = re.compile(r"\d")
FULL_NUMBER_DIGITS = 11
SHORT_NUMBER_SHARE = 0.4


def shown_digits(n: int) -> int:
    """How many digits of an N-digit number (no country code, no extension) may be shown."""
    if n >= FULL_NUMBER_DIGITS:
        return 7
    return int(n * SHORT_NUMBER_SHARE)


def mask_phone(phone: str | None) -> str:
    """138****5678, 022-****1234转****, +86 138 **** 5678, ******34: enough to recognise, not
    enough to call (the rule is in this module's docstring)."""
    if not phone:
        return ""
    text = str(phone)
    prefix = _COUNTRY_CODE.match(text)
    start = prefix.end() if prefix else 0
    end = _extension_start(text, start)
    return text[:start] + _mask_number(text[start:end]) + _DIGIT.sub("*", text[end:])


def _extension_start(text: str, start: int) -> int:
    """Where the extension begins (len(text) when there is none)."""
    mark = _EXTENSION_MARK.search(text, start)
    # A mark only counts once some of the number came before it ("x" alone is just a letter).
    if mark and _DIGIT.search(text, start, mark.start()):
        return mark.start()
    group = _TRAILING_GROUP.search(text, start)
    if group and len(_DIGIT.findall(text, start, group.start())) >= 10:
        return group.start()
    return len(text)


def _mask_number(part: str) -> str:
    positions = [m.start() for m in _DIGIT.finditer(part)]
    n = len(positions)
    if n >= FULL_NUMBER_DIGITS:
        hidden = set(positions[3:-4])
    else:
        hidden = set(positions[: n - shown_digits(n)])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(part))
