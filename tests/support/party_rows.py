"""Rows for the 双报到 and service-centre tests (tests/party), made directly with the models
beside the `world` fixture: a community committee, a unit's organisation standing in the first
community with its secretary, one in the other street's community, members of each category,
Party-organisation staff at the district, the first street, the first community and the other
street, the checklist and the first community's centre."""

from __future__ import annotations

from types import SimpleNamespace

from onegrid.cases.models import CaseClass, MajorClass
from onegrid.core import clock
from onegrid.org.models import TEAM_ROLES, Role, User
from onegrid.party.models import ChecklistItem, Member, Organisation, ServiceCentre
from onegrid.territory.models import AdminUnit
from support.people import person

Kind = Organisation.Kind


def party_rows(world) -> SimpleNamespace:
    now = clock.now()
    other_community = AdminUnit.objects.get(code="120113002001")

    def org(code, name, kind, unit, **more):
        return Organisation.objects.create(
            code=code, name=name, kind=kind, unit=unit, created_at=now, **more
        )

    community_org = org("C1", "第1社区党委", Kind.COMMUNITY_COMMITTEE, world.community)
    secretary = person("unit_secretary", Role.RESIDENT, unit=world.district)
    firm = org(
        "U1",
        "某公司党支部",
        Kind.UNIT,
        world.community,
        parent=community_org,
        unit_kind="new_economic",
        secretary=secretary,
    )
    far_firm = org("U2", "集贤里某厂党支部", Kind.UNIT, other_community, unit_kind="enterprise")

    def member(name, category, home=world.community, user=None):
        return Member.objects.create(
            name=name,
            phone="13912345678",
            category=category,
            home_community=home,
            organisation=far_firm,
            user=user,
            created_at=now,
        )

    member_account = person("member_account", Role.PARTY_MEMBER, grid=world.grids[0])
    employed = member("李四", Member.Category.IN_SERVICE, user=member_account)
    retired = member("张三", Member.Category.RETIRED)
    homeless = member("王五", Member.Category.IN_SERVICE, home=None)
    elsewhere = member("赵六", Member.Category.IN_SERVICE, home=other_community)
    checklist = [
        ChecklistItem.objects.create(
            category="space", text="活动场所面积达标", max_score=20, order=1
        ),
        ChecklistItem.objects.create(
            category="signage", text="统一标识标牌", max_score=10, order=2
        ),
        ChecklistItem.objects.create(
            category="hours",
            text="街道中心错时延时服务",
            max_score=10,
            order=3,
            applies_to="street",
        ),
    ]
    centre = ServiceCentre.objects.create(
        name="第1社区党群服务中心",
        level="community",
        unit=world.community,
        lon=world.point[0],
        lat=world.point[1],
        address="果园新村1号",
        created_at=now,
    )
    governance = MajorClass.objects.create(code="I", name="基础数据变更")
    CaseClass.objects.create(
        code="I0201", major=governance, name="房屋信息变更", time_limit=5, time_unit="days"
    )
    return SimpleNamespace(
        other_community=other_community,
        community_org=community_org,
        firm=firm,
        far_firm=far_firm,
        secretary=secretary,
        member_account=member_account,
        employed=employed,
        retired=retired,
        homeless=homeless,
        elsewhere=elsewhere,
        checklist=checklist,
        centre=centre,
        district_staff=person("party_district", Role.PARTY_STAFF, unit=world.district),
        street_staff=person("party_street", Role.PARTY_STAFF, unit=world.street),
        community_staff=person("party_community", Role.PARTY_STAFF, unit=world.community),
        other_staff=person("party_other", Role.PARTY_STAFF, unit=world.other_street),
        admin=person("party_admin", Role.ADMIN, unit=world.district),
    )


def holder(world, role: str) -> User:
    """A person holding `role` where it is bound: a grid for grid-team roles, a department for
    handlers, the district otherwise."""
    username = f"every_{role}"
    if role in TEAM_ROLES:
        return person(username, role, grid=world.grids[0])
    if role == Role.DEPT_HANDLER:
        return person(username, role, department=world.city_mgmt)
    return person(username, role, unit=world.district)
