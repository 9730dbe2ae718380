"""The rule for codes that files and people set: standard addresses, police beats, classes.

A code is a key: it goes into URLs, file names, spreadsheets, logs and other systems' records,
so it holds only what survives all of them unchanged and reads the same to everyone: ASCII
letters and digits, and - _ . after the first character. No spaces, slashes, line breaks,
control characters, bidirectional or zero-width marks, and no look-alike digits of other
scripts (which `int()` and `\\d` accept). Grid and admin codes are stricter still (digits only,
territory/layerio.py).
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def code_rule(max_length: int) -> str:
    """The rule as a sentence fragment, for messages."""
    return _(
        "a code has 1 to %(max)s characters: letters A–Z or a–z, digits 0–9, and - _ . (not first)"
    ) % {"max": max_length}


def character_name(char: str) -> str:
    """A character as a message can show it: "/" (U+002F), or U+200B ZERO WIDTH SPACE for one
    that cannot be seen or would reorder the text around it."""
    point = f"U+{ord(char):04X}"
    if char.isprintable() and not char.isspace() and unicodedata.category(char) != "Cf":
        return f'"{char}" ({point})'
    name = unicodedata.name(char, "")
    return f"{point} {name}".strip()


def code_problem(code: str, *, max_length: int) -> str | None:
    """None when `code` follows the rule; otherwise the rule and what in `code` breaks it."""
    if _CODE.match(code) and len(code) <= max_length:
        return None
    rule = code_rule(max_length)
    if not code:
        return _("%(rule)s; it is empty.") % {"rule": rule}
    if len(code) > max_length:
        return _("%(rule)s; it has %(count)s.") % {"rule": rule, "count": len(code)}
    bad = next((c for c in code if c not in _ALLOWED), None)
    if bad is None:
        return _("%(rule)s; it starts with %(char)s.") % {
            "rule": rule,
            "char": character_name(code[0]),
        }
    return _("%(rule)s; it contains %(char)s.") % {"rule": rule, "char": character_name(bad)}


def shown(code: str) -> str:
    """A code as it can be shown in a message whatever it holds: characters that cannot be
    seen, break lines or reorder text are written as \\uXXXX."""
    return "".join(
        c if c.isprintable() and unicodedata.category(c) != "Cf" else f"\\u{ord(c):04x}"
        for c in code
    )
