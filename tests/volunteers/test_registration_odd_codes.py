"""volunteers.volunteering.register refuses a grid code with a NUL or other control character
at its field, before any query (PostgreSQL refuses NUL in text: it was a 500 there)."""

from __future__ import annotations

import pytest

from onegrid.core.errors import InvalidInput
from onegrid.volunteers import volunteering
from onegrid.volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["\x00", "a\x00b", "1201\x1f", "x" * 21, 5])
def test_an_odd_grid_code_is_refused_at_its_field(world, code):
    with pytest.raises(InvalidInput) as refused:
        volunteering.register(actor=world.people.resident, grid_code=code)
    assert refused.value.field == "grid"
    assert not Volunteer.objects.exists()
