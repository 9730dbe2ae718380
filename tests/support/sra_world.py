"""Screening, risks and legal advice on the `world` fixture (tests/conftest.py): a grid head,
the judicial offices, a legal adviser and a community committee member of the first community,
a second resident, and a police officer of the first grid."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from onegrid.org.models import Role
from support.people import person

_keys = itertools.count(1)


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


def build(world) -> SimpleNamespace:
    other_community = world.grids[2].community
    return SimpleNamespace(
        head=person("grid_head", Role.GRID_HEAD, grid=world.grids[0]),
        police=person("grid_police", Role.POLICE_OFFICER, grid=world.grids[0]),
        judicial=person("judicial", Role.JUDICIAL_OFFICE, unit=world.street),
        district_judicial=person("district_judicial", Role.JUDICIAL_OFFICE, unit=world.district),
        other_judicial=person("other_judicial", Role.JUDICIAL_OFFICE, unit=world.other_street),
        adviser=person("adviser", Role.LEGAL_ADVISER, unit=world.community),
        other_adviser=person("other_adviser", Role.LEGAL_ADVISER, unit=other_community),
        committee=person("committee", Role.COMMUNITY_COMMITTEE, unit=world.community),
        resident2=person("resident2", Role.RESIDENT, unit=world.district),
        admin=person("admin", Role.ADMIN, unit=world.district),
        mediator=person("mediator", Role.MEDIATOR, unit=world.community),
        other_community=other_community,
    )
