"""The counter's look-up by mobile number finds only people who hold points (the grid teams,
volunteers, Party members and residents): a clerk typing a staff member's number learns no
name (the look-up would otherwise tell any organiser anyone's real name from a phone)."""

from __future__ import annotations

import pytest

from onegrid.core.errors import NotFound
from onegrid.org import access_log
from onegrid.org.models import PersonalDataRead
from onegrid.volunteers import points_selectors

pytestmark = pytest.mark.django_db


def test_a_staff_members_number_finds_no_one(store, world):
    staff = world.people.command
    staff.phone = "13700002222"
    staff.save(update_fields=["phone"])
    with pytest.raises(NotFound) as refused:
        points_selectors.holder_by_phone(store.clerk, "13700002222", channel=access_log.Channel.API)
    assert refused.value.field == "phone"
    assert not PersonalDataRead.objects.exists()
    found = points_selectors.holder_by_phone(
        store.clerk, "13900001111", channel=access_log.Channel.API
    )
    assert found.name == "王志愿"
