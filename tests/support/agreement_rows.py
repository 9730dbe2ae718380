"""Rows for the mediation agreement tests: a committee of the `world` community, its mediator,
the judicial office of the street, and an accepted dispute with two parties (made directly, so
these tests do not depend on the register's services)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from onegrid.core import clock
from onegrid.mediation.legal_basis import ensure_default_types
from onegrid.mediation.models import Dispute, DisputeParty, MediationCommittee, MediationType
from onegrid.org.models import Role
from support.people import person

ACCEPTED_AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def mediation_rows(world, *, party_name: str = "张三") -> SimpleNamespace:
    ensure_default_types()  # a transactional test before may have emptied the migration's rows
    committee = MediationCommittee.objects.create(
        name="第1社区人民调解委员会", unit=world.community
    )
    mediator = person("mediator", Role.MEDIATOR, unit=world.community)
    mediator.display_name = "李调解"
    mediator.save(update_fields=["display_name"])
    other_mediator = person("other_mediator", Role.MEDIATOR, unit=world.other_street)
    judicial = person("judicial", Role.JUDICIAL_OFFICE, unit=world.street)
    dispute = Dispute.objects.create(
        number="TJ202600001",
        type=MediationType.objects.get(code="neighbour"),
        title="楼上漏水",
        facts="楼上卫生间漏水，渗到楼下。",
        source=Dispute.Source.WALK_IN,
        community=world.community,
        street=world.street,
        grid=world.grids[0],
        committee=committee,
        state=Dispute.State.MEDIATING,
        registered_at=ACCEPTED_AT - dt.timedelta(days=1),
        accepted_at=ACCEPTED_AT,
        due_on=dt.date(2026, 4, 2),
    )
    DisputeParty.objects.create(
        dispute=dispute,
        side=DisputeParty.Side.APPLICANT,
        name=party_name,
        sex=DisputeParty.Sex.MALE,
        age=45,
        ethnicity="汉族",
        occupation="退休",
        address="第1社区3号楼201",
        phone="13800000001",
    )
    DisputeParty.objects.create(
        dispute=dispute,
        side=DisputeParty.Side.RESPONDENT,
        name="王五",
        sex=DisputeParty.Sex.FEMALE,
        age=38,
        ethnicity="回族",
        occupation="天津某公司",
        address="第1社区3号楼301",
    )
    dispute.assignments.create(
        mediator=mediator, lead=True, assigned_at=clock.now(), assigned_by=mediator
    )
    return SimpleNamespace(
        committee=committee,
        mediator=mediator,
        other_mediator=other_mediator,
        judicial=judicial,
        dispute=dispute,
    )


AGREEMENT = {
    "facts": "2026年2月起，301室卫生间漏水渗至201室。",
    "matters": "漏水维修及201室吊顶损失赔偿。",
    "responsibilities": "301室对漏水负全部责任。",
    "terms": "一、301室于3月20日前修复防水层；\n二、301室赔偿201室吊顶损失人民币1500元。",
    "performance_manner": "现金当面支付，维修由301室自行联系施工。",
    "performance_deadline": "2026-03-20",
    "effective_on": "2026-03-10",
}
