"""Volunteering rows beside the `world` fixture: an organiser of the world's community, a
registered resident volunteer and an activity at world.point tomorrow morning."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from onegrid.org.models import Role
from onegrid.volunteers import activities, volunteering
from support.people import person

# world's clock: Tuesday 2026-03-10 09:30 +08:00; the activity runs 10:00–12:00 that day.
START = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
END = START + dt.timedelta(hours=2)


def make(world, *, starts_at=START, ends_at=END, capacity=5):
    organiser = person("organiser", Role.ORGANISER, unit=world.community)
    organiser.phone = "13900000001"
    organiser.save()
    resident = world.people.resident
    volunteer = volunteering.register(actor=resident, community_code=world.community.code)
    lon, lat = world.point
    activity = activities.post_activity(
        actor=organiser,
        community_code=world.community.code,
        title="清理楼道",
        starts_at=starts_at,
        ends_at=ends_at,
        lon=lon,
        lat=lat,
        place="3号楼",
        capacity=capacity,
    )
    return SimpleNamespace(
        organiser=organiser, resident=resident, volunteer=volunteer, activity=activity
    )
