"""A person's notification preferences: which outside channels (SMS, e-mail) carry each kind of
notification, and quiet hours. The in-app inbox (the bell) always gets everything.

`set_preferences` is the one write, used by the account page and the API alike. It checks
everything before it changes anything, and a refusal is an InvalidInput naming the field:
`channels.<kind>` for a kind or a channel that does not exist or that the account cannot
receive (SMS needs a phone on the account, e-mail an address), `quiet_start` / `quiet_end`
for quiet hours (both or neither, "HH:MM" in ASCII digits, not equal: a span over midnight
such as 22:00–07:00 is fine). Saving the same choices again changes nothing (idempotent).

Quiet hours are Asia/Shanghai wall time; the deliverer (notify.services) holds SMS and e-mail
inside them until they end. One-time codes (kind "code") are not a preference: they are sent
when asked for, quiet hours or not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from onegrid.core.errors import InvalidInput
from onegrid.org.models import User

from . import kinds as kind_table
from .models import Preference

# The outside channels a person may choose; the inbox is not among them (always on).
CHANNELS = ("sms", "email")
# Kinds that are no one's choice: one-time codes go out when asked for.
NOT_CHOOSABLE = frozenset({"code"})
# The kinds about one's own reports (a resident's, or any staff member's who reported).
REPORTER_KINDS = frozenset(
    {
        "reporter_received",
        "reporter_registered",
        "reporter_dispatched",
        "reporter_fixed",
        "reporter_closed",
        "please_rate",
    }
)
_TIME = re.compile(r"\A([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?\Z")
# A kind name as it may come from a client, for an error message: short and printable.
_SHOWN_KEY = 40


@dataclass(frozen=True)
class Choices:
    """Checked preferences: every choosable kind with its channels (in CHANNELS order)."""

    channels: dict[str, list[str]]
    quiet_start: dt.time | None
    quiet_end: dt.time | None


def choosable_kinds() -> list[str]:
    """Every kind a person may route to SMS or e-mail, in the kind table's order."""
    return [k for k in kind_table.CHOOSABLE if k not in NOT_CHOOSABLE]


def default_channels(kind: str) -> list[str]:
    """The channels of a kind nobody chose for yet (notify.kinds.DEFAULT_CHANNELS)."""
    chosen = kind_table.DEFAULT_CHANNELS.get(kind, ())
    return [c for c in CHANNELS if c in chosen]


def _shown(key: object) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in str(key))
    return text[:_SHOWN_KEY] + ("…" if len(text) > _SHOWN_KEY else "")


def parse_time(value: object, *, field: str) -> dt.time | None:
    """A quiet-hours bound: None or "" for none; "HH:MM" (or "HH:MM:SS", as a browser's time
    field may send) in ASCII digits; a datetime.time as it is."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        match = _TIME.match(value.strip())
        if match:
            hour, minute, second = match.groups()
            return dt.time(int(hour), int(minute), int(second or 0))
    raise InvalidInput(
        _("%(field)s must be a time of day such as 22:00.") % {"field": field}, field=field
    )


def clean(
    *,
    user: User,
    channels: Mapping[str, Iterable[str]] | None,
    quiet_start: object = None,
    quiet_end: object = None,
) -> Choices:
    """The choices checked against the kind table and the account; kinds left out keep their
    defaults (DEFAULT_CHANNELS) — less any channel the account cannot receive."""
    allowed = choosable_kinds()
    given: Mapping[str, Iterable[str]] = channels or {}
    if not isinstance(given, Mapping):
        raise InvalidInput(
            _("channels must map each kind to a list of channels."), field="channels"
        )
    for key in given:
        if key not in allowed:
            raise InvalidInput(
                _("channels: there is no notification kind “%(kind)s”.") % {"kind": _shown(key)},
                field=f"channels.{_shown(key)}",
            )
    receivable_now = receivable(user)
    result: dict[str, list[str]] = {}
    for kind in allowed:
        if kind in given:
            result[kind] = _channels_of(kind, given[kind], receivable_now)
        else:
            result[kind] = [c for c in default_channels(kind) if c in receivable_now]
    start = parse_time(quiet_start, field="quiet_start")
    end = parse_time(quiet_end, field="quiet_end")
    if (start is None) != (end is None):
        missing = "quiet_end" if end is None else "quiet_start"
        raise InvalidInput(
            _("Quiet hours need both a start and an end (or neither)."), field=missing
        )
    if start is not None and start == end:
        raise InvalidInput(
            _("Quiet hours must end at another time than they start."), field="quiet_end"
        )
    return Choices(channels=result, quiet_start=start, quiet_end=end)


def receivable(user: User) -> set[str]:
    """The outside channels the account can receive: SMS with a phone, e-mail with an address."""
    out = set()
    if (user.phone or "").strip():
        out.add("sms")
    if (user.email or "").strip():
        out.add("email")
    return out


def _channels_of(kind: str, value: object, receivable: set[str]) -> list[str]:
    field = f"channels.{kind}"
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidInput(
            _("%(field)s must be a list of channels.") % {"field": field}, field=field
        )
    chosen = set()
    for channel in value:
        if channel not in CHANNELS:
            raise InvalidInput(
                _("%(field)s: “%(channel)s” is not a channel (sms or email).")
                % {"field": field, "channel": _shown(channel)},
                field=field,
            )
        if channel not in receivable:
            message = (
                _("%(field)s: SMS needs a phone number on your account.")
                if channel == "sms"
                else _("%(field)s: e-mail needs an e-mail address on your account.")
            )
            raise InvalidInput(message % {"field": field}, field=field)
        chosen.add(channel)
    return [c for c in CHANNELS if c in chosen]


def set_preferences(
    *,
    actor: User,
    channels: Mapping[str, Iterable[str]] | None,
    quiet_start: object = None,
    quiet_end: object = None,
) -> Preference:
    """Replace the actor's own preferences (every choosable kind is stored, so a channel
    turned off stays off when the defaults change). One transaction; a refusal saves nothing."""
    choices = clean(user=actor, channels=channels, quiet_start=quiet_start, quiet_end=quiet_end)
    with transaction.atomic():
        preference, _created = Preference.objects.select_for_update().get_or_create(user=actor)
        preference.channels = choices.channels
        preference.quiet_start = choices.quiet_start
        preference.quiet_end = choices.quiet_end
        preference.save()
    return preference
