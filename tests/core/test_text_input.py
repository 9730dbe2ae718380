"""The one check of typed text (core.text_input) every issue-12 service uses."""

from __future__ import annotations

import pytest

from onegrid.core.errors import InvalidInput
from onegrid.core.text_input import bounded_text, chosen_row_id, row_id


def test_text_is_trimmed_and_keeps_what_people_type():
    typed = "  第一行\n第二行\t全角　空格 a\u00a0b 👨\u200d👩\u200d👧  "
    assert bounded_text(typed, "note", max_length=100) == typed.strip()
    assert bounded_text(None, "note", max_length=5) == ""


@pytest.mark.parametrize(
    "value", ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\u2028b", "a\ue000b", "a\U000e0080b"]
)
def test_control_private_and_unassigned_characters_are_refused_at_the_field(value):
    with pytest.raises(InvalidInput) as refused:
        bounded_text(value, "title", max_length=100)
    assert refused.value.field == "title"


def test_length_required_and_type_are_checked_at_the_field():
    assert bounded_text("x" * 10, "name", max_length=10) == "x" * 10
    for value, kwargs in (("x" * 11, {}), ("   ", {"required": True}), (12, {})):
        with pytest.raises(InvalidInput) as refused:
            bounded_text(value, "name", max_length=10, **kwargs)
        assert refused.value.field == "name"


def test_an_idempotency_key_is_given_printable_and_at_most_64_characters():
    from onegrid.core.text_input import idempotency_key

    assert idempotency_key("  k-1  ", missing="send one") == "k-1"
    assert idempotency_key("x" * 64, missing="send one") == "x" * 64
    for value in (None, "  ", "x" * 65, "a\x00b", "a\u202eb"):
        with pytest.raises(InvalidInput) as refused:
            idempotency_key(value, missing="send one")
        assert refused.value.field == "idempotency_key"
    with pytest.raises(InvalidInput) as refused:
        idempotency_key("", missing="send one")
    assert refused.value.message == "send one"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        ("12", 12),
        (" 12 ", 12),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("0", None),
        (-3, None),
        (True, None),
        ("١٢", None),
        ("１２", None),
        ("12a", None),
        ("", None),
        (None, None),
        ("1" * 40, None),
    ],
)
def test_row_id_takes_ascii_ids_in_the_keys_range_only(value, expected):
    assert row_id(value) == expected


def test_chosen_row_id_is_a_422_at_its_field():
    with pytest.raises(InvalidInput) as caught:
        chosen_row_id("x", "grid")
    assert caught.value.field == "grid"
