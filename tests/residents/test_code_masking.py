"""A one-time code's row as the admin lists it shows the phone masked by the one rule
(org.phone_masking), never whole."""

import datetime as dt

from onegrid.residents.models import OneTimeCode


def test_code_row_masks_the_phone_by_the_shared_rule():
    row = OneTimeCode(
        phone="13812345678",
        purpose=OneTimeCode.Purpose.SIGN_IN,
        created_at=dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC),
    )
    text = str(row)
    assert text.startswith("138****5678 · sign_in · ")
    assert "13812345678" not in text
