"""The Party tree on the `world` district (tests/party, tests/browser): the district committee,
the two streets' committees, the first community's committee, a grid group on the first grid
and a unit's organisation with one member; Party-organisation staff at the district, the
street and the other street."""

from __future__ import annotations

from types import SimpleNamespace

from onegrid.org.models import Role
from onegrid.party import services
from onegrid.party.models import Organisation
from support.people import person

Kind = Organisation.Kind


def build_tree(world) -> SimpleNamespace:
    district_staff = person("party_district", Role.PARTY_STAFF, unit=world.district)
    street_staff = person("party_street", Role.PARTY_STAFF, unit=world.street)
    other_staff = person("party_other", Role.PARTY_STAFF, unit=world.other_street)
    district = services.create_organisation(
        actor=district_staff,
        code="D",
        name="区委",
        kind=Kind.DISTRICT_COMMITTEE,
        unit=world.district,
    )
    street = services.create_organisation(
        actor=district_staff,
        code="S1",
        name="果园新村街道党工委",
        kind=Kind.STREET_COMMITTEE,
        unit=world.street,
        parent=district,
    )
    other_street = services.create_organisation(
        actor=district_staff,
        code="S2",
        name="集贤里街道党工委",
        kind=Kind.STREET_COMMITTEE,
        unit=world.other_street,
        parent=district,
    )
    community = services.create_organisation(
        actor=street_staff,
        code="C1",
        name="第1社区党委",
        kind=Kind.COMMUNITY_COMMITTEE,
        unit=world.community,
        parent=street,
    )
    grid_group = services.create_organisation(
        actor=street_staff,
        code="G1",
        name="第001网格党小组",
        kind=Kind.GRID_GROUP,
        grid=world.grids[0],
        parent=community,
    )
    firm = services.create_organisation(
        actor=street_staff,
        code="U1",
        name="某公司党支部",
        kind=Kind.UNIT,
        unit=world.community,
        parent=community,
        unit_kind="new_economic",
        lon=117.105,
        lat=39.205,
    )
    stay = services.join(
        actor=street_staff,
        organisation=grid_group,
        name="张三",
        phone="13912345678",
        category="retired",
    )
    return SimpleNamespace(
        district_staff=district_staff,
        street_staff=street_staff,
        other_staff=other_staff,
        district=district,
        street=street,
        other_street=other_street,
        community=community,
        grid_group=grid_group,
        firm=firm,
        member=stay.member,
    )
