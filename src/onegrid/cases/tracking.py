"""Tracking codes: what residents and the public follow a case by.

Ten characters of Crockford's base-32 alphabet (digits and letters without I, L, O and U), drawn
with `secrets`: 50 bits, so a code cannot be guessed or walked the way a case number can.
Reading is forgiving the Crockford way: lower case is upper case, I and L read as 1, O as 0,
and hyphens and spaces are ignored.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10

_READ = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: object) -> str | None:
    """The code a person typed, in its stored form, or None when it cannot be one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = text.strip().replace("-", "").replace(" ", "").upper().translate(_READ)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code
