"""may_read_party_membership walks up the territory from the place asked about: the same
decision as "the unit the staff member is bound to is the place or above it", for every level
and every place, with each place's chain read once for the request (the demo asks thousands of
times) and a deeper tree than city → community walked to its root."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from onegrid.org import policies
from onegrid.org.models import Role, RoleAssignment
from onegrid.territory.models import AdminUnit
from support.people import person


def _above_or_self(bound: AdminUnit, unit: AdminUnit) -> bool:
    node: AdminUnit | None = unit
    while node is not None:
        if node.pk == bound.pk:
            return True
        node = node.parent
    return False


def test_the_decision_is_the_tree_for_every_level_and_place(world):
    units = list(AdminUnit.objects.all())
    assert {u.level for u in units} == {"city", "district", "street", "community"}
    for i, bound in enumerate(units):
        staff = person(f"party_scope_{i}", Role.PARTY_STAFF, unit=bound)
        for unit in AdminUnit.objects.all():  # fresh instances: no parent loaded
            assert policies.may_read_party_membership(staff, unit) == _above_or_self(bound, unit), (
                bound.code,
                unit.code,
            )
    assert not policies.may_read_party_membership(world.people.command, world.community)


def test_each_places_chain_is_read_once_per_request_and_forget_drops_it(world):
    staff = person("party_city", Role.PARTY_STAFF, unit=AdminUnit.objects.get(level="city"))
    community = AdminUnit.objects.get(pk=world.community.pk)
    policies.assignments(staff)
    with CaptureQueriesContext(connection) as first:
        assert policies.may_read_party_membership(staff, community)
    assert len(first.captured_queries) == 1
    with CaptureQueriesContext(connection) as again:
        for _ in range(5):
            assert policies.may_read_party_membership(staff, community)
    assert not again.captured_queries
    # A role taken away drops the roles and the chains with them.
    RoleAssignment.objects.filter(user=staff).delete()
    policies.forget(staff)
    assert not policies.may_read_party_membership(staff, community)


def test_a_tree_deeper_than_one_row_is_walked_to_its_root(world):
    top = AdminUnit.objects.create(code="100000000000", name="省", level="city")
    AdminUnit.objects.filter(level="city").exclude(pk=top.pk).update(parent=top)
    staff = person("party_top", Role.PARTY_STAFF, unit=top)
    community = AdminUnit.objects.get(pk=world.community.pk)
    assert policies.may_read_party_membership(staff, community)
    other = person("party_nowhere", Role.PARTY_STAFF, unit=world.other_street)
    assert not policies.may_read_party_membership(other, community)
