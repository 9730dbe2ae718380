"""A community's lists world beside the `world` fixture (tests/volunteers): its list keepers,
a Party member and a unit's Party organisation reported in (双报到), a co-building unit, a
volunteer organisation, and an item on each list."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from onegrid.core import clock
from onegrid.org.models import Role
from onegrid.party.models import Member, Organisation, ReportIn
from onegrid.volunteers.models import CoBuildingUnit, ListItem, VolunteerOrganisation
from support.people import person


def new_key() -> str:
    return uuid.uuid4().hex


def build(world) -> SimpleNamespace:
    now = clock.now()
    community = world.community
    other_community = world.grids[2].community
    staff = person("party_staff_c", Role.PARTY_STAFF, unit=community)
    organiser = person("organiser_c", Role.ORGANISER, unit=community)
    street_organiser = person("organiser_s", Role.ORGANISER, unit=world.street)
    other_staff = person("party_staff_o", Role.PARTY_STAFF, unit=other_community)
    member_user = person("member_u", Role.PARTY_MEMBER, unit=world.district)
    member = Member.objects.create(
        user=member_user, name="李四", phone="13900001111", category="in_service", created_at=now
    )
    ReportIn.objects.create(
        kind="member", community=community, member=member, state="confirmed", reported_at=now
    )
    # A member without an account, and one reported in to the other community.
    offline = Member.objects.create(name="王五", category="retired", created_at=now)
    ReportIn.objects.create(
        kind="member", community=community, member=offline, state="confirmed", reported_at=now
    )
    far_user = person("member_far", Role.PARTY_MEMBER, unit=world.district)
    far_member = Member.objects.create(
        user=far_user, name="赵六", category="in_service", created_at=now
    )
    ReportIn.objects.create(
        kind="member",
        community=other_community,
        member=far_member,
        state="confirmed",
        reported_at=now,
    )
    pending_user = person("member_pending", Role.PARTY_MEMBER, unit=world.district)
    pending_member = Member.objects.create(
        user=pending_user, name="钱七", category="in_service", created_at=now
    )
    ReportIn.objects.create(
        kind="member", community=community, member=pending_member, state="pending", reported_at=now
    )
    secretary = person("secretary_u", Role.RESIDENT, unit=world.district)
    unit_org = Organisation.objects.create(
        code="U-001",
        name="某公司党支部",
        kind="unit",
        unit=community,
        unit_kind="enterprise",
        secretary=secretary,
        created_at=now,
    )
    ReportIn.objects.create(
        kind="unit", community=community, organisation=unit_org, state="confirmed", reported_at=now
    )
    unreported_org = Organisation.objects.create(
        code="U-002", name="未报到党支部", kind="unit", unit=community, created_at=now
    )
    partner = CoBuildingUnit.objects.create(
        name="某物业公司",
        kind="property",
        community=community,
        contact_name="张三",
        contact_phone="13812345678",
        registered_at=now,
    )
    other_partner = CoBuildingUnit.objects.create(
        name="别处物业", kind="property", community=other_community, registered_at=now
    )
    team = VolunteerOrganisation.objects.create(
        name="街道志愿队", unit=world.street, created_at=now
    )
    volunteer = person("volunteer_u", Role.VOLUNTEER, unit=world.district)
    need = ListItem.objects.create(
        community=community, kind="need", title="孤寡老人助餐", capacity=2, created_at=now
    )
    resource = ListItem.objects.create(
        community=community, kind="resource", title="活动室", capacity=1, created_at=now
    )
    project = ListItem.objects.create(
        community=community, kind="project", title="楼道美化", capacity=3, created_at=now
    )
    return SimpleNamespace(
        community=community,
        other_community=other_community,
        staff=staff,
        organiser=organiser,
        street_organiser=street_organiser,
        other_staff=other_staff,
        member_user=member_user,
        member=member,
        offline=offline,
        far_user=far_user,
        far_member=far_member,
        pending_user=pending_user,
        pending_member=pending_member,
        secretary=secretary,
        unit_org=unit_org,
        unreported_org=unreported_org,
        partner=partner,
        other_partner=other_partner,
        team=team,
        volunteer=volunteer,
        need=need,
        resource=resource,
        project=project,
    )
