"""Masked phones never name a line, whatever the length or format (issue 9 §1.6)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onegrid.org.phone_masking import shown_digits
from onegrid.org.policies import mask_phone

COUNTRY_CODE = re.compile(r"^\s*(?:\+|＋|00)\s*86")


@pytest.mark.parametrize(
    "phone, masked",
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138 **** 5678"),
        ("138-1234-5678", "138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("+8613812345678", "+86138****5678"),
        ("0086-13812345678", "0086-138****5678"),
        ("022-26391234", "022-****1234"),
        ("(022)2639-1234", "(022)****-1234"),
        ("022-26391234-8012", "022-****1234-****"),
        ("022-26391234转8012", "022-****1234转****"),
        ("022 2639 1234 分机 12", "022 **** 1234 分机 **"),
        ("0755-12345678 ext. 123", "075*-****5678 ext. ***"),
        ("26391234", "*****234"),  # a landline without its area code: 3 of 8
        ("2639123", "*****23"),  # 7 digits: only the last 2
        ("12345", "***45"),
        ("110", "**0"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_every_format_is_masked(phone, masked):
    assert mask_phone(phone) == masked


def _shown(phone: str, masked: str) -> int:
    start = m.end() if (m := COUNTRY_CODE.match(phone)) else 0
    return sum(ch.isdecimal() for ch in masked[start:])


def _digits(phone: str) -> int:
    start = m.end() if (m := COUNTRY_CODE.match(phone)) else 0
    return sum(ch.isdecimal() for ch in phone[start:])


def _only_digits_masked(phone: str, masked: str) -> bool:
    return len(masked) == len(phone) and all(
        a == b or (a.isdecimal() and b == "*") for a, b in zip(phone, masked, strict=True)
    )


@given(st.text(max_size=40))
def test_any_text_keeps_its_shape_and_shows_no_more_than_the_bound(phone):
    masked = mask_phone(phone)
    assert _only_digits_masked(phone, masked)
    digits, shown = _digits(phone), _shown(phone, masked)
    assert shown <= shown_digits(digits)
    if digits:
        assert shown < digits  # never a whole number


SEPARATORS = st.sampled_from(["", "", " ", "-"])


@st.composite
def formatted_phones(draw):
    """(text, where the number's digits are): a number of 1–14 digits written as people write
    them, with or without a country code and an extension."""
    digits = draw(st.text(alphabet="0123456789", min_size=1, max_size=14))
    prefix = draw(st.sampled_from(["", "", "+86 ", "+86-", "0086", "+86"]))
    assume(prefix or not digits.startswith("0086"))  # that would be a country code
    parts, rest = [], digits
    while rest:
        size = draw(st.integers(1, 5))
        parts.append(rest[:size])
        rest = rest[size:]
    text = prefix
    for i, part in enumerate(parts):
        if i == 0 and len(parts) > 1 and draw(st.booleans()):
            text += f"({part})"
        else:
            text += (draw(SEPARATORS) if i else "") + part
    number = (len(prefix), len(text))
    marks = ["转", "分机", "ext.", "#", " x"] + (["-", " "] if len(digits) >= 10 else [])
    if draw(st.booleans()):
        mark = draw(st.sampled_from(marks))
        text += mark + draw(st.text(alphabet="0123456789", min_size=1, max_size=6))
    return text, number, len(digits)


@given(formatted_phones())
def test_a_formatted_number_never_shows_more_than_its_bound(case):
    text, (start, end), digits = case
    masked = mask_phone(text)
    assert _only_digits_masked(text, masked)
    shown = sum(ch.isdecimal() for ch in masked[start:end])
    assert shown <= shown_digits(digits) < digits
    if digits >= 11:
        assert shown <= 7 and digits - shown >= 4  # at least 10,000 candidates
    else:
        assert shown <= 0.4 * digits
    assert not any(ch.isdecimal() for ch in masked[end:])  # extensions are hidden whole
