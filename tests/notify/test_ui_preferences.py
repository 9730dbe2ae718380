"""Notification preferences (notify.preferences, notify.selectors.preferences_of): channels per
kind and quiet hours, every refusal naming its field and changing nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.core.errors import InvalidInput
from onegrid.notify import preferences, selectors
from onegrid.notify.kinds import DEFAULT_CHANNELS
from onegrid.notify.models import Preference


def _refused(user, field, **choices):
    choices.setdefault("channels", {})
    with pytest.raises(InvalidInput) as refused:
        preferences.set_preferences(actor=user, **choices)
    assert refused.value.field == field, refused.value.message
    assert not Preference.objects.filter(user=user).exists(), "a refusal saves nothing"
    return str(refused.value.message)


def test_defaults_until_chosen_then_every_kind_is_stored(world):
    user = world.people.dispatcher  # has a phone, no e-mail address
    view = selectors.preferences_of(user)
    assert not view.saved and view.sms_possible and not view.email_possible
    shown = {k.kind: k.channels for k in view.kinds}
    assert shown["overdue"] == DEFAULT_CHANNELS["overdue"] == ["sms"]
    assert "code" not in shown, "one-time codes are not a choice"
    saved = preferences.set_preferences(
        actor=user,
        channels={"overdue": [], "due_soon": ["sms", "sms"]},
        quiet_start="22:00",
        quiet_end="07:00",
    )
    assert saved.channels["overdue"] == [] and saved.channels["due_soon"] == ["sms"]
    assert saved.channels["escalated"] == ["sms"], "kinds left out take their defaults"
    assert (saved.quiet_start, saved.quiet_end) == (dt.time(22), dt.time(7))
    again = preferences.set_preferences(
        actor=user,
        channels={"overdue": [], "due_soon": ["sms"]},
        quiet_start="22:00",
        quiet_end="07:00",
    )
    assert again.pk == saved.pk and again.channels == saved.channels
    assert Preference.objects.filter(user=user).count() == 1


def test_sms_needs_a_phone_and_email_an_address(world):
    user = world.people.dispatcher
    message = _refused(user, "channels.overdue", channels={"overdue": ["email"]})
    assert "channels.overdue" in message
    user.phone = ""
    user.save()
    _refused(user, "channels.due_soon", channels={"due_soon": ["sms"]})
    user.email = "disp@example.gov.cn"
    user.save()
    saved = preferences.set_preferences(actor=user, channels={"due_soon": ["email"]})
    assert saved.channels["due_soon"] == ["email"]
    assert saved.channels["overdue"] == [], "a default SMS the account cannot receive is dropped"


@pytest.mark.parametrize(
    "channels, field",
    [
        ({"no_such_kind": ["sms"]}, "channels.no_such_kind"),
        ({"code": ["sms"]}, "channels.code"),
        ({"overdue": ["fax"]}, "channels.overdue"),
        ({"overdue": "sms"}, "channels.overdue"),
        ({"overdue": [None]}, "channels.overdue"),
        ({"x\x00y": []}, "channels.x?y"),
    ],
)
def test_unknown_kinds_and_channels_are_refused_by_name(world, channels, field):
    _refused(world.people.dispatcher, field, channels=channels)


@pytest.mark.parametrize(
    "start, end, field",
    [
        ("22:00", "", "quiet_end"),
        ("", "07:00", "quiet_start"),
        ("08:00", "08:00", "quiet_end"),
        ("２２:００", "07:00", "quiet_start"),  # full-width digits
        ("22:00", "24:00", "quiet_end"),
        ("22:00\x00", "07:00", "quiet_start"),
        ("9" * 10_000, "07:00", "quiet_start"),
        ("22.00", "07:00", "quiet_start"),
    ],
)
def test_quiet_hours_are_both_or_neither_times_of_day(world, start, end, field):
    _refused(world.people.dispatcher, field, quiet_start=start, quiet_end=end)


def test_a_resident_chooses_for_their_reports_only(world):
    view = selectors.preferences_of(world.people.resident)
    assert not view.works_cases
    assert {k.kind for k in view.kinds} == preferences.REPORTER_KINDS
    staff = selectors.preferences_of(world.people.acceptor)
    assert {"to_my_desk", "reporter_closed"} <= {k.kind for k in staff.kinds}
