"""A district's code for its own calendar days is ASCII digits: a code in other digits (Arabic-
Indic, full-width) or with a NUL is refused naming the field, and no row is stored."""

from __future__ import annotations

import pytest

from onegrid.core import district_days
from onegrid.core.errors import InvalidInput
from onegrid.core.models import DistrictDay


@pytest.mark.parametrize(
    "code", ["١٢٠١١٣", "１２０１１３", "١٢٠١١٣000000", "120113\x00", "9" * 5000, "", "120100"]
)
def test_a_code_not_in_ascii_digits_is_refused(db, code):
    with pytest.raises(InvalidInput) as refused:
        district_days.add_day(district=code, day="2026-05-08", kind="休", added_by="t")
    assert refused.value.field == "district"
    assert not DistrictDay.objects.exists()


def test_the_ascii_code_is_taken(db):
    assert district_days.district_code("120113") == "120113000000"
    assert district_days.district_code(" 120113000000 ") == "120113000000"
