"""A mediation world on the `world` fixture: a committee of the community and one of the
other street, mediators, judicial offices, and helpers that walk a dispute through its flow."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from onegrid.mediation import services
from onegrid.mediation.models import MediationCommittee
from onegrid.org.models import Role
from support.people import person

_keys = itertools.count(1)


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


PARTIES = [
    {
        "side": "applicant",
        "name": "张三",
        "sex": "male",
        "age": 45,
        "ethnicity": "汉族",
        "occupation": "退休",
        "address": "果园新村1号楼101",
        "phone": "13900001111",
    },
    {
        "side": "respondent",
        "name": "李四",
        "sex": "female",
        "age": 38,
        "ethnicity": "回族",
        "address": "果园新村1号楼201",
        "phone": "13900002222",
    },
]
FACTS = "楼上漏水导致楼下天花板损坏，多次协商未果。"


def build(world) -> SimpleNamespace:
    committee = MediationCommittee.objects.create(
        name="第1社区人民调解委员会", unit=world.community
    )
    street_committee = MediationCommittee.objects.create(
        name="果园新村街道人民调解委员会", unit=world.street
    )
    other_community = world.grids[2].community
    other_committee = MediationCommittee.objects.create(
        name="集贤里第1社区人民调解委员会", unit=other_community
    )
    return SimpleNamespace(
        committee=committee,
        street_committee=street_committee,
        other_committee=other_committee,
        other_community=other_community,
        mediator=person("mediator", Role.MEDIATOR, unit=world.community),
        mediator2=person("mediator2", Role.MEDIATOR, unit=world.community),
        street_mediator=person("street_mediator", Role.MEDIATOR, unit=world.street),
        other_mediator=person("other_mediator", Role.MEDIATOR, unit=other_community),
        judicial=person("judicial", Role.JUDICIAL_OFFICE, unit=world.street),
        district_judicial=person("district_judicial", Role.JUDICIAL_OFFICE, unit=world.district),
        other_judicial=person("other_judicial", Role.JUDICIAL_OFFICE, unit=world.other_street),
        admin=person("admin", Role.ADMIN, unit=world.district),
    )


def walk_in(world, med, **overrides):
    values = {
        "by": med.mediator,
        "community": world.community,
        "type": "neighbour",
        "title": "楼上漏水",
        "facts": FACTS,
        "claims": "赔偿维修费",
        "parties": PARTIES,
        "idempotency_key": key("walk"),
    }
    values.update(overrides)
    return services.register_at_committee(**values)


def accepted(world, med, **overrides):
    dispute = walk_in(world, med, **overrides)
    return services.accept(by=med.mediator, dispute=dispute)


def mediating(world, med):
    dispute = accepted(world, med)
    services.assign_mediators(
        by=med.mediator,
        dispute=dispute,
        mediators=[med.mediator.pk, med.mediator2.pk],
        lead=med.mediator.pk,
    )
    services.record_session(
        by=med.mediator,
        dispute=dispute,
        held_at="2026-03-10T09:00:00+08:00",
        place="社区调解室",
        attendees="张三、李四",
        notes="双方陈述，初步同意分担维修费。",
        idempotency_key=key("session"),
    )
    dispute.refresh_from_db()
    return dispute
