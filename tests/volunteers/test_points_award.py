"""Earning points: volunteers.points.award under the district's active rule, once per source."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput
from onegrid.volunteers import points
from onegrid.volunteers.models import PointsEntry, PointsRule
from support.people import person

pytestmark = pytest.mark.django_db


def rule(kind: str, value: int) -> PointsRule:
    return PointsRule.objects.create(kind=kind, points=value, changed_at=clock.now())


def test_an_award_under_the_active_rule_is_written_once_per_source(world):
    rule("report", 5)
    user = world.people.resident
    first = points.award(user=user, rule="report", source_key="report:1", note="well seen")
    again = points.award(user=user, rule="report", source_key="report:1")
    assert first is not None and again is not None
    assert again.pk == first.pk
    assert first.amount == 5 and first.kind == PointsEntry.Kind.EARN_REPORT
    assert points.balance(user) == 5
    assert PointsEntry.objects.count() == 1


def test_hours_are_rounded_down_and_zero_points_write_nothing(world):
    rule("hours", 2)
    user = world.people.resident
    entry = points.award(user=user, rule="hours", source_key="hours:1", quantity=Decimal("1.75"))
    assert entry is not None and entry.amount == 3
    assert points.award(user=user, rule="hours", source_key="hours:2", quantity="0.25") is None
    assert points.balance(user) == 3


def test_no_active_rule_means_no_award(world):
    PointsRule.objects.create(kind="claim", points=3, active=False, changed_at=clock.now())
    assert points.award(user=world.people.resident, rule="claim", source_key="claim:1") is None
    assert points.balance(world.people.resident) == 0
    assert PointsEntry.objects.count() == 0


def test_a_source_already_credited_to_someone_else_is_a_conflict(world):
    rule("claim", 3)
    points.award(user=world.people.resident, rule="claim", source_key="claim:9")
    with pytest.raises(Conflict):
        points.award(user=world.people.worker, rule="claim", source_key="claim:9")
    assert points.balance(world.people.worker) == 0


@pytest.mark.parametrize("quantity", ["-1", "NaN", "Infinity", "1e30", "一", "", None])
def test_odd_quantities_are_refused(world, quantity):
    rule("hours", 1)
    with pytest.raises(InvalidInput) as refused:
        points.award(user=world.people.resident, rule="hours", source_key="h", quantity=quantity)
    assert refused.value.field == "quantity"
    assert PointsEntry.objects.count() == 0


def test_the_ledger_refuses_changes_and_deletes(world):
    rule("report", 1)
    entry = points.award(user=world.people.resident, rule="report", source_key="report:2")
    assert entry is not None
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_a_person_without_an_account_has_no_points(world):
    assert points.balance(person("nobody", "resident", unit=world.district)) == 0
